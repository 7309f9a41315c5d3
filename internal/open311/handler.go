package open311

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/appeal"
	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/site"
)

// Prefix is where the interface is served.
const Prefix = "/open311/v2/"

// Changeset is when this interface last changed (discovery's changeset).
const Changeset = "2026-12-07"

// Bounds of GET requests: the specification's 90 days; at most
// appeal.MaxList orders an answer (the specification says 1000).
const (
	MaxSpan         = 90 * 24 * time.Hour
	MaxServiceCodes = 20
)

// outsideTypes are the order types an Open311 "service request" is, in
// the order one is chosen for a category: a category open to outside
// clients takes at least one.
var outsideTypes = []string{appeal.TypeRequest, appeal.TypeComplaint, appeal.TypeReport}

// Handler serves GeoReport v2 under Prefix. Reads are public (no api_key,
// as the specification says) and answer the public view of work orders;
// a POST needs the api_key of a registered client.
type Handler struct {
	Appeals   *appeal.Service
	Clients   *Clients
	Home      string       // the installation's region: the only jurisdiction_id
	Site      *site.Portal // the contact named by discovery
	PublicURL string
	Secure    bool
	PostLimit *edge.Limiter // POSTs per client
	ReadLimit *edge.Limiter // every request per client address
	Now       func() time.Time
}

// Register mounts the interface on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+Prefix+"{file}", h.top)
	mux.HandleFunc("POST "+Prefix+"{file}", h.post)
	mux.HandleFunc("GET "+Prefix+"services/{file}", h.definition)
	mux.HandleFunc("GET "+Prefix+"requests/{file}", h.request)
	mux.HandleFunc("GET "+Prefix+"tokens/{file}", h.token)
	mux.HandleFunc("/open311/", func(w http.ResponseWriter, r *http.Request) {
		_, f, _ := SplitFormat(r.URL.Path)
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			w.Header().Set("Allow", "GET, POST")
			Write(w, f, http.StatusMethodNotAllowed, Errors{{Code: http.StatusMethodNotAllowed, Description: i18n.T(edge.Lang(r), "error.method_not_allowed", nil)}})
			return
		}
		Fail(w, r, apperr.E(apperr.NotFound, "open311.not_found"))
	})
}

// Fail answers err as the specification's error list, in the format the
// path names (XML, the required one, when it names none): one entry per
// fault, each with the HTTP status as its code.
func Fail(w http.ResponseWriter, r *http.Request, err error) {
	_, f, _ := SplitFormat(r.URL.Path)
	lang := edge.Lang(r)
	p := edge.ProblemOf(r.Context(), lang, err)
	p.SetHeaders(w.Header())
	list := Errors{{Code: p.Status, Description: p.Message}}
	if len(p.Details) > 0 {
		list = list[:0]
		for _, d := range p.Details {
			list = append(list, Error{Code: p.Status, Description: d.Message})
		}
	}
	Write(w, f, p.Status, list)
}

// format reads the format of the path's last segment; a name without
// .xml or .json is no resource.
func format(w http.ResponseWriter, r *http.Request) (string, Format, bool) {
	base, f, ok := SplitFormat(r.PathValue("file"))
	if !ok {
		Fail(w, r, apperr.E(apperr.NotFound, "open311.format_unknown"))
	}
	return base, f, ok
}

// jurisdiction refuses a jurisdiction_id that is not the installation's
// region (404, as the specification says); an absent one is ours.
func (h *Handler) jurisdiction(id string) error {
	if id != "" && id != h.Home {
		return apperr.E(apperr.NotFound, "open311.jurisdiction_unknown", "id", id, "home", h.Home)
	}
	return nil
}

// read checks what every GET checks: the client address's limit and the
// jurisdiction.
func (h *Handler) read(r *http.Request) error {
	if h.ReadLimit != nil {
		if err := h.ReadLimit.Check(r); err != nil {
			return apperr.E(apperr.TooMany, "open311.throttled")
		}
	}
	return h.jurisdiction(r.URL.Query().Get("jurisdiction_id"))
}

