package open311

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/apperr"
)

const goodForm = "api_key=o311_k&service_code=road&lat=29.7&long=107.39&description=" + "%E4%BA%BA%E8%A1%8C%E9%81%93%E5%A1%8C%E9%99%B7"

// Each rule of a POSTed request, table-driven: the fields named in the
// refusal, or what is read.
func TestParsePost(t *testing.T) {
	for _, c := range []struct {
		name   string
		form   string
		faults []string // the message keys of the faults, in order; none: accepted
	}{
		{"lat and long", goodForm, nil},
		{"address only", "service_code=road&address_string=%E4%B8%AD%E5%B1%B1%E8%B7%AF&description=x", nil},
		{"address_id only", "service_code=road&address_id=A-1&description=x", nil},
		{"contacts", goodForm + "&email=zhang%40example.cn&phone=%2B86+138-0000-0000&first_name=%E4%B8%89&last_name=%E5%BC%A0&device_id=d&account_id=a&media_url=https%3A%2F%2Fimg.example%2F1.jpg&jurisdiction_id=500102", nil},
		{"line breaks in the description", "service_code=road&address_id=A-1&description=a%0Ab", nil},
		{"nothing", "", []string{"open311.description_missing", "open311.location_missing", "open311.service_code_missing"}},
		{"no service_code", "lat=1&long=2&description=x", []string{"open311.service_code_missing"}},
		{"no description", "service_code=road&lat=1&long=2", []string{"open311.description_missing"}},
		{"blank description", "service_code=road&lat=1&long=2&description=+++", []string{"open311.description_missing"}},
		{"description too long", "service_code=road&lat=1&long=2&description=" + strings.Repeat("%E5%AD%97", MaxDescription+1), []string{"open311.too_long"}},
		{"description at the limit", "service_code=road&lat=1&long=2&description=" + strings.Repeat("%E5%AD%97", MaxDescription), nil},
		{"lat alone", "service_code=road&lat=1&description=x", []string{"open311.lat_long_pair"}},
		{"lat not a number", "service_code=road&lat=north&long=2&description=x", []string{"open311.lat_invalid"}},
		{"lat out of range", "service_code=road&lat=91&long=2&description=x", []string{"open311.lat_invalid"}},
		{"long out of range", "service_code=road&lat=1&long=-180.5&description=x", []string{"open311.long_invalid"}},
		{"NaN", "service_code=road&lat=NaN&long=Inf&description=x", []string{"open311.lat_invalid", "open311.long_invalid"}},
		{"bad email", goodForm + "&email=zhang", []string{"open311.email_invalid"}},
		{"email with a name", goodForm + "&email=Zhang+%3Cz%40example.cn%3E", []string{"open311.email_invalid"}},
		{"bad phone", goodForm + "&phone=call+me", []string{"open311.phone_invalid"}},
		{"media_url not http", goodForm + "&media_url=file%3A%2F%2F%2Fetc%2Fpasswd", []string{"open311.media_url_invalid"}},
		{"attribute", goodForm + "&attribute%5Bcolour%5D=red", []string{"open311.attribute_unknown"}},
		{"unknown parameter", goodForm + "&priority=high", []string{"open311.field_unknown"}},
		{"repeated", goodForm + "&service_code=noise", []string{"open311.field_repeated"}},
		{"name too long", goodForm + "&first_name=" + strings.Repeat("a", MaxName+1), []string{"open311.too_long"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, err := url.ParseQuery(c.form)
			if err != nil {
				t.Fatal(err)
			}
			p, err := ParsePost(v)
			if len(c.faults) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if p.ServiceCode != "road" || p.Description == "" {
					t.Errorf("read %+v", p)
				}
				return
			}
			e := apperr.As(err)
			if e.Code != apperr.Invalid || e.Key != "open311.request_invalid" {
				t.Fatalf("got %v, want the faults %v", err, c.faults)
			}
			var got []string
			for _, d := range e.Details {
				got = append(got, d.Key)
			}
			if strings.Join(got, " ") != strings.Join(c.faults, " ") {
				t.Errorf("faults %v, want %v", got, c.faults)
			}
		})
	}
}

func TestParsePostReads(t *testing.T) {
	v, _ := url.ParseQuery(goodForm + "&first_name=%E4%B8%89&last_name=%E5%BC%A0&email=z%40example.cn&address_string=+%E4%B8%AD%E5%B1%B1%E8%B7%AF+")
	p, err := ParsePost(v)
	if err != nil {
		t.Fatal(err)
	}
	if p.APIKey != "o311_k" || *p.Lat != 29.7 || *p.Long != 107.39 || p.Name() != "张三" || p.Address != "中山路" || p.Anonymous() {
		t.Errorf("read %+v name %q", p, p.Name())
	}
	if (Post{FirstName: "John", LastName: "Smith"}).Name() != "John Smith" || !(Post{}).Anonymous() {
		t.Error("names")
	}
	// Control characters are refused by the platform's text check, naming the field.
	v, _ = url.ParseQuery(goodForm + "&first_name=a%00b")
	if _, err := ParsePost(v); apperr.CodeOf(err) != apperr.Invalid {
		t.Errorf("a NUL in a name: %v", err)
	}
	v, _ = url.ParseQuery("service_code=road&lat=1&long=2&description=%FF%FE")
	if _, err := ParsePost(v); apperr.CodeOf(err) != apperr.Invalid {
		t.Errorf("bytes that are not UTF-8: %v", err)
	}
}

// FuzzParsePost: any form body an outside client sends is either read into
// a request whose every field keeps its bounds, or refused as Invalid —
// never a panic, never another kind of error.
func FuzzParsePost(f *testing.F) {
	for _, s := range []string{goodForm, "", "lat=1e400&long=-0", "description=%ZZ", "attribute[a][b]=1&attribute[]=2",
		"service_code=%00&description=%C0%80&lat=0x1p-2&long=1_0", "service_code=a&service_code=b", "a=1;b=2&&&=",
		"service_code=r&address_string=" + strings.Repeat("x", 300) + "&description=d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return // the handler answers 400 before parsing
		}
		p, err := ParsePost(v)
		if err != nil {
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("%q: %v", body, err)
			}
			return
		}
		if p.ServiceCode == "" || strings.TrimSpace(p.Description) == "" {
			t.Fatalf("%q accepted without service_code or description: %+v", body, p)
		}
		if (p.Lat == nil) != (p.Long == nil) || (p.Lat == nil && p.Address == "" && p.AddressID == "") {
			t.Fatalf("%q accepted without a whole location: %+v", body, p)
		}
		if p.Lat != nil && (*p.Lat < -90 || *p.Lat > 90 || *p.Long < -180 || *p.Long > 180) {
			t.Fatalf("%q: coordinates out of range: %v %v", body, *p.Lat, *p.Long)
		}
		if len([]rune(p.Description)) > MaxDescription || len([]rune(p.Address)) > MaxAddress {
			t.Fatalf("%q: a field past its bound", body)
		}
	})
}
