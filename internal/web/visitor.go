package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/identity"
)

// visitor is who is asking: language, care mode, and the session if any.
type visitor struct {
	Lang    i18n.Lang
	Care    bool
	User    *identity.User
	Session *identity.Session
	Token   string
	Expired bool   // a session cookie was presented but has ended
	CSRF    string // the token forms must echo
}

type visitorKey struct{}

func visitorFrom(r *http.Request) *visitor {
	if v, ok := r.Context().Value(visitorKey{}).(*visitor); ok {
		return v
	}
	return &visitor{Lang: i18n.ZH}
}

// handlerFunc is a page handler: it renders or returns an error that the
// wrapper turns into an error page with the right status.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// page wraps a handler with identification, CSRF verification on unsafe
// methods and, when roles are given, authentication and authorisation.
func (s *Server) page(h handlerFunc, roles ...identity.Role) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vis, err := s.identify(w, r)
		if err != nil {
			s.fail(w, r.WithContext(context.WithValue(r.Context(), visitorKey{}, vis)), err)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), visitorKey{}, vis))
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
				// Uploads (a catalog workbook): up to 32 MiB, spilled to disk past 8 MiB.
				r.Body = http.MaxBytesReader(w, r.Body, 32<<20)
				if err := r.ParseMultipartForm(8 << 20); err != nil {
					s.fail(w, r, apperr.E(apperr.Invalid, "error.body_too_large"))
					return
				}
			} else {
				r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
				if err := r.ParseForm(); err != nil {
					s.fail(w, r, apperr.E(apperr.Invalid, "error.body_too_large"))
					return
				}
			}
			if !validCSRF(r, vis.CSRF) {
				s.fail(w, r, apperr.E(apperr.Forbidden, "error.csrf"))
				return
			}
			if err := edge.CheckForm(r, applicationForms[r.Pattern]); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		if len(roles) > 0 {
			if vis.User == nil {
				q := url.Values{"next": {r.URL.RequestURI()}}
				if vis.Expired {
					q.Set("expired", "1")
				}
				if r.Header.Get("HX-Request") == "true" {
					// htmx follows redirects inside the fragment; ask for a full reload.
					w.Header().Set("HX-Redirect", "/login?"+q.Encode())
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				http.Redirect(w, r, "/login?"+q.Encode(), http.StatusSeeOther)
				return
			}
			if !slices.ContainsFunc(roles, vis.User.Has) {
				s.fail(w, r, apperr.E(apperr.Forbidden, "error.forbidden"))
				return
			}
		}
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// identify reads preferences and the session cookie. Anonymous visitors get
// a random CSRF cookie that their forms echo (double submit); logged-in
// visitors echo their session's token.
func (s *Server) identify(w http.ResponseWriter, r *http.Request) (*visitor, error) {
	vis := &visitor{Lang: edge.PageLang(r)}
	if c, err := r.Cookie(edge.CareCookie); err == nil && c.Value == "1" {
		vis.Care = true
	}
	if c, err := r.Cookie(edge.SessionCookie); err == nil && c.Value != "" {
		sess, u, err := s.Identity.Authenticate(r.Context(), c.Value, identity.SessionWeb)
		switch apperr.CodeOf(err) {
		case "":
			vis.User, vis.Session, vis.Token, vis.CSRF = u, sess, c.Value, sess.CSRFToken
		case apperr.Unauthenticated, apperr.Forbidden:
			vis.Expired = true
			s.clearCookie(w, r, edge.SessionCookie)
		default:
			return vis, err
		}
	}
	if vis.CSRF == "" {
		if c, err := r.Cookie(edge.CSRFCookie); err == nil && len(c.Value) >= 32 {
			vis.CSRF = c.Value
		} else {
			b := make([]byte, 32)
			rand.Read(b)
			vis.CSRF = base64.RawURLEncoding.EncodeToString(b)
			s.setCookie(w, r, edge.CSRFCookie, vis.CSRF, 0)
		}
	}
	return vis, nil
}

func validCSRF(r *http.Request, want string) bool {
	got := r.PostForm.Get("csrf_token")
	if got == "" {
		got = r.Header.Get("X-CSRF-Token")
	}
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// setCookie sets an HttpOnly, SameSite=Lax cookie, Secure when the request
// came over TLS or the server is configured to be behind a TLS proxy.
func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.SecureCookies || r.TLS != nil,
	})
}

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	s.setCookie(w, r, name, "", -1)
}

// fail renders the error page for err with its status.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	v := s.view(r, "page.error_title")
	p := edge.ProblemOf(r.Context(), v.Lang, err)
	v.Problem = &p
	p.SetHeaders(w.Header())
	switch p.Status {
	case http.StatusNotFound:
		v.TitleKey = "page.not_found_title"
	case http.StatusForbidden:
		v.TitleKey = "page.forbidden_title"
	}
	s.render(w, r, p.Status, "error", v)
}

// localPath returns next if it is a path on this site, else "".
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return ""
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return ""
	}
	return next
}

// Fail renders the error page for err; the server's middleware uses it for
// failures outside any page handler (panics, cross-origin refusals).
func (s *Server) Fail(w http.ResponseWriter, r *http.Request, err error) {
	if _, ok := r.Context().Value(visitorKey{}).(*visitor); !ok {
		vis := &visitor{Lang: edge.PageLang(r)}
		r = r.WithContext(context.WithValue(r.Context(), visitorKey{}, vis))
	}
	s.fail(w, r, err)
}
