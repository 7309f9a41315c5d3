package cases

import (
	"archive/zip"
	"bytes"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
)

func ofd(t testing.TB, root string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create(root)
	w.Write([]byte(`<?xml version="1.0"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"/>`))
	zw.Close()
	return buf.Bytes()
}

func TestSniff(t *testing.T) {
	for _, c := range []struct {
		name    string
		content []byte
		want    string
	}{
		{"pdf", []byte("%PDF-1.7\n..."), TypePDF},
		{"jpeg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), TypeJPEG},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), TypePNG},
		{"ofd", ofd(t, "OFD.xml"), TypeOFD},
		{"zip that is not OFD", ofd(t, "word/document.xml"), ""},
		{"text named .pdf", []byte("hello"), ""},
		{"html", []byte("<html><script>alert(1)</script>"), ""},
		{"empty", nil, ""},
	} {
		got, err := Sniff(c.content)
		if got != c.want || (c.want == "") != (err != nil) {
			t.Errorf("%s: %q %v", c.name, got, err)
		}
		if err != nil && !apperr.Is(err, apperr.Invalid, "") {
			t.Errorf("%s: %v is not Invalid", c.name, err)
		}
	}
}

// Sniff never panics and accepts only the four types, whatever it is fed.
func FuzzSniff(f *testing.F) {
	f.Add([]byte("%PDF-1.4"))
	f.Add([]byte("PK\x03\x04"))
	f.Add(ofd(f, "OFD.xml"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Sniff(b)
		switch {
		case err != nil && got != "":
			t.Fatalf("both a type and an error: %q %v", got, err)
		case err == nil && got != TypePDF && got != TypeJPEG && got != TypePNG && got != TypeOFD:
			t.Fatalf("accepted %q", got)
		}
	})
}
