package cases_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/identity"
)

// uploadService is the fixture's case service over a blob directory the
// test can look into.
func (f *fixture) uploadService(dir string) *cases.Service {
	f.t.Helper()
	svc, err := cases.New(f.db, f.cat, f.ids, calendar.National(), blob.Dir{Root: dir})
	if err != nil {
		f.t.Fatal(err)
	}
	return svc
}

func (f *fixture) uploadRows(owner string) int {
	f.t.Helper()
	var n int
	if err := f.db.Writer().QueryRowContext(f.ctx, `SELECT COUNT(*) FROM case_materials WHERE owner_id = $1`, owner).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// Issue 14: only the roles that file or correct cases upload.
func TestUploadRoles(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		for _, c := range []struct {
			user string
			ok   bool
		}{
			{"zhangsan", true}, {"democorp", true}, {"agent", true}, {"clerk", true},
			{"handler", false}, {"reviewer", false}, {"approver", false}, {"supervisor", false}, {"admin", false},
		} {
			u := f.users[c.user]
			_, err := f.svc.Upload(f.ctx, u, "a.pdf", bytes.NewReader(append(pdf, c.user...)))
			if c.ok && err != nil || !c.ok && !apperr.Is(err, apperr.Forbidden, "error.forbidden") {
				t.Errorf("%s uploads: %v; want allowed %v", c.user, err, c.ok)
			}
			if want := map[bool]int{true: 1, false: 0}[c.ok]; f.uploadRows(u.ID) != want {
				t.Errorf("%s: %d uploads stored, want %d", c.user, f.uploadRows(u.ID), want)
			}
		}
		if _, err := f.svc.Upload(f.ctx, nil, "a.pdf", bytes.NewReader(pdf)); !apperr.Is(err, apperr.Unauthenticated, "") {
			t.Errorf("anonymous upload: %v", err)
		}
	})
}

// Issue 14: an account's uploads a day are bounded in files and bytes; a
// refused upload stores nothing; clerks and agents have their own quota;
// the next day (China time) starts afresh.
func TestUploadQuota(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		dir := t.TempDir()
		svc := f.uploadService(dir)
		size := int64(len(pdf) + 2)
		svc.Limits.DailyFiles, svc.Limits.DailyBytes = 3, 100*size
		svc.Limits.StaffDailyFiles, svc.Limits.StaffDailyBytes = 5, 100*size
		up := func(u *identity.User, i int) error {
			_, err := svc.Upload(f.ctx, u, "a.pdf", bytes.NewReader(append(pdf, fmt.Sprintf("%02d", i)...)))
			return err
		}
		zs, clerk := f.users["zhangsan"], f.users["clerk"]
		for i := range 3 {
			if err := up(zs, i); err != nil {
				t.Fatalf("upload %d: %v", i, err)
			}
		}
		if err := up(zs, 3); !apperr.Is(err, apperr.TooMany, "case.upload_quota") {
			t.Fatalf("fourth upload: %v", err)
		}
		if n := f.uploadRows(zs.ID); n != 3 {
			t.Errorf("%d rows after a refused upload", n)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
		if len(files) != 3 {
			t.Errorf("%d files stored, want 3: %v", len(files), files)
		}
		// The clerk counts separately, with the staff quota.
		for i := range 5 {
			if err := up(clerk, 10+i); err != nil {
				t.Fatalf("clerk upload %d: %v", i, err)
			}
		}
		if err := up(clerk, 20); !apperr.Is(err, apperr.TooMany, "case.upload_quota") {
			t.Errorf("clerk's sixth upload: %v", err)
		}
		// Bytes: a quota of two files' bytes refuses the third.
		svc.Limits.DailyFiles, svc.Limits.DailyBytes = 100, 2*size
		f.setNow("2026-02-13 00:05") // a new day in China
		for i, want := range []bool{true, true, false} {
			if err := up(zs, 30+i); (err == nil) != want {
				t.Errorf("byte quota, upload %d: %v", i, err)
			}
		}
		// The quota is configured as data: "FILES/MIB,FILES/MIB".
		var l cases.Limits
		if err := l.ParseQuota("200/500,2000/5000"); err != nil || l.DailyFiles != 200 || l.DailyBytes != 500<<20 || l.StaffDailyFiles != 2000 || l.StaffDailyBytes != 5000<<20 {
			t.Errorf("ParseQuota: %+v %v", l, err)
		}
		for _, bad := range []string{"", "200", "200/x", "-1/5", "1/2,3/4,5/6"} {
			if err := l.ParseQuota(bad); !apperr.Is(err, apperr.Invalid, "case.upload_quota_config") {
				t.Errorf("ParseQuota(%q): %v", bad, err)
			}
		}
	})
}

