package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Migrate brings the schema up to date. It is safe to run on every start
// and from several processes (goose records applied versions).
func (d *DB) Migrate(ctx context.Context) error {
	p, err := d.provider()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("db: migrate: %w", err)
	}
	return nil
}

// MigrationStatus lists each migration and whether it is applied.
func (d *DB) MigrationStatus(ctx context.Context) ([]*goose.MigrationStatus, error) {
	p, err := d.provider()
	if err != nil {
		return nil, err
	}
	return p.Status(ctx)
}

// LatestVersion is the last migration of dialect this binary holds.
func LatestVersion(dialect Dialect) (int64, error) {
	dir := "migrations/sqlite"
	if dialect == Postgres {
		dir = "migrations/postgres"
	} else if dialect != SQLite {
		return 0, fmt.Errorf("db: no dialect %q", dialect)
	}
	entries, err := migrations.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	var latest int64
	for _, e := range entries {
		if v, err := goose.NumericComponent(e.Name()); err == nil {
			latest = max(latest, v)
		}
	}
	return latest, nil
}

func (d *DB) provider() (*goose.Provider, error) {
	dialect, dir := goose.DialectSQLite3, "migrations/sqlite"
	if d.Dialect == Postgres {
		dialect, dir = goose.DialectPostgres, "migrations/postgres"
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(dialect, d.writer, sub)
	if err != nil {
		return nil, fmt.Errorf("db: migrations: %w", err)
	}
	return p, nil
}
