package identity

import (
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/workbook"
)

// The staff exchange as a workbook (issue 15): the same content as the
// JSON document (tongban-staff/1) on two sheets, 人员 (one account a row)
// and 授权 (one grant a row, keyed by the account's user name). A grant's
// department is its unified social credit code, which another
// installation's organisation shares (ids do not); the department's name
// is written for the reader and never read. Headers read "label (key)" as
// in every exchange workbook (internal/workbook).

// Sheet names of the staff workbook.
const (
	SheetStaff  = "人员"
	SheetGrants = "授权"
)

// Column keys, in their order.
var (
	staffKeys = []string{"username", "name", "phone", "disabled"}
	grantKeys = []string{"username", "role", "department_credit_code", "region_code"}
)

var staffLabels = map[string]string{"username": "用户名", "name": "姓名", "phone": "办公电话", "disabled": "停用",
	"role": "角色", "department_credit_code": "部门统一社会信用代码", "department_name": "部门名称（仅供阅读）", "region_code": "区划代码"}

func staffHeader(keys []string) []any {
	h := make([]any, 0, len(keys))
	for _, k := range keys {
		h = append(h, staffLabels[k]+" ("+k+")")
	}
	return h
}

// MaxStaffXLSXGrants bounds the grant rows of one workbook.
const MaxStaffXLSXGrants = MaxStaffImport * 50

// WriteXLSX writes the exchange document as a workbook.
func (ex *StaffExchange) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	people := [][]any{staffHeader(staffKeys)}
	withName := []string{"username", "role", "department_credit_code", "department_name", "region_code"}
	grants := [][]any{staffHeader(withName)}
	for _, r := range ex.Staff {
		disabled := "否"
		if r.Disabled {
			disabled = "是"
		}
		people = append(people, []any{r.Username, r.Name, r.Phone, disabled})
		for _, g := range r.Grants {
			grants = append(grants, []any{r.Username, g.Role, g.DepartmentCreditCode, g.DepartmentName, g.RegionCode})
		}
	}
	if err := workbook.WriteSheet(f, SheetStaff, people, true); err != nil {
		return err
	}
	if err := workbook.WriteSheet(f, SheetGrants, grants, false); err != nil {
		return err
	}
	f.SetDocProps(&excelize.DocProperties{Title: "通办 工作人员 " + StaffExchangeFormat, Creator: "Tongban"})
	_, err := f.WriteTo(w)
	return err
}

// readFlag reads a yes/no cell.
func readFlag(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "是", "true", "y", "yes", "1":
		return true, nil
	case "否", "false", "n", "no", "0", "":
		return false, nil
	}
	return false, apperr.E(apperr.Invalid, "workbook.cell_bool", "value", s)
}

// ReadStaffXLSX reads a workbook written by WriteXLSX (or edited from one)
// as the exchange document. Every fault of the file itself (a sheet or
// column missing, a cell that is not yes or no, a user name twice on 人员,
// a grant of a user name not on 人员, too many rows) is listed by sheet, row and column and the whole
// workbook refused; the locator names the cell of each field for the
// import's own checks (ImportStaffFrom).
func ReadStaffXLSX(r io.Reader) (*StaffExchange, StaffLocator, error) {
	f, err := workbook.Open(r)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	faults := &workbook.Faults{Max: 100}
	ex := &StaffExchange{Format: StaffExchangeFormat, Staff: []StaffRecord{}}
	staffRow := []int{}                 // account index → row on 人员
	grantRow := map[int][]int{}         // account index → rows of its grants on 授权
	byName := map[string]int{}          // user name → account index
	cols := map[string]map[string]int{} // sheet → key → column
	staffCols, ok := workbook.ReadRows(f, SheetStaff, true, staffKeys, faults.Add, func(row int, cells map[string]string, colOf map[string]int) {
		if len(ex.Staff) >= MaxStaffImport {
			if len(ex.Staff) == MaxStaffImport {
				faults.Add(SheetStaff, row, 1, apperr.E(apperr.Invalid, "staff.import_count", "max", MaxStaffImport))
			}
			return
		}
		off, err := readFlag(cells["disabled"])
		if err != nil {
			faults.Add(SheetStaff, row, colOf["disabled"], err)
		}
		if j, dup := byName[cells["username"]]; dup {
			// Its grants could not be told apart from the first one's.
			faults.Add(SheetStaff, row, colOf["username"], apperr.E(apperr.Invalid, "staff.import_duplicate",
				"username", cells["username"], "other", workbook.Cell(SheetStaff, staffRow[j], colOf["username"])))
		} else if cells["username"] != "" {
			byName[cells["username"]] = len(ex.Staff)
		}
		ex.Staff = append(ex.Staff, StaffRecord{Username: cells["username"], Name: cells["name"], Phone: cells["phone"], Disabled: off, Grants: []GrantRecord{}})
		staffRow = append(staffRow, row)
	})
	if ok {
		cols[SheetStaff] = staffCols
	}
	n := 0
	grantCols, ok := workbook.ReadRows(f, SheetGrants, true, grantKeys, faults.Add, func(row int, cells map[string]string, colOf map[string]int) {
		n++
		if n > MaxStaffXLSXGrants {
			if n == MaxStaffXLSXGrants+1 {
				faults.Add(SheetGrants, row, 1, apperr.E(apperr.Invalid, "staff.grants_many", "max", MaxStaffXLSXGrants))
			}
			return
		}
		i, known := byName[cells["username"]]
		if !known {
			faults.Add(SheetGrants, row, colOf["username"], apperr.E(apperr.Invalid, "staff.import_orphan", "username", cells["username"], "sheet", SheetStaff))
			return
		}
		ex.Staff[i].Grants = append(ex.Staff[i].Grants, GrantRecord{Role: cells["role"], DepartmentCreditCode: cells["department_credit_code"], RegionCode: cells["region_code"]})
		grantRow[i] = append(grantRow[i], row)
	})
	if ok {
		cols[SheetGrants] = grantCols
	}
	if len(faults.List) > 0 {
		return nil, nil, apperr.E(apperr.Invalid, "staff.import_rejected", "count", len(faults.List), "first", faults.List[0]).WithDetails(faults.List)
	}
	loc := func(i int, field string) string {
		if i < 0 || i >= len(staffRow) {
			return SheetStaff
		}
		if rest, ok := strings.CutPrefix(field, "grants["); ok {
			j, key := 0, ""
			k := strings.IndexByte(rest, ']')
			if k > 0 {
				for _, c := range rest[:k] {
					if c < '0' || c > '9' {
						j = -1
						break
					}
					j = j*10 + int(c-'0')
				}
				key = strings.TrimPrefix(rest[k+1:], ".")
			}
			if rows := grantRow[i]; k > 0 && j >= 0 && j < len(rows) {
				switch key {
				case "department_id":
					key = "department_credit_code"
				case "": // the grant as a whole: its row, at its user name
					key = "username"
				}
				return workbook.Cell(SheetGrants, rows[j], cols[SheetGrants][key])
			}
		}
		if field == "grants" || field == "" {
			field = "username"
		}
		return workbook.Cell(SheetStaff, staffRow[i], cols[SheetStaff][field])
	}
	return ex, loc, nil
}