func (h *Handler) top(w http.ResponseWriter, r *http.Request) {
	base, f, ok := format(w, r)
	if !ok {
		return
	}
	if err := h.read(r); err != nil {
		Fail(w, r, err)
		return
	}
	var v Answer
	var err error
	switch base {
	case "discovery":
		v = h.discovery(r)
	case "services":
		v, err = h.services(r.Context(), edge.Lang(r))
	case "requests":
		v, err = h.requests(r)
	default:
		err = apperr.E(apperr.NotFound, "open311.not_found")
	}
	if err != nil {
		Fail(w, r, err)
		return
	}
	Write(w, f, http.StatusOK, v)
}

func (h *Handler) discovery(r *http.Request) Discovery {
	lang := edge.Lang(r)
	info := h.Site.Shown()
	return Discovery{Changeset: Changeset,
		Contact:    strings.TrimSpace(i18n.T(lang, "open311.discovery_contact", map[string]any{"centre": info.CentreName, "phone": info.CentrePhone})),
		KeyService: i18n.T(lang, "open311.discovery_key_service", nil),
		Endpoints: []Endpoint{{Specification: Specification, URL: edge.BaseURL(r, h.PublicURL, h.Secure) + strings.TrimSuffix(Prefix, "/"),
			Changeset: Changeset, Type: "production", Formats: []string{"text/xml", "application/json"}}}}
}

// open reports whether a category is open to outside clients (enabled and
// taking a type an Open311 request is) and which type a request becomes.
func open(c appeal.Category) (string, bool) {
	if !c.Enabled {
		return "", false
	}
	for _, t := range outsideTypes {
		if c.Takes(t) {
			return t, true
		}
	}
	return "", false
}

func (h *Handler) categories(ctx context.Context) ([]appeal.Category, error) {
	all, err := h.Appeals.Categories(ctx)
	if err != nil {
		return nil, err
	}
	var out []appeal.Category
	for _, c := range all {
		if _, ok := open(c); ok {
			out = append(out, c)
		}
	}
	return out, nil
}

func service(lang i18n.Lang, c appeal.Category) Service {
	name := c.Name
	if lang == i18n.EN && c.NameEN != "" {
		name = c.NameEN
	}
	return Service{Code: c.Code, Name: name, Metadata: false, Type: "realtime", Group: c.DepartmentName,
		Description: i18n.T(lang, "open311.service_description", map[string]any{"department": c.DepartmentName})}
}

func (h *Handler) services(ctx context.Context, lang i18n.Lang) (Services, error) {
	cs, err := h.categories(ctx)
	if err != nil {
		return nil, err
	}
	out := Services{}
	for _, c := range cs {
		out = append(out, service(lang, c))
	}
	return out, nil
}

// findService is the open category of code: 404 otherwise (the
// specification's "service_code not found").
func (h *Handler) findService(ctx context.Context, code string) (appeal.Category, error) {
	cs, err := h.categories(ctx)
	if err != nil {
		return appeal.Category{}, err
	}
	for _, c := range cs {
		if c.Code == code {
			return c, nil
		}
	}
	return appeal.Category{}, apperr.E(apperr.NotFound, "open311.service_code_unknown", "code", code)
}

func (h *Handler) definition(w http.ResponseWriter, r *http.Request) {
	code, f, ok := format(w, r)
	if !ok {
		return
	}
	if err := h.read(r); err != nil {
		Fail(w, r, err)
		return
	}
	if _, err := h.findService(r.Context(), code); err != nil {
		Fail(w, r, err)
		return
	}
	Write(w, f, http.StatusOK, Definition{Code: code, Attributes: []Attribute{}})
}

// public is an order as GET answers it: the public view the appeal
// service gives (no requester, no staff, no coordinates; the description
// and location only with the requester's consent to publication), with
// the state told as open/closed and a note.
func public(lang i18n.Lang, a *appeal.Appeal) Request {
	status, notes := Status(lang, a)
	name := a.CategoryName
	out := Request{ID: a.No, Status: status, StatusNotes: notes, ServiceName: name, ServiceCode: a.Category,
		Description: a.Description, AgencyResponsible: a.DepartmentName, Requested: DateTime(a.Created), Updated: DateTime(a.Updated),
		Address: a.Location}
	// The reply is due by the order's reply clock, from dispatch on.
	if a.ReplyDue != nil && status == "open" {
		due := DateTime(*a.ReplyDue)
		out.Expected = &due
	}
	return out
}

