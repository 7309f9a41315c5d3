package paging

import (
	"errors"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/apperr"
)

func key(err error) string {
	var e *apperr.Error
	if errors.As(err, &e) {
		return e.Key
	}
	return ""
}

func TestTokenRoundTrip(t *testing.T) {
	now := time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)
	f := Fingerprint("inbox", "dept-1")
	tok := Encode("cases", f, []string{"2026-12-08T09:00:00Z", "c-42"}, now)
	got, err := Decode(tok, "cases", f, now.Add(time.Hour))
	if err != nil || len(got) != 2 || got[0] != "2026-12-08T09:00:00Z" || got[1] != "c-42" {
		t.Fatalf("Decode = %v, %v", got, err)
	}
	if got, err := Decode("", "cases", f, now); got != nil || err != nil {
		t.Fatalf("empty token = %v, %v; want the first page", got, err)
	}
}

func TestTokenRefusals(t *testing.T) {
	now := time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)
	f := Fingerprint("inbox")
	tok := Encode("cases", f, []string{"x"}, now)
	flipped := []byte(tok)
	flipped[5] ^= 1
	for _, c := range []struct {
		name, tok, list, filter string
		at                      time.Time
		want                    string
	}{
		{"garbage", "%%%", "cases", f, now, "paging.token_malformed"},
		{"short", "YWJj", "cases", f, now, "paging.token_malformed"},
		{"damaged", string(flipped), "cases", f, now, "paging.token_malformed"},
		{"other list", tok, "licences", f, now, "paging.token_other_list"},
		{"other filter", tok, "cases", Fingerprint("todo"), now, "paging.token_other_list"},
		{"expired", tok, "cases", f, now.Add(TTL + time.Second), "paging.token_expired"},
		{"from the future", tok, "cases", f, now.Add(-time.Hour), "paging.token_expired"},
	} {
		if _, err := Decode(c.tok, c.list, c.filter, c.at); key(err) != c.want {
			t.Errorf("%s: err %v, want %s", c.name, err, c.want)
		}
	}
}

func TestSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
		key  string
	}{
		{"", 20, ""}, {"1", 1, ""}, {"100", 100, ""},
		{"101", 0, "paging.size_too_large"}, {"0", 0, "paging.size_invalid"},
		{"-3", 0, "paging.size_invalid"}, {"ten", 0, "paging.size_invalid"},
	} {
		n, err := Size(c.in, 20, MaxSize)
		if n != c.want || key(err) != c.key {
			t.Errorf("Size(%q) = %d, %v; want %d, %s", c.in, n, err, c.want, c.key)
		}
	}
	if Label(999, CountCap) != "999" || Label(1000, CountCap) != "1000+" {
		t.Error("Label")
	}
}

func FuzzDecode(f *testing.F) {
	now := time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)
	f.Add(Encode("cases", "f", []string{"a", "b"}, now))
	f.Add("")
	f.Add("!!")
	f.Fuzz(func(t *testing.T, tok string) {
		after, err := Decode(tok, "cases", "f", now)
		if err != nil && key(err) == "" {
			t.Fatalf("untranslated error %v", err)
		}
		if err == nil && tok != "" {
			// A token that decodes re-encodes to a token that decodes the same.
			again, err := Decode(Encode("cases", "f", after, now), "cases", "f", now)
			if err != nil || len(again) != len(after) {
				t.Fatalf("re-encode: %v %v", again, err)
			}
		}
	})
}
