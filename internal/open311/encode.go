// Package open311 is the Open311 GeoReport v2 interface of 诉求 (issue 18):
// the answers' shapes in JSON and XML as the specification writes them
// (wiki.open311.org/GeoReport_v2; JSON is the Spark convention's mapping of
// the XML, so a list is a bare array), the parsing of a POSTed service
// request, the mapping of our work-order states onto open/closed, the
// registered outside clients (api_key) and the thin handlers served under
// /open311/v2/. Nothing here answers personal data: a GET answer is built
// from the public view of a work order alone.
package open311

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Format is an answer's format, chosen by the resource's extension.
type Format string

// The two formats the specification names: XML is required, JSON offered.
const (
	XML  Format = "xml"
	JSON Format = "json"
)

// ContentType is the specification's header for f.
func (f Format) ContentType() string {
	if f == JSON {
		return "application/json; charset=utf-8"
	}
	return "text/xml; charset=utf-8"
}

// SplitFormat splits "services.json" into "services" and JSON; ok is false
// without a known extension.
func SplitFormat(name string) (base string, f Format, ok bool) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 {
		return name, XML, false
	}
	switch Format(name[i+1:]) {
	case JSON:
		return name[:i], JSON, true
	case XML:
		return name[:i], XML, true
	}
	return name, XML, false
}

// Answer is a value with an XML root: every answer and error list.
type Answer interface {
	xmlRoot() any
}

// Encode writes v in f: JSON (no HTML escaping, as the API) or XML with
// the declaration the specification requires.
func Encode(f Format, v Answer) ([]byte, error) {
	var buf bytes.Buffer
	if f == JSON {
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(v.xmlRoot()); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// Write answers v with status in f.
func Write(w http.ResponseWriter, f Format, status int, v Answer) {
	b, err := Encode(f, v)
	if err != nil {
		// Our own values always encode; never a half-written answer.
		status = http.StatusInternalServerError
		b, _ = Encode(f, Errors{{Code: status, Description: "internal error"}})
	}
	w.Header().Set("Content-Type", f.ContentType())
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// DateTime is the specification's date and time: W3C-DTF with the zone,
// written in China time (+08:00).
func DateTime(t time.Time) string {
	return t.In(china).Format(time.RFC3339)
}

var china = time.FixedZone("CST", 8*3600)

// Service is one entry of GET services: a category of the dispatch
// directory open to outside clients.
type Service struct {
	Code        string `json:"service_code" xml:"service_code"`
	Name        string `json:"service_name" xml:"service_name"`
	Description string `json:"description" xml:"description"`
	Metadata    bool   `json:"metadata" xml:"metadata"`
	Type        string `json:"type" xml:"type"` // realtime: the id is answered at once
	Keywords    string `json:"keywords" xml:"keywords"`
	Group       string `json:"group" xml:"group"`
}

// Services is the answer of GET services.
type Services []Service

func (s Services) xmlRoot() any {
	return struct {
		XMLName xml.Name  `xml:"services"`
		Items   []Service `xml:"service"`
	}{Items: s}
}

// Definition is the answer of GET services/{code}: our services have no
// attributes (metadata false), so the list is empty.
type Definition struct {
	Code       string      `json:"service_code"`
	Attributes []Attribute `json:"attributes"`
}

// Attribute is a service attribute; none is defined yet.
type Attribute struct {
	Variable bool   `json:"variable" xml:"variable"`
	Code     string `json:"code" xml:"code"`
	Datatype string `json:"datatype" xml:"datatype"`
	Required bool   `json:"required" xml:"required"`
}

func (d Definition) xmlRoot() any {
	return struct {
		XMLName    xml.Name `xml:"service_definition"`
		Code       string   `xml:"service_code"`
		Attributes struct {
			Items []Attribute `xml:"attribute"`
		} `xml:"attributes"`
	}{Code: d.Code, Attributes: struct {
		Items []Attribute `xml:"attribute"`
	}{d.Attributes}}
}

// Request is one service request as GET answers it: the public view of a
// work order, never the requester's name, contacts or account.
type Request struct {
	ID                string   `json:"service_request_id" xml:"service_request_id"`
	Status            string   `json:"status" xml:"status"`
	StatusNotes       string   `json:"status_notes" xml:"status_notes"`
	ServiceName       string   `json:"service_name" xml:"service_name"`
	ServiceCode       string   `json:"service_code" xml:"service_code"`
	Description       string   `json:"description" xml:"description"`
	AgencyResponsible string   `json:"agency_responsible" xml:"agency_responsible"`
	ServiceNotice     string   `json:"service_notice" xml:"service_notice"`
	Requested         string   `json:"requested_datetime" xml:"requested_datetime"`
	Updated           string   `json:"updated_datetime" xml:"updated_datetime"`
	Expected          *string  `json:"expected_datetime" xml:"expected_datetime,omitempty"`
	Address           string   `json:"address" xml:"address"`
	Lat               *float64 `json:"lat" xml:"lat,omitempty"`
	Long              *float64 `json:"long" xml:"long,omitempty"`
}

// Requests is the answer of GET requests and GET requests/{id}.
type Requests []Request

func (r Requests) xmlRoot() any {
	return struct {
		XMLName xml.Name  `xml:"service_requests"`
		Items   []Request `xml:"request"`
	}{Items: r}
}

// Created is the answer of POST requests: the id at once (services are
// "realtime"; no token is ever issued).
type Created struct {
	ID            string   `json:"service_request_id" xml:"service_request_id"`
	ServiceNotice string   `json:"service_notice" xml:"service_notice"`
	AccountID     *string  `json:"account_id" xml:"-"` // null: requests are not tied to accounts
	XMLAccountID  struct{} `json:"-" xml:"account_id"` // the same, empty, in XML
}

// CreatedList is POST requests' answer: one element.
type CreatedList []Created

func (c CreatedList) xmlRoot() any {
	return struct {
		XMLName xml.Name  `xml:"service_requests"`
		Items   []Created `xml:"request"`
	}{Items: c}
}

// Error is one error of an answer; Code is the HTTP status.
type Error struct {
	Code        int    `json:"code" xml:"code"`
	Description string `json:"description" xml:"description"`
}

// Errors is every error answer: a list of {code, description}.
type Errors []Error

func (e Errors) xmlRoot() any {
	return struct {
		XMLName xml.Name `xml:"errors"`
		Items   []Error  `xml:"error"`
	}{Items: e}
}

// Discovery is the Service Discovery document.
type Discovery struct {
	Changeset  string     `json:"changeset" xml:"changeset"`
	Contact    string     `json:"contact" xml:"contact"`
	KeyService string     `json:"key_service" xml:"key_service"`
	Endpoints  []Endpoint `json:"endpoints" xml:"endpoints>endpoint"`
}

// Endpoint is one endpoint of the discovery document.
type Endpoint struct {
	Specification string   `json:"specification" xml:"specification"`
	URL           string   `json:"url" xml:"url"`
	Changeset     string   `json:"changeset" xml:"changeset"`
	Type          string   `json:"type" xml:"type"`
	Formats       []string `json:"formats" xml:"formats>format"`
}

func (d Discovery) xmlRoot() any {
	return struct {
		XMLName xml.Name `xml:"discovery"`
		Discovery
	}{Discovery: d}
}

// Specification is the token GeoReport v2 endpoints name in discovery.
const Specification = "http://wiki.open311.org/GeoReport_v2"
