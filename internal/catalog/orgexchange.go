package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/workbook"
)

// OrgFormat names the organisation's exchange document (JSON and xlsx hold
// the same content, as the catalog's exchange does).
const OrgFormat = "tongban-organisation/1"

// OrgExchange is the organisation of the administrator's regions:
// departments (keyed by credit code), halls (by division) and windows (by
// hall division and number). Importing it creates what is new and replaces
// what exists, in one transaction: any fault imports nothing.
type OrgExchange struct {
	Format      string          `json:"format"`
	Departments []OrgDepartment `json:"departments"`
	Halls       []OrgHall       `json:"halls"`
	Windows     []OrgWindow     `json:"windows"`
}

// OrgDepartment is a department; Parent is the parent's credit code.
type OrgDepartment struct {
	CreditCode string `json:"credit_code"`
	Name       string `json:"name"`
	NameEN     string `json:"name_en"`
	RegionCode string `json:"region_code"`
	Parent     string `json:"parent"`
	Kind       string `json:"kind"`
	Phone      string `json:"phone"`
	Address    string `json:"address"`
	Active     bool   `json:"active"`
}

// OrgHall is a hall, one per division.
type OrgHall struct {
	RegionCode string    `json:"region_code"`
	Name       string    `json:"name"`
	Address    string    `json:"address"`
	Phone      string    `json:"phone"`
	Hours      []Opening `json:"hours"`
	Lat        *float64  `json:"lat"`
	Lng        *float64  `json:"lng"`
	Active     bool      `json:"active"`
}

// OrgWindow is a window: Hall is its hall's division, Departments credit codes.
type OrgWindow struct {
	Hall        string   `json:"hall"`
	Number      string   `json:"number"`
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	Items       []string `json:"items"`
	Departments []string `json:"departments"`
	Active      bool     `json:"active"`
}

// OrgImportReport counts what an import created and replaced.
type OrgImportReport struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
}

// OrgLocator names where entry i of a sheet ("departments", "halls",
// "windows") and its field lie in the imported file.
type OrgLocator func(sheet string, i int, field string) string

// jsonLocator is a path in the JSON document: departments[2].credit_code.
func jsonLocator(sheet string, i int, field string) string {
	if field == "" {
		return fmt.Sprintf("%s[%d]", sheet, i)
	}
	return fmt.Sprintf("%s[%d].%s", sheet, i, field)
}

// ExportOrganisation is the organisation the administrator covers.
func (c *Catalog) ExportOrganisation(ctx context.Context, u *identity.User) (*OrgExchange, error) {
	ds, err := c.AdminDepartments(ctx, u)
	if err != nil {
		return nil, err
	}
	hs, err := c.AdminHalls(ctx, u)
	if err != nil {
		return nil, err
	}
	ex := &OrgExchange{Format: OrgFormat, Departments: []OrgDepartment{}, Halls: []OrgHall{}, Windows: []OrgWindow{}}
	err = c.db.View(ctx, func(tx *db.Tx) error {
		credit := func(id string) (string, error) {
			var cc string
			err := tx.QueryRow(`SELECT credit_code FROM departments WHERE id = $1`, id).Scan(&cc)
			return cc, err
		}
		for _, d := range ds {
			od := OrgDepartment{CreditCode: d.CreditCode, Name: d.Name, NameEN: d.NameEN, RegionCode: d.RegionCode,
				Kind: d.Kind, Phone: d.Phone, Address: d.Address, Active: d.Active}
			if d.ParentID != "" {
				if od.Parent, err = credit(d.ParentID); err != nil {
					return err
				}
			}
			ex.Departments = append(ex.Departments, od)
		}
		for _, h := range hs {
			ex.Halls = append(ex.Halls, OrgHall{RegionCode: h.RegionCode, Name: h.Name, Address: h.Address, Phone: h.Phone,
				Hours: h.Hours, Lat: h.Lat, Lng: h.Lng, Active: h.Active})
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
				ow := OrgWindow{Hall: h.RegionCode, Number: w.Number, Name: w.Name, Kind: w.Kind, Items: w.Items, Departments: []string{}, Active: w.Active}
				for _, d := range w.Departments {
					cc, err := credit(d)
					if err != nil {
						return err
					}
					ow.Departments = append(ow.Departments, cc)
				}
				ex.Windows = append(ex.Windows, ow)
			}
		}
		return nil
	})
	return ex, apperr.Internalf("catalog: export organisation", err)
}

