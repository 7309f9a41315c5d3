package web

import "testing"

func TestBytesText(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 145: "145 B", 1023: "1023 B", 1024: "1.0 KB", 12595: "12.3 KB", 4 << 20: "4.0 MB"} {
		if got := bytesText(n); got != want {
			t.Errorf("bytesText(%d) = %q, want %q", n, got, want)
		}
	}
}
