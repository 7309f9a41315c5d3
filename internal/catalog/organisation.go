package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// The organisation an installation administers (issue 15): departments,
// halls, their windows and the divisions served. Every change is made by an
// administrator whose grant covers the object's region (the one scoping
// rule, identity.Scope) and leaves an audit record (R4.7).

// DepartmentKinds are the types of department (部门类型) a county has.
var DepartmentKinds = []string{
	"government",  // 政府工作部门 (区市场监督管理局)
	"vertical",    // 垂直管理部门 (税务局、公安分局)
	"township",    // 乡镇人民政府
	"subdistrict", // 街道办事处
	"institution", // 事业单位
	"other",       // 群团组织及其他 (残联)
}

// WindowKinds are the kinds of window (窗口类型) in a hall.
var WindowKinds = []string{
	"comprehensive", // 综合窗口 (一窗受理)
	"special",       // 专项窗口
	"assisted",      // 帮办代办
	"elderly",       // 老年人绿色通道
	"self_service",  // 24小时自助
}

// DepartmentInput is a department to create, or the fields of one to change
// (nil: unchanged). Creating needs Name, CreditCode and RegionCode.
type DepartmentInput struct {
	Name       *string `json:"name"`
	NameEN     *string `json:"name_en"`
	CreditCode *string `json:"credit_code"`
	RegionCode *string `json:"region_code"`
	ParentID   *string `json:"parent_id"` // "" removes the parent
	Kind       *string `json:"kind"`
	Phone      *string `json:"phone"`
	Address    *string `json:"address"`
	Active     *bool   `json:"active"`
}

// Opening is one range of opening hours: the days of the week it applies to
// (1 Monday … 7 Sunday) and the times, "HH:MM", from before to.
type Opening struct {
	Days []int  `json:"days"`
	From string `json:"from"`
	To   string `json:"to"`
}

// HallInput is a hall to create or the fields of one to change (nil:
// unchanged). Creating needs RegionCode; a hall's region never changes.
type HallInput struct {
	Name       *string    `json:"name"`
	RegionCode *string    `json:"region_code"`
	Address    *string    `json:"address"`
	Phone      *string    `json:"phone"`
	Hours      *[]Opening `json:"hours"`
	Lat        *float64   `json:"lat"`
	Lng        *float64   `json:"lng"`
	NoLocation bool       `json:"no_location,omitempty"` // removes the location
	Active     *bool      `json:"active"`
}

// Window is a window (窗口) of a hall and what it serves.
type Window struct {
	ID          string   `json:"id"`
	HallID      string   `json:"hall_id"`
	Number      string   `json:"number"`
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	Items       []string `json:"items"`       // implementation codes
	Departments []string `json:"departments"` // department ids
	Active      bool     `json:"active"`
}

// WindowInput is a window to create or the fields of one to change (nil:
// unchanged). Creating needs Number, Name and Kind.
type WindowInput struct {
	Number      *string   `json:"number"`
	Name        *string   `json:"name"`
	Kind        *string   `json:"kind"`
	Items       *[]string `json:"items"`
	Departments *[]string `json:"departments"`
	Active      *bool     `json:"active"`
}

// at names the field a fault is in.
func at(field string, reason *apperr.Error) error {
	return apperr.E(reason.Code, "catalog.at", "field", field, "reason", reason)
}

func invalidAt(field, key string, kv ...any) error {
	return at(field, apperr.E(apperr.Invalid, key, kv...))
}

// text checks a one-line text field: required when need, at most max characters.
func text(field, v string, need bool, max int) error {
	if strings.TrimSpace(v) != v {
		return invalidAt(field, "org.text_spaces")
	}
	if need && v == "" {
		return apperr.E(apperr.Invalid, "error.field_required", "field", field)
	}
	if utf8.RuneCountInString(v) > max {
		return invalidAt(field, "org.text_long", "max", max)
	}
	return nil
}

