package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
)

// 自助办理 at the kiosk: an administrator marks an 即办件 self-service (and
// cannot mark a 承诺件); the kiosk lists it, its form asks the item's fields
// but not the applicant's own name and number, and the filing signs the
// applicant in for the one request: a wrong password, a staff account, a
// missing field — each refused on the form, nothing filed, no session
// left; a good one is a submitted case of the applicant, shown with its
// number and 查询码 once, not filed twice on a resubmission.
func TestKioskInstantFiling(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts := newTestServer(t, d)
		ctx := context.Background()
		var hall, code, promised string
		if err := d.Reader().QueryRow(`SELECT id FROM halls WHERE region_code = $1`, demo.Region).Scan(&hall); err != nil {
			t.Fatal(err)
		}
		d.Reader().QueryRow(`SELECT impl_code FROM items WHERE name = '就业创业证申领'`).Scan(&code)
		d.Reader().QueryRow(`SELECT impl_code FROM items WHERE name = '社会保障卡申领'`).Scan(&promised)
		if code == "" || promised == "" {
			t.Fatal("demo items not found")
		}
		c := ts.client()
		base := "/kiosk/" + hall
		get := func(path string, want int) string {
			t.Helper()
			r, err := c.Get(ts.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			b := body(t, r)
			if r.StatusCode != want {
				t.Fatalf("GET %s: %d, want %d: %s", path, r.StatusCode, want, snippet(b))
			}
			return b
		}
		if p := get(base+"/instant", 200); !strings.Contains(p, `id="no-instant"`) {
			t.Fatalf("a self-service item before any was marked: %s", snippet(p))
		}
		get(base+"/instant/"+code, 404)

		// The administrator marks it; a 承诺件 cannot be.
		cat := catalog.New(d)
		admin := must(ts.ids.UserByUsername(ctx, "admin"))
		mark := func(impl string, edit ...func(*catalog.Item)) error {
			ver, err := cat.Published(ctx, impl, 0)
			if err != nil {
				t.Fatal(err)
			}
			it := *ver.Item
			it.SelfService = true
			for _, e := range edit {
				e(&it)
			}
			if _, err := cat.SaveDraft(ctx, admin, &it, "自助办理"); err != nil {
				return err
			}
			_, err = cat.Publish(ctx, admin, impl)
			return err
		}
		if err := mark(promised); !apperr.Is(err, apperr.Invalid, "catalog.item_invalid") || !selfServiceFault(err) {
			t.Fatalf("a 承诺件 marked self-service: %v", err)
		}
		if err := mark(code); err != nil {
			t.Fatal(err)
		}

		list := get(base+"/instant", 200)
		if !strings.Contains(list, `id="instant-`+code+`"`) || strings.Contains(list, promised) {
			t.Fatalf("the list: %s", list)
		}
		kioskStays(t, list, hall)
		form := get(base+"/instant/"+code, 200)
		for _, want := range []string{`id="f-status"`, `id="f-applicant_phone"`, `id="in-user"`, `id="in-pass"`, `name="idem"`} {
			if !strings.Contains(form, want) {
				t.Errorf("the form lacks %q", want)
			}
		}
		if strings.Contains(form, `id="f-applicant_name"`) || strings.Contains(form, `id="f-applicant_id"`) {
			t.Error("the form asks the applicant's own name or number")
		}
		kioskStays(t, form, hall)
		get(base+"/instant/"+promised, 404)

		count := func() int {
			var n int
			d.Reader().QueryRow(`SELECT COUNT(*) FROM cases WHERE impl_code = $1`, code).Scan(&n)
			return n
		}
		sessions := func() int {
			var n int
			d.Reader().QueryRow(`SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username IN ('zhangsan', 'clerk')`).Scan(&n)
			return n
		}
		before, sess := count(), sessions()
		post := func(form url.Values) (int, string) {
			t.Helper()
			form.Set("csrf_token", csrf(t, c, ts.URL+base+"/instant/"+code))
			r, err := c.PostForm(ts.URL+base+"/instant/"+code, form)
			if err != nil {
				t.Fatal(err)
			}
			return r.StatusCode, body(t, r)
		}
		good := url.Values{"status": {"unemployed"}, "applicant_phone": {"13800138000"}, "idem": {"kiosk-idem-1"},
			"username": {"zhangsan"}, "password": {identity.DemoPassword}}
		with := func(k, v string) url.Values {
			f := url.Values{}
			for kk, vv := range good {
				f[kk] = vv
			}
			f.Set(k, v)
			return f
		}
		for _, bad := range []struct {
			name   string
			form   url.Values
			status int
			text   string
		}{
			{"wrong password", with("password", "wrong-password-1"), http.StatusUnauthorized, `id="problem"`},
			{"staff", with("username", "clerk"), http.StatusForbidden, "仅限个人账号"},
			{"missing field", with("status", ""), http.StatusBadRequest, `id="form-faults"`},
			// The 居民身份证 a licence supplies: zhangsan holds none.
			{"a material not held", good, http.StatusBadRequest, "必需材料"},
		} {
			st, b := post(bad.form)
			if st != bad.status || !strings.Contains(b, bad.text) || !strings.Contains(b, `id="instant-form"`) {
				t.Errorf("%s: %d %s", bad.name, st, snippet(b))
			}
			if count() != before || sessions() != sess {
				t.Fatalf("%s: filed %d, sessions %d→%d", bad.name, count()-before, sess, sessions())
			}
		}
		// The administrator drops the material (the sign-in names the applicant).
		if err := mark(code, func(it *catalog.Item) { it.Materials = nil }); err != nil {
			t.Fatal(err)
		}
		st, b := post(good)
		if st != 200 || !strings.Contains(b, `id="instant-done"`) || count() != before+1 || sessions() != sess {
			t.Fatalf("filing: %d %s (cases %d, sessions %d→%d)", st, snippet(b), count()-before, sess, sessions())
		}
		var no, qc, applicant, channel, status string
		if err := d.Reader().QueryRow(`SELECT c.case_no, c.query_code, u.username, c.channel, c.status FROM cases c JOIN users u ON u.id = c.applicant_id
			WHERE c.impl_code = $1 ORDER BY c.created_at DESC LIMIT 1`, code).Scan(&no, &qc, &applicant, &channel, &status); err != nil {
			t.Fatal(err)
		}
		if applicant != "zhangsan" || channel != "online" || no == "" || !strings.Contains(b, `id="filed-no">`+no+`<`) || !strings.Contains(b, `id="filed-code">`+qc+`<`) {
			t.Fatalf("the case: %s %s %s %s", applicant, channel, no, status)
		}
		kioskStays(t, b, hall)
		if home := get(base, 200); !strings.Contains(home, `data-session="0"`) {
			t.Error("a session is left on the terminal")
		}
		// The same form sent again files nothing new.
		if st, b := post(good); st != 200 || !strings.Contains(b, `id="filed-no">`+no+`<`) || count() != before+1 {
			t.Fatalf("resubmission: %d, cases %d", st, count()-before)
		}
	})
}

// selfServiceFault: the item's faults name self_service for its rule.
func selfServiceFault(err error) bool {
	for _, d := range apperr.As(err).Details {
		if d.Args["field"] == "self_service" && apperr.Is(d.Args["reason"].(error), apperr.Invalid, "catalog.self_service_instant") {
			return true
		}
	}
	return false
}
