package server

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/license"

	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/dbtest"
	"github.com/tongban/tongban/internal/identity"
)

// Personal data of the demo's natural person (张三): the ID number, the
// phone numbers the lifecycle below files and corrects, an address detail.
const (
	restID     = "500102198506120011"
	restPhone  = "13800000000"
	restPhone2 = "13912345678"
	restStreet = "滨江路 1 号" // the detail of an address field
	// Where the result is posted (the delivery choice): a phone and an
	// address of their own.
	restPostPhone  = "13700001111"
	restPostStreet = "人民东路 5 号 2 单元"
)

// PIPL Art. 51 and GB/T 35273 §6.3: personal data is stored encrypted. The
// demo is seeded, then 张三 files a case online with an ID-card scan, the
// clerk asks for a correction, 张三 corrects it (a new phone number), and it
// is accepted, handled, reviewed and granted with a licence. Afterwards the
// raw database (SQLite's file and WAL; every PostgreSQL table as text) and
// the file store hold neither the ID number nor a phone number, while the
// applicant still reads them back.
func TestNoPlaintextIdentifiersAtRest(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			dir := t.TempDir()
			cfg := config.Config{DB: "sqlite:" + filepath.Join(dir, "tongban.db"), Region: "500102", LicenceAlg: "sm2-sm3",
				AuditOrigin: "test/audit"}
			if dialect == "postgres" {
				cfg.DB = dbtest.PostgresSchema(t)
				cfg.DataKeyFile = filepath.Join(dir, "tongban-data.key")
				cfg.FilesDir = filepath.Join(dir, "tongban-files")
				cfg.AuditKeys = filepath.Join(dir, "audit-keys")
				cfg.LicenceKeys = filepath.Join(dir, "licence-keys")
			}
			ctx := context.Background()
			a, err := Open(ctx, cfg, ModeDemo)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			c := lifecycle(t, ctx, a)
			if dialect == "sqlite" {
				private(t, dir)
			}
			clean(t, dialect, dir, cfg)

			// An installation upgraded from a version that stored all this in
			// clear: the one-time step at start seals it, run by two replicas
			// at once, and everything reads back as before.
			plain, payload, scans := unseal(t, ctx, a, cfg, c)
			if dialect == "sqlite" {
				a.DB.Compact(ctx) // the clear copies are in the main file
			}
			if h := inClear(t, dialect, dir, cfg); len(h) < 4 {
				t.Fatalf("the clear data of an older version is not where the test looks: %v", h)
			}
			var wg sync.WaitGroup
			errs := make(chan error, 2)
			for i := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- a.sealAtRest(ctx, "replica-"+strconv.Itoa(i))
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			clean(t, dialect, dir, cfg)
			readsBack(t, ctx, a, c, plain, payload, scans)
			// Done once: a later start finds the marker and seals nothing.
			ran, err := a.DB.Once(ctx, "seal-at-rest-v1", "later", func(context.Context, func() error) error { return nil })
			if err != nil || ran {
				t.Errorf("the step ran again: %v %v", ran, err)
			}
		})
	}
}

// clean greps the raw database and the file store for the identifiers.
func clean(t *testing.T, dialect, dir string, cfg config.Config) {
	t.Helper()
	for _, h := range inClear(t, dialect, dir, cfg) {
		t.Error(h)
	}
}

// inClear lists where the raw database and the file store hold one of the
// identifiers.
func inClear(t *testing.T, dialect, dir string, cfg config.Config) []string {
	t.Helper()
	needles := []string{restID, restPhone, restPhone2, restStreet, restPostPhone, restPostStreet}
	var hits []string
	found := func(where string, data []byte) {
		for _, n := range needles {
			if bytes.Contains(data, []byte(n)) {
				hits = append(hits, where+" holds "+n+" in clear")
			}
		}
	}
	files := cfg.Or(cfg.FilesDir, "tongban-files")
	n := 0
	filepath.WalkDir(files, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			b, _ := os.ReadFile(p)
			found(p, b)
			n++
		}
		return nil
	})
	if n < 3 {
		t.Fatalf("the file store holds %d files; the lifecycle uploaded more", n)
	}
	if dialect == "sqlite" {
		for _, p := range []string{"tongban.db", "tongban.db-wal"} {
			b, err := os.ReadFile(filepath.Join(dir, p))
			if err != nil {
				t.Fatal(err)
			}
			found(p, b)
		}
		return hits
	}
	dumpPostgres(t, cfg.DB, found)
	return hits
}