// phone checks a telephone number: digits with -, space, parentheses and a
// leading +, 5 to 30 characters ("" for none).
func phone(field, v string) error {
	if v == "" {
		return nil
	}
	digits := 0
	for i, r := range v {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '-' || r == ' ' || r == '(' || r == ')' || r == '/' || r == ',' || (r == '+' && i == 0):
		default:
			return invalidAt(field, "org.phone", "value", v)
		}
	}
	if digits < 5 || len(v) > 30 {
		return invalidAt(field, "org.phone", "value", v)
	}
	return nil
}

// adminOf refuses a user whose administrator grant does not cover region.
func adminOf(u *identity.User, region string) error {
	if u == nil {
		return apperr.E(apperr.Unauthenticated, "error.unauthenticated")
	}
	if !u.ScopeOf(identity.RoleAdmin).CoversRegion(region) {
		return apperr.E(apperr.Forbidden, "org.forbidden", "region", region)
	}
	return nil
}

// servedRegion reads a division, which must be known and served.
func servedRegion(tx *db.Tx, field, code string) (Region, error) {
	if _, err := codes.ParseDivision(code); err != nil {
		return Region{}, at(field, asApp(err, apperr.E(apperr.Invalid, "catalog.region_unknown", "code", code)))
	}
	var r Region
	var served bool
	err := tx.QueryRow(`SELECT code, name, level, served FROM regions WHERE code = $1`, code).Scan(&r.Code, &r.Name, &r.Level, &served)
	if err == sql.ErrNoRows {
		return r, invalidAt(field, "catalog.region_unknown", "code", code)
	}
	if err != nil {
		return r, err
	}
	if !served {
		return r, invalidAt(field, "org.region_not_served", "region", r.Name)
	}
	return r, nil
}

func record(tx *db.Tx, u *identity.User, action, objType, id string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return audit.Append(tx, &audit.Record{Actor: u.ID, Role: "admin", Action: action, ObjectType: objType, ObjectID: id}, body)
}

// departmentSelect reads departments with their region's name (scanDepartment).
const departmentSelect = `SELECT d.id, d.name, d.name_en, d.credit_code, d.region_code, r.name, COALESCE(d.parent_id, ''), d.kind, d.phone, d.address, d.active
	FROM departments d JOIN regions r ON r.code = d.region_code`

func scanDepartment(row interface{ Scan(...any) error }) (Department, error) {
	var d Department
	err := row.Scan(&d.ID, &d.Name, &d.NameEN, &d.CreditCode, &d.RegionCode, &d.RegionName, &d.ParentID, &d.Kind, &d.Phone, &d.Address, &d.Active)
	return d, err
}

// departmentRow reads a department by id.
func departmentRow(tx *db.Tx, id string) (Department, error) {
	d, err := scanDepartment(tx.QueryRow(departmentSelect+` WHERE d.id = $1`, id))
	return d, db.NotFound(err, "org.department_unknown", "id", id)
}

// asApp is err as an application error (the codes package's are), or else.
func asApp(err error, or *apperr.Error) *apperr.Error {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return ae
	}
	return or
}

// CreateDepartment creates a department in a region the administrator
// covers.
func (c *Catalog) CreateDepartment(ctx context.Context, u *identity.User, in DepartmentInput) (Department, error) {
	var out Department
	err := c.db.Update(ctx, func(tx *db.Tx) error {
		var err error
		out, err = createDepartment(tx, u, in)
		return err
	})
	return out, apperr.Internalf("catalog: create department", err)
}