// Concurrent uploads of one account cannot pass the quota together.
func TestUploadQuotaConcurrent(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		svc := f.uploadService(t.TempDir())
		svc.Limits.DailyFiles = 4
		zs := f.users["zhangsan"]
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, refused := 0, 0
		for i := range 12 {
			wg.Go(func() {
				_, err := svc.Upload(f.ctx, zs, "a.pdf", bytes.NewReader(append(pdf, fmt.Sprint(i)...)))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case apperr.Is(err, apperr.TooMany, "case.upload_quota"):
					refused++
				default:
					t.Errorf("upload %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if ok != 4 || refused != 8 || f.uploadRows(zs.ID) != 4 {
			t.Errorf("%d accepted, %d refused, %d rows; want 4, 8, 4", ok, refused, f.uploadRows(zs.ID))
		}
	})
}

// Issue 14: uploads not attached to a case within a day are swept, rows and
// files, unless another row still refers to the same file; attached ones
// and young ones stay; one replica sweeps at a time.
func TestSweepUploads(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		dir := t.TempDir()
		svc := f.uploadService(dir)
		f.svc = svc
		zs := f.users["zhangsan"]
		// Files are stored sealed under a keyed name (blob.Sealed), as the service derives it.
		v := f.ids.Vault()
		sealed, err := blob.NewSealed(blob.Dir{Root: dir}, v.Derive("blob v1 seal"), v.Derive("blob v1 name"))
		if err != nil {
			t.Fatal(err)
		}
		stored := func(sha string) string { n := sealed.Name(sha); return filepath.Join(dir, n[:2], n) }
		blobPath := func(m *cases.Material) string { return stored(m.SHA256) }
		upload := func(content string) *cases.Material {
			m, err := svc.Upload(f.ctx, zs, "a.pdf", bytes.NewReader(append(pdf, content...)))
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		// A case holds its three materials; "lease" of it is also uploaded
		// again, unattached (the same bytes, one stored file).
		c := f.submitSoleTrader()
		orphan := upload("orphan")
		again := upload("lease")
		if len(c.Materials) != 3 {
			t.Fatalf("case materials %v", c.Materials)
		}
		// A day and an hour later, with the stored files as old as their rows.
		f.setNow("2026-02-13 11:00")
		old := at("2026-02-12 10:00")
		filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() {
				os.Chtimes(p, old, old)
			}
			return err
		})
		young := upload("young")
		rep, ran, err := svc.SweepIfHeld(f.ctx, "replica-a", time.Hour)
		if err != nil || !ran {
			t.Fatalf("sweep: %v %v", ran, err)
		}
		if rep.Uploads != 2 || rep.Files != 1 {
			t.Errorf("swept %+v; want 2 uploads, 1 file", rep)
		}
		exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
		if exists(blobPath(orphan)) {
			t.Error("the orphan's file is still stored")
		}
		if !exists(blobPath(again)) || !exists(blobPath(young)) {
			t.Error("a file still referenced, or a young one, was removed")
		}
		for _, m := range c.Materials {
			if !exists(stored(m.SHA256)) {
				t.Errorf("attached material %s removed", m.Key)
			}
		}
		if n := f.uploadRows(zs.ID); n != 4 { // three attached, one young
			t.Errorf("%d rows left, want 4", n)
		}
		got, err := svc.Get(f.ctx, zs, c.Ref())
		if err != nil || len(got.Materials) != 3 {
			t.Errorf("case after the sweep: %v %v", got, err)
		}
		// Another replica does not sweep while the lease is held; the holder
		// sweeps again (nothing left to do).
		if _, ran, err := svc.SweepIfHeld(f.ctx, "replica-b", time.Hour); ran || err != nil {
			t.Errorf("second replica swept: %v %v", ran, err)
		}
		if rep, ran, err := svc.SweepIfHeld(f.ctx, "replica-a", time.Hour); !ran || err != nil || rep.Uploads != 0 {
			t.Errorf("holder's second sweep: %+v %v %v", rep, ran, err)
		}
		// Once the lease has expired another replica takes it.
		f.setNow("2026-02-13 12:30")
		if _, ran, err := svc.SweepIfHeld(f.ctx, "replica-b", time.Hour); !ran || err != nil {
			t.Errorf("second replica after expiry: %v %v", ran, err)
		}
	})
}
