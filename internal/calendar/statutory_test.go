package calendar

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
	"time"
)

// The lunar and solar-term holidays agree with another implementation,
// lunar-javascript (testdata/lunar_javascript.js), for every year to 2100.
func TestStatutoryAgainstLunarJavascript(t *testing.T) {
	raw, err := os.ReadFile("testdata/lunar_javascript.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[int]struct{ Chuxi, Chunjie, Qingming, Duanwu, Zhongqiu string }
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) < 76 {
		t.Fatalf("%d years in the cross-check", len(want))
	}
	for y, w := range want {
		got := map[string][]string{}
		for _, h := range Statutory(y) {
			got[h.Name] = append(got[h.Name], h.Date.String())
		}
		spring := d(w.Chunjie)
		wantSpring := []string{w.Chuxi, w.Chunjie, spring.AddDays(1).String(), spring.AddDays(2).String()}
		check := func(name string, want ...string) {
			if len(got[name]) != len(want) {
				t.Errorf("%d %s: %v, want %v", y, name, got[name], want)
				return
			}
			for i := range want {
				if got[name][i] != want[i] {
					t.Errorf("%d %s: %v, want %v", y, name, got[name], want)
				}
			}
		}
		check("春节", wantSpring...)
		check("清明节", w.Qingming)
		check("端午节", w.Duanwu)
		if zq := d(w.Zhongqiu); zq.Month != time.October || zq.Day > 3 {
			check("中秋节", w.Zhongqiu) // else it coincides with 国庆 and is listed once
		}
		ymd := func(m time.Month, day int) string { return Date{y, m, day}.String() }
		check("元旦", ymd(time.January, 1))
		check("劳动节", ymd(time.May, 1), ymd(time.May, 2))
		check("国庆节", ymd(time.October, 1), ymd(time.October, 2), ymd(time.October, 3))
		if n := len(Statutory(y)); n != 13 && n != 12 {
			t.Errorf("%d: %d statutory days off, want 13 (12 when 中秋 falls in 国庆)", y, n)
		}
	}
}

// Every notice loaded holds the statutory holidays of its year as days off
// (a notice arranges around them; it never works one): the fallback's rule
// agrees with the State Council's actual notices.
func TestNoticesContainStatutory(t *testing.T) {
	cal := National().For("")
	for _, y := range cal.Years() {
		if y < 2025 {
			continue // the notices before the 2024 revision follow the 2013 one
		}
		for _, h := range Statutory(y) {
			if ok, err := cal.IsWorkday(h.Date); ok || err != nil {
				t.Errorf("%d: %s (%s) is a working day in the notice: %v", y, h.Date, h.Name, err)
			}
		}
	}
	// And the 2013 revision's rule for 2024's notice.
	if slices.Contains(cal.Years(), 2024) {
		for _, h := range Statutory(2024) {
			if ok, _ := cal.IsWorkday(h.Date); ok {
				t.Errorf("2024: %s (%s) is a working day", h.Date, h.Name)
			}
		}
	}
	if got := Statutory(2027)[0]; got.Date != (Date{2027, time.January, 1}) || got.Name != "元旦" {
		t.Errorf("first of 2027: %+v", got)
	}
}
