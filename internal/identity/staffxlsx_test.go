package identity

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/workbook"
)

func staffWorkbook(t testing.TB, people, grants [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := workbook.WriteSheet(f, SheetStaff, people, true); err != nil {
		t.Skip(err)
	}
	if err := workbook.WriteSheet(f, SheetGrants, grants, false); err != nil {
		t.Skip(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The workbook written is read back as the same document, and the locator
// names each field's cell.
func TestStaffXLSXReadsBack(t *testing.T) {
	ex := &StaffExchange{Format: StaffExchangeFormat, Staff: []StaffRecord{
		{Username: "wang", Name: "王五", Phone: "023-1234567", Disabled: true, Grants: []GrantRecord{
			{Role: "handler", DepartmentCreditCode: "11500102MB0001XA", DepartmentName: "某局"}, {Role: "clerk", RegionCode: "500102103000"}}},
		{Username: "li", Name: "李四", Grants: []GrantRecord{{Role: "admin", RegionCode: "500102"}}}}}
	var buf bytes.Buffer
	if err := ex.WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	got, loc, err := ReadStaffXLSX(&buf)
	if err != nil {
		t.Fatal(err)
	}
	ex.Staff[0].Grants[0].DepartmentName = "" // for reading only
	if fmt.Sprint(got.Staff) != fmt.Sprint(ex.Staff) {
		t.Errorf("read back:\n%v\nwant\n%v", got.Staff, ex.Staff)
	}
	for _, c := range []struct {
		i           int
		field, want string
	}{{0, "username", "人员!A2"}, {0, "phone", "人员!C2"}, {1, "name", "人员!B3"}, {0, "grants[1].region_code", "授权!E3"},
		{0, "grants[0].department_id", "授权!C2"}, {0, "grants[0]", "授权!A2"}, {1, "grants[0].role", "授权!B4"}, {1, "grants", "人员!A3"}, {0, "grants[9].role", "人员!2"}} {
		if w := loc(c.i, c.field); w != c.want {
			t.Errorf("loc(%d, %s) = %s, want %s", c.i, c.field, w, c.want)
		}
	}
}

// FuzzReadStaffXLSX: whatever the cells of an outside workbook hold, the
// reader answers a document or an Invalid with every fault located, and
// the locator names a cell of the workbook for any field.
func FuzzReadStaffXLSX(f *testing.F) {
	f.Add("wang", "王五", "", "否", "wang", "handler", "11500102MB0001XA", "")
	f.Add("wang", "", "x", "也许", "li", "", "", "500102")
	f.Add("", "", "", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, user, name, phone, disabled, guser, role, credit, region string) {
		b := staffWorkbook(t,
			[][]any{{"用户名 (username)", "姓名 (name)", "办公电话 (phone)", "停用 (disabled)"}, {user, name, phone, disabled}, {user + "2", name, phone, disabled}},
			[][]any{{"用户名 (username)", "角色 (role)", "部门 (department_credit_code)", "区划 (region_code)"}, {guser, role, credit, region}})
		ex, loc, err := ReadStaffXLSX(bytes.NewReader(b))
		if err != nil {
			ae := apperr.As(err)
			if ae.Code != apperr.Invalid || len(ae.Details) == 0 {
				t.Fatalf("refusal without faults: %v", err)
			}
			for _, d := range ae.Details {
				if d.Args["sheet"] != SheetStaff && d.Args["sheet"] != SheetGrants {
					t.Fatalf("fault without its sheet: %v", d)
				}
			}
			return
		}
		for i := range ex.Staff {
			for _, field := range []string{"username", "name", "grants", "grants[0].role", "grants[x", "grants[99999999999999999999].role"} {
				if w := loc(i, field); !strings.HasPrefix(w, SheetStaff+"!") && !strings.HasPrefix(w, SheetGrants+"!") {
					t.Fatalf("loc(%d, %q) = %q", i, field, w)
				}
			}
		}
	})
}
