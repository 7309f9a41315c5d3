package site

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sync/atomic"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// Portal is the installation's identity as the portal shows it, changed by
// its administrators while it runs (issue 17: the header names the centre
// and region, the footer the 主办单位, contact and filing numbers). Every
// page reads Shown, which is swapped whole after a change.
type Portal struct {
	DB   *db.DB
	Home string // the installation's home region
	cur  atomic.Pointer[Info]
}

// NewPortal starts from the stored identity (nil: read it) and fills what
// setup left unsaid from the home region's hall (Shown).
func NewPortal(ctx context.Context, d *db.DB, home string, stored *Info) (*Portal, error) {
	p := &Portal{DB: d, Home: home}
	if stored == nil {
		var err error
		if stored, err = Load(ctx, d); err != nil {
			return nil, err
		}
	}
	if err := p.show(ctx, stored); err != nil {
		return nil, err
	}
	return p, nil
}

// Shown is what the header and footer show: the stored identity, or — on
// a database never set up (tests, an installation older than setup) — the
// home region's name and its hall (name, address, phone). Never nil.
func (p *Portal) Shown() *Info {
	if p == nil {
		return &Info{}
	}
	if i := p.cur.Load(); i != nil {
		return i
	}
	return &Info{}
}

// show computes what is shown from stored and swaps it in.
func (p *Portal) show(ctx context.Context, stored *Info) error {
	shown := *stored
	if shown.CentreName == "" && p.Home != "" {
		err := p.DB.View(ctx, func(tx *db.Tx) error {
			if err := tx.QueryRow(`SELECT name FROM regions WHERE code = $1`, p.Home).Scan(&shown.RegionName); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			err := tx.QueryRow(`SELECT name, address, phone FROM halls WHERE region_code = $1`, p.Home).Scan(&shown.CentreName, &shown.CentreAddress, &shown.CentrePhone)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			return err
		})
		if err != nil {
			return apperr.Internalf("site: shown", err)
		}
	}
	p.cur.Store(&shown)
	return nil
}

// mayEdit: the identity is the installation's; only its administrators
// read and change it here.
func (p *Portal) mayEdit(u *identity.User) error {
	if u == nil {
		return apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if !u.Installation(identity.RoleAdmin, p.Home) {
		return apperr.E(apperr.Forbidden, "site.installation_only")
	}
	return nil
}

// Stored is the identity as saved (no hall defaults), for the
// administrator's form.
func (p *Portal) Stored(ctx context.Context, u *identity.User) (*Info, error) {
	if err := p.mayEdit(u); err != nil {
		return nil, err
	}
	return Load(ctx, p.DB)
}

// Update replaces every field but the region (fixed at setup) with in's,
// after CheckForm, as u, with an audit record of the old and new values;
// the portal shows it at once. Anything refused changes nothing.
func (p *Portal) Update(ctx context.Context, u *identity.User, in Info) (*Info, error) {
	if err := p.mayEdit(u); err != nil {
		return nil, err
	}
	var out Info
	err := p.DB.Update(ctx, func(tx *db.Tx) error {
		var old Info
		if err := load(tx, &old); err != nil {
			return err
		}
		in.Region = old.Region
		if in.Region == "" {
			in.Region = p.Home // a database never set up: its home region
		}
		if err := in.CheckForm(); err != nil {
			return err
		}
		if err := save(tx, &in); err != nil {
			return err
		}
		changes := map[string][2]string{}
		for _, f := range fields {
			if o, n := *f.get(&old), *f.get(&in); o != n {
				changes[f.Form()] = [2]string{o, n}
			}
		}
		detail, _ := json.Marshal(map[string]any{"changes": changes})
		if err := audit.Append(tx, &audit.Record{Actor: u.ID, Role: string(identity.RoleAdmin), Action: "site.update",
			ObjectType: "site", ObjectID: in.Region}, detail); err != nil {
			return err
		}
		return load(tx, &out)
	})
	if err != nil {
		return nil, apperr.Internalf("site: update", err)
	}
	if err := p.show(ctx, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