// lifecycle files, corrects, accepts and grants a case yielding a licence.
func lifecycle(t *testing.T, ctx context.Context, a *App) *cases.Case {
	t.Helper()
	user := func(name string) *identity.User {
		u, err := a.Identity.UserByUsername(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	res, err := a.Catalog.Search(ctx, catalog.Query{Q: "个体工商户设立登记", PerPage: 5})
	if err != nil || len(res.Items) == 0 {
		t.Fatalf("search: %v", err)
	}
	code := res.Items[0].ImplCode
	zs := user("zhangsan")
	upload := func(key string) cases.MaterialRef {
		// A scan naming the holder's ID number, as an ID card's copy does.
		m, err := a.Cases.Upload(ctx, zs, key+".pdf", bytes.NewReader([]byte("%PDF-1.4\n% "+key+" 公民身份号码 "+restID+"\n%%EOF\n")))
		if err != nil {
			t.Fatal(err)
		}
		return cases.MaterialRef{Key: key, ID: m.ID}
	}
	vals := catalog.Values{
		"applicant_name": {"张三"}, "applicant_id": {restID}, "applicant_phone": {restPhone},
		"form_of": {"person"}, "scope": {"小吃服务"}, "org_address": {"500102006001", "滨江路 1 号"}, "capital": {"5"},
		"business_name": {"张三小吃店"},
	}
	// A draft first: the applicant's own until submitted, sealed all the same.
	if _, _, err := a.Cases.Create(ctx, zs, cases.NewCase{ItemCode: code, Values: vals}); err != nil {
		t.Fatal(err)
	}
	c, _, err := a.Cases.Create(ctx, zs, cases.NewCase{ItemCode: code, Values: vals, Answers: map[string]string{"premises": "rented"},
		Submit: true, Materials: []cases.MaterialRef{upload("application"), upload("id_card"), upload("lease")},
		Delivery: &cases.DeliveryChoice{Method: "post", Recipient: "张三", Phone: restPostPhone, Region: "500102", Address: restPostStreet}})
	if err != nil {
		t.Fatal(err)
	}
	act := func(who string, req cases.ActionRequest) {
		t.Helper()
		if c, err = a.Cases.Act(ctx, user(who), c.Ref(), req); err != nil {
			t.Fatalf("%s %s: %v", who, req.Action, err)
		}
	}
	act("clerk", cases.ActionRequest{Action: "request_correction", Corrections: []cases.Correction{
		{Material: "lease", Problem: "租赁合同缺少出租方签字"}, {Field: "applicant_phone", Problem: "联系电话无法接通"}}})
	vals2 := catalog.Values{}
	for k, v := range vals {
		vals2[k] = v
	}
	vals2["applicant_phone"] = []string{restPhone2}
	act("zhangsan", cases.ActionRequest{Action: "resubmit", Values: vals2, Materials: []cases.MaterialRef{upload("lease")}})
	act("clerk", cases.ActionRequest{Action: "accept", Originals: []string{"id_card"}})
	act("handler", cases.ActionRequest{Action: "pass", Comment: "材料齐全，符合条件"})
	act("reviewer", cases.ActionRequest{Action: "pass"})
	act("approver", cases.ActionRequest{Action: "grant"})
	if c.Decision != cases.Granted || c.Licence == "" {
		t.Fatalf("granted without a licence: %s %q", c.Decision, c.Licence)
	}
	// Reads open what is sealed.
	got, err := a.Cases.Get(ctx, zs, c.No)
	if err != nil {
		t.Fatal(err)
	}
	if got.Values["applicant_id"][0] != restID || got.Values["applicant_phone"][0] != restPhone2 {
		t.Errorf("the applicant reads back %v", got.Values)
	}
	if got.Choice.Phone != restPostPhone || got.Choice.Address != restPostStreet {
		t.Errorf("the applicant reads back the delivery %+v", got.Choice)
	}
	l, err := a.Licences.Get(ctx, zs, c.Licence)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(l.Payload), restID) {
		t.Errorf("the licence's payload as read does not name the holder's ID number: %s", l.Payload)
	}
	return got
}

// dumpPostgres reads every table of the schema as text.
func dumpPostgres(t *testing.T, dsn string, found func(string, []byte)) {
	t.Helper()
	sqlDB, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	rows, err := sqlDB.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) < 20 {
		t.Fatalf("only %d tables in the schema", len(tables))
	}
	for _, tb := range tables {
		var text sql.NullString
		if err := sqlDB.QueryRow(`SELECT string_agg(x::text, E'\n') FROM "` + tb + `" x`).Scan(&text); err != nil {
			t.Fatalf("%s: %v", tb, err)
		}
		found("table "+tb, []byte(text.String))
	}
}

