// Package site is the installation's identity: its root region and the
// service centre that runs it (name, address, phone), with the 主办单位,
// contact and ICP filing number a Chinese government site shows in its
// footer. `tongban setup` writes it once, with the first administrator;
// the portal's header and footer and `serve` read it.
package site

import (
	"context"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
)

// Info is what the installation says about itself. Every field but Region
// and CentreName may be empty (the portal leaves it out).
type Info struct {
	Region        string // the installation's root region (GB/T 2260), as --region
	RegionName    string // its name, from the regions table
	CentreName    string // the service centre (政务服务中心), in the portal header
	CentreAddress string
	CentrePhone   string
	HostOrg       string // 主办单位
	Contact       string // 联系方式 shown in the footer (a mailbox, an office)
	ICP           string // ICP备案号 (工业和信息化部《互联网信息服务管理办法》 Art. 12: shown at the foot of the site)
}

// field binds one Info field to its settings key; Name is the flag that
// sets it, so a refusal names what the operator typed.
type field struct {
	Name, Key string
	Max       int
	Required  bool
	get       func(*Info) *string
}

var fields = []field{
	{"region", "site.region", 6, true, func(i *Info) *string { return &i.Region }},
	{"centre-name", "site.centre_name", 100, true, func(i *Info) *string { return &i.CentreName }},
	{"centre-address", "site.centre_address", 200, false, func(i *Info) *string { return &i.CentreAddress }},
	{"centre-phone", "site.centre_phone", 40, false, func(i *Info) *string { return &i.CentrePhone }},
	{"host-org", "site.host_org", 100, false, func(i *Info) *string { return &i.HostOrg }},
	{"contact", "site.contact", 200, false, func(i *Info) *string { return &i.Contact }},
	{"icp", "site.icp", 50, false, func(i *Info) *string { return &i.ICP }},
}

// phoneRE: a Chinese telephone number as a centre prints it — digits with
// hyphens, spaces or parentheses (023-72222222, (023) 7222 2222, 12345,
// 400-810-8888), several separated by "、", "," or "/".
var phoneRE = regexp.MustCompile(`^\+?[0-9() -]+$`)

// icpRE: 渝ICP备12345678号, optionally with a site number (-1).
var icpRE = regexp.MustCompile(`^\p{Han}ICP备[0-9]{6,10}号(-[0-9]{1,3})?$`)

// Check trims the fields and checks them; Invalid naming the field
// (setup.field_*) otherwise. The region's own checks are the caller's
// (catalog.CheckRoot).
func (i *Info) Check() error {
	for _, f := range fields {
		p := f.get(i)
		*p = strings.TrimSpace(*p)
		v := *p
		switch {
		case v == "" && f.Required:
			return apperr.E(apperr.Invalid, "setup.field_required", "field", f.Name)
		case utf8.RuneCountInString(v) > f.Max:
			return apperr.E(apperr.Invalid, "setup.field_too_long", "field", f.Name, "max", f.Max)
		case strings.ContainsFunc(v, unicode.IsControl):
			return apperr.E(apperr.Invalid, "setup.field_control", "field", f.Name)
		}
	}
	if i.CentrePhone != "" {
		for _, p := range strings.FieldsFunc(i.CentrePhone, func(r rune) bool { return r == '、' || r == ',' || r == '/' }) {
			if digits := countDigits(p); !phoneRE.MatchString(strings.TrimSpace(p)) || digits < 5 || digits > 15 {
				return apperr.E(apperr.Invalid, "setup.phone_format", "field", "centre-phone", "value", i.CentrePhone)
			}
		}
	}
	if i.ICP != "" && !icpRE.MatchString(i.ICP) {
		return apperr.E(apperr.Invalid, "setup.icp_format", "field", "icp", "value", i.ICP)
	}
	return nil
}

func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

// Load reads the installation's identity; a database never set up answers
// an Info with an empty Region.
func Load(ctx context.Context, d *db.DB) (*Info, error) {
	i := &Info{}
	err := d.View(ctx, func(tx *db.Tx) error { return load(tx, i) })
	return i, apperr.Internalf("site: load", err)
}

func load(tx *db.Tx, i *Info) error {
	rows, err := tx.Query(`SELECT key, value FROM settings WHERE key LIKE 'site.%'`)
	if err != nil {
		return err
	}
	defer rows.Close()
	byKey := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		byKey[k] = v
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, f := range fields {
		*f.get(i) = byKey[f.Key]
	}
	if i.Region != "" {
		err := tx.QueryRow(`SELECT name FROM regions WHERE code = $1`, i.Region).Scan(&i.RegionName)
		return db.NotFound(err, "catalog.region_unknown", "code", i.Region)
	}
	return nil
}

// save writes every field in tx.
func save(tx *db.Tx, i *Info) error {
	for _, f := range fields {
		if _, err := tx.Exec(`INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
			f.Key, *f.get(i)); err != nil {
			return err
		}
	}
	return nil
}
