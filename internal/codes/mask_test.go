package codes

import "testing"

func TestMaskName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"张三", "张*"}, {"欧阳娜娜", "欧***"}, {"李", "*"}, {"", ""}, {" 王小明 ", "王**"},
	} {
		if got := MaskName(c.in); got != c.want {
			t.Errorf("MaskName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