// private checks that every file under dir is 0600 and every directory 0700.
func private(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		st, _ := e.Info()
		want := fs.FileMode(0o600)
		if e.IsDir() {
			want = 0o700
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s is %v, want %v", p, st.Mode().Perm(), want)
		}
		return nil
	})
}

// unseal writes back what an older version stored — every case's form
// values and licence payload in clear, the materials in clear under their
// SHA-256 — and returns case c's values, its licence payload and the
// materials' content by SHA-256.
func unseal(t *testing.T, ctx context.Context, a *App, cfg config.Config, c *cases.Case) (catalog.Values, []byte, map[string][]byte) {
	t.Helper()
	v := a.Identity.Vault()
	l, err := a.Licences.Get(ctx, a.userByName(t, "zhangsan"), c.Licence)
	if err != nil {
		t.Fatal(err)
	}
	for _, col := range []struct{ table, column, purpose string }{
		{"cases", "form_values", "cases.form_values/"}, {"licences", "payload", "licences.payload/"}} {
		err := a.DB.Update(ctx, func(tx *db.Tx) error {
			rows, err := tx.Query(`SELECT id, ` + col.column + ` FROM ` + col.table)
			if err != nil {
				return err
			}
			plain := map[string]string{}
			for rows.Next() {
				var id, text string
				rows.Scan(&id, &text)
				if plain[id], err = v.OpenText(text, col.purpose+id); err != nil {
					rows.Close()
					return err
				}
			}
			rows.Close()
			for id, p := range plain {
				if _, err := tx.Exec(`UPDATE `+col.table+` SET `+col.column+` = $1 WHERE id = $2`, p, id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// An older version's database has no marker of the step.
	if err := a.DB.Update(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`DELETE FROM settings WHERE key = 'once:seal-at-rest-v1'`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	dir := blob.Dir{Root: cfg.Or(cfg.FilesDir, "tongban-files")}
	sealed, err := blob.NewSealed(dir, v.Derive("blob v1 seal"), v.Derive("blob v1 name"))
	if err != nil {
		t.Fatal(err)
	}
	var sums []string
	a.DB.View(ctx, func(tx *db.Tx) error {
		sums, err = tx.Strings(`SELECT DISTINCT sha256 FROM case_materials`)
		return err
	})
	scans := map[string][]byte{}
	for _, sum := range sums {
		rc, err := sealed.Open(ctx, sum)
		if err != nil {
			t.Fatal(err)
		}
		scans[sum], _ = io.ReadAll(rc)
		rc.Close()
		if err := dir.Put(ctx, sum, bytes.NewReader(scans[sum])); err != nil {
			t.Fatal(err)
		}
		if err := dir.Remove(ctx, sealed.Name(sum)); err != nil {
			t.Fatal(err)
		}
	}
	// Readers see the clear rows and files as they are, before the step.
	readsBack(t, ctx, a, c, c.Values, l.Payload, scans)
	return c.Values, l.Payload, scans
}

// readsBack checks that c reads back with its values, licence and materials.
func readsBack(t *testing.T, ctx context.Context, a *App, c *cases.Case, vals catalog.Values, payload []byte, scans map[string][]byte) {
	t.Helper()
	zs := a.userByName(t, "zhangsan")
	got, err := a.Cases.Get(ctx, zs, c.No)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Values, vals) {
		t.Errorf("values read back %v, want %v", got.Values, vals)
	}
	l, err := a.Licences.Get(ctx, zs, c.Licence)
	if err != nil || !bytes.Equal(l.Payload, payload) {
		t.Fatalf("licence read back: %v", err)
	}
	vd, err := a.Licences.Verify(ctx, c.Licence, license.Check{Channel: "page", Checker: "127.0.0.*"})
	if err != nil || vd.Verdict != license.VerdictValid {
		t.Errorf("the licence verifies as %+v, %v", vd, err)
	}
	if len(got.Materials) < 3 {
		t.Fatalf("%d materials", len(got.Materials))
	}
	for _, m := range got.Materials {
		_, rc, err := a.Cases.OpenMaterial(ctx, zs, c.No, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(b, scans[m.SHA256]) {
			t.Errorf("material %s reads back %q", m.Key, b)
		}
	}
}

func (a *App) userByName(t *testing.T, name string) *identity.User {
	t.Helper()
	u, err := a.Identity.UserByUsername(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