// ImportOrganisation creates or replaces every department, hall and window
// of ex, as the administrator, in one transaction: every fault is listed by
// where it lies (loc; nil: JSON paths) and any fault imports nothing.
// Departments come first (then their parents, so a parent may follow its
// child), then halls, then windows.
func (c *Catalog) ImportOrganisation(ctx context.Context, u *identity.User, ex *OrgExchange, loc OrgLocator) (OrgImportReport, error) {
	if loc == nil {
		loc = jsonLocator
	}
	var rep OrgImportReport
	err := c.db.Update(ctx, func(tx *db.Tx) error {
		rep = OrgImportReport{}
		var faults []*apperr.Error
		// fault records a row's fault; an unexpected failure ends the import.
		fault := func(sheet string, i int, err error) error {
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code == apperr.Internal {
				return err
			}
			field, _ := ae.Args["field"].(string)
			if len(faults) < MaxImportFaults {
				faults = append(faults, apperr.E(apperr.Invalid, "catalog.import_fault", "where", loc(sheet, i, field), "reason", ae))
			}
			return nil
		}
		str := func(s string) *string { return &s }
		deptID := func(credit string) (string, bool, error) {
			var id string
			err := tx.QueryRow(`SELECT id FROM departments WHERE credit_code = $1`, credit).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				return "", false, nil
			}
			return id, err == nil, err
		}
		okDept := make([]bool, len(ex.Departments))
		for i, od := range ex.Departments {
			in := DepartmentInput{Name: str(od.Name), NameEN: str(od.NameEN), CreditCode: str(od.CreditCode), RegionCode: str(od.RegionCode),
				Kind: str(od.Kind), Phone: str(od.Phone), Address: str(od.Address), Active: &ex.Departments[i].Active}
			id, found, err := deptID(od.CreditCode)
			if err != nil {
				return err
			}
			if found {
				_, err = updateDepartment(tx, u, id, in)
			} else {
				_, err = createDepartment(tx, u, in)
			}
			if err != nil {
				if err := fault("departments", i, err); err != nil {
					return err
				}
				continue
			}
			okDept[i] = true
			if found {
				rep.Updated++
			} else {
				rep.Created++
			}
		}
		for i, od := range ex.Departments {
			if !okDept[i] {
				continue
			}
			id, _, err := deptID(od.CreditCode)
			if err != nil {
				return err
			}
			parent := ""
			if od.Parent != "" {
				p, found, err := deptID(od.Parent)
				if err != nil {
					return err
				}
				if !found {
					if err := fault("departments", i, invalidAt("parent", "catalog.department_unknown", "code", od.Parent)); err != nil {
						return err
					}
					continue
				}
				parent = p
			}
			d, err := departmentRow(tx, id)
			if err != nil {
				return err
			}
			if d.ParentID == parent {
				continue
			}
			if _, err := updateDepartment(tx, u, id, DepartmentInput{ParentID: &parent}); err != nil {
				if err := fault("departments", i, err); err != nil {
					return err
				}
			}
		}
		for i, oh := range ex.Halls {
			hours := oh.Hours
			in := HallInput{Name: str(oh.Name), RegionCode: str(oh.RegionCode), Address: str(oh.Address), Phone: str(oh.Phone),
				Hours: &hours, Lat: oh.Lat, Lng: oh.Lng, NoLocation: oh.Lat == nil && oh.Lng == nil, Active: &ex.Halls[i].Active}
			var id string
			err := tx.QueryRow(`SELECT id FROM halls WHERE region_code = $1`, oh.RegionCode).Scan(&id)
			switch {
			case err == nil:
				_, err = updateHall(tx, u, id, in)
				rep.Updated++
			case errors.Is(err, sql.ErrNoRows):
				_, err = createHall(tx, u, in)
				rep.Created++
			default:
				return err
			}
			if err != nil {
				if err := fault("halls", i, err); err != nil {
					return err
				}
			}
		}
		for i, ow := range ex.Windows {
			var hall string
			if err := tx.QueryRow(`SELECT id FROM halls WHERE region_code = $1`, ow.Hall).Scan(&hall); err != nil {
				if !errors.Is(err, sql.ErrNoRows) {
					return err
				}
				if err := fault("windows", i, invalidAt("hall", "org.hall_unknown", "id", ow.Hall)); err != nil {
					return err
				}
				continue
			}
			depts := []string{}
			bad := false
			for _, cc := range ow.Departments {
				id, found, err := deptID(cc)
				if err != nil {
					return err
				}
				if !found {
					if err := fault("windows", i, invalidAt("departments", "catalog.department_unknown", "code", cc)); err != nil {
						return err
					}
					bad = true
					break
				}
				depts = append(depts, id)
			}
			if bad {
				continue
			}
			items := ow.Items
			if items == nil {
				items = []string{}
			}
			in := WindowInput{Number: str(ow.Number), Name: str(ow.Name), Kind: str(ow.Kind), Items: &items, Departments: &depts, Active: &ex.Windows[i].Active}
			var id string
			err := tx.QueryRow(`SELECT id FROM windows WHERE hall_id = $1 AND number = $2`, hall, ow.Number).Scan(&id)
			switch {
			case err == nil:
				_, err = updateWindow(tx, u, id, in)
				rep.Updated++
			case errors.Is(err, sql.ErrNoRows):
				_, err = createWindow(tx, u, hall, in)
				rep.Created++
			default:
				return err
			}
			if err != nil {
				if err := fault("windows", i, err); err != nil {
					return err
				}
			}
		}
		if len(faults) > 0 {
			return importErr(faults)
		}
		return nil
	})
	return rep, apperr.Internalf("catalog: import organisation", err)
}

