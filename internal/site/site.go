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
	Region        string `json:"region"`      // the installation's root region (GB/T 2260), as --region
	RegionName    string `json:"region_name"` // its name, from the regions table
	CentreName    string `json:"centre_name"` // the service centre (政务服务中心), in the portal header
	CentreAddress string `json:"centre_address"`
	CentrePhone   string `json:"centre_phone"`
	HostOrg       string `json:"host_org"`  // 主办单位
	Organizer     string `json:"organizer"` // 承办单位 (the body that runs the site for the 主办单位), optional
	Contact       string `json:"contact"`   // 联系方式 shown in the footer (a mailbox, an office)
	ICP           string `json:"icp"`       // ICP备案号 (工业和信息化部《互联网信息服务管理办法》 Art. 12: shown at the foot of the site)
	PSB           string `json:"psb"`       // 公安机关互联网站安全管理服务平台 备案号 (公网安备), optional
}

// PSBCode is the 14-digit record number inside PSB, for the link to the
// public security filing's record ("" when PSB is empty).
func (i *Info) PSBCode() string {
	if m := psbRE.FindStringSubmatch(i.PSB); m != nil {
		return m[1]
	}
	return ""
}

// field binds one Info field to its settings key; Name is the flag that
// sets it, so a refusal names what the operator typed; the key's part
// after "site." is the field of the administrator's form and API.
type field struct {
	Name, Key string
	Max       int
	Required  bool
	get       func(*Info) *string
}

// Form is the name of the field in the administrator's form and API.
func (f field) Form() string { return strings.TrimPrefix(f.Key, "site.") }

var fields = []field{
	{"region", "site.region", 6, true, func(i *Info) *string { return &i.Region }},
	{"centre-name", "site.centre_name", 100, true, func(i *Info) *string { return &i.CentreName }},
	{"centre-address", "site.centre_address", 200, false, func(i *Info) *string { return &i.CentreAddress }},
	{"centre-phone", "site.centre_phone", 40, false, func(i *Info) *string { return &i.CentrePhone }},
	{"host-org", "site.host_org", 100, false, func(i *Info) *string { return &i.HostOrg }},
	{"organizer", "site.organizer", 100, false, func(i *Info) *string { return &i.Organizer }},
	{"contact", "site.contact", 200, false, func(i *Info) *string { return &i.Contact }},
	{"icp", "site.icp", 50, false, func(i *Info) *string { return &i.ICP }},
	{"psb", "site.psb", 50, false, func(i *Info) *string { return &i.PSB }},
}

// phoneRE: a Chinese telephone number as a centre prints it — digits with
// hyphens, spaces or parentheses (023-72222222, (023) 7222 2222, 12345,
// 400-810-8888), several separated by "、", "," or "/".
var phoneRE = regexp.MustCompile(`^\+?[0-9() -]+$`)

// icpRE: 渝ICP备12345678号, optionally with a site number (-1).
var icpRE = regexp.MustCompile(`^\p{Han}ICP备[0-9]{6,10}号(-[0-9]{1,3})?$`)

// psbRE: 渝公网安备 50010202000123号 (the province's abbreviation, then the
// 14-digit record number; the space is optional).
var psbRE = regexp.MustCompile(`^\p{Han}公网安备 ?([0-9]{14})号$`)

// Check trims the fields and checks them; Invalid naming the field
// (setup.field_*) otherwise. The region's own checks are the caller's
// (catalog.CheckRoot).
func (i *Info) Check() error { return i.check(false) }

// CheckForm is Check for the administrator's form and API: each refusal
// (site.field_*, site.*_format) names the form's field ("centre_name") and
// carries its translated label.
func (i *Info) CheckForm() error { return i.check(true) }

func (i *Info) check(form bool) error {
	fail := func(f field, key string, kv ...any) error {
		if !form {
			return apperr.E(apperr.Invalid, "setup."+key, append([]any{"field", f.Name}, kv...)...)
		}
		return apperr.E(apperr.Invalid, "site."+key, append([]any{"field", f.Form(), "label", apperr.E(apperr.Invalid, "site.f_"+f.Form())}, kv...)...)
	}
	byName := map[string]field{}
	for _, f := range fields {
		byName[f.Name] = f
		p := f.get(i)
		*p = strings.TrimSpace(*p)
		v := *p
		switch {
		case v == "" && f.Required:
			return fail(f, "field_required")
		case utf8.RuneCountInString(v) > f.Max:
			return fail(f, "field_too_long", "max", f.Max)
		case strings.ContainsFunc(v, unicode.IsControl):
			return fail(f, "field_control")
		}
	}
	if i.CentrePhone != "" {
		for _, p := range strings.FieldsFunc(i.CentrePhone, func(r rune) bool { return r == '、' || r == ',' || r == '/' }) {
			if digits := countDigits(p); !phoneRE.MatchString(strings.TrimSpace(p)) || digits < 5 || digits > 15 {
				return fail(byName["centre-phone"], "phone_format", "value", i.CentrePhone)
			}
		}
	}
	if i.ICP != "" && !icpRE.MatchString(i.ICP) {
		return fail(byName["icp"], "icp_format", "value", i.ICP)
	}
	if i.PSB != "" && !psbRE.MatchString(i.PSB) {
		return fail(byName["psb"], "psb_format", "value", i.PSB)
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
