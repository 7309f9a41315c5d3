package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"path"
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
				edge.Transfer(w)
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
		if vis.User != nil && vis.User.MustChangePassword && !passwordPaths[r.URL.Path] {
			// An administrator set this password (a one-time password): it
			// is changed before anything else (OWASP ASVS 4.0 V2.1.11).
			if r.Header.Get("HX-Request") == "true" {
				w.Header().Set("HX-Redirect", passwordPath)
				w.WriteHeader(http.StatusForbidden)
				return
			}
			http.Redirect(w, r, passwordPath, http.StatusSeeOther)
			return
		}
		if vis.User != nil && vis.User.MustEnrol() && !enrolPaths[r.URL.Path] {
			// An account that must have a second factor and has none enrols
			// before anything else (OWASP ASVS 4.0 V2.8; 等保 2.0 level 3).
			if r.Header.Get("HX-Request") == "true" {
				w.Header().Set("HX-Redirect", enrolPath)
				w.WriteHeader(http.StatusForbidden)
				return
			}
			http.Redirect(w, r, enrolPath, http.StatusSeeOther)
			return
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
	if c, err := s.cookie(r, edge.CareCookie); err == nil && c.Value == "1" {
		vis.Care = true
	}
	if c, err := s.cookie(r, edge.SessionCookie); err == nil && c.Value != "" {
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
		if c, err := s.cookie(r, edge.CSRFCookie); err == nil && len(c.Value) >= 32 {
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

// setCookie sets an HttpOnly, SameSite=Lax cookie. Under TLS (the request
// came over TLS, or the server is configured to be behind a TLS proxy) it is
// Secure and named with the __Host- prefix, which browsers accept only from
// a secure origin, for the whole host and path /, so a sibling subdomain
// cannot plant or shadow it (OWASP ASVS 4.0 V3.4.4).
func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	secure := s.secure(r)
	http.SetCookie(w, &http.Cookie{
		Name: edge.CookieName(name, secure), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure,
	})
}

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	s.setCookie(w, r, name, "", -1)
}

// cookie reads the cookie setCookie writes: under TLS only the __Host- one.
func (s *Server) cookie(r *http.Request, name string) (*http.Cookie, error) {
	return r.Cookie(edge.CookieName(name, s.secure(r)))
}

func (s *Server) secure(r *http.Request) bool { return s.SecureCookies || r.TLS != nil }

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

// localPath returns next as a path on this site, or "" when it is not one
// (OWASP ASVS 4.0 V5.1.5: redirects only to allowed destinations). It
// normalises first, the way a browser will read it (WHATWG URL: tab and
// newline removed, leading and trailing spaces and controls trimmed, a
// backslash read as a slash), and only then checks: no scheme, no host, no
// "//" start, no backslash or control character even percent-encoded, and
// the dot segments resolved. The answer is the normalised form, so
// http.Redirect's own cleaning cannot turn it into another origin.
func localPath(next string) string {
	next = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, next)
	next = strings.TrimFunc(next, func(r rune) bool { return r <= ' ' })
	// A browser reads a backslash as a slash: "/\\host" is "//host". No path
	// of ours has one, so a target with one is refused, not repaired.
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsRune(next, '\\') || hasControl(next) {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	p := u.Path // percent-decoded: %5C and %09 show here
	if strings.ContainsRune(p, '\\') || hasControl(p) {
		return ""
	}
	trailing := strings.HasSuffix(p, "/") && p != "/"
	p = path.Clean(p)
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return ""
	}
	if trailing {
		p += "/"
	}
	return (&url.URL{Path: p, RawQuery: u.RawQuery}).String()
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f })
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
