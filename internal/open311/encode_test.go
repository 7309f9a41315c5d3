package open311

import (
	"encoding/xml"

	"github.com/tongban/tongban/internal/open311/schematest"
	"strings"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

var sampleRequests = Requests{{
	ID: "20261207-0001", Status: "open", StatusNotes: "已派单", ServiceName: "道路破损", ServiceCode: "road",
	Description: "人行道塌陷 <深约 20cm>", AgencyResponsible: "涪陵区交通局", ServiceNotice: "15 个工作日内答复",
	Requested: DateTime(time.Date(2026, 12, 7, 1, 2, 3, 0, time.UTC)), Updated: DateTime(time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)),
	Expected: ptr(DateTime(time.Date(2026, 12, 28, 16, 0, 0, 0, time.UTC))), Address: "涪陵区中山路 1 号", Lat: ptr(29.70), Long: ptr(107.39),
}, {
	ID: "20261207-0002", Status: "closed", ServiceName: "噪声", ServiceCode: "noise",
	Requested: DateTime(time.Date(2026, 12, 6, 1, 2, 3, 0, time.UTC)), Updated: DateTime(time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)),
}}

func encode(t *testing.T, f Format, v Answer) []byte {
	t.Helper()
	b, err := Encode(f, v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every JSON answer is valid against the published schema (or ours, where
// none was published), and the schemas refuse what they must.
func TestJSONAnswersMatchSchemas(t *testing.T) {
	schematest.Valid(t, "georeport-v2/services.json", encode(t, JSON, Services{{Code: "road", Name: "道路破损", Description: "路面、人行道", Type: "realtime", Group: "城市管理", Keywords: "道路,人行道"}}))
	schematest.Valid(t, "georeport-v2/services.json", encode(t, JSON, Services{}))
	schematest.Valid(t, "georeport-v2/service-definition.json", encode(t, JSON, Definition{Code: "road", Attributes: []Attribute{}}))
	schematest.Valid(t, "georeport-v2/requests.json", encode(t, JSON, sampleRequests))
	schematest.Valid(t, "ours/public-request.json", encode(t, JSON, sampleRequests))
	schematest.Valid(t, "ours/post-response.json", encode(t, JSON, CreatedList{{ID: "20261207-0001", ServiceNotice: "已受理"}}))
	schematest.Valid(t, "ours/errors.json", encode(t, JSON, Errors{{Code: 403, Description: "api_key 无效"}}))
	schematest.Valid(t, "ours/discovery.json", encode(t, JSON, Discovery{Changeset: "2026-12-07", Contact: "023-12345", KeyService: "向管理员申请",
		Endpoints: []Endpoint{{Specification: Specification, URL: "https://example.gov.cn/open311/v2", Changeset: "2026-12-07", Type: "production", Formats: []string{"text/xml", "application/json"}}}}))

	schematest.Invalid(t, "georeport-v2/requests.json", []byte(`[{"service_request_id":"1","status":"pending","service_code":"x","requested_datetime":"2026-12-07T09:00:00+08:00"}]`))
	schematest.Invalid(t, "georeport-v2/requests.json", []byte(`[{"service_request_id":"1","status":"open","service_code":"x","requested_datetime":"yesterday"}]`))
	schematest.Invalid(t, "ours/public-request.json", []byte(`[{"service_request_id":"1","status":"open","service_code":"x","requested_datetime":"2026-12-07T09:00:00+08:00","email":"a@b.cn"}]`))
	schematest.Invalid(t, "ours/post-response.json", []byte(`[{"service_request_id":"1","token":"t"}]`))
	schematest.Invalid(t, "georeport-v2/services.json", []byte(`[{"service_code":"x","service_name":"y","metadata":false,"type":"later"}]`))
}

// The XML answers are the specification's shapes: the declaration, the
// root and element names, and what they hold.
func TestXMLAnswers(t *testing.T) {
	b := encode(t, XML, sampleRequests)
	if !strings.HasPrefix(string(b), `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("no declaration: %s", b)
	}
	var got struct {
		XMLName xml.Name `xml:"service_requests"`
		Items   []struct {
			ID          string `xml:"service_request_id"`
			Status      string `xml:"status"`
			Description string `xml:"description"`
			Lat         string `xml:"lat"`
			Requested   string `xml:"requested_datetime"`
		} `xml:"request"`
	}
	if err := xml.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Items) != 2 || got.Items[0].ID != "20261207-0001" || got.Items[0].Description != "人行道塌陷 <深约 20cm>" ||
		got.Items[0].Lat != "29.7" || got.Items[1].Status != "closed" || got.Items[0].Requested != "2026-12-07T09:02:03+08:00" {
		t.Errorf("XML requests read back as %+v\n%s", got, b)
	}
	for _, c := range []struct {
		v    Answer
		want []string
	}{
		{Services{{Code: "road", Name: "道路", Type: "realtime"}}, []string{"<services>", "<service>", "<service_code>road</service_code>", "<metadata>false</metadata>"}},
		{Definition{Code: "road"}, []string{"<service_definition>", "<service_code>road</service_code>", "<attributes></attributes>"}},
		{CreatedList{{ID: "7", ServiceNotice: "已受理"}}, []string{"<service_requests>", "<request>", "<service_request_id>7</service_request_id>", "<account_id></account_id>"}},
		{Errors{{Code: 404, Description: "no"}}, []string{"<errors>", "<error>", "<code>404</code>", "<description>no</description>"}},
		{Discovery{Endpoints: []Endpoint{{URL: "u", Formats: []string{"text/xml", "application/json"}}}}, []string{"<discovery>", "<endpoints>", "<endpoint>", "<formats>", "<format>text/xml</format>", "<format>application/json</format>"}},
	} {
		s := string(encode(t, XML, c.v))
		for _, w := range c.want {
			if !strings.Contains(s, w) {
				t.Errorf("%T: no %s in\n%s", c.v, w, s)
			}
		}
	}
}

func TestSplitFormat(t *testing.T) {
	for _, c := range []struct {
		in, base string
		f        Format
		ok       bool
	}{
		{"services.json", "services", JSON, true},
		{"services.xml", "services", XML, true},
		{"road.v2.json", "road.v2", JSON, true},
		{"services", "services", XML, false},
		{"services.html", "services.html", XML, false},
		{".json", ".json", XML, false},
	} {
		base, f, ok := SplitFormat(c.in)
		if base != c.base || f != c.f || ok != c.ok {
			t.Errorf("SplitFormat(%q) = %q %q %v, want %q %q %v", c.in, base, f, ok, c.base, c.f, c.ok)
		}
	}
}
