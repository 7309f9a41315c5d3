package db

import (
	"context"
	"path/filepath"
	"testing"
)

// A query met inside a transaction is prepared once the transaction ends
// (never while it holds the writer's only connection), and later
// transactions run it prepared with the same results.
func TestStatementCacheOnSQLite(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Update(ctx, func(tx *Tx) error {
		_, err := tx.Exec(`CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	const ins = `INSERT INTO kv (k, v) VALUES ($1, $2)`
	for i := range 3 {
		if err := d.Update(ctx, func(tx *Tx) error {
			_, err := tx.Exec(ins, string(rune('a'+i)), i)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if i == 0 && d.writeStmts.m[ins] == nil {
			t.Fatal("the insert was not prepared after its first transaction")
		}
	}
	var sum int
	if err := d.View(ctx, func(tx *Tx) error { return tx.QueryRow(`SELECT SUM(v) FROM kv`).Scan(&sum) }); err != nil || sum != 3 {
		t.Fatalf("sum %d %v", sum, err)
	}
	// A failing statement is not cached and still reports its error.
	err = d.Update(ctx, func(tx *Tx) error { _, err := tx.Exec(`INSERT INTO nowhere VALUES (1)`); return err })
	if err == nil || d.writeStmts.m[`INSERT INTO nowhere VALUES (1)`] != nil {
		t.Fatalf("bad statement: %v", err)
	}
}
