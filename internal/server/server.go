// Package server assembles Tongban's HTTP handler — web pages, the JSON API,
// health, readiness and metrics — with the middleware every request passes:
// panic recovery, security headers, cross-origin protection and metrics.
package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tongban/tongban/internal/anomaly"
	"github.com/tongban/tongban/internal/api"
	"github.com/tongban/tongban/internal/appeal"
	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/booking"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/deliver"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/license"
	"github.com/tongban/tongban/internal/mandate"
	"github.com/tongban/tongban/internal/notify"
	"github.com/tongban/tongban/internal/open311"
	"github.com/tongban/tongban/internal/queue"
	"github.com/tongban/tongban/internal/rating"
	"github.com/tongban/tongban/internal/site"
	"github.com/tongban/tongban/internal/stats"
	"github.com/tongban/tongban/internal/supervise"
	"github.com/tongban/tongban/internal/web"
)

// Options configure the handler.
type Options struct {
	// Streams ends long-lived responses (the hall boards' event streams)
	// when it is done; nil: they end only with their request.
	Streams       context.Context
	DB            *db.DB
	Identity      *identity.Service
	Calendars     *calendar.Set
	Region        string
	SecureCookies bool
	Demo          bool
	MetricsToken  string // when set, /metrics requires "Authorization: Bearer TOKEN"
	Now           func() time.Time
	Blobs         blob.Store     // uploaded materials; a temporary directory when nil (tests)
	Cases         *cases.Service // the case engine; built from the above when nil
	AuditKeys     *audit.Keys    // signs audit checkpoints; nil: none issued
	// Licences is the licence library, already connected to Cases; when nil
	// and Cases is built here, an in-memory CA signs (tests).
	Licences  *license.Service
	PublicURL string // the platform's public address for QR codes; "" = the request's host
	// VerifyPerMinute bounds public licence verifications per client address
	// and replica (each is written down); 0: the default, 120; -1: none.
	VerifyPerMinute int
	// TrustedProxies are the reverse proxies whose forwarding headers name
	// the client (edge.Proxies); none: the TCP peer is the client.
	TrustedProxies edge.Proxies
	// ProgressPerMinute bounds public progress queries per client address
	// and replica (issue 14); 0: the default, 20; -1: none.
	ProgressPerMinute int
	// Site is the installation's identity for the portal's header and
	// footer; read from the database when nil.
	Site *site.Info
	// Screen is the demo's SMS gateway, shown on /demo/sms; nil: no page.
	Screen *deliver.Screen
	// Catalog is the catalog the case engine uses (one cache for all);
	// nil: a new one.
	Catalog *catalog.Catalog
	// Templates render notifications (the channels' too, with the SMS
	// signature); nil: a new renderer.
	Templates *notify.TemplateRenderer
	// Open311PerMinute bounds each Open311 client's POSTed requests per
	// replica (issue 18); 0: the default, 60; -1: none. Reads are bounded
	// per client address like the public progress query (120 a minute).
	Open311PerMinute int
}

