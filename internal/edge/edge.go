// Package edge is where errors meet HTTP: it maps apperr codes to statuses
// and message keys to the reader's language, once, for both the HTML and
// the JSON layers. Internal details are logged with a reference the user
// can quote; they never reach the response.
package edge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/i18n"
)

// Status maps an error code to its HTTP status.
func Status(code apperr.Code) int {
	switch code {
	case apperr.Invalid:
		return http.StatusBadRequest
	case apperr.Unauthenticated:
		return http.StatusUnauthorized
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.TooMany:
		return http.StatusTooManyRequests
	case apperr.Unsupported:
		return http.StatusUnsupportedMediaType
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// Problem is an error as the client sees it: the JSON error shape of the API
// and the content of an HTML error page.
type Problem struct {
	Status     int    `json:"-"`
	Code       string `json:"code"`
	MessageKey string `json:"message_key"`
	Message    string `json:"message"`
	Ref        string `json:"ref,omitempty"` // for internal errors: quote it to the administrator
	// Details are the individual faults of a rejected whole (an import's bad
	// cells, an item's bad fields), each translated.
	Details []Detail `json:"details,omitempty"`
}

// Detail is one translated fault. Field and Label name the form field or
// material it is about (its key, its label in the reader's language), Item
// the item of the bundle's sub-case it was found in.
type Detail struct {
	MessageKey string `json:"message_key"`
	Message    string `json:"message"`
	Field      string `json:"field,omitempty"`
	Label      string `json:"label,omitempty"`
	Item       string `json:"item,omitempty"`
}

// detailOf translates one fault, its field's label and item's name in lang.
func detailOf(lang i18n.Lang, d *apperr.Error) Detail {
	args := d.Args
	out := Detail{MessageKey: d.Key}
	if w := d.At; w != nil {
		out.Field, out.Label, out.Item = w.Key, w.Label, w.Item
		if lang == i18n.EN {
			if w.LabelEN != "" {
				out.Label = w.LabelEN
				// The message quotes the label: in English, the English one.
				args = make(map[string]any, len(d.Args))
				for k, v := range d.Args {
					if v == w.Label {
						v = w.LabelEN
					}
					args[k] = v
				}
			}
			if w.ItemEN != "" {
				out.Item = w.ItemEN
			}
		}
	}
	out.Message = i18n.T(lang, d.Key, args)
	return out
}

// RetryAfter is what a 503 asks the client to wait, in seconds: long enough
// for a database to restart or a replica to be replaced, short enough that a
// person at a hall terminal tries again.
const RetryAfter = "30"

// SetHeaders sets the headers p's status calls for: a 503 says when to come
// back (RFC 9110 §10.2.3).
func (p Problem) SetHeaders(h http.Header) {
	if p.Status == http.StatusServiceUnavailable {
		h.Set("Retry-After", RetryAfter)
	}
}

// ProblemOf translates err for lang and logs it when it is internal.
func ProblemOf(ctx context.Context, lang i18n.Lang, err error) Problem {
	e := apperr.As(err)
	p := Problem{Status: Status(e.Code), Code: string(e.Code), MessageKey: e.Key}
	if e.Code == apperr.Internal {
		p.Ref = newRef()
		p.MessageKey = "error.internal"
		slog.ErrorContext(ctx, "internal error", "ref", p.Ref, "err", err)
		p.Message = i18n.T(lang, p.MessageKey, nil)
		return p
	}
	p.Message = i18n.T(lang, e.Key, e.Args)
	for _, d := range e.Details {
		p.Details = append(p.Details, detailOf(lang, d))
	}
	return p
}

func newRef() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Lang picks the language of an API request: ?lang=, the tb_lang cookie,
// then Accept-Language (an API client sets it deliberately); zh-CN by default.
func Lang(r *http.Request) i18n.Lang {
	return i18n.Negotiate(choice(r), r.Header.Get("Accept-Language"))
}

// PageLang picks the language of a page: the visitor's explicit choice
// (?lang= or the switch's cookie), else zh-CN. A browser's Accept-Language
// is not a choice, and the UI speaks Chinese first.
func PageLang(r *http.Request) i18n.Lang {
	return i18n.Negotiate(choice(r), "")
}

func choice(r *http.Request) string {
	if l, ok := i18n.Parse(r.URL.Query().Get("lang")); ok {
		return string(l)
	}
	for _, name := range []string{CookieName(LangCookie, true), LangCookie} {
		if c, err := r.Cookie(name); err == nil {
			return c.Value
		}
	}
	return ""
}

// Cookie names shared by the web layer and the language negotiation.
const (
	LangCookie    = "tb_lang"
	CareCookie    = "tb_care"
	SessionCookie = "tb_session"
	CSRFCookie    = "tb_csrf"
	// LoginCookie carries a web login's second step (its challenge).
	LoginCookie = "tb_login"
	// DeviceCookie marks a browser that has logged in: login throttling
	// lets the accounts it logged in to pass their per-account limit.
	DeviceCookie = "tb_device"
)

// CookieName is a cookie's name as sent: under TLS with the __Host- prefix
// (Secure, host-only, path /: no subdomain can set or shadow it).
func CookieName(name string, secure bool) string {
	if secure {
		return "__Host-" + name
	}
	return name
}

// ClientIP is the client's address: what TrustProxies found for this
// request (the peer, or the forwarded client when the peer is a trusted
// proxy), else the TCP peer. Login throttling, the public limiters and the
// audit records of logins all count by it; it is never read from a header
// that a client could have written itself.
func ClientIP(r *http.Request) string {
	if c, ok := r.Context().Value(clientKey{}).(string); ok {
		return c
	}
	return peerIP(r)
}

// MaskedIP is the client's address for a record a third party may read (a
// licence holder sees who checked their licence): IPv4 keeps three octets
// (203.0.113.*), IPv6 its first four groups.
func MaskedIP(r *http.Request) string {
	ip := net.ParseIP(ClientIP(r))
	if ip == nil {
		return "*"
	}
	if v4 := ip.To4(); v4 != nil {
		return fmt.Sprintf("%d.%d.%d.*", v4[0], v4[1], v4[2])
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "*"
}

// BaseURL is the platform's address for links and QR codes: the configured
// public URL, else the request's own scheme and host.
func BaseURL(r *http.Request, publicURL string, secure bool) string {
	if publicURL != "" {
		return strings.TrimSuffix(publicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil || secure {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
