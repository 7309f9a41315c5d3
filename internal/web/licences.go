package web

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/license"
	"github.com/tongban/tongban/internal/report"
)

// Electronic licences (电子证照, R5): the holder's wallet and licence pages,
// share links, public verification and the issuing department's status
// changes. Handlers are thin: the library decides.

func (s *Server) library() (*license.Service, error) { return edge.Licences(s.Licences) }

func (s *Server) publicLibrary(r *http.Request) (*license.Service, error) {
	return edge.PublicLicences(s.Licences, s.VerifyLimit, r)
}

// baseURL is the platform's address for links and QR codes.
func (s *Server) baseURL(r *http.Request) string {
	return edge.BaseURL(r, s.PublicURL, s.SecureCookies)
}

// qrData is a QR code as an image URL for a page.
func qrData(url string) (template.URL, error) {
	png, err := report.QRPNG(url)
	if err != nil {
		return "", apperr.Internalf("web: qr", err)
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)), nil
}

// opened is a licence the visitor may open (its holder, or staff of the
// issuing department), with the library and the page's view.
func (s *Server) opened(r *http.Request) (*license.Service, *View, *license.Licence, error) {
	lib, err := s.library()
	if err != nil {
		return nil, nil, nil, err
	}
	v := s.view(r, "licence.title")
	l, err := lib.Get(r.Context(), v.User, r.PathValue("identifier"))
	return lib, v, l, err
}

// wallet is 我的证照.
func (s *Server) wallet(w http.ResponseWriter, r *http.Request) error {
	lib, err := s.library()
	if err != nil {
		return err
	}
	v := s.view(r, "licence.wallet_title")
	list, err := lib.List(r.Context(), v.User)
	if err != nil {
		return err
	}
	v.Data["Licences"] = list
	s.render(w, r, http.StatusOK, "licences", v)
	return nil
}

// licencePage shows a licence to its holder (with its shares and checks)
// or to staff of the issuing department (with the status actions).
func (s *Server) licencePage(w http.ResponseWriter, r *http.Request) error {
	return s.showLicence(w, r, nil, http.StatusOK)
}

func (s *Server) showLicence(w http.ResponseWriter, r *http.Request, share *license.Share, status int) error {
	lib, v, l, err := s.opened(r)
	if err != nil {
		return err
	}
	events, err := lib.Events(r.Context(), l)
	if err != nil {
		return err
	}
	shares, checks, err := lib.Activity(r.Context(), v.User, l)
	if err != nil {
		return err
	}
	v.TitleText = l.Metadata.Name
	v.Data["L"], v.Data["Events"], v.Data["Shares"], v.Data["Checks"] = l, events, shares, checks
	v.Data["Holder"] = l.HolderID == v.User.ID
	v.Data["Staff"] = license.CanManage(v.User, l)
	v.Data["Alg"] = license.AlgorithmName(l.Algorithm)
	verify := s.baseURL(r) + "/verify/" + l.Metadata.Identifier
	if v.Data["QR"], err = qrData(verify); err != nil {
		return err
	}
	v.Data["VerifyURL"] = verify
	// After a status change the page confirms what was done (PRG).
	switch done := r.URL.Query().Get("done"); done {
	case "suspend", "resume", "revoke":
		v.Data["Done"] = "licence.done." + done
	}
	if share != nil {
		link := s.baseURL(r) + share.Path
		v.Data["NewShare"], v.Data["ShareURL"] = share, link
		if v.Data["ShareQR"], err = qrData(link); err != nil {
			return err
		}
	}
	s.render(w, r, status, "licence", v)
	return nil
}