// Handler builds the root handler.
func Handler(o Options) (http.Handler, *api.Server, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	cat := o.Catalog
	if cat == nil {
		cat = catalog.New(o.DB)
	}
	if cat.Home == "" {
		cat.Home = o.Region
	}
	cs := o.Cases
	if cs == nil {
		if o.Blobs == nil {
			dir, err := os.MkdirTemp("", "tongban-files-")
			if err != nil {
				return nil, nil, err
			}
			o.Blobs = blob.Dir{Root: dir}
		}
		var err error
		if cs, err = cases.New(o.DB, cat, o.Identity, o.Calendars, o.Blobs); err != nil {
			return nil, nil, fmt.Errorf("server: processes: %w", err)
		}
		if o.Licences == nil {
			keys, err := license.NewMemoryKeyring(license.AlgSM2, o.Now)
			if err != nil {
				return nil, nil, err
			}
			o.Licences = &license.Service{DB: o.DB, Keys: keys, Identity: o.Identity}
			cs.SetLicensing(o.Licences)
		}
	}
	if o.Licences != nil && o.Licences.Home == "" {
		o.Licences.Home = o.Region
	}
	if o.Site == nil {
		info, err := site.Load(context.Background(), o.DB)
		if err != nil {
			return nil, nil, fmt.Errorf("server: site: %w", err)
		}
		o.Site = info
	}
	portal, err := site.NewPortal(context.Background(), o.DB, o.Region, o.Site)
	if err != nil {
		return nil, nil, fmt.Errorf("server: site: %w", err)
	}
	perMinute := o.VerifyPerMinute
	if perMinute == 0 {
		perMinute = 120
	}
	limit := &edge.Limiter{PerMinute: perMinute, Key: "licence.throttled", Now: o.Now}
	progressPerMinute := o.ProgressPerMinute
	if progressPerMinute == 0 {
		progressPerMinute = 20
	}
	progress := &edge.Limiter{PerMinute: progressPerMinute, Key: "case.progress_throttled", Now: o.Now}
	// Notification templates are the installation's data (issue 16).
	templates := o.Templates
	if templates == nil {
		templates = &notify.TemplateRenderer{DB: o.DB, Home: o.Region}
	}
	box := &notify.Box{DB: o.DB, Templates: templates}
	// Every reader and service is built once and shared by the pages and the API.
	sup := &supervise.Reader{DB: o.DB}
	supAdmin := &supervise.Admin{DB: o.DB, Home: o.Region}
	figures := &stats.Reader{DB: o.DB}
	anomalies := &anomaly.Reader{DB: o.DB}
	// Agents' mandates (授权委托): a written one's file is a stored upload.
	mandates := &mandate.Service{DB: o.DB, Identity: o.Identity, Files: cs.OpenStored}
	// 诉求 work orders (issue 18), on the work-order clocks.
	appeals := &appeal.Service{DB: o.DB, Identity: o.Identity, Calendars: o.Calendars}
	// Open311 GeoReport v2 (issue 18): clients registered by administrators,
	// requests submitted as work orders.
	o311Clients := &open311.Clients{DB: o.DB, Home: o.Region}
	o311PerMinute := o.Open311PerMinute
	if o311PerMinute == 0 {
		o311PerMinute = 60
	}
	o311 := &open311.Handler{Appeals: appeals, Clients: o311Clients,
		Home: o.Region, Site: portal, PublicURL: o.PublicURL, Secure: o.SecureCookies, Now: o.Now,
		PostLimit: &edge.Limiter{PerMinute: o311PerMinute, Key: "open311.throttled", Now: o.Now},
		ReadLimit: &edge.Limiter{PerMinute: 120, Key: "open311.throttled", Now: o.Now}}
	// 好差评 and the 差评 work orders (issue 18).
	ratings := &rating.Service{DB: o.DB, Calendars: o.Calendars}
	// The service halls' queues (issue 19); anonymous takes at a hall's
	// kiosk page are limited per client address.
	halls := &queue.Service{DB: o.DB, Vault: o.Identity.Vault()}
	takeLimit := &edge.Limiter{PerMinute: 30, Key: "queue.take_throttled", Now: o.Now}
	// 网上预约 (issue 19): slots by the hall's region's calendar.
	bookings := &booking.Service{DB: o.DB, Calendars: o.Calendars, Root: o.Region}
	ws, err := web.New(web.Deps{Streams: o.Streams, Queue: halls, QueueTakeLimit: takeLimit, Booking: bookings, Mandates: mandates, Ratings: ratings, Appeals: appeals, Open311: o311Clients, Identity: o.Identity, Catalog: cat, Cases: cs, Supervision: sup,
		Notify: box, Templates: templates, Stats: figures, Anomalies: anomalies,
		SupervisionAdmin: supAdmin, AuditDB: o.DB, AuditKeys: o.AuditKeys, Licences: o.Licences, PublicURL: o.PublicURL, VerifyLimit: limit, ProgressLimit: progress,
		Calendars: o.Calendars, Region: o.Region, SecureCookies: o.SecureCookies, Demo: o.Demo, Now: o.Now, Site: portal, Screen: o.Screen})
	if err != nil {
		return nil, nil, fmt.Errorf("server: templates: %w", err)
	}
	as := api.New(api.Deps{Queue: halls, Booking: bookings, Mandates: mandates, Ratings: ratings, Appeals: appeals, Open311: o311Clients, Identity: o.Identity, Catalog: cat, Cases: cs, Supervision: sup, SupervisionAdmin: supAdmin, Notify: box, Templates: templates, Stats: figures, Anomalies: anomalies,
		AuditDB: o.DB, AuditKeys: o.AuditKeys, Licences: o.Licences, PublicURL: o.PublicURL, VerifyLimit: limit, ProgressLimit: progress, Calendars: o.Calendars, Region: o.Region, Now: o.Now, Site: portal})

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := newMetrics(reg)
	reg.MustRegister(newOutboxCollector(o.DB))

	mux := http.NewServeMux()
	ws.Register(mux)
	as.Register(mux)
	o311.Register(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := o.DB.Ping(ctx); err != nil {
			slog.WarnContext(ctx, "readyz: database unreachable", "err", err)
			p := edge.ProblemOf(ctx, edge.Lang(r), apperr.E(apperr.Unavailable, "error.unavailable"))
			p.SetHeaders(w.Header())
			w.WriteHeader(p.Status)
			json.NewEncoder(w).Encode(p)
			return
		}
		w.Write([]byte(`{"status":"ready"}` + "\n"))
	})
	metricsHandler := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if o.MetricsToken != "" {
			got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if subtle.ConstantTimeCompare([]byte(got), []byte(o.MetricsToken)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		metricsHandler.ServeHTTP(w, r)
	})

	// Browsers send Sec-Fetch-Site/Origin; cross-site state changes are
	// refused before any handler runs (defence in depth beside the tokens).
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail(ws, w, r, apperr.E(apperr.Forbidden, "error.csrf"))
	}))
	protected := cop.Handler(mux)
	root := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/open311/") {
			mux.ServeHTTP(w, r) // bearer tokens or api_keys, not cookies: no CSRF exposure
			return
		}
		protected.ServeHTTP(w, r)
	})
	return o.TrustedProxies.TrustProxies(recoverer(ws, strictTransport(o.SecureCookies, securityHeaders(m.wrap(inputs(ws, root)))))), as, nil
}