func createDepartment(tx *db.Tx, u *identity.User, in DepartmentInput) (Department, error) {
	d := Department{Kind: "government", Active: true}
	for _, f := range []struct {
		name string
		v    *string
	}{{"name", in.Name}, {"credit_code", in.CreditCode}, {"region_code", in.RegionCode}} {
		if f.v == nil || *f.v == "" {
			return d, apperr.E(apperr.Invalid, "error.field_required", "field", f.name)
		}
	}
	if err := applyDepartment(tx, u, &d, in, true); err != nil {
		return d, err
	}
	d.ID = db.NewID()
	if _, err := tx.Exec(`INSERT INTO departments (id, name, name_en, credit_code, region_code, parent_id, kind, phone, address, active, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		d.ID, d.Name, d.NameEN, d.CreditCode, d.RegionCode, nullable(d.ParentID), d.Kind, d.Phone, d.Address, d.Active, tx.Now); err != nil {
		return d, err
	}
	out, err := departmentRow(tx, d.ID)
	if err != nil {
		return out, err
	}
	return out, record(tx, u, "department.create", "department", d.ID, out)
}

// UpdateDepartment changes a department the administrator covers (and, when
// it moves, covers its new region too). Deactivating is setting Active false.
func (c *Catalog) UpdateDepartment(ctx context.Context, u *identity.User, id string, in DepartmentInput) (Department, error) {
	var out Department
	err := c.db.Update(ctx, func(tx *db.Tx) error {
		var err error
		out, err = updateDepartment(tx, u, id, in)
		return err
	})
	return out, apperr.Internalf("catalog: update department", err)
}

func updateDepartment(tx *db.Tx, u *identity.User, id string, in DepartmentInput) (Department, error) {
	d, err := departmentRow(tx, id)
	if err != nil {
		return d, err
	}
	if err := adminOf(u, d.RegionCode); err != nil {
		return d, err
	}
	if err := applyDepartment(tx, u, &d, in, false); err != nil {
		return d, err
	}
	if _, err := tx.Exec(`UPDATE departments SET name = $1, name_en = $2, credit_code = $3, region_code = $4, parent_id = $5,
		kind = $6, phone = $7, address = $8, active = $9 WHERE id = $10`,
		d.Name, d.NameEN, d.CreditCode, d.RegionCode, nullable(d.ParentID), d.Kind, d.Phone, d.Address, d.Active, d.ID); err != nil {
		return d, err
	}
	out, err := departmentRow(tx, d.ID)
	if err != nil {
		return out, err
	}
	return out, record(tx, u, "department.update", "department", d.ID, out)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// applyDepartment validates in's fields onto d: every field checked before
// anything is written, the first fault named by its field.
func applyDepartment(tx *db.Tx, u *identity.User, d *Department, in DepartmentInput, create bool) error {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&d.Name, in.Name)
	set(&d.NameEN, in.NameEN)
	set(&d.Kind, in.Kind)
	set(&d.Phone, in.Phone)
	set(&d.Address, in.Address)
	if in.Active != nil {
		d.Active = *in.Active
	}
	if err := text("name", d.Name, true, 100); err != nil {
		return err
	}
	if err := text("name_en", d.NameEN, false, 200); err != nil {
		return err
	}
	if !slices.Contains(DepartmentKinds, d.Kind) {
		return invalidAt("kind", "org.kind", "value", d.Kind, "allowed", strings.Join(DepartmentKinds, ", "))
	}
	if err := phone("phone", d.Phone); err != nil {
		return err
	}
	if err := text("address", d.Address, false, 200); err != nil {
		return err
	}
	// The region first: the scope decides before anything about other
	// regions' departments (a credit code in use) is told.
	if in.RegionCode != nil && (create || *in.RegionCode != d.RegionCode) {
		r, err := servedRegion(tx, "region_code", *in.RegionCode)
		if err != nil {
			return err
		}
		if err := adminOf(u, r.Code); err != nil {
			return err
		}
		if !create {
			// Items lie inside their department's region, sub-departments
			// in or below it, grants name both: a department holding any
			// of them stays where it is (create a new one instead).
			var n int
			if err := tx.QueryRow(`SELECT (SELECT COUNT(*) FROM items WHERE department_id = $1)
				+ (SELECT COUNT(*) FROM departments WHERE parent_id = $1)
				+ (SELECT COUNT(*) FROM role_grants WHERE department_id = $1)`, d.ID).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return at("region_code", apperr.E(apperr.Conflict, "org.department_in_use", "department", d.Name))
			}
		}
		d.RegionCode, d.RegionName = r.Code, r.Name
	}
	if in.CreditCode != nil && (create || *in.CreditCode != d.CreditCode) {
		if _, err := codes.ParseCreditCode(*in.CreditCode); err != nil {
			return at("credit_code", asApp(err, apperr.E(apperr.Invalid, "codes.credit_code.length", "want", 18, "got", len(*in.CreditCode))))
		}
		var other string
		err := tx.QueryRow(`SELECT name FROM departments WHERE credit_code = $1`, *in.CreditCode).Scan(&other)
		if err == nil {
			return at("credit_code", apperr.E(apperr.Conflict, "org.credit_code_taken", "code", *in.CreditCode, "department", other))
		}
		if err != sql.ErrNoRows {
			return err
		}
		d.CreditCode = *in.CreditCode
	}
	if in.ParentID != nil {
		d.ParentID = *in.ParentID
	}
	if d.ParentID != "" {
		// The parent lies in the department's region or one enclosing it,
		// and no department is its own ancestor.
		p, err := departmentRow(tx, d.ParentID)
		if err != nil {
			return at("parent_id", apperr.E(apperr.Invalid, "org.department_unknown", "id", d.ParentID))
		}
		if !codes.DivisionCovers(p.RegionCode, d.RegionCode) {
			return invalidAt("parent_id", "org.parent_region", "parent", p.Name)
		}
		for seen, next := 0, p; ; seen++ {
			if next.ID == d.ID || seen > 20 {
				return invalidAt("parent_id", "org.parent_cycle", "parent", p.Name)
			}
			if next.ParentID == "" {
				break
			}
			if next, err = departmentRow(tx, next.ParentID); err != nil {
				return err
			}
		}
	}
	return nil
}

// AdminDepartments lists the departments the administrator covers.
func (c *Catalog) AdminDepartments(ctx context.Context, u *identity.User) ([]Department, error) {
	out := []Department{}
	err := c.db.View(ctx, func(tx *db.Tx) error {
		var args []any
		cond := u.ScopeOf(identity.RoleAdmin).SQL("", "d.region_code", func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) })
		rows, err := tx.Query(departmentSelect+` WHERE `+cond+` ORDER BY r.level, d.region_code, d.name`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanDepartment(rows)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	return out, apperr.Internalf("catalog: admin departments", err)
}

// hallSelect reads halls with their region (scanHall).
const hallSelect = `SELECT h.id, h.name, h.region_code, r.name, r.level, h.address, h.phone, h.hours, h.lat, h.lng, h.active
	FROM halls h JOIN regions r ON r.code = h.region_code`

func scanHall(row interface{ Scan(...any) error }) (Hall, error) {
	var h Hall
	var hours string
	var lat, lng sql.NullFloat64
	if err := row.Scan(&h.ID, &h.Name, &h.RegionCode, &h.RegionName, &h.Level, &h.Address, &h.Phone, &hours, &lat, &lng, &h.Active); err != nil {
		return h, err
	}
	if lat.Valid && lng.Valid {
		h.Lat, h.Lng = &lat.Float64, &lng.Float64
	}
	h.Hours = []Opening{}
	if err := json.Unmarshal([]byte(hours), &h.Hours); err != nil {
		return h, err
	}
	return h, nil
}

func hallRow(tx *db.Tx, id string) (Hall, error) {
	h, err := scanHall(tx.QueryRow(hallSelect+` WHERE h.id = $1`, id))
	return h, db.NotFound(err, "org.hall_unknown", "id", id)
}

// MaxOpenings bounds a hall's opening hours: a range per day, morning and
// afternoon, and a few more.
const MaxOpenings = 21

// clock reads "HH:MM" as minutes after midnight (24:00 allowed as an end).
func clock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || s[0] == '+' || s[3] == '+' || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

// ValidateHours checks opening hours: days 1–7 without repeats, times
// "HH:MM" with from before to, and no two ranges overlapping on a day.
func ValidateHours(hs []Opening) error {
	if len(hs) > MaxOpenings {
		return invalidAt("hours", "org.hours_many", "max", MaxOpenings)
	}
	type span struct{ from, to, i int }
	byDay := map[int][]span{}
	for i, o := range hs {
		f := "hours[" + strconv.Itoa(i) + "]"
		if len(o.Days) == 0 {
			return apperr.E(apperr.Invalid, "error.field_required", "field", f+".days")
		}
		for _, d := range o.Days {
			if d < 1 || d > 7 {
				return invalidAt(f+".days", "org.hours_day", "value", d)
			}
		}
		from, ok := clock(o.From)
		if !ok || from == 24*60 {
			return invalidAt(f+".from", "org.hours_time", "value", o.From)
		}
		to, ok := clock(o.To)
		if !ok {
			return invalidAt(f+".to", "org.hours_time", "value", o.To)
		}
		if from >= to {
			return invalidAt(f+".to", "org.hours_order", "from", o.From, "to", o.To)
		}
		for _, d := range o.Days {
			for _, s := range byDay[d] {
				if from < s.to && s.from < to {
					return invalidAt(f, "org.hours_overlap", "other", s.i)
				}
			}
			byDay[d] = append(byDay[d], span{from, to, i})
		}
	}
	return nil
}

// applyHall validates in's fields onto h.
func applyHall(h *Hall, in HallInput) error {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&h.Name, in.Name)
	set(&h.Address, in.Address)
	set(&h.Phone, in.Phone)
	if in.Active != nil {
		h.Active = *in.Active
	}
	if in.Hours != nil {
		h.Hours = *in.Hours
	}
	if h.Hours == nil {
		h.Hours = []Opening{}
	}
	if err := text("name", h.Name, true, 100); err != nil {
		return err
	}
	if err := text("address", h.Address, false, 200); err != nil {
		return err
	}
	if err := phone("phone", h.Phone); err != nil {
		return err
	}
	if err := ValidateHours(h.Hours); err != nil {
		return err
	}
	switch {
	case in.NoLocation:
		if in.Lat != nil || in.Lng != nil {
			return invalidAt("no_location", "org.location_both")
		}
		h.Lat, h.Lng = nil, nil
	case in.Lat != nil || in.Lng != nil:
		if in.Lat == nil || in.Lng == nil {
			return invalidAt(map[bool]string{true: "lng", false: "lat"}[in.Lat != nil], "org.location_pair")
		}
		if *in.Lat < -90 || *in.Lat > 90 {
			return invalidAt("lat", "org.latitude", "value", *in.Lat)
		}
		if *in.Lng < -180 || *in.Lng > 180 {
			return invalidAt("lng", "org.longitude", "value", *in.Lng)
		}
		h.Lat, h.Lng = in.Lat, in.Lng
	}
	return nil
}

func hoursJSON(hs []Opening) string {
	b, _ := json.Marshal(hs)
	return string(b)
}

func nullFloat(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// CreateHall creates the hall of a served county, township or village the
// administrator covers. A division has one hall (区行政服务中心, 乡镇便民服务
// 中心, 村便民服务站); its level is the division's. The name defaults to the
// customary one (HallName).
func (c *Catalog) CreateHall(ctx context.Context, u *identity.User, in HallInput) (Hall, error) {
	var out Hall
	err := c.db.Update(ctx, func(tx *db.Tx) error {
		var err error
		out, err = createHall(tx, u, in)
		return err
	})
	return out, apperr.Internalf("catalog: create hall", err)
}

func createHall(tx *db.Tx, u *identity.User, in HallInput) (Hall, error) {
	if in.RegionCode == nil || *in.RegionCode == "" {
		return Hall{}, apperr.E(apperr.Invalid, "error.field_required", "field", "region_code")
	}
	r, err := servedRegion(tx, "region_code", *in.RegionCode)
	if err != nil {
		return Hall{}, err
	}
	if err := adminOf(u, r.Code); err != nil {
		return Hall{}, err
	}
	if r.Level < 3 {
		return Hall{}, invalidAt("region_code", "org.hall_level", "region", r.Name)
	}
	var other string
	err = tx.QueryRow(`SELECT name FROM halls WHERE region_code = $1`, r.Code).Scan(&other)
	if err == nil {
		return Hall{}, at("region_code", apperr.E(apperr.Conflict, "org.hall_exists", "region", r.Name, "hall", other))
	}
	if err != sql.ErrNoRows {
		return Hall{}, err
	}
	h := Hall{Name: HallName(r), RegionCode: r.Code, Active: true}
	if err := applyHall(&h, in); err != nil {
		return h, err
	}
	h.ID = db.NewID()
	if _, err := tx.Exec(`INSERT INTO halls (id, region_code, name, address, phone, hours, lat, lng, active, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		h.ID, h.RegionCode, h.Name, h.Address, h.Phone, hoursJSON(h.Hours), nullFloat(h.Lat), nullFloat(h.Lng), h.Active, tx.Now); err != nil {
		return h, err
	}
	out, err := hallRow(tx, h.ID)
	if err != nil {
		return out, err
	}
	return out, record(tx, u, "hall.create", "hall", h.ID, out)
}

// UpdateHall changes a hall the administrator covers; its region stays.
func (c *Catalog) UpdateHall(ctx context.Context, u *identity.User, id string, in HallInput) (Hall, error) {
	var out Hall
	err := c.db.Update(ctx, func(tx *db.Tx) error {
		var err error
		out, err = updateHall(tx, u, id, in)
		return err
	})
	return out, apperr.Internalf("catalog: update hall", err)
}

func updateHall(tx *db.Tx, u *identity.User, id string, in HallInput) (Hall, error) {
	h, err := hallRow(tx, id)
	if err != nil {
		return h, err
	}
	if err := adminOf(u, h.RegionCode); err != nil {
		return h, err
	}
	if in.RegionCode != nil && *in.RegionCode != h.RegionCode {
		return h, invalidAt("region_code", "org.hall_region_fixed")
	}
	if err := applyHall(&h, in); err != nil {
		return h, err
	}
	if _, err := tx.Exec(`UPDATE halls SET name = $1, address = $2, phone = $3, hours = $4, lat = $5, lng = $6, active = $7 WHERE id = $8`,
		h.Name, h.Address, h.Phone, hoursJSON(h.Hours), nullFloat(h.Lat), nullFloat(h.Lng), h.Active, h.ID); err != nil {
		return h, err
	}
	out, err := hallRow(tx, h.ID)
	if err != nil {
		return out, err
	}
	return out, record(tx, u, "hall.update", "hall", h.ID, out)
}

// AdminHalls lists the halls the administrator covers.
func (c *Catalog) AdminHalls(ctx context.Context, u *identity.User) ([]Hall, error) {
	out := []Hall{}
	err := c.db.View(ctx, func(tx *db.Tx) error {
		var args []any
		cond := u.ScopeOf(identity.RoleAdmin).SQL("", "h.region_code", func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) })
		rows, err := tx.Query(hallSelect+` WHERE `+cond+` ORDER BY r.level, h.region_code`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			h, err := scanHall(rows)
			if err != nil {
				return err
			}
			out = append(out, h)
		}
		return rows.Err()
	})
	return out, apperr.Internalf("catalog: admin halls", err)
}

