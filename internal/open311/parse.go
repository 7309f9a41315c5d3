package open311

import (
	"math"
	"net/mail"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/appeal"
	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/edge"
)

// Bounds of a POSTed service request's fields (characters). The
// description's is the specification's.
const (
	MaxDescription = appeal.MaxDescription // the specification allows 4000; a work order holds 2000
	MaxAddress     = 200
	MaxAddressID   = 64
	MaxName        = 50
	MaxEmail       = 254
	MaxPhone       = 20
	MaxDeviceID    = 128
	MaxBody        = 64 << 10 // bytes of a form-encoded POST
)

// Post is a POSTed service request as read from its form.
type Post struct {
	APIKey       string
	Jurisdiction string
	ServiceCode  string
	Lat, Long    *float64 // both or neither
	Address      string   // address_string
	AddressID    string
	Email        string
	FirstName    string
	LastName     string
	Phone        string
	Description  string
	DeviceID     string
	AccountID    string
	MediaURL     string // read and checked, not stored (see docs/OPEN311.md)
}

// Name is the requester's name as written in Chinese (family name first);
// "" when neither is given.
func (p Post) Name() string {
	if isHan(p.LastName) || isHan(p.FirstName) {
		return p.LastName + p.FirstName
	}
	return strings.TrimSpace(p.FirstName + " " + p.LastName)
}

func isHan(s string) bool {
	for _, r := range s {
		if r >= 0x4E00 && r <= 0x9FFF {
			return true
		}
	}
	return false
}

// Anonymous: no name nor contact given.
func (p Post) Anonymous() bool {
	return p.FirstName == "" && p.LastName == "" && p.Email == "" && p.Phone == ""
}

// fields are the parameters a POST may carry (the specification's list).
var fields = map[string]bool{
	"api_key": true, "jurisdiction_id": true, "service_code": true, "lat": true, "long": true,
	"address_string": true, "address_id": true, "email": true, "device_id": true, "account_id": true,
	"first_name": true, "last_name": true, "phone": true, "description": true, "media_url": true,
}

// phoneRE is a phone number once its spaces are removed (as a work order
// keeps it).
var phoneRE = regexp.MustCompile(`^\+?[0-9][0-9-]{3,18}[0-9]$`)

// ParsePost reads a POSTed form. Every fault is listed (apperr Invalid with
// one detail per field, sorted by field); the api_key is only read here (the
// handler checks it first). A parameter the specification does not define,
// an attribute (no service has any), or one given twice is refused.
func ParsePost(v url.Values) (Post, error) {
	var p Post
	// Text that is not UTF-8 or carries control characters is refused
	// first, naming its field (the platform's one text check).
	if err := edge.CheckValues(v, func(k string) bool { return k == "description" || k == "address_string" }); err != nil {
		return Post{}, err
	}
	var faults []*apperr.Error
	fault := func(field, key string, kv ...any) {
		faults = append(faults, apperr.E(apperr.Invalid, key, append([]any{"field", field}, kv...)...))
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case strings.HasPrefix(k, "attribute["):
			fault(k, "open311.attribute_unknown")
		case !fields[k]:
			fault(k, "open311.field_unknown")
		case len(v[k]) > 1:
			fault(k, "open311.field_repeated")
		}
	}
	get := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	text := func(k string, max int) string {
		s := get(k)
		if n := utf8.RuneCountInString(s); n > max {
			fault(k, "open311.too_long", "max", max)
		}
		return s
	}
	p.APIKey = v.Get("api_key")
	p.Jurisdiction = get("jurisdiction_id")
	p.ServiceCode = text("service_code", 64)
	if p.ServiceCode == "" {
		fault("service_code", "open311.service_code_missing")
	}
	p.Description = text("description", MaxDescription)
	if p.Description == "" {
		fault("description", "open311.description_missing")
	}
	p.Address = text("address_string", MaxAddress)
	p.AddressID = text("address_id", MaxAddressID)
	lat, long := get("lat"), get("long")
	switch {
	case lat == "" && long == "":
	case lat == "" || long == "":
		fault("lat", "open311.lat_long_pair")
	default:
		la, errLa := coordinate(lat, 90)
		lo, errLo := coordinate(long, 180)
		if errLa {
			fault("lat", "open311.lat_invalid")
		}
		if errLo {
			fault("long", "open311.long_invalid")
		}
		if !errLa && !errLo {
			p.Lat, p.Long = &la, &lo
		}
	}
	if lat == "" && long == "" && p.Address == "" && p.AddressID == "" {
		fault("lat", "open311.location_missing")
	}
	p.Email = text("email", MaxEmail)
	if p.Email != "" {
		if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email || a.Name != "" {
			fault("email", "open311.email_invalid")
		}
	}
	p.Phone = strings.ReplaceAll(text("phone", MaxPhone), " ", "")
	if p.Phone != "" && !phoneRE.MatchString(p.Phone) {
		fault("phone", "open311.phone_invalid")
	}
	p.FirstName = text("first_name", MaxName)
	p.LastName = text("last_name", MaxName)
	p.DeviceID = text("device_id", MaxDeviceID)
	p.AccountID = text("account_id", MaxDeviceID)
	p.MediaURL = text("media_url", 2048)
	if p.MediaURL != "" {
		if u, err := url.Parse(p.MediaURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			fault("media_url", "open311.media_url_invalid")
		}
	}
	if len(faults) > 0 {
		sort.SliceStable(faults, func(i, j int) bool { return faults[i].Args["field"].(string) < faults[j].Args["field"].(string) })
		return Post{}, apperr.E(apperr.Invalid, "open311.request_invalid").WithDetails(faults)
	}
	return p, nil
}

// coordinate reads a WGS84 degree within ±max; bad is true for anything
// else (not a number, NaN, infinite, out of range).
func coordinate(s string, max float64) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < -max || f > max {
		return 0, true
	}
	return f, false
}