// ReadOrgJSON reads the JSON exchange document.
func ReadOrgJSON(r io.Reader) (*OrgExchange, error) {
	var ex OrgExchange
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ex); err != nil {
		return nil, apperr.E(apperr.Invalid, "catalog.import_json", "error", jsonReason(err))
	}
	if ex.Format != OrgFormat {
		return nil, apperr.E(apperr.Invalid, "catalog.import_format_name", "want", OrgFormat, "got", ex.Format)
	}
	return &ex, nil
}

const (
	sheetDepartments = "部门"
	sheetHalls       = "大厅"
	sheetWindows     = "窗口"
)

var orgSheets = map[string]string{"departments": sheetDepartments, "halls": sheetHalls, "windows": sheetWindows}

var departmentCols = []col[OrgDepartment]{
	str("统一社会信用代码", "credit_code", func(d *OrgDepartment) *string { return &d.CreditCode }),
	str("名称", "name", func(d *OrgDepartment) *string { return &d.Name }),
	str("英文名称", "name_en", func(d *OrgDepartment) *string { return &d.NameEN }),
	str("区划代码", "region_code", func(d *OrgDepartment) *string { return &d.RegionCode }),
	str("上级部门信用代码", "parent", func(d *OrgDepartment) *string { return &d.Parent }),
	str("类型", "kind", func(d *OrgDepartment) *string { return &d.Kind }),
	str("电话", "phone", func(d *OrgDepartment) *string { return &d.Phone }),
	str("地址", "address", func(d *OrgDepartment) *string { return &d.Address }),
	flag("在用", "active", func(d *OrgDepartment) *bool { return &d.Active }),
}

var hallCols = []col[OrgHall]{
	str("区划代码", "region_code", func(h *OrgHall) *string { return &h.RegionCode }),
	str("名称", "name", func(h *OrgHall) *string { return &h.Name }),
	str("地址", "address", func(h *OrgHall) *string { return &h.Address }),
	str("电话", "phone", func(h *OrgHall) *string { return &h.Phone }),
	{"办公时间", "hours", func(h *OrgHall) string { return FormatHours(h.Hours) },
		func(h *OrgHall, s string) error {
			hs, err := ParseHours(s)
			if err != nil {
				return err
			}
			h.Hours = hs
			return nil
		}},
	floatPtr("纬度", "lat", func(h *OrgHall) **float64 { return &h.Lat }),
	floatPtr("经度", "lng", func(h *OrgHall) **float64 { return &h.Lng }),
	flag("在用", "active", func(h *OrgHall) *bool { return &h.Active }),
}

var windowCols = []col[OrgWindow]{
	str("大厅区划代码", "hall", func(w *OrgWindow) *string { return &w.Hall }),
	str("窗口号", "number", func(w *OrgWindow) *string { return &w.Number }),
	str("名称", "name", func(w *OrgWindow) *string { return &w.Name }),
	str("类型", "kind", func(w *OrgWindow) *string { return &w.Kind }),
	lines("办理事项", "items", func(w *OrgWindow) *[]string { return &w.Items }),
	lines("办理部门信用代码", "departments", func(w *OrgWindow) *[]string { return &w.Departments }),
	flag("在用", "active", func(w *OrgWindow) *bool { return &w.Active }),
}

