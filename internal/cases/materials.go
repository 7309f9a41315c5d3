package cases

import (
	"archive/zip"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
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
// and names the file; the store keeps it sealed under a keyed hash of that
// name (blob.Sealed).
//
// Only the roles that file or correct cases upload (issue 14): applicants,
// agents and clerks at intake. A file counts against the account's daily
// quota (Limits) once it is accepted; an upload not attached to a case
// within UploadTTL is swept (SweepUploads).
func (s *Service) Upload(ctx context.Context, u *identity.User, filename string, r io.Reader) (*Material, error) {
	if u == nil {
		return nil, apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if !u.HasAny(UploadRoles...) {
		return nil, apperr.E(apperr.Forbidden, "error.forbidden")
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
	// The quota is taken before anything is stored: a refused upload leaves
	// no file behind.
	if err := s.reserveUpload(ctx, u, m.Size); err != nil {
		return nil, err
	}
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

// UploadRoles are the roles that upload materials: those that file a case
// or supply its materials (the web's apply, correction and intake forms).
var UploadRoles = []identity.Role{identity.RoleApplicant, identity.RoleAgent, identity.RoleClerk}

// reserveUpload counts one file of size bytes against u's quota for today,
// or refuses it with TooMany. One conditional upsert: concurrent uploads of
// one account queue on its row, so they cannot pass the quota together.
func (s *Service) reserveUpload(ctx context.Context, u *identity.User, size int64) error {
	maxFiles, maxBytes := s.Limits.DailyFiles, s.Limits.DailyBytes
	if u.HasAny(identity.RoleClerk, identity.RoleAgent) {
		maxFiles, maxBytes = s.Limits.StaffDailyFiles, s.Limits.StaffDailyBytes
	}
	if maxFiles <= 0 && maxBytes <= 0 {
		return nil // no quota configured
	}
	if maxFiles <= 0 {
		maxFiles = math.MaxInt32
	}
	if maxBytes <= 0 {
		maxBytes = math.MaxInt64 - s.Limits.MaxUpload
	}
	refused := apperr.E(apperr.TooMany, "case.upload_quota", "files", maxFiles, "mib", maxBytes>>20)
	if size > maxBytes {
		return refused
	}
	return s.db.Update(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(`INSERT INTO upload_quota (user_id, day, n_files, n_bytes) VALUES ($1, $2, 1, $3)
			ON CONFLICT (user_id, day) DO UPDATE SET n_files = upload_quota.n_files + 1, n_bytes = upload_quota.n_bytes + excluded.n_bytes
			WHERE upload_quota.n_files < $4 AND upload_quota.n_bytes + excluded.n_bytes <= $5`,
			u.ID, calendar.DateIn(tx.Now).String(), size, maxFiles, maxBytes)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return cmp.Or(err, error(refused))
		}
		return nil
	})
}

// UploadTTL is how long an upload may wait to be attached to a case: a
// form filled in over a day. Later, SweepUploads removes it.
const UploadTTL = 24 * time.Hour

// sweepBatch bounds one transaction of the sweep.
const sweepBatch = 500

// SweepReport says what a sweep removed.
type SweepReport struct {
	Uploads int // rows of unattached uploads
	Files   int // stored files no longer referenced
	// Archived is how many finished cases left the everyday lists (Archive).
	Archived int
}

// SweepUploads removes uploads not attached to a case within UploadTTL —
// their rows, and their stored files unless another row still refers to
// the same content or it was stored again within UploadTTL — and the quota
// rows of past days. Replicas run it through SweepIfHeld.
func (s *Service) SweepUploads(ctx context.Context) (SweepReport, error) {
	var rep SweepReport
	cutoff := s.db.Now().Add(-UploadTTL)
	for {
		var keys []string
		err := s.db.Update(ctx, func(tx *db.Tx) error {
			keys = keys[:0]
			rows, err := tx.Query(`DELETE FROM case_materials WHERE id IN (
				SELECT id FROM case_materials WHERE case_id IS NULL AND mandate_id IS NULL AND appeal_id IS NULL AND created_at < $1 ORDER BY created_at LIMIT `+strconv.Itoa(sweepBatch)+`)
				RETURNING sha256`, cutoff)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var k string
				if err := rows.Scan(&k); err != nil {
					return err
				}
				keys = append(keys, k)
			}
			return rows.Err()
		})
		if err != nil {
			return rep, apperr.Internalf("cases: sweep uploads", err)
		}
		rep.Uploads += len(keys)
		slices.Sort(keys)
		for _, k := range slices.Compact(keys) {
			var used bool
			err := s.db.View(ctx, func(tx *db.Tx) error {
				return tx.QueryRow(`SELECT EXISTS (SELECT 1 FROM case_materials WHERE sha256 = $1)`, k).Scan(&used)
			})
			if err != nil {
				return rep, apperr.Internalf("cases: sweep uploads", err)
			}
			if used {
				continue
			}
			if err := s.blobs.Delete(ctx, k, cutoff); err != nil {
				return rep, apperr.Internalf("cases: sweep upload file", err)
			}
			rep.Files++
		}
		if len(keys) < sweepBatch {
			break
		}
	}
	err := s.db.Update(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`DELETE FROM upload_quota WHERE day < $1`, calendar.DateIn(tx.Now).AddDays(-1).String())
		return err
	})
	return rep, apperr.Internalf("cases: sweep quota", err)
}

