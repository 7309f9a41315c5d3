// Package demotest is test infrastructure shared by the domain packages'
// tests: a database seeded with the demo data (regions, departments, the
// demo accounts and catalog) and a clock the test moves. It is imported by
// tests only.
package demotest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/vault"
)

// Env is a seeded demo database with the identity and catalog services.
type Env struct {
	Ctx     context.Context
	DB      *db.DB
	IDs     *identity.Service
	Catalog *catalog.Catalog
	Users   map[string]*identity.User // the demo accounts by username
	Codes   map[string]string         // item name → implementation code

	mu  sync.Mutex
	now time.Time
}

// At is a time in China ("2006-01-02 15:04").
func At(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.China)
	if err != nil {
		panic(err)
	}
	return t
}

// New seeds d with the demo data, its clock set to now and moved by the test.
func New(t testing.TB, d *db.DB, now time.Time) *Env {
	t.Helper()
	e := &Env{Ctx: context.Background(), DB: d, now: now, Users: map[string]*identity.User{}, Codes: map[string]string{}}
	d.SetClock(e.Now)
	v, err := vault.New(vault.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	e.IDs = identity.NewService(d, v)
	if err := demo.Seed(e.Ctx, d, e.IDs); err != nil {
		t.Fatal(err)
	}
	e.Catalog = catalog.New(d)
	for _, a := range demo.Accounts {
		u, err := e.IDs.UserByUsername(e.Ctx, a.Username)
		if err != nil {
			t.Fatal(err)
		}
		e.Users[a.Username] = u
	}
	res, err := e.Catalog.Search(e.Ctx, catalog.Query{PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range res.Items {
		e.Codes[it.Name] = it.ImplCode
	}
	return e
}

// Now is the test's clock.
func (e *Env) Now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

// SetNow moves the clock to t.
func (e *Env) SetNow(t time.Time) {
	e.mu.Lock()
	e.now = t
	e.mu.Unlock()
}

// Advance moves the clock by d.
func (e *Env) Advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}
