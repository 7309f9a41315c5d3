package catalog

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
)

// Field is one field of an application form (申请表), kept as data and
// rendered by one generic renderer in the portal and the workbench.
type Field struct {
	Key      string   `json:"key"` // fields with the same key are one field in a bundle's merged form
	Label    string   `json:"label"`
	LabelEN  string   `json:"label_en,omitempty"`
	Type     string   `json:"type"`
	Required bool     `json:"required"`
	Help     string   `json:"help,omitempty"`
	Options  []Option `json:"options,omitempty"` // select, multiselect
	Min      *float64 `json:"min,omitempty"`     // number: smallest value
	Max      *float64 `json:"max,omitempty"`     // number: largest value
	MaxLen   int      `json:"max_len,omitempty"` // text: longest, in characters
	Pattern  string   `json:"pattern,omitempty"` // text: RE2 the whole value must match
}

// Option is one choice of a select field or a situation question.
type Option struct {
	Value   string `json:"value"`
	Label   string `json:"label"`
	LabelEN string `json:"label_en,omitempty"`
}

// FieldTypes are the form field types ("field.type.<t>").
var FieldTypes = []string{
	"text", "textarea", "number", "date", "select", "multiselect",
	"idnumber", "creditcode", "phone", "address", "attachment",
}

var (
	fieldKey = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	mobile   = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	landline = regexp.MustCompile(`^0[0-9]{2,3}-?[0-9]{7,8}$`)
)

// ValidPhone reports whether v is a mainland mobile number (11 digits) or a
// landline with its area code (023-12345678), as a form's phone field takes.
func ValidPhone(v string) bool { return mobile.MatchString(v) || landline.MatchString(v) }

// checkField validates a field definition.
func checkField(f Field, add func(string, error)) {
	if !fieldKey.MatchString(f.Key) {
		add("key", apperr.E(apperr.Invalid, "catalog.key_format", "value", f.Key))
	}
	if strings.TrimSpace(f.Label) == "" {
		add("label", apperr.E(apperr.Invalid, "catalog.required"))
	}
	if !knownString(FieldTypes, f.Type) {
		add("type", apperr.E(apperr.Invalid, "catalog.field_type", "value", f.Type))
	}
	choice := f.Type == "select" || f.Type == "multiselect"
	if choice && len(f.Options) == 0 {
		add("options", apperr.E(apperr.Invalid, "catalog.options_required"))
	}
	if !choice && len(f.Options) > 0 {
		add("options", apperr.E(apperr.Invalid, "catalog.options_unexpected", "type", f.Type))
	}
	seen := map[string]bool{}
	for _, o := range f.Options {
		if o.Value == "" || seen[o.Value] {
			add("options", apperr.E(apperr.Invalid, "catalog.option_value", "value", o.Value))
		}
		seen[o.Value] = true
	}
	if f.Min != nil && f.Max != nil && *f.Min > *f.Max {
		add("min", apperr.E(apperr.Invalid, "catalog.min_max"))
	}
	if f.MaxLen < 0 {
		add("max_len", apperr.E(apperr.Invalid, "catalog.negative"))
	}
	if f.Pattern != "" {
		if _, err := regexp.Compile(f.Pattern); err != nil {
			add("pattern", apperr.E(apperr.Invalid, "catalog.pattern", "value", f.Pattern))
		}
	}
}

// Values are submitted form values by field key; multiselect and address
// fields carry several (address: region code, then the detail).
type Values map[string][]string

// ValidateValues checks submitted values against the form and returns the
// faults by field key (empty when all is well). today bounds ID numbers.
func ValidateValues(form []Field, vals Values, today time.Time) map[string]*apperr.Error {
	bad := map[string]*apperr.Error{}
	for _, f := range form {
		vs := vals[f.Key]
		first := ""
		if len(vs) > 0 {
			first = strings.TrimSpace(vs[0])
		}
		empty := first == "" && (f.Type != "address" || len(vs) < 2 || strings.TrimSpace(vs[1]) == "")
		if empty {
			if f.Required {
				bad[f.Key] = apperr.E(apperr.Invalid, "form.required", "field", f.Label)
			}
			continue
		}
		if err := checkValue(f, first, vs, today); err != nil {
			bad[f.Key] = err
		}
	}
	return bad
}