func (h *Handler) request(w http.ResponseWriter, r *http.Request) {
	id, f, ok := format(w, r)
	if !ok {
		return
	}
	if err := h.read(r); err != nil {
		Fail(w, r, err)
		return
	}
	a, err := h.Appeals.Get(r.Context(), id)
	if apperr.CodeOf(err) == apperr.NotFound || (err == nil && !h.inHome(a)) {
		err = apperr.E(apperr.NotFound, "open311.request_not_found", "id", id)
	}
	if err != nil {
		Fail(w, r, err)
		return
	}
	Write(w, f, http.StatusOK, Requests{public(edge.Lang(r), a)})
}

func (h *Handler) inHome(a *appeal.Appeal) bool {
	return h.Home == "" || codes.DivisionCovers(h.Home, a.RegionCode)
}

// token: no token is ever issued (POST answers the service_request_id at
// once), so every token is not found.
func (h *Handler) token(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := format(w, r); !ok {
		return
	}
	if err := h.read(r); err != nil {
		Fail(w, r, err)
		return
	}
	Fail(w, r, apperr.E(apperr.NotFound, "open311.token_not_found"))
}

// Filter is a GET requests query as read.
type Filter struct {
	IDs      []string
	Codes    []string
	Statuses []string // "open", "closed"; none: both
	From, To time.Time
}

// ParseFilter reads GET requests' query. service_request_id (comma
// separated, at most appeal.MaxList) overrides the rest; dates are W3C
// date-times with a zone, spanning at most 90 days (default: the 90 days
// up to now); status is open, closed or both.
func ParseFilter(q url.Values, now time.Time) (Filter, error) {
	var f Filter
	bad := func(field, why string) error {
		return apperr.E(apperr.Invalid, "open311.filter_invalid", "field", field, "why", why)
	}
	list := func(k string) []string {
		var out []string
		for _, v := range q[k] {
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
					out = append(out, s)
				}
			}
		}
		return out
	}
	if f.IDs = list("service_request_id"); len(f.IDs) > 0 {
		if len(f.IDs) > appeal.MaxList {
			return f, bad("service_request_id", "≤ 200")
		}
		return f, nil
	}
	if f.Codes = list("service_code"); len(f.Codes) > MaxServiceCodes {
		return f, bad("service_code", "≤ 20")
	}
	for _, s := range list("status") {
		if s != "open" && s != "closed" {
			return f, bad("status", "open, closed")
		}
		f.Statuses = append(f.Statuses, s)
	}
	if len(f.Statuses) == 2 {
		f.Statuses = nil
	}
	date := func(k string) (time.Time, error) {
		s := q.Get(k)
		if s == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil || t.Year() < 1900 || t.Year() > 2199 {
			return t, bad(k, "2026-12-01T00:00:00+08:00")
		}
		return t, nil
	}
	var err error
	if f.From, err = date("start_date"); err != nil {
		return f, err
	}
	if f.To, err = date("end_date"); err != nil {
		return f, err
	}
	switch {
	case f.From.IsZero() && f.To.IsZero():
		f.From = now.Add(-MaxSpan) // the last 90 days, up to whatever is newest
		return f, nil
	case f.From.IsZero():
		f.From = f.To.Add(-MaxSpan)
	case f.To.IsZero():
		f.To = f.From.Add(MaxSpan)
	}
	if !f.To.After(f.From) {
		return f, bad("end_date", "> start_date")
	}
	if f.To.Sub(f.From) > MaxSpan {
		return f, bad("end_date", "≤ 90 days after start_date")
	}
	// requested_datetime ≤ end_date: the instant itself is included (the
	// databases keep microseconds).
	f.To = f.To.Add(time.Microsecond)
	return f, nil
}

func (h *Handler) requests(r *http.Request) (Requests, error) {
	now := time.Now()
	if h.Now != nil {
		now = h.Now()
	}
	f, err := ParseFilter(r.URL.Query(), now)
	if err != nil {
		return nil, err
	}
	lang := edge.Lang(r)
	var found []*appeal.Appeal
	if len(f.IDs) > 0 {
		if found, _, err = h.Appeals.List(r.Context(), appeal.PublicFilter{IDs: f.IDs, Region: h.Home, Limit: appeal.MaxList}); err != nil {
			return nil, err
		}
	} else {
		codes := f.Codes
		if len(codes) == 0 {
			codes = []string{""}
		}
		states := f.Statuses
		if len(states) == 0 {
			states = []string{""}
		}
		for _, code := range codes {
			for _, st := range states {
				list, _, err := h.Appeals.List(r.Context(), appeal.PublicFilter{Category: code, State: st, Region: h.Home,
					From: f.From, To: f.To, Limit: appeal.MaxList})
				if err != nil {
					return nil, err
				}
				found = append(found, list...)
			}
		}
	}
	// Newest first, at most one page, across the lists merged above.
	sort.SliceStable(found, func(i, j int) bool {
		if !found[i].Created.Equal(found[j].Created) {
			return found[i].Created.After(found[j].Created)
		}
		return found[i].ID > found[j].ID
	})
	if len(found) > appeal.MaxList {
		found = found[:appeal.MaxList]
	}
	out := Requests{}
	for _, a := range found {
		out = append(out, public(lang, a))
	}
	return out, nil
}