// windowRow reads a window with what it serves.
func windowRow(tx *db.Tx, id string) (Window, error) {
	w := Window{Items: []string{}, Departments: []string{}}
	err := tx.QueryRow(`SELECT id, hall_id, number, name, kind, active FROM windows WHERE id = $1`, id).
		Scan(&w.ID, &w.HallID, &w.Number, &w.Name, &w.Kind, &w.Active)
	if err != nil {
		return w, db.NotFound(err, "org.window_unknown", "id", id)
	}
	for q, dst := range map[string]*[]string{
		`SELECT impl_code FROM window_items WHERE window_id = $1 ORDER BY impl_code`:               &w.Items,
		`SELECT department_id FROM window_departments WHERE window_id = $1 ORDER BY department_id`: &w.Departments,
	} {
		rows, err := tx.Query(q, id)
		if err != nil {
			return w, err
		}
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return w, err
			}
			*dst = append(*dst, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return w, err
		}
	}
	return w, nil
}

// MaxWindowServes bounds what one window lists as served.
const MaxWindowServes = 500

// applyWindow validates in's fields onto w, in hall h: what a window
// serves lies in the hall's region or one enclosing it (a district's items
// are taken in at its townships' centres, 就近办), never a sibling's or a
// division's below the hall.
func applyWindow(tx *db.Tx, h Hall, w *Window, in WindowInput) error {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&w.Number, in.Number)
	set(&w.Name, in.Name)
	set(&w.Kind, in.Kind)
	if in.Active != nil {
		w.Active = *in.Active
	}
	if err := text("number", w.Number, true, 10); err != nil {
		return err
	}
	if err := text("name", w.Name, true, 100); err != nil {
		return err
	}
	if !slices.Contains(WindowKinds, w.Kind) {
		return invalidAt("kind", "org.kind", "value", w.Kind, "allowed", strings.Join(WindowKinds, ", "))
	}
	var other string
	err := tx.QueryRow(`SELECT id FROM windows WHERE hall_id = $1 AND number = $2 AND id <> $3`, h.ID, w.Number, w.ID).Scan(&other)
	if err == nil {
		return at("number", apperr.E(apperr.Conflict, "org.window_number_taken", "number", w.Number))
	}
	if err != sql.ErrNoRows {
		return err
	}
	if in.Items != nil {
		if len(*in.Items) > MaxWindowServes {
			return invalidAt("items", "org.serves_many", "max", MaxWindowServes)
		}
		w.Items = []string{}
		for i, code := range *in.Items {
			f := "items[" + strconv.Itoa(i) + "]"
			var region, name string
			err := tx.QueryRow(`SELECT region_code, name FROM items WHERE impl_code = $1`, code).Scan(&region, &name)
			if err == sql.ErrNoRows {
				return invalidAt(f, "org.item_unknown", "code", code)
			}
			if err != nil {
				return err
			}
			if !codes.DivisionCovers(region, h.RegionCode) {
				return invalidAt(f, "org.item_region", "item", name, "hall", h.Name)
			}
			if slices.Contains(w.Items, code) {
				return invalidAt(f, "org.serves_twice", "value", code)
			}
			w.Items = append(w.Items, code)
		}
	}
	if in.Departments != nil {
		if len(*in.Departments) > MaxWindowServes {
			return invalidAt("departments", "org.serves_many", "max", MaxWindowServes)
		}
		w.Departments = []string{}
		for i, id := range *in.Departments {
			f := "departments[" + strconv.Itoa(i) + "]"
			d, err := departmentRow(tx, id)
			if err != nil {
				return at(f, apperr.E(apperr.Invalid, "org.department_unknown", "id", id))
			}
			if !codes.DivisionCovers(d.RegionCode, h.RegionCode) {
				return invalidAt(f, "org.department_region", "department", d.Name, "hall", h.Name)
			}
			if slices.Contains(w.Departments, id) {
				return invalidAt(f, "org.serves_twice", "value", id)
			}
			w.Departments = append(w.Departments, id)
		}
	}
	return nil
}

