package api

import (
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/license"
	"github.com/tongban/tongban/internal/paging"
)

// licenceSummary is a licence in a list.
type licenceSummary struct {
	Identifier string `json:"identifier"`
	Name       string `json:"name"`
	Number     string `json:"number"`
	Status     string `json:"status"`
	Issuer     string `json:"issuer"`
	IssuedOn   string `json:"issued_on"`
	ValidFrom  string `json:"valid_from"`
	ValidTo    string `json:"valid_to,omitempty"`
	CaseNo     string `json:"case_no,omitempty"`
}

func summarize(l *license.Licence) licenceSummary {
	m := l.Metadata
	return licenceSummary{Identifier: m.Identifier, Name: m.Name, Number: m.Number, Status: l.Status, Issuer: m.Issuer,
		IssuedOn: m.IssuedOn, ValidFrom: m.ValidFrom, ValidTo: m.ValidTo, CaseNo: l.CaseNo}
}

func (s *Server) licences() (*license.Service, error) { return edge.Licences(s.Licences) }

func (s *Server) publicLibrary(r *http.Request) (*license.Service, error) {
	return edge.PublicLicences(s.Licences, s.VerifyLimit, r)
}

// myLicences is the caller's wallet, or with ?scope=issued the licences the
// caller's departments issued (a supervisor: their region's).
func (s *Server) myLicences(w http.ResponseWriter, r *http.Request) error {
	lib, err := s.licences()
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("scope") {
	case "", "held":
	case "issued":
		return s.issuedLicences(w, r)
	default:
		return apperr.E(apperr.Invalid, "licence.scope", "value", r.URL.Query().Get("scope"))
	}
	list, err := lib.List(r.Context(), userFrom(r.Context()))
	if err != nil {
		return err
	}
	out := make([]licenceSummary, 0, len(list))
	for i := range list {
		out = append(out, summarize(&list[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"licences": out})
	return nil
}

// issuedLicences is the issuing staff's list (证照管理): ?scope=issued&number=&status=.
func (s *Server) issuedLicences(w http.ResponseWriter, r *http.Request) error {
	lib, err := s.licences()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	after, limit, err := listsKeyset(r, 100)
	if err != nil {
		return err
	}
	if l := q.Get("limit"); l != "" && q.Get("per_page") == "" {
		// limit is per_page's older name.
		if limit, err = paging.Size(l, 100, paging.MaxSize); err != nil {
			return err
		}
	}
	list, next, err := lib.Issued(r.Context(), userFrom(r.Context()), license.IssuedFilter{Number: strings.TrimSpace(q.Get("number")), Status: q.Get("status"),
		After: after, Limit: limit})
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(list))
	for i := range list {
		out = append(out, map[string]any{"licence": summarize(&list[i]), "holder": list[i].Metadata.Holder, "holder_masked": list[i].HolderMasked})
	}
	res := map[string]any{"licences": out, "per_page": limit}
	if next != "" {
		res["next"] = next
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// licence is one licence with what an independent verifier needs: the
// signed payload, the signature and the signer's certificate.
func (s *Server) licence(w http.ResponseWriter, r *http.Request) error {
	lib, err := s.licences()
	if err != nil {
		return err
	}
	u := userFrom(r.Context())
	l, err := lib.Get(r.Context(), u, r.PathValue("identifier"))
	if err != nil {
		return err
	}
	events, err := lib.Events(r.Context(), l)
	if err != nil {
		return err
	}
	fields := make([]license.LabelledValue, 0, len(l.Labels))
	for _, f := range l.Labels {
		fields = append(fields, license.LabelledValue{Key: f.Key, Label: f.Label, Value: l.Fields[f.Key]})
	}
	file := lib.FileOf(l)
	out := map[string]any{
		"identifier": l.Metadata.Identifier, "status": l.Status, "status_reason": l.StatusReason, "metadata": l.Metadata,
		"fields": fields, "holder_masked": l.HolderMasked, "case_no": l.CaseNo, "algorithm": l.Algorithm,
		"payload": string(l.Payload), "signature": l.Signature, "certificate": l.CertPEM, "cert_serial": l.CertSerial,
		"ca_certificate": file.CA, "events": events,
	}
	// Only the holder sees the licence's shares and checks.
	if l.HolderID == u.ID {
		shares, checks, err := lib.Activity(r.Context(), u, l)
		if err != nil {
			return err
		}
		out["shares"], out["checks"] = nonNil(shares), nonNil(checks)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// shareLicence makes a one-time share link: {"reason", "ttl_minutes"}.
func (s *Server) shareLicence(w http.ResponseWriter, r *http.Request) error {
	lib, err := s.licences()
	if err != nil {
		return err
	}
	var req struct {
		Reason     string `json:"reason"`
		TTLMinutes int    `json:"ttl_minutes"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	sh, err := lib.NewShare(r.Context(), userFrom(r.Context()), r.PathValue("identifier"), req.Reason, time.Duration(req.TTLMinutes)*time.Minute)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": sh.ID, "token": sh.Token, "url": s.baseURL(r) + sh.Path,
		"reason": sh.Reason, "created_at": sh.CreatedAt, "expires_at": sh.ExpiresAt})
	return nil
}

// licenceStatus suspends, resumes or revokes: {"action", "reason"}.
func (s *Server) licenceStatus(w http.ResponseWriter, r *http.Request) error {
	lib, err := s.licences()
	if err != nil {
		return err
	}
	var req struct {
		Action string `json:"action"`
		Reason string `json:"reason"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	l, err := lib.SetStatus(r.Context(), userFrom(r.Context()), r.PathValue("identifier"), req.Action, req.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, summarize(l))
	return nil
}

// verdictJSON is a verdict with its message; a verdict that is not 200
// also carries the error shape's code and message_key.
type verdictJSON struct {
	*license.Verdict
	Message    string `json:"message"`
	Code       string `json:"code,omitempty"`
	MessageKey string `json:"message_key,omitempty"`
}

func writeVerdict(w http.ResponseWriter, r *http.Request, v *license.Verdict) {
	status := edge.VerdictStatus(v.Verdict)
	key := "licence.verdict." + v.Verdict
	out := verdictJSON{Verdict: v, Message: i18n.T(edge.Lang(r), key, nil)}
	if status != http.StatusOK {
		out.Code, out.MessageKey = v.Verdict, key
	}
	writeJSON(w, status, out)
}

// check is who asks, for the record: the address masked (the holder sees it).
func check(r *http.Request, channel, reason string) license.Check {
	return license.Check{Channel: channel, Reason: reason, Checker: edge.MaskedIP(r)}
}

// verify checks a licence by identifier (public). ?reason= is recorded.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) error {
	lib, err := s.publicLibrary(r)
	if err != nil {
		return err
	}
	v, err := lib.Verify(r.Context(), strings.TrimSpace(r.PathValue("identifier")), check(r, "api", r.URL.Query().Get("reason")))
	if err != nil {
		return err
	}
	writeVerdict(w, r, v)
	return nil
}

// verifyFile checks an uploaded licence file offline-style (public): the
// body is the file (the JSON of GET /licences/{identifier}/file).
func (s *Server) verifyFile(w http.ResponseWriter, r *http.Request) error {
	lib, err := s.publicLibrary(r)
	if err != nil {
		return err
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, license.MaxFileSize))
	if err != nil {
		return apperr.E(apperr.Invalid, "error.body_too_large")
	}
	v, err := lib.VerifyFile(r.Context(), b, check(r, "file", r.URL.Query().Get("reason")))
	if err != nil {
		return err
	}
	writeVerdict(w, r, v)
	return nil
}

// licenceFile is the licence file for offline verification (holder, staff).
func (s *Server) licenceFile(w http.ResponseWriter, r *http.Request) error {
	lib, err := s.licences()
	if err != nil {
		return err
	}
	l, err := lib.Get(r.Context(), userFrom(r.Context()), r.PathValue("identifier"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, lib.FileOf(l))
	return nil
}

// openShare opens a share link (public); through the API a link opens once.
func (s *Server) openShare(w http.ResponseWriter, r *http.Request) error {
	lib, err := s.publicLibrary(r)
	if err != nil {
		return err
	}
	v, err := lib.OpenShare(r.Context(), r.PathValue("token"), check(r, "share", ""))
	if err != nil {
		return err
	}
	writeVerdict(w, r, v)
	return nil
}

// licenceTypes lists the types the library issues (public).
func (s *Server) licenceTypes(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.licences(); err != nil {
		return err
	}
	ts, err := license.Types(r.Context(), s.AuditDB)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"licence_types": nonNil(ts)})
	return nil
}

// licenceCerts lists the departments' signing certificates with their
// revocations (public): what an offline verifier checks a file's signer
// against.
func (s *Server) licenceCerts(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.licences(); err != nil {
		return err
	}
	cs, err := license.Certs(r.Context(), s.AuditDB)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"certificates": cs})
	return nil
}

// putLicenceType creates or changes a licence type (administrators).
func (s *Server) putLicenceType(w http.ResponseWriter, r *http.Request) error {
	lib, err := s.licences()
	if err != nil {
		return err
	}
	var t license.Type
	if err := decode(w, r, &t); err != nil {
		return err
	}
	if t.Code == "" {
		t.Code = r.PathValue("code")
	}
	if t.Code != r.PathValue("code") {
		return apperr.E(apperr.Invalid, "licence.type_code_mismatch")
	}
	if err := lib.DefineType(r.Context(), userFrom(r.Context()), t); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// baseURL is the platform's address for links and QR codes.
func (s *Server) baseURL(r *http.Request) string { return edge.BaseURL(r, s.PublicURL, false) }
