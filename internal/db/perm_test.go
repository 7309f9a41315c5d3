package db_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/tongban/tongban/internal/db"
)

// The SQLite database, its WAL and SHM are the service's alone (0600) and a
// directory made for them 0700 — under a umask that restricts nothing, and
// for files an older version left world-readable.
func TestSQLiteFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	for _, tc := range []struct {
		name     string
		existing fs.FileMode // 0: a new database
	}{{"new", 0}, {"world-readable", 0o644}, {"group-writable", 0o660}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			path := filepath.Join(dir, "tongban.db")
			if tc.existing != 0 {
				seed, err := db.Open(context.Background(), "sqlite:"+path)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := seed.Writer().Exec(`CREATE TABLE t (x TEXT)`); err != nil {
					t.Fatal(err)
				}
				seed.Close()
				for _, p := range []string{path, path + "-wal", path + "-shm"} {
					os.WriteFile(p, nil, 0o600) // the WAL and SHM exist again, as after a crash
					if err := os.Chmod(p, tc.existing); err != nil {
						t.Fatal(err)
					}
				}
				// A checkpointed database keeps its table with an empty WAL.
			}
			d, err := db.Open(context.Background(), "sqlite:"+path)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if _, err := d.Writer().Exec(`CREATE TABLE IF NOT EXISTS u (x TEXT)`); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{path, path + "-wal", path + "-shm"} {
				st, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				if st.Mode().Perm() != 0o600 {
					t.Errorf("%s is %v, want 0600", filepath.Base(p), st.Mode().Perm())
				}
			}
			if tc.existing == 0 {
				if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
					t.Errorf("the directory made for the database is %v, want 0700", st.Mode().Perm())
				}
			}
		})
	}
}