// fail answers with the error page or the JSON error shape.
func fail(ws *web.Server, w http.ResponseWriter, r *http.Request, err error) {
	if strings.HasPrefix(r.URL.Path, "/open311/") {
		open311.Fail(w, r, err) // the GeoReport v2 error list
		return
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		p := edge.ProblemOf(r.Context(), edge.Lang(r), err)
		p.SetHeaders(w.Header())
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(p.Status)
		json.NewEncoder(w).Encode(p)
		return
	}
	ws.Fail(w, r, err)
}

// recoverer turns a panic into a logged internal error with a reference;
// the user never sees a stack trace.
func recoverer(ws *web.Server, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				fail(ws, w, r, apperr.Internalf("panic", fmt.Errorf("%v\n%s", p, debug.Stack())))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// strictTransport tells browsers to reach this host only over TLS for a
// year (OWASP ASVS 4.0 V14.4.5, HSTS with includeSubDomains), on every
// answer that came over TLS or, with secure set, through a TLS proxy. Plain
// HTTP answers without secure carry none: a browser ignores it there.
func strictTransport(secure bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if secure || r.TLS != nil {
			w.Header().Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// inputs refuses a request whose path, query or stored headers carry text
// no input may (edge.CheckRequest) before any handler reads them; bodies are
// checked where they are parsed (web forms, API JSON).
func inputs(ws *web.Server, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := edge.CheckRequest(r); err != nil {
			fail(ws, w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// permissionsPolicy turns off the powerful browser features no page of the
// platform uses, so an injected script or a framed page cannot ask for them.
const permissionsPolicy = "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), " +
	"magnetometer=(), microphone=(), midi=(), payment=(), publickey-credentials-get=(), screen-wake-lock=(), " +
	"serial=(), usb=(), xr-spatial-tracking=()"

// privatePaths show personal data without a session: the public progress
// query, a shared licence, a verification's result, an invitation link's
// page (the invited account's name), the kiosk's rating page, the hall's
// kiosk (a shared terminal).
var privatePaths = []string{"/progress", "/s/", "/verify", "/invite/", "/rate", "/kiosk/"}

// noStore reports whether a response must not be kept by a browser or a
// proxy: any request carrying a session (cookie or bearer token) — hall
// terminals are shared — and the pages above. Handlers that know better
// (static assets) set their own Cache-Control after this.
func noStore(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" {
		return true
	}
	for _, name := range []string{edge.SessionCookie, "__Host-" + edge.SessionCookie} { // under TLS the cookie is __Host- (edge.CookieName)
		if c, err := r.Cookie(name); err == nil && c.Value != "" {
			return true
		}
	}
	for _, p := range privatePaths {
		if strings.HasPrefix(r.URL.Path, p) {
			return true
		}
	}
	return false
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if noStore(r) {
			h.Set("Cache-Control", "no-store")
		}
		h.Set("Permissions-Policy", permissionsPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
		next.ServeHTTP(w, r)
	})
}