func writeServes(tx *db.Tx, w Window) error {
	if _, err := tx.Exec(`DELETE FROM window_items WHERE window_id = $1`, w.ID); err != nil {
		return err
	}
	if _, err := tx.Exec(`DELETE FROM window_departments WHERE window_id = $1`, w.ID); err != nil {
		return err
	}
	for _, code := range w.Items {
		if _, err := tx.Exec(`INSERT INTO window_items (window_id, impl_code) VALUES ($1, $2)`, w.ID, code); err != nil {
			return err
		}
	}
	for _, id := range w.Departments {
		if _, err := tx.Exec(`INSERT INTO window_departments (window_id, department_id) VALUES ($1, $2)`, w.ID, id); err != nil {
			return err
		}
	}
	return nil
}

// CreateWindow adds a window to a hall the administrator covers.
func (c *Catalog) CreateWindow(ctx context.Context, u *identity.User, hallID string, in WindowInput) (Window, error) {
	var out Window
	err := c.db.Update(ctx, func(tx *db.Tx) error {
		var err error
		out, err = createWindow(tx, u, hallID, in)
		return err
	})
	return out, apperr.Internalf("catalog: create window", err)
}

func createWindow(tx *db.Tx, u *identity.User, hallID string, in WindowInput) (Window, error) {
	h, err := hallRow(tx, hallID)
	if err != nil {
		return Window{}, err
	}
	if err := adminOf(u, h.RegionCode); err != nil {
		return Window{}, err
	}
	w := Window{ID: db.NewID(), HallID: h.ID, Active: true, Items: []string{}, Departments: []string{}}
	if err := applyWindow(tx, h, &w, in); err != nil {
		return w, err
	}
	if _, err := tx.Exec(`INSERT INTO windows (id, hall_id, number, name, kind, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		w.ID, w.HallID, w.Number, w.Name, w.Kind, w.Active, tx.Now); err != nil {
		return w, err
	}
	if err := writeServes(tx, w); err != nil {
		return w, err
	}
	out, err := windowRow(tx, w.ID)
	if err != nil {
		return out, err
	}
	return out, record(tx, u, "window.create", "window", w.ID, out)
}

// UpdateWindow changes a window of a hall the administrator covers.
func (c *Catalog) UpdateWindow(ctx context.Context, u *identity.User, id string, in WindowInput) (Window, error) {
	var out Window
	err := c.db.Update(ctx, func(tx *db.Tx) error {
		var err error
		out, err = updateWindow(tx, u, id, in)
		return err
	})
	return out, apperr.Internalf("catalog: update window", err)
}

func updateWindow(tx *db.Tx, u *identity.User, id string, in WindowInput) (Window, error) {
	w, err := windowRow(tx, id)
	if err != nil {
		return w, err
	}
	h, err := hallRow(tx, w.HallID)
	if err != nil {
		return w, err
	}
	if err := adminOf(u, h.RegionCode); err != nil {
		return w, err
	}
	if err := applyWindow(tx, h, &w, in); err != nil {
		return w, err
	}
	if _, err := tx.Exec(`UPDATE windows SET number = $1, name = $2, kind = $3, active = $4 WHERE id = $5`,
		w.Number, w.Name, w.Kind, w.Active, w.ID); err != nil {
		return w, err
	}
	if err := writeServes(tx, w); err != nil {
		return w, err
	}
	out, err := windowRow(tx, w.ID)
	if err != nil {
		return out, err
	}
	return out, record(tx, u, "window.update", "window", w.ID, out)
}

// Windows lists a hall's windows, for an administrator covering it.
func (c *Catalog) Windows(ctx context.Context, u *identity.User, hallID string) ([]Window, error) {
	out := []Window{}
	err := c.db.View(ctx, func(tx *db.Tx) error {
		h, err := hallRow(tx, hallID)
		if err != nil {
			return err
		}
		if err := adminOf(u, h.RegionCode); err != nil {
			return err
		}
		rows, err := tx.Query(`SELECT id FROM windows WHERE hall_id = $1 ORDER BY number`, h.ID)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			w, err := windowRow(tx, id)
			if err != nil {
				return err
			}
			out = append(out, w)
		}
		return nil
	})
	return out, apperr.Internalf("catalog: windows", err)
}

// SetServed marks a division and every division inside it served or not.
// A division with an active hall or an item inside it cannot stop being
// served: deactivate the hall and move the items first.
func (c *Catalog) SetServed(ctx context.Context, u *identity.User, code string, served bool) error {
	err := c.db.Update(ctx, func(tx *db.Tx) error {
		var name string
		if err := tx.QueryRow(`SELECT name FROM regions WHERE code = $1`, code).Scan(&name); err != nil {
			return db.NotFound(err, "catalog.region_unknown", "code", code)
		}
		if err := adminOf(u, code); err != nil {
			return err
		}
		if !served {
			var halls, items int
			if err := tx.QueryRow(`SELECT COUNT(*) FROM halls WHERE region_code LIKE $1 AND active = $2`, within(code), true).Scan(&halls); err != nil {
				return err
			}
			if err := tx.QueryRow(`SELECT COUNT(*) FROM items WHERE region_code LIKE $1`, within(code)).Scan(&items); err != nil {
				return err
			}
			if halls > 0 || items > 0 {
				return apperr.E(apperr.Conflict, "org.region_in_use", "region", name, "halls", halls, "items", items)
			}
		}
		if _, err := tx.Exec(`UPDATE regions SET served = $1 WHERE code LIKE $2`, served, within(code)); err != nil {
			return err
		}
		return record(tx, u, "region.served", "region", code, map[string]any{"code": code, "served": served})
	})
	return apperr.Internalf("catalog: set served", err)
}