// SweepLease is the upload sweep's lease: one replica sweeps at a time.
const SweepLease = "uploads-sweep"

// SweepIfHeld sweeps (and archives finished cases) when holder holds the lease (or takes it, expired or
// free) for ttl; ran says whether it did.
func (s *Service) SweepIfHeld(ctx context.Context, holder string, ttl time.Duration) (rep SweepReport, ran bool, err error) {
	held, err := s.db.Lease(ctx, SweepLease, holder, ttl)
	if err != nil || !held {
		return rep, false, err
	}
	if rep, err = s.SweepUploads(ctx); err != nil {
		return rep, true, err
	}
	if rep.Archived, err = s.Archive(ctx); err != nil {
		return rep, true, err
	}
	return rep, true, s.db.LeaseRan(ctx, SweepLease, holder)
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

// MaxMaterialRefs bounds the files one filing or action attaches: each is a
// write in its transaction (issue 14). An item asks for a few dozen at most.
const MaxMaterialRefs = 200

// claimUploads makes owner's unattached uploads materials of c; an upload
// that is someone else's, already used or unknown is refused.
func claimUploads(tx *db.Tx, owner string, c *Case, refs []MaterialRef) error {
	if len(refs) > MaxMaterialRefs {
		return apperr.E(apperr.Invalid, "case.materials_many", "max", MaxMaterialRefs)
	}
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

// attachmentsStaffSelect is attachmentsSelect with the superseded materials
// (kind 2), which staff readers see: one statement for a staff read instead
// of two (issue 20).
const attachmentsStaffSelect = `SELECT 0, id, material_key, filename, content_type, size, sha256, created_at
	FROM case_materials WHERE case_id = $1 AND replaced = FALSE
	UNION ALL SELECT 1, id, kind, body, '', 0, '', issued_at FROM case_notices WHERE case_id = $1
	UNION ALL SELECT 2, id, material_key, filename, content_type, size, sha256, created_at
	FROM case_materials WHERE case_id = $1 AND replaced = TRUE
	ORDER BY 1, 8, 2`

// attachments fills c's materials and notices, and for a staff reader
// (staff) the files that resubmissions replaced, oldest first.
func attachments(tx *db.Tx, c *Case, staff bool) error {
	q := attachmentsSelect
	if staff {
		q = attachmentsStaffSelect
	}
	rows, err := tx.Query(q, c.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	c.Materials, c.Notices, c.Superseded = nil, nil, nil
	for rows.Next() {
		var kind int
		var m Material
		if err := rows.Scan(&kind, &m.ID, &m.Key, &m.Filename, &m.ContentType, &m.Size, &m.SHA256, &m.CreatedAt); err != nil {
			return err
		}
		switch kind {
		case 0:
			c.Materials = append(c.Materials, m)
			continue
		case 2:
			c.Superseded = append(c.Superseded, m)
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
	for _, m := range append(c.Materials, c.Superseded...) { // superseded files: staff only (present)
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

// OpenStored opens a stored upload by its SHA-256, for a caller that
// authorised the read itself (a mandate's 授权委托书: mandate.Service.Files).
func (s *Service) OpenStored(ctx context.Context, sha256 string) (io.ReadCloser, error) {
	return s.blobs.Open(ctx, sha256)
}
