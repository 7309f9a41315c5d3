package calendar

import (
	"slices"
	"sync"
	"time"

	lunar "github.com/6tail/lunar-go/calendar"
)

// Statutory holidays (法定节假日) of 《全国年节及纪念日放假办法》, known years
// ahead of any notice: the fallback for a year whose State Council notice
// is not loaded yet counts them as days off, so that a deadline in 2027
// does not count 元旦 as a working day. Only the year's arrangement — which
// weekends are worked (调休) and which days bridge a holiday — comes with
// the notice, so a count reaching such a year stays provisional.
//
// The 2024 revision (国务院令第 795 号, from 2025): 元旦 1 day (01-01); 春节 4
// days (除夕 and the first three days of the first lunar month); 清明 1 day
// (the solar term); 劳动节 2 days (05-01, 05-02); 端午 1 day (lunar 5-5);
// 中秋 1 day (lunar 8-15); 国庆 3 days (10-01 … 10-03). Before 2025 the 2013
// revision applies: 春节 the first three lunar days, 劳动节 05-01 only.
// Lunar dates come from lunar-go (tested against lunar-javascript).

// StatutoryHoliday is one statutory day off.
type StatutoryHoliday struct {
	Date Date
	Name string // 元旦, 春节, 清明节, 劳动节, 端午节, 中秋节, 国庆节
}

// Statutory lists year's statutory days off in date order.
func Statutory(year int) []StatutoryHoliday {
	d := func(m time.Month, day int) Date { return Date{year, m, day} }
	solar := func(s *lunar.Solar) Date { return Date{s.GetYear(), time.Month(s.GetMonth()), s.GetDay()} }
	newYear := lunar.NewLunarFromYmd(year, 1, 1)
	spring := solar(newYear.GetSolar())
	qingming := solar(newYear.GetJieQiTable()["清明"])
	var out []StatutoryHoliday
	add := func(name string, days ...Date) {
		for _, x := range days {
			out = append(out, StatutoryHoliday{x, name})
		}
	}
	add("元旦", d(time.January, 1))
	if year >= 2025 {
		add("春节", spring.AddDays(-1), spring, spring.AddDays(1), spring.AddDays(2))
	} else {
		add("春节", spring, spring.AddDays(1), spring.AddDays(2))
	}
	add("清明节", qingming)
	add("劳动节", d(time.May, 1))
	if year >= 2025 {
		add("劳动节", d(time.May, 2))
	}
	add("端午节", solar(lunar.NewLunarFromYmd(year, 5, 5).GetSolar()))
	add("国庆节", d(time.October, 1), d(time.October, 2), d(time.October, 3))
	// 中秋 may fall on 10-01 … 10-03 (2028, 2031): one day off, listed as 国庆.
	add("中秋节", solar(lunar.NewLunarFromYmd(year, 8, 15).GetSolar()))
	seen := map[Date]bool{}
	uniq := out[:0]
	for _, h := range out {
		if !seen[h.Date] {
			seen[h.Date] = true
			uniq = append(uniq, h)
		}
	}
	slices.SortStableFunc(uniq, func(a, b StatutoryHoliday) int { return a.Date.t().Compare(b.Date.t()) })
	return uniq
}

// statutoryYears caches the fallback year of each year asked for.
var statutoryYears sync.Map // int → *year

// statutoryYear is the fallback for a year without a notice: Monday to
// Friday but the statutory days off.
func statutoryYear(y int) *year {
	if v, ok := statutoryYears.Load(y); ok {
		return v.(*year)
	}
	out := &year{source: "statutory holidays only (全国年节及纪念日放假办法): no State Council notice loaded"}
	for _, h := range Statutory(y) {
		if h.Date.Year == y {
			out.days[h.Date.yearDay()] = dayOff
		}
	}
	v, _ := statutoryYears.LoadOrStore(y, out)
	return v.(*year)
}
