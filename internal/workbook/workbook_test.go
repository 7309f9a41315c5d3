package workbook

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/tongban/tongban/internal/apperr"
)

// book writes one sheet of rows to an xlsx in memory.
func book(t testing.TB, sheet string, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := WriteSheet(f, sheet, rows, true); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type fault struct {
	sheet    string
	row, col int
	key      string
}

func read(t testing.TB, b []byte, sheet string, required bool, keys []string) ([]fault, []map[string]string, []int) {
	t.Helper()
	f, err := Open(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var fs []fault
	var got []map[string]string
	var rows []int
	ReadRows(f, sheet, required, keys, func(s string, r, c int, reason error) {
		fs = append(fs, fault{s, r, c, apperr.As(reason).Key})
	}, func(r int, cells map[string]string, _ map[string]int) {
		got, rows = append(got, cells), append(rows, r)
	})
	return fs, got, rows
}

// The header names columns by key in any order; a heading without a key
// and a key missing are faults at the header row; empty rows are skipped;
// cells are trimmed; a required sheet that is absent is a fault.
func TestReadRows(t *testing.T) {
	b := book(t, "人员", [][]any{
		{"姓名 (name)", "备注", "用户名 (username)"},
		{" 王五 ", "", "wang"},
		{"", "", ""},
		{"李四", "x", ""},
	})
	fs, got, rows := read(t, b, "人员", true, []string{"username", "name", "phone"})
	want := []fault{{"人员", 1, 2, "workbook.header_unknown"}, {"人员", 1, 4, "workbook.header_missing"}}
	if len(fs) != len(want) || fs[0] != want[0] || fs[1] != want[1] {
		t.Errorf("faults: %v, want %v", fs, want)
	}
	if len(got) != 2 || got[0]["name"] != "王五" || got[0]["username"] != "wang" || rows[0] != 2 || rows[1] != 4 || got[1]["username"] != "" {
		t.Errorf("rows: %v at %v", got, rows)
	}
	if fs, _, _ := read(t, b, "授权", true, nil); len(fs) != 1 || fs[0].key != "workbook.sheet_missing" {
		t.Errorf("missing sheet: %v", fs)
	}
	if fs, _, _ := read(t, b, "授权", false, nil); len(fs) != 0 {
		t.Errorf("missing optional sheet: %v", fs)
	}
	if _, err := Open(strings.NewReader("not a workbook")); !apperr.Is(err, apperr.Invalid, "workbook.unreadable") {
		t.Errorf("not a workbook: %v", err)
	}
}

func TestFaultsBound(t *testing.T) {
	fs := &Faults{Max: 2}
	for i := 0; i < 5; i++ {
		fs.Add("s", i+1, 3, apperr.E(apperr.Invalid, "x"))
	}
	if len(fs.List) != 2 || fs.List[1].Args["column"] != "C" || fs.List[1].Args["row"] != 2 {
		t.Errorf("faults: %v", fs.List)
	}
	if Cell("人员", 7, 0) != "人员!7" || Cell("人员", 7, 28) != "人员!AB7" {
		t.Error("cell names")
	}
}

// FuzzReadRows: any header and cells an outside workbook may hold are read
// without a panic; every fault names a row and a column of the sheet, and
// every row passed has only the header's keys.
func FuzzReadRows(f *testing.F) {
	f.Add("用户名 (username)\t姓名 (name)", "wang\t王五")
	f.Add("(x)\t\t(y) ", "\t\t\t")
	f.Add("a (A)\tb (b.c)", "1\n2\t3")
	f.Fuzz(func(t *testing.T, header, line string) {
		if len(header) > 2000 || len(line) > 2000 {
			return
		}
		var h, r []any
		for _, s := range strings.Split(header, "\t") {
			h = append(h, s)
		}
		for _, s := range strings.Split(line, "\t") {
			r = append(r, s)
		}
		f := excelize.NewFile()
		defer f.Close()
		if err := WriteSheet(f, "s", [][]any{h, r}, true); err != nil {
			return // a value excelize will not write (over 32767 characters, bad XML characters)
		}
		var buf bytes.Buffer
		if _, err := f.WriteTo(&buf); err != nil {
			return
		}
		fs, got, rows := read(t, buf.Bytes(), "s", true, []string{"username"})
		for _, x := range fs {
			if x.row < 1 || x.col < 1 || x.sheet != "s" {
				t.Fatalf("fault outside the sheet: %+v", x)
			}
		}
		for i, cells := range got {
			if rows[i] != 2 {
				t.Fatalf("row %d", rows[i])
			}
			for k := range cells {
				if !strings.Contains(header, "("+k+")") {
					t.Fatalf("key %q not in the header", k)
				}
			}
		}
	})
}

// FuzzOpen: bytes from outside never panic the reader.
func FuzzOpen(f *testing.F) {
	f.Add([]byte("PK\x03\x04"))
	f.Add(book(f, "s", [][]any{{"a (a)"}, {"1"}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := Open(bytes.NewReader(b))
		if err != nil {
			return
		}
		defer x.Close()
		ReadRows(x, "s", true, []string{"a"}, func(string, int, int, error) {}, func(int, map[string]string, map[string]int) {})
	})
}
