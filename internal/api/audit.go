package api

import (
	"encoding/base64"
	"net/http"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/identity"
)

// auditCheckpoint is the latest signed tree head with the keys that verify
// it (public: it holds no personal data).
func (s *Server) auditCheckpoint(w http.ResponseWriter, r *http.Request) error {
	if s.AuditKeys == nil {
		return apperr.E(apperr.Unavailable, "audit.no_keys")
	}
	msg, size, err := s.AuditKeys.Checkpoint(r.Context(), s.AuditDB)
	if err != nil {
		return apperr.Internalf("audit: checkpoint", err)
	}
	if size == 0 {
		return apperr.E(apperr.NotFound, "audit.empty")
	}
	pub, err := s.AuditKeys.SM2PublicPEM()
	if err != nil {
		return apperr.Internalf("audit: key", err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"checkpoint": string(msg), "tree_size": size,
		"keys": map[string]any{"ed25519": s.AuditKeys.VerifierKey(), "sm2_public_key": pub, "sm2_note_algorithm": audit.AlgSM2}})
	return nil
}

func hashes(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

func int64Param(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		v = r.PathValue(name)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, apperr.E(apperr.Invalid, "error.param_integer", "param", name)
	}
	return n, nil
}

// auditRecord is a record (without its payload) with its inclusion proof in
// the tree of tree_size records (default: the latest checkpoint). Staff
// with supervision or administration roles only (records name actors),
// each within their scope.
func (s *Server) auditRecord(w http.ResponseWriter, r *http.Request) error {
	u := userFrom(r.Context())
	if !u.Has(identity.RoleSupervisor) && !u.Has(identity.RoleAdmin) {
		return apperr.E(apperr.Forbidden, "error.forbidden")
	}
	index, err := int64Param(r, "index")
	if err != nil {
		return err
	}
	size := index + 1
	if r.URL.Query().Get("tree_size") != "" {
		if size, err = int64Param(r, "tree_size"); err != nil {
			return err
		}
	} else if s.AuditKeys != nil {
		if _, cs, err := s.AuditKeys.Checkpoint(r.Context(), s.AuditDB); err == nil && cs > index {
			size = cs
		}
	}
	rec, proof, err := audit.ProveRecord(r.Context(), s.AuditDB, index, size)
	if err != nil {
		return apperr.E(apperr.NotFound, "audit.no_record", "index", index, "size", size)
	}
	// A record about a case, a licence, an item or a region's setting is
	// read by those whose scope covers it; any other (accounts, keys,
	// installation-wide settings) by installation-level staff only. Outside
	// the reader's scope a record does not exist for them.
	sub, err := audit.SubjectOf(r.Context(), s.AuditDB, rec)
	if err != nil {
		return apperr.Internalf("api: audit record", err)
	}
	if !u.Installation(identity.RoleSupervisor, s.Region) && !u.Installation(identity.RoleAdmin, s.Region) &&
		!(sub.Found && u.ScopeOf(identity.RoleSupervisor, identity.RoleAdmin).Covers(sub.Department, sub.Region)) {
		return apperr.E(apperr.NotFound, "audit.no_record", "index", index, "size", size)
	}
	writeJSON(w, http.StatusOK, map[string]any{"record": rec, "leaf": base64.StdEncoding.EncodeToString(rec.Leaf()),
		"tree_size": size, "proof": hashes(proof)})
	return nil
}

// auditConsistency proves the tree of old records a prefix of the tree of
// new (public: hashes only).
func (s *Server) auditConsistency(w http.ResponseWriter, r *http.Request) error {
	old, err := int64Param(r, "old")
	if err != nil {
		return err
	}
	n, err := int64Param(r, "new")
	if err != nil {
		return err
	}
	proof, err := audit.ProveTree(r.Context(), s.AuditDB, old, n)
	if err != nil {
		return apperr.E(apperr.NotFound, "audit.no_consistency", "old", old, "new", n)
	}
	writeJSON(w, http.StatusOK, map[string]any{"old": old, "new": n, "proof": hashes(proof)})
	return nil
}
