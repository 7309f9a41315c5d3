package cases

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Accepted material types. The type is sniffed from the content, never
// trusted from the name or the client's Content-Type.
const (
	TypePDF  = "application/pdf"
	TypeJPEG = "image/jpeg"
	TypePNG  = "image/png"
	TypeOFD  = "application/ofd" // GB/T 33190: a ZIP package with OFD.xml at its root
)

// Sniff returns the accepted type of a file's content, or Invalid.
func Sniff(content []byte) (string, error) {
	if len(content) == 0 {
		return "", apperr.E(apperr.Invalid, "case.upload_empty")
	}
	switch t := http.DetectContentType(content); t {
	case TypePDF, TypeJPEG, TypePNG:
		return t, nil
	case "application/zip":
		zr, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
		if err == nil {
			for _, f := range zr.File {
				if f.Name == "OFD.xml" {
					return TypeOFD, nil
				}
			}
		}
		return "", apperr.E(apperr.Invalid, "case.upload_type", "type", "zip")
	default:
		kind, _, _ := strings.Cut(t, ";")
		return "", apperr.E(apperr.Invalid, "case.upload_type", "type", kind)
	}
}

// Upload stores a file for u to attach to a case later: at most
// Limits.MaxUpload bytes of PDF, JPEG, PNG or OFD. The SHA-256 is recorded
// and names the stored bytes.
func (s *Service) Upload(ctx context.Context, u *identity.User, filename string, r io.Reader) (*Material, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	content, err := io.ReadAll(io.LimitReader(r, s.Limits.MaxUpload+1))
	if err != nil {
		return nil, apperr.E(apperr.Invalid, "case.upload_failed")
	}
	if int64(len(content)) > s.Limits.MaxUpload {
		return nil, apperr.E(apperr.Invalid, "case.upload_too_large", "max", s.Limits.MaxUpload>>20)
	}
	ct, err := Sniff(content)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(content)
	m := &Material{ID: db.NewID(), Filename: cleanName(filename), ContentType: ct, Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:])}
	if err := s.blobs.Put(ctx, m.SHA256, bytes.NewReader(content)); err != nil {
		return nil, apperr.Internalf("cases: store upload", err)
	}
	err = s.db.Update(ctx, func(tx *db.Tx) error {
		m.CreatedAt = tx.Now
		_, err := tx.Exec(`INSERT INTO case_materials (id, owner_id, filename, content_type, size, sha256, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, m.ID, u.ID, m.Filename, m.ContentType, m.Size, m.SHA256, tx.Now)
		return err
	})
	return m, apperr.Internalf("cases: upload", err)
}

// cleanName keeps the base name of an uploaded file, at most 120 characters.
func cleanName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	for utf8.RuneCountInString(name) > 120 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "." || name == "/" {
		return "upload"
	}
	return name
}

// attach makes uploads of owner materials of c. A new file for a material
// supersedes the files it had (a corrected scan replaces the defective one).
func attach(tx *db.Tx, owner string, c *Case, it *catalog.Item, refs []MaterialRef) error {
	keys := map[string]bool{}
	for _, ref := range refs {
		if _, ok := it.Material(ref.Key); !ok && !(ref.Key == MandateKey && c.AgentID != "") {
			return apperr.E(apperr.Invalid, "case.material_unknown", "key", ref.Key)
		}
		keys[ref.Key] = true
	}
	for k := range keys {
		if _, err := tx.Exec(`UPDATE case_materials SET replaced = TRUE WHERE case_id = $1 AND material_key = $2`, c.ID, k); err != nil {
			return err
		}
	}
	return claimUploads(tx, owner, c, refs)
}

// claimUploads makes owner's unattached uploads materials of c; an upload
// that is someone else's, already used or unknown is refused.
func claimUploads(tx *db.Tx, owner string, c *Case, refs []MaterialRef) error {
	for _, ref := range refs {
		res, err := tx.Exec(`UPDATE case_materials SET case_id = $1, material_key = $2 WHERE id = $3 AND owner_id = $4 AND case_id IS NULL`,
			c.ID, ref.Key, ref.ID, owner)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.E(apperr.Invalid, "case.upload_unknown", "id", ref.ID)
		}
	}
	return nil
}

// materialKeys lists the materials c has current files for.
func materialKeys(tx *db.Tx, caseID string) (map[string]bool, error) {
	rows, err := tx.Query(`SELECT DISTINCT material_key FROM case_materials WHERE case_id = $1 AND replaced = FALSE`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out[k] = true
	}
	return out, rows.Err()
}

// attachmentsSelect reads a case's current materials and its notices in
// one statement: every reply to an action shows both, and a statement costs
// more than the rows it returns. Materials come first (kind 0), each list in
// the order it was made.
const attachmentsSelect = `SELECT 0, id, material_key, filename, content_type, size, sha256, created_at
	FROM case_materials WHERE case_id = $1 AND replaced = FALSE
	UNION ALL SELECT 1, id, kind, body, '', 0, '', issued_at FROM case_notices WHERE case_id = $1
	ORDER BY 1, 8, 2`

// attachments fills c's materials and notices.
func attachments(tx *db.Tx, c *Case) error {
	rows, err := tx.Query(attachmentsSelect, c.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	c.Materials, c.Notices = nil, nil
	for rows.Next() {
		var kind int
		var m Material
		if err := rows.Scan(&kind, &m.ID, &m.Key, &m.Filename, &m.ContentType, &m.Size, &m.SHA256, &m.CreatedAt); err != nil {
			return err
		}
		if kind == 0 {
			c.Materials = append(c.Materials, m)
			continue
		}
		n := Notice{ID: m.ID, Kind: m.Key, IssuedAt: m.CreatedAt}
		if err := json.Unmarshal([]byte(m.Filename), &n.Body); err != nil {
			return err
		}
		c.Notices = append(c.Notices, n)
	}
	return rows.Err()
}

// OpenMaterial returns a material of a case and its bytes for a reader of
// the case; a staff reader's access is recorded.
func (s *Service) OpenMaterial(ctx context.Context, u *identity.User, ref, id string) (*Material, io.ReadCloser, error) {
	c, err := s.Get(ctx, u, ref)
	if err != nil {
		return nil, nil, err
	}
	for _, m := range c.Materials {
		if m.ID == id {
			rc, err := s.blobs.Open(ctx, m.SHA256)
			if err != nil {
				return nil, nil, err
			}
			return &m, rc, nil
		}
	}
	return nil, nil, apperr.E(apperr.NotFound, "error.not_found")
}
