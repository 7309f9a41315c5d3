package license

import (
	"fmt"
	"sort"
	"strings"
	"time"
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
	HolderCodeType string    `json:"holder_code_type"` // 持证主体代码类型: citizen_id, credit_code
	ValidFrom      string    `json:"valid_from"`       // 有效期起始
	ValidTo        string    `json:"valid_to"`         // 有效期截止; "" for no end
	Authority      string    `json:"authority"`        // 定义机构
	Signed         time.Time `json:"signed_at"`
}

// PayloadHeader opens every signed payload: the format and its version.
const PayloadHeader = "tongban-licence v1"

// Payload is the canonical bytes a licence's signature covers: UTF-8 lines
// "key=value\n" — the header; the metadata keys in the order below; then the
// licence's fields sorted by key, each as "field.<key>=<value>". Values may
// not contain a line break or "=" may appear only after the first one (the
// key never has one); line breaks in values are written as "\n" escapes.
func Payload(m Metadata, fields map[string]string) []byte {
	var b strings.Builder
	b.WriteString(PayloadHeader + "\n")
	line := func(k, v string) {
		v = strings.NewReplacer("\\", "\\\\", "\n", "\\n", "\r", "\\r").Replace(v)
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
