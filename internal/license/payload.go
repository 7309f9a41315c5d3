package license

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Metadata are a licence's GB/T 36903 metadata (STANDARDS.md §6).
type Metadata struct {
	Name           string    `json:"name"`             // 证照名称
	TypeName       string    `json:"type_name"`        // 证照类型名称
	TypeCode       string    `json:"type_code"`        // 证照类型代码 (GB/T 36904)
	Number         string    `json:"number"`           // 证照编号
	Identifier     string    `json:"identifier"`       // 证照标识 (GB/T 36904, MOD 37,36)
	Issuer         string    `json:"issuer"`           // 发证机构
	IssuerCode     string    `json:"issuer_code"`      // 发证机构代码 (unified social credit code)
	IssuedOn       string    `json:"issued_on"`        // 发证日期 yyyy-mm-dd
	Jurisdiction   string    `json:"jurisdiction"`     // 行政区划代码
	Holder         string    `json:"holder"`           // 持证主体
	HolderCode     string    `json:"holder_code"`      // 持证主体代码
	HolderCodeType string    `json:"holder_code_type"` // 持证主体代码类型: 111 citizen ID number, 001 credit code
	ValidFrom      string    `json:"valid_from"`       // 有效期起始
	ValidTo        string    `json:"valid_to"`         // 有效期截止; "" for no end
	Authority      string    `json:"authority"`        // 定义机构
	Signed         time.Time `json:"signed_at"`
}

// PayloadHeader opens every signed payload: the format and its version.
const PayloadHeader = "tongban-licence v1"

// The escapes of payload values, built once: a list page parses every
// licence it shows (issue 20).
var (
	payloadEscape   = strings.NewReplacer("\\", "\\\\", "\n", "\\n", "\r", "\\r")
	payloadUnescape = strings.NewReplacer("\\\\", "\\", "\\n", "\n", "\\r", "\r")
)

// Payload is the canonical bytes a licence's signature covers: UTF-8 lines
// "key=value\n" — the header; the metadata keys in the order below; then the
// licence's fields sorted by key, each as "field.<key>=<value>". Values may
// not contain a line break or "=" may appear only after the first one (the
// key never has one); line breaks in values are written as "\n" escapes.
func Payload(m Metadata, fields map[string]string) []byte {
	var b strings.Builder
	b.WriteString(PayloadHeader + "\n")
	line := func(k, v string) {
		v = payloadEscape.Replace(v)
		fmt.Fprintf(&b, "%s=%s\n", k, v)
	}
	line("name", m.Name)
	line("type_name", m.TypeName)
	line("type_code", m.TypeCode)
	line("number", m.Number)
	line("identifier", m.Identifier)
	line("issuer", m.Issuer)
	line("issuer_code", m.IssuerCode)
	line("issued_on", m.IssuedOn)
	line("jurisdiction", m.Jurisdiction)
	line("holder", m.Holder)
	line("holder_code", m.HolderCode)
	line("holder_code_type", m.HolderCodeType)
	line("valid_from", m.ValidFrom)
	line("valid_to", m.ValidTo)
	line("authority", m.Authority)
	line("signed_at", m.Signed.UTC().Format(time.RFC3339))
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		line("field."+k, fields[k])
	}
	return []byte(b.String())
}

// payloadKeys are the metadata lines of a payload, in order.
var payloadKeys = []string{"name", "type_name", "type_code", "number", "identifier", "issuer", "issuer_code", "issued_on",
	"jurisdiction", "holder", "holder_code", "holder_code_type", "valid_from", "valid_to", "authority", "signed_at"}

// ErrPayload: bytes that are not a canonical licence payload.
var ErrPayload = errors.New("license: not a canonical licence payload")

// ParsePayload reads a payload back into its metadata and fields. Only the
// canonical encoding is accepted: the bytes must be exactly what Payload
// makes of what was read, so one licence has one encoding.
func ParsePayload(b []byte) (Metadata, map[string]string, error) {
	var m Metadata
	if !utf8.Valid(b) || len(b) == 0 || b[len(b)-1] != '\n' {
		return m, nil, ErrPayload
	}
	lines := strings.Split(string(b[:len(b)-1]), "\n")
	if lines[0] != PayloadHeader || len(lines) < 1+len(payloadKeys) {
		return m, nil, ErrPayload
	}
	unescape := payloadUnescape
	vals := map[string]string{}
	fields := map[string]string{}
	for i, line := range lines[1:] {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return m, nil, ErrPayload
		}
		v = unescape.Replace(v)
		if i < len(payloadKeys) {
			if k != payloadKeys[i] {
				return m, nil, ErrPayload
			}
			vals[k] = v
			continue
		}
		fk, ok := strings.CutPrefix(k, "field.")
		if !ok || fk == "" {
			return m, nil, ErrPayload
		}
		fields[fk] = v
	}
	signed, err := time.Parse(time.RFC3339, vals["signed_at"])
	if err != nil {
		return m, nil, ErrPayload
	}
	m = Metadata{Name: vals["name"], TypeName: vals["type_name"], TypeCode: vals["type_code"], Number: vals["number"],
		Identifier: vals["identifier"], Issuer: vals["issuer"], IssuerCode: vals["issuer_code"], IssuedOn: vals["issued_on"],
		Jurisdiction: vals["jurisdiction"], Holder: vals["holder"], HolderCode: vals["holder_code"], HolderCodeType: vals["holder_code_type"],
		ValidFrom: vals["valid_from"], ValidTo: vals["valid_to"], Authority: vals["authority"], Signed: signed}
	if !bytes.Equal(Payload(m, fields), b) {
		return m, nil, ErrPayload
	}
	return m, fields, nil
}