// WriteXLSX writes the organisation as a workbook of three sheets.
func (ex *OrgExchange) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	deps := [][]any{header(departmentCols, false)}
	for i := range ex.Departments {
		deps = append(deps, row(departmentCols, &ex.Departments[i], ""))
	}
	if err := workbook.WriteSheet(f, sheetDepartments, deps, true); err != nil {
		return err
	}
	halls := [][]any{header(hallCols, false)}
	for i := range ex.Halls {
		halls = append(halls, row(hallCols, &ex.Halls[i], ""))
	}
	if err := workbook.WriteSheet(f, sheetHalls, halls, false); err != nil {
		return err
	}
	wins := [][]any{header(windowCols, false)}
	for i := range ex.Windows {
		wins = append(wins, row(windowCols, &ex.Windows[i], ""))
	}
	if err := workbook.WriteSheet(f, sheetWindows, wins, false); err != nil {
		return err
	}
	f.SetDocProps(&excelize.DocProperties{Title: "通办 机构 " + OrgFormat, Creator: "Tongban"})
	_, err := f.WriteTo(w)
	return err
}

// ReadOrgXLSX reads a workbook written by WriteXLSX (or edited from one):
// every cell fault named by sheet, row and column, any fault rejecting the
// whole workbook. The locator maps an entry's field to its cell.
func ReadOrgXLSX(r io.Reader) (*OrgExchange, OrgLocator, error) {
	f, err := workbook.Open(r)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	faults := &workbook.Faults{Max: MaxImportFaults}
	fault := faults.Add
	rowOf := map[string][]int{}
	colsOf := map[string]map[string]int{}
	read := func(sheet string, keys []string, each func(row int, cells map[string]string, colOf map[string]int)) {
		colOf, ok := workbook.ReadRows(f, sheet, true, keys, fault, func(row int, cells map[string]string, colOf map[string]int) {
			rowOf[sheet] = append(rowOf[sheet], row)
			each(row, cells, colOf)
		})
		if ok {
			colsOf[sheet] = colOf
		}
	}
	keys := workbook.Keys
	ex := &OrgExchange{Format: OrgFormat, Departments: []OrgDepartment{}, Halls: []OrgHall{}, Windows: []OrgWindow{}}
	read(sheetDepartments, keys(len(departmentCols), func(i int) string { return departmentCols[i].key }), func(row int, cells map[string]string, colOf map[string]int) {
		appendRow(&ex.Departments, departmentCols, sheetDepartments, row, cells, colOf, fault)
	})
	read(sheetHalls, keys(len(hallCols), func(i int) string { return hallCols[i].key }), func(row int, cells map[string]string, colOf map[string]int) {
		appendRow(&ex.Halls, hallCols, sheetHalls, row, cells, colOf, fault)
	})
	read(sheetWindows, keys(len(windowCols), func(i int) string { return windowCols[i].key }), func(row int, cells map[string]string, colOf map[string]int) {
		appendRow(&ex.Windows, windowCols, sheetWindows, row, cells, colOf, fault)
	})
	if len(faults.List) > 0 {
		return nil, nil, importErr(faults.List)
	}
	loc := func(part string, i int, field string) string {
		sheet := orgSheets[part]
		row := 0
		if i < len(rowOf[sheet]) {
			row = rowOf[sheet][i]
		}
		if j := strings.IndexByte(field, '['); j >= 0 {
			field = field[:j]
		}
		return workbook.Cell(sheet, row, colsOf[sheet][field])
	}
	return ex, loc, nil
}

// Write writes the organisation as "json" (the default) or "xlsx" and
// returns its content type and file name.
func (ex *OrgExchange) Write(w io.Writer, format string) (contentType, filename string, err error) {
	switch format {
	case "", "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return "application/json; charset=utf-8", "organisation.json", enc.Encode(ex)
	case "xlsx":
		if err := ex.WriteXLSX(w); err != nil {
			return "", "", apperr.Internalf("catalog: organisation xlsx", err)
		}
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "organisation.xlsx", nil
	}
	return "", "", apperr.E(apperr.Invalid, "catalog.exchange_format", "value", format)
}

// ReadOrg reads the organisation in the given format ("json", "xlsx").
func ReadOrg(r io.Reader, format string) (*OrgExchange, OrgLocator, error) {
	switch format {
	case "", "json":
		ex, err := ReadOrgJSON(r)
		return ex, nil, err
	case "xlsx":
		return ReadOrgXLSX(r)
	}
	return nil, nil, apperr.E(apperr.Invalid, "catalog.exchange_format", "value", format)
}
