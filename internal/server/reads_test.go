package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/dbtest"
)

// Issue 20: a staff read answers without a write transaction of its own;
// its record waits in the replica's buffer and is written when serving
// stops — a clean shutdown loses none — and only once. The buffer's delay is
// set to an hour here, so that only the shutdown can have written it.
func TestStaffReadsWrittenOnShutdown(t *testing.T) {
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
			ctx, stop := context.WithCancel(context.Background())
			defer stop()
			a, err := Open(ctx, cfg, ModeDemo)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			a.Reads.Delay = time.Hour
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			served := make(chan error, 1)
			go func() { served <- a.Serve(ctx, ln) }()
			api := "http://" + ln.Addr().String() + "/api/v1"
			clerk := apiToken(t, api, "clerk")
			_, m := apiCall(t, "GET", api+"/cases", clerk, "")
			items, _ := m["cases"].([]any)
			if len(items) == 0 {
				t.Fatalf("the demo clerk lists no case: %v", m)
			}
			no := items[0].(map[string]any)["case_no"].(string)
			views := func() (n int, id string) {
				t.Helper()
				if err := a.DB.View(context.Background(), func(tx *db.Tx) error {
					if err := tx.QueryRow(`SELECT id FROM cases WHERE case_no = $1`, no).Scan(&id); err != nil {
						return err
					}
					return tx.QueryRow(`SELECT (SELECT COUNT(*) FROM audit_pending WHERE object_id = $1 AND action = 'case.read.view')
						+ (SELECT COUNT(*) FROM audit_records WHERE object_id = $1 AND action = 'case.read.view')`, id).Scan(&n)
				}); err != nil {
					t.Fatal(err)
				}
				return n, id
			}
			before, _ := views()
			for range 3 {
				if st, m := apiCall(t, "GET", api+"/cases/"+no, clerk, ""); st != 200 {
					t.Fatalf("read: %d %v", st, m)
				}
			}
			if n, _ := views(); n != before || a.Reads.Pending() != 3 {
				t.Fatalf("the reads were written before the delay or the shutdown: %d written (%d before), %d waiting", n, before, a.Reads.Pending())
			}
			stop()
			select {
			case err := <-served:
				if err != nil && !errors.Is(err, http.ErrServerClosed) {
					t.Fatal(err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("serve did not stop")
			}
			if n, _ := views(); n != before+3 {
				t.Fatalf("after shutdown: %d reads recorded, want %d", n, before+3)
			}
			// Written once: flushing again (Close does) adds nothing.
			if err := a.Reads.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			n, id := views()
			if n != before+3 {
				t.Fatalf("after a second flush: %d reads recorded, want %d", n, before+3)
			}
			// Each as the clerk's, in the staff role: the record as before.
			var mine int
			a.DB.View(context.Background(), func(tx *db.Tx) error {
				return tx.QueryRow(`SELECT COUNT(*) FROM audit_pending p JOIN users u ON u.id = p.actor_id
					WHERE p.object_id = $1 AND p.object_type = 'case' AND p.role = 'staff' AND p.action = 'case.read.view' AND u.username = 'clerk'`, id).Scan(&mine)
			})
			if mine < 3 {
				t.Fatalf("%d of the clerk's reads as staff reads of the case", mine)
			}
		})
	}
}
