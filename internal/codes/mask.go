package codes

import "strings"

// MaskName masks a natural person's name for public display: the surname's
// first character stays, every other character becomes "*" (张三 → 张*,
// 欧阳娜娜 → 欧***). A one-character name is shown as "*".
func MaskName(name string) string {
	r := []rune(strings.TrimSpace(name))
	switch len(r) {
	case 0:
		return ""
	case 1:
		return "*"
	}
	return string(r[0]) + strings.Repeat("*", len(r)-1)
}