// licencePDF renders the licence with its QR code.
func (s *Server) licencePDF(w http.ResponseWriter, r *http.Request) error {
	_, _, l, err := s.opened(r)
	if err != nil {
		return err
	}
	doc := license.Document(l, s.baseURL(r)+"/verify/"+l.Metadata.Identifier)
	// The granting case's rating page (好差评): its number only — a licence
	// is shown to others, so the 查询码 is typed by the applicant.
	if s.Ratings != nil && l.CaseID != "" {
		no, err := s.Ratings.CaseNo(r.Context(), l.CaseID)
		if err != nil {
			return err
		}
		if no != "" {
			doc.Rate, doc.RateCaption = s.baseURL(r)+"/rate?"+url.Values{"case_no": {no}, "via": {"qr"}}.Encode(), "扫码评价办理服务"
		}
	}
	b, err := doc.PDF()
	if err != nil {
		return apperr.Internalf("web: licence pdf", err)
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": l.Metadata.Number + ".pdf"}))
	w.Header().Set("Cache-Control", "private, no-store")
	w.Write(b)
	return nil
}

// licenceFile downloads the licence file for offline verification.
func (s *Server) licenceFile(w http.ResponseWriter, r *http.Request) error {
	lib, _, l, err := s.opened(r)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(lib.FileOf(l), "", "  ")
	if err != nil {
		return apperr.Internalf("web: licence file", err)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": l.Metadata.Number + ".tblic.json"}))
	w.Header().Set("Cache-Control", "private, no-store")
	w.Write(b)
	return nil
}

// licenceShare makes a one-time link and shows it with its QR code.
func (s *Server) licenceShare(w http.ResponseWriter, r *http.Request) error {
	lib, err := s.library()
	if err != nil {
		return err
	}
	v := s.view(r, "licence.title")
	minutes, _ := strconv.Atoi(r.PostFormValue("ttl_minutes"))
	sh, err := lib.NewShare(r.Context(), v.User, r.PathValue("identifier"), r.PostFormValue("reason"), time.Duration(minutes)*time.Minute)
	if err != nil {
		return err
	}
	return s.showLicence(w, r, sh, http.StatusCreated)
}

// licenceStatus suspends, resumes or revokes (an approver of the issuer).
func (s *Server) licenceStatus(w http.ResponseWriter, r *http.Request) error {
	lib, err := s.library()
	if err != nil {
		return err
	}
	v := s.view(r, "licence.title")
	l, err := lib.SetStatus(r.Context(), v.User, r.PathValue("identifier"), r.PostFormValue("action"), r.PostFormValue("reason"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/licences/"+l.Metadata.Identifier+"?done="+r.PostFormValue("action"), http.StatusSeeOther)
	return nil
}

// checkOf is who asks, for the record: a signed-in checker's name, else
// the masked address.
func checkOf(r *http.Request, v *View, channel string) license.Check {
	ck := license.Check{Channel: channel, Checker: edge.MaskedIP(r)}
	if v.User != nil {
		ck.Checker, ck.CheckerID = v.User.DisplayName, v.User.ID
	}
	return ck
}

func (s *Server) showVerdict(w http.ResponseWriter, r *http.Request, v *View, verdict *license.Verdict) {
	v.Data["V"] = verdict
	s.render(w, r, edge.VerdictStatus(verdict.Verdict), "verify", v)
}

// verifyForm is the public verification page: an identifier, or a file.
func (s *Server) verifyForm(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.library(); err != nil {
		return err
	}
	v := s.view(r, "licence.verify_title")
	if id := strings.TrimSpace(r.URL.Query().Get("identifier")); id != "" {
		http.Redirect(w, r, "/verify/"+id, http.StatusSeeOther)
		return nil
	}
	s.render(w, r, http.StatusOK, "verify", v)
	return nil
}

// verifyPage verifies by identifier (the QR code opens it; no login).
func (s *Server) verifyPage(w http.ResponseWriter, r *http.Request) error {
	lib, err := s.publicLibrary(r)
	if err != nil {
		return err
	}
	v := s.view(r, "licence.verify_title")
	ck := checkOf(r, v, "page")
	ck.Reason = r.URL.Query().Get("reason")
	verdict, err := lib.Verify(r.Context(), strings.TrimSpace(r.PathValue("identifier")), ck)
	if err != nil {
		return err
	}
	s.showVerdict(w, r, v, verdict)
	return nil
}

// verifyUpload verifies an uploaded licence file offline-style.
func (s *Server) verifyUpload(w http.ResponseWriter, r *http.Request) error {
	lib, err := s.publicLibrary(r)
	if err != nil {
		return err
	}
	v := s.view(r, "licence.verify_title")
	f, _, err := r.FormFile("file")
	if err != nil {
		return apperr.E(apperr.Invalid, "licence.file_required")
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, license.MaxFileSize+1))
	if err != nil {
		return apperr.Internalf("web: read licence file", err)
	}
	ck := checkOf(r, v, "file")
	ck.Reason = r.PostFormValue("reason")
	verdict, err := lib.VerifyFile(r.Context(), b, ck)
	if err != nil {
		return err
	}
	v.Data["FromFile"] = true
	s.showVerdict(w, r, v, verdict)
	return nil
}

// sharePage opens a share link. The first browser to open it keeps it for
// its time (the viewer key is a hash of the browser's CSRF cookie), so the
// verifier may reload and sees a revocation at once.
func (s *Server) sharePage(w http.ResponseWriter, r *http.Request) error {
	lib, err := s.publicLibrary(r)
	if err != nil {
		return err
	}
	v := s.view(r, "licence.verify_title")
	ck := checkOf(r, v, "share")
	h := sha256.Sum256([]byte("share-viewer:" + v.CSRF))
	ck.Viewer = hex.EncodeToString(h[:])
	verdict, err := lib.OpenShare(r.Context(), r.PathValue("token"), ck)
	if err != nil {
		return err
	}
	v.Data["Shared"] = true
	s.showVerdict(w, r, v, verdict)
	return nil
}

// issued is 证照管理: the licences the staff member's departments issued,
// found by number or identifier, filtered by status.
func (s *Server) issued(w http.ResponseWriter, r *http.Request) error {
	lib, err := s.library()
	if err != nil {
		return err
	}
	v := s.view(r, "licence.issued_title")
	q := r.URL.Query()
	f := license.IssuedFilter{Number: strings.TrimSpace(q.Get("number")), Status: q.Get("status"), After: q.Get("after"), Limit: 50}
	list, next, err := lib.Issued(r.Context(), v.User, f)
	if err != nil {
		return err
	}
	v.Data["Licences"], v.Data["Number"], v.Data["Status"] = list, f.Number, f.Status
	v.Data["Next"], v.Data["After"] = next, f.After
	v.Data["Statuses"] = []string{license.StatusValid, license.StatusSuspended, license.StatusRevoked}
	s.render(w, r, http.StatusOK, "issued", v)
	return nil
}
