package edge

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/i18n"
)

func TestStatusPerCode(t *testing.T) {
	want := map[apperr.Code]int{
		apperr.Invalid: 400, apperr.Unauthenticated: 401, apperr.Forbidden: 403, apperr.NotFound: 404,
		apperr.Conflict: 409, apperr.TooMany: 429, apperr.Unsupported: 415, apperr.Unavailable: 503, apperr.Internal: 500,
	}
	for code, status := range want {
		if got := Status(code); got != status {
			t.Errorf("Status(%s) = %d, want %d", code, got, status)
		}
	}
}

func TestProblemHidesInternalDetails(t *testing.T) {
	p := ProblemOf(context.Background(), i18n.ZH, errors.New("dial tcp 10.0.0.5:5432: secret detail"))
	if p.Status != 500 || p.Ref == "" || strings.Contains(p.Message, "secret") || p.MessageKey != "error.internal" {
		t.Errorf("problem = %+v", p)
	}
	p = ProblemOf(context.Background(), i18n.EN, apperr.E(apperr.TooMany, "auth.throttled", "minutes", 15))
	if p.Status != 429 || p.Message != "Too many failed logins. Please try again in 15 minutes." || p.Ref != "" {
		t.Errorf("problem = %+v", p)
	}
}

func TestLanguageChoice(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Accept-Language", "en-GB,en;q=0.8")
	if Lang(r) != i18n.EN || PageLang(r) != i18n.ZH {
		t.Errorf("API %s, page %s", Lang(r), PageLang(r))
	}
	r.AddCookie(&http.Cookie{Name: LangCookie, Value: "en"})
	if PageLang(r) != i18n.EN {
		t.Error("the switch's cookie was ignored")
	}
	r = httptest.NewRequest("GET", "/?lang=zh-CN", nil)
	r.AddCookie(&http.Cookie{Name: LangCookie, Value: "en"})
	if PageLang(r) != i18n.ZH {
		t.Error("?lang= does not win over the cookie")
	}
}
