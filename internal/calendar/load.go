package calendar

import (
	_ "embed"
	"encoding/json"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/codes"
)

//go:embed data/national.json
var nationalJSON []byte

// File is the data format of calendar files: national years, or regional
// years when Region holds a division code (regional days are laid over the
// national days of the same year).
type File struct {
	Comment string     `json:"comment,omitempty"`
	Years   []YearSpec `json:"years"`
}

// YearSpec lists one year's exceptions to the Monday–Friday rule. Entries
// are dates (2026-10-01) or inclusive ranges (2026-10-01/2026-10-07).
type YearSpec struct {
	Region   string   `json:"region,omitempty"`
	Year     int      `json:"year"`
	Source   string   `json:"source"`
	DaysOff  []string `json:"days_off"`
	Workdays []string `json:"workdays"`
}

// Set holds the national years and any regional overlays; For builds the
// calendar of one region.
type Set struct {
	national map[int]*year
	regional map[string]map[int]*year // by region prefix
	// WeekdayFallback counts the years without a notice Monday to Friday
	// less the statutory holidays (statutory.go) instead of refusing them (STANDARDS.md §4 allows it when it says so:
	// Calendar.Provisional). Off by default: production refuses until the
	// year's notice is loaded, unless configured.
	WeekdayFallback bool

	// built memoizes For: every case action asks for its region's calendar,
	// and a calendar never changes once built. Load clears it.
	mu    sync.Mutex
	built map[builtKey]*Calendar
}

type builtKey struct {
	region   string
	fallback bool
}

// National returns the set with the embedded national years only.
func National() *Set {
	s := &Set{national: map[int]*year{}, regional: map[string]map[int]*year{}}
	if err := s.Load(strings.NewReader(string(nationalJSON))); err != nil {
		panic("calendar: embedded national data: " + err.Error()) // a build defect, caught by every test
	}
	return s
}

// Load adds years from a calendar file. A year given again replaces the
// earlier data for that year and region; a regional year requires the
// national year to be loaded first.
func (s *Set) Load(r io.Reader) error {
	var f File
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return apperr.E(apperr.Invalid, "calendar.file_format", "error", err.Error())
	}
	defer s.forget()
	for _, ys := range f.Years {
		y, err := ys.build()
		if err != nil {
			return err
		}
		if ys.Region == "" {
			s.national[ys.Year] = y
			continue
		}
		if _, ok := s.national[ys.Year]; !ok {
			return apperr.E(apperr.Invalid, "calendar.region_without_national", "region", ys.Region, "year", ys.Year)
		}
		key := regionPrefix(ys.Region)
		if s.regional[key] == nil {
			s.regional[key] = map[int]*year{}
		}
		s.regional[key][ys.Year] = y
	}
	return nil
}

// For returns the calendar of a region: national days, with the days of
// every enclosing region (province, city, county …) laid over them.
func (s *Set) For(region string) *Calendar {
	key := builtKey{region, s.WeekdayFallback}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.built[key]; ok {
		return c
	}
	c := s.build(region)
	if s.built == nil {
		s.built = map[builtKey]*Calendar{}
	}
	s.built[key] = c
	return c
}

// forget drops the calendars built before a Load changed the years.
func (s *Set) forget() {
	s.mu.Lock()
	s.built = nil
	s.mu.Unlock()
}

func (s *Set) build(region string) *Calendar {
	c := &Calendar{region: region, years: map[int]*year{}, fallback: s.WeekdayFallback}
	for y, yd := range s.national {
		cp := *yd
		c.years[y] = &cp
	}
	target := regionPrefix(region)
	// Apply from the widest enclosing region to the narrowest.
	for _, key := range enclosing(s.regional, target) {
		for y, over := range s.regional[key] {
			base, ok := c.years[y]
			if !ok {
				continue
			}
			for i, k := range over.days {
				if k != weekdayRule {
					base.days[i] = k
				}
			}
			base.source += "; " + over.source
		}
	}
	return c
}

// enclosing lists the region prefixes that enclose target, widest first
// (a shorter prefix is a wider region).
func enclosing(m map[string]map[int]*year, target string) []string {
	var keys []string
	for k := range maps.Keys(m) {
		if target != "" && strings.HasPrefix(target, k) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b string) int { return len(a) - len(b) })
	return keys
}

// regionPrefix is the prefix shared by every division inside code, so that
// a province (500000 → 50) encloses its counties (500102).
func regionPrefix(code string) string { return codes.DivisionPrefix(code) }

func (ys YearSpec) build() (*year, error) {
	if ys.Year < 1949 || ys.Year > 2200 {
		return nil, apperr.E(apperr.Invalid, "calendar.year_range", "year", ys.Year)
	}
	y := &year{source: ys.Source}
	mark := func(entries []string, kind dayKind) error {
		for _, e := range entries {
			first, last, err := parseRange(e)
			if err != nil {
				return err
			}
			for d := first; !d.After(last); d = d.AddDays(1) {
				if d.Year != ys.Year {
					return apperr.E(apperr.Invalid, "calendar.date_outside_year", "date", d.String(), "year", ys.Year)
				}
				if kind == makeUpDay && d.Weekday() != 0 && d.Weekday() != 6 {
					return apperr.E(apperr.Invalid, "calendar.makeup_on_weekday", "date", d.String())
				}
				if prev := y.days[d.yearDay()]; prev != weekdayRule && prev != kind {
					return apperr.E(apperr.Invalid, "calendar.day_twice", "date", d.String())
				}
				y.days[d.yearDay()] = kind
			}
		}
		return nil
	}
	if err := mark(ys.DaysOff, dayOff); err != nil {
		return nil, err
	}
	if err := mark(ys.Workdays, makeUpDay); err != nil {
		return nil, err
	}
	return y, nil
}

func parseRange(e string) (Date, Date, error) {
	a, b, isRange := strings.Cut(e, "/")
	first, err := ParseDate(a)
	if err != nil {
		return Date{}, Date{}, err
	}
	if !isRange {
		return first, first, nil
	}
	last, err := ParseDate(b)
	if err != nil {
		return Date{}, Date{}, err
	}
	if last.Before(first) || last.Year != first.Year {
		return Date{}, Date{}, apperr.E(apperr.Invalid, "calendar.range_order", "range", e)
	}
	return first, last, nil
}

// Regional lists the region prefixes that have days of their own, sorted.
// A job that must hold for every region (the supervision scanner's horizon)
// checks the national calendar and each of these.
func (s *Set) Regional() []string {
	return slices.Sorted(maps.Keys(s.regional))
}

// YearSource is one loaded year of a scope ("" national, else a region
// prefix) and the notice it comes from.
type YearSource struct {
	Scope  string
	Year   int
	Source string
}

// Sources lists every loaded year with its source, national first: what a
// deployment records to notice when a year's data arrives or changes.
func (s *Set) Sources() []YearSource {
	var out []YearSource
	for y, yd := range s.national {
		out = append(out, YearSource{Year: y, Source: yd.source})
	}
	for scope, years := range s.regional {
		for y, yd := range years {
			out = append(out, YearSource{Scope: scope, Year: y, Source: yd.source})
		}
	}
	slices.SortFunc(out, func(a, b YearSource) int {
		if a.Scope != b.Scope {
			return strings.Compare(a.Scope, b.Scope)
		}
		return a.Year - b.Year
	})
	return out
}
