package catalog

import (
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/apperr"
)

// FormatHours writes opening hours as the form reads them: ranges
// separated by ";", each days then times — "1-5 09:00-12:00; 6 09:00-12:00".
func FormatHours(hs []Opening) string {
	var parts []string
	for _, o := range hs {
		var days []string
		for i := 0; i < len(o.Days); {
			j := i
			for j+1 < len(o.Days) && o.Days[j+1] == o.Days[j]+1 {
				j++
			}
			if j > i {
				days = append(days, strconv.Itoa(o.Days[i])+"-"+strconv.Itoa(o.Days[j]))
			} else {
				days = append(days, strconv.Itoa(o.Days[i]))
			}
			i = j + 1
		}
		parts = append(parts, strings.Join(days, ",")+" "+o.From+"-"+o.To)
	}
	return strings.Join(parts, "; ")
}

// ParseHours reads FormatHours's text; the catalog validates the values.
func ParseHours(text string) ([]Opening, error) {
	out := []Opening{}
	for i, part := range strings.FieldsFunc(text, func(c rune) bool { return c == ';' || c == '；' || c == '\n' }) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		bad := apperr.E(apperr.Invalid, "catalog.at", "field", "hours", "reason", apperr.E(apperr.Invalid, "org.hours_text", "n", i+1, "value", part))
		days, times, ok := strings.Cut(part, " ")
		from, to, ok2 := strings.Cut(strings.TrimSpace(times), "-")
		if !ok || !ok2 || len(out) >= MaxOpenings {
			return nil, bad
		}
		o := Opening{From: strings.TrimSpace(from), To: strings.TrimSpace(to)}
		for _, d := range strings.Split(days, ",") {
			a, b, isRange := strings.Cut(d, "-")
			x, err1 := strconv.Atoi(a)
			y, err2 := x, error(nil)
			if isRange {
				y, err2 = strconv.Atoi(b)
			}
			if err1 != nil || err2 != nil || x < 1 || y > 7 || x > y {
				return nil, bad
			}
			for n := x; n <= y; n++ {
				o.Days = append(o.Days, n)
			}
		}
		out = append(out, o)
	}
	return out, nil
}