// UnknownValues refuses values for keys the form does not define: a client
// that sends them has misread the form, and dropping them in silence would
// let it believe they were kept. Nil when every key is a field's.
func UnknownValues(form []Field, vals Values) *apperr.Error {
	var unknown []string
	for k := range vals {
		if !slices.ContainsFunc(form, func(f Field) bool { return f.Key == k }) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	faults := make([]*apperr.Error, len(unknown))
	for i, k := range unknown {
		faults[i] = apperr.E(apperr.Invalid, "form.unknown_field", "field", k)
	}
	return apperr.E(apperr.Invalid, "form.unknown_fields", "count", len(unknown), "fields", strings.Join(unknown, ", ")).WithDetails(faults)
}

func checkValue(f Field, v string, vs []string, today time.Time) *apperr.Error {
	// The edge lets an application form's values carry line breaks (it
	// cannot tell its fields apart); only a textarea keeps them.
	if f.Type != "textarea" {
		for _, x := range vs {
			if strings.ContainsAny(x, "\t\r\n\u2028\u2029") {
				return apperr.E(apperr.Invalid, "form.single_line", "field", f.Label)
			}
		}
	}
	switch f.Type {
	case "text", "textarea":
		if f.MaxLen > 0 && utf8.RuneCountInString(v) > f.MaxLen {
			return apperr.E(apperr.Invalid, "form.too_long", "field", f.Label, "max", f.MaxLen)
		}
		if f.Pattern != "" {
			if re, err := regexp.Compile("^(?:" + f.Pattern + ")$"); err == nil && !re.MatchString(v) {
				return apperr.E(apperr.Invalid, "form.pattern", "field", f.Label)
			}
		}
	case "number":
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) { // ParseFloat reads "NaN" and "Inf"
			return apperr.E(apperr.Invalid, "form.number", "field", f.Label)
		}
		if (f.Min != nil && n < *f.Min) || (f.Max != nil && n > *f.Max) {
			return apperr.E(apperr.Invalid, "form.range", "field", f.Label, "min", fmtNum(f.Min), "max", fmtNum(f.Max))
		}
	case "date":
		if _, err := calendar.ParseDate(v); err != nil {
			return apperr.E(apperr.Invalid, "form.date", "field", f.Label)
		}
	case "select", "multiselect":
		values := vs
		if f.Type == "select" {
			values = vs[:1]
		}
		for _, x := range values {
			if !hasOption(f.Options, x) {
				return apperr.E(apperr.Invalid, "form.option", "field", f.Label, "value", x)
			}
		}
	case "idnumber":
		if _, err := codes.ParseCitizenID(strings.ToUpper(v), today); err != nil {
			return apperr.E(apperr.Invalid, "form.code", "field", f.Label, "reason", apperr.As(err))
		}
	case "creditcode":
		if _, err := codes.ParseCreditCode(strings.ToUpper(v)); err != nil {
			return apperr.E(apperr.Invalid, "form.code", "field", f.Label, "reason", apperr.As(err))
		}
	case "phone":
		if !mobile.MatchString(v) && !landline.MatchString(v) {
			return apperr.E(apperr.Invalid, "form.phone", "field", f.Label)
		}
	case "address":
		if _, err := codes.ParseDivision(v); err != nil {
			return apperr.E(apperr.Invalid, "form.address_region", "field", f.Label)
		}
		if len(vs) < 2 || strings.TrimSpace(vs[1]) == "" {
			return apperr.E(apperr.Invalid, "form.address_detail", "field", f.Label)
		}
	case "attachment":
		// The value is an uploaded file's id; the case engine checks it exists.
	}
	return nil
}

func hasOption(os []Option, v string) bool {
	for _, o := range os {
		if o.Value == v {
			return true
		}
	}
	return false
}

func fmtNum(p *float64) string {
	if p == nil {
		return "—"
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}
