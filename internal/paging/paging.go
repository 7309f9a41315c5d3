// Package paging reads and writes the continuation tokens of keyset
// pagination (分页游标, issue 20): a list page is found by the sort key of
// the last row shown, on an index that fits the list's filter and order,
// never by an OFFSET that makes the database count every row before it.
//
// A token is opaque to clients: base64url of a small JSON record naming the
// list it was issued for, a fingerprint of the filter it was issued under,
// the last row's key values and when it was issued, followed by a checksum.
// It is not a capability: every page is still read within the caller's
// scope, so a forged token can only skip rows the caller may see anyway.
// The checksum detects damage; the list name and fingerprint catch a token
// sent to another list or with other filters; the issue time expires it.
package paging

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
)

// TTL is how long a token is honoured: long enough to read a list at
// leisure, short enough that a stale bookmark restarts from the first page
// with a clear message rather than from a position that no longer means much.
const TTL = 24 * time.Hour

// CountCap is how far lists count their rows: beyond it a list says
// "1,000+" (Label) instead of counting every row of an unbounded set.
const CountCap = 1000

// MaxSize is the largest page any list serves; larger requests are refused.
const MaxSize = 100

// token is what an encoded token carries.
type token struct {
	List   string   `json:"l"`
	Filter string   `json:"f"`
	After  []string `json:"a"`
	Issued int64    `json:"t"`
}

// Fingerprint condenses the parts of a list's filter into a short value a
// token carries, so that a token issued under one filter is refused under
// another.
func Fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p))))
		h.Write([]byte{':'})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:6]
}

// Encode returns the token of the page after the row whose sort key is
// after, in list under filter (a Fingerprint), issued at now.
func Encode(list, filter string, after []string, now time.Time) string {
	b, _ := json.Marshal(token{List: list, Filter: filter, After: after, Issued: now.Unix()})
	return base64.RawURLEncoding.EncodeToString(append(b, sum(b)...))
}

// Decode returns the sort key a token carries, refusing a token that is
// malformed, was issued for another list or filter, or has expired. An
// empty token is the first page: nil, nil.
func Decode(tok, list, filter string, now time.Time) ([]string, error) {
	if tok == "" {
		return nil, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(tok))
	if err != nil || len(raw) < 7 {
		return nil, apperr.E(apperr.Invalid, "paging.token_malformed")
	}
	body, check := raw[:len(raw)-6], raw[len(raw)-6:]
	if !bytes.Equal(sum(body), check) {
		return nil, apperr.E(apperr.Invalid, "paging.token_malformed")
	}
	var t token
	if err := json.Unmarshal(body, &t); err != nil || t.Issued == 0 {
		return nil, apperr.E(apperr.Invalid, "paging.token_malformed")
	}
	if t.List != list || t.Filter != filter {
		return nil, apperr.E(apperr.Invalid, "paging.token_other_list")
	}
	issued := time.Unix(t.Issued, 0)
	if now.Sub(issued) > TTL || issued.Sub(now) > time.Minute {
		return nil, apperr.E(apperr.Invalid, "paging.token_expired")
	}
	return t.After, nil
}

// Size reads a requested page size: def when empty, an error when it is not
// a positive number or exceeds max (refused, not silently clipped).
func Size(v string, def, max int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 {
		return 0, apperr.E(apperr.Invalid, "paging.size_invalid")
	}
	if n > max {
		return 0, apperr.E(apperr.Invalid, "paging.size_too_large", "max", max)
	}
	return n, nil
}

// Label is how a capped count reads: the number, or "1000+" at the cap.
func Label(n, limit int) string {
	if n >= limit {
		return strconv.Itoa(limit) + "+"
	}
	return strconv.Itoa(n)
}