// post accepts a service request from a registered client. Every refusal
// comes before anything is written: the media type and size, the api_key
// (403), the client's rate, the jurisdiction (404), the fields (400, every
// fault listed), the service_code (404); the work order is then submitted
// in one transaction by the appeal service.
func (h *Handler) post(w http.ResponseWriter, r *http.Request) {
	base, f, ok := format(w, r)
	if !ok {
		return
	}
	if base != "requests" {
		w.Header().Set("Allow", "GET")
		Write(w, f, http.StatusMethodNotAllowed, Errors{{Code: http.StatusMethodNotAllowed, Description: i18n.T(edge.Lang(r), "error.method_not_allowed", nil)}})
		return
	}
	created, err := h.submit(w, r)
	if err != nil {
		Fail(w, r, err)
		return
	}
	Write(w, f, http.StatusOK, CreatedList{created})
}

// readForm reads a form-encoded body (at most MaxBody bytes); a parameter
// in the query that the body does not carry is taken too (clients put
// jurisdiction_id there) — but never api_key: a key in an address ends up
// in logs and histories, so it counts only in the body.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, apperr.E(apperr.Unsupported, "open311.media_type")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return nil, apperr.E(apperr.Unsupported, "open311.media_type")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, apperr.E(apperr.Invalid, "open311.body_too_large")
		}
		return nil, apperr.E(apperr.Invalid, "open311.bad_form")
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, apperr.E(apperr.Invalid, "open311.bad_form")
	}
	for k, vals := range r.URL.Query() {
		if _, ok := v[k]; !ok && k != "lang" && k != "api_key" {
			v[k] = vals
		}
	}
	return v, nil
}

func (h *Handler) submit(w http.ResponseWriter, r *http.Request) (Created, error) {
	lang := edge.Lang(r)
	v, err := readForm(w, r)
	if err != nil {
		return Created{}, err
	}
	// Guessing keys is bounded per client address like every read.
	if h.ReadLimit != nil {
		if err := h.ReadLimit.Check(r); err != nil {
			return Created{}, apperr.E(apperr.TooMany, "open311.throttled")
		}
	}
	if len(v["api_key"]) > 1 {
		return Created{}, apperr.E(apperr.Forbidden, "open311.api_key_invalid")
	}
	client, err := h.Clients.Authenticate(r.Context(), v.Get("api_key"))
	if err != nil {
		return Created{}, err
	}
	if !h.PostLimit.Allow(client.ID) {
		return Created{}, apperr.E(apperr.TooMany, "open311.throttled")
	}
	if err := h.jurisdiction(strings.TrimSpace(v.Get("jurisdiction_id"))); err != nil {
		return Created{}, err
	}
	p, err := ParsePost(v)
	if err != nil {
		return Created{}, err
	}
	c, err := h.findService(r.Context(), p.ServiceCode)
	if err != nil {
		return Created{}, err
	}
	typ, _ := open(c)
	location := p.Address
	if location == "" && p.AddressID != "" {
		location = "address_id: " + p.AddressID
	}
	a, err := h.Appeals.Submit(r.Context(), nil, appeal.SubmitInput{Channel: appeal.ChannelOpen311, Type: typ, Category: c.Code,
		RegionCode: client.RegionCode, Location: location, Lat: p.Lat, Lng: p.Long, Description: p.Description,
		Name: p.Name(), Phone: p.Phone, Email: p.Email, Contact: p.Phone != "" || p.Email != "", ExternalClient: client.ID})
	if err != nil {
		return Created{}, err
	}
	return Created{ID: a.No, ServiceNotice: i18n.T(lang, "open311.service_notice", map[string]any{"no": a.No})}, nil
}
