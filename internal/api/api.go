// Package api serves the JSON REST API under /api/v1. Every response that is
// not a success carries one error shape, {"code","message_key","message"},
// with the status its code maps to. Clients authenticate with
// POST /api/v1/auth/login and then "Authorization: Bearer TOKEN".
package api

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/anomaly"
	"github.com/tongban/tongban/internal/appeal"
	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/booking"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
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
)

//go:embed openapi.json
var openapiDoc []byte

// Deps are what the API needs.
type Deps struct {
	Identity         *identity.Service
	Catalog          *catalog.Catalog
	Cases            *cases.Service
	Supervision      *supervise.Reader
	SupervisionAdmin *supervise.Admin
	Notify           *notify.Box
	Templates        *notify.TemplateRenderer // notification templates (issue 16)
	Site             *site.Portal             // the installation's identity (header, footer), edited by its administrators
	Stats            *stats.Reader
	Anomalies        *anomaly.Reader
	AuditDB          *db.DB      // the audit log's database
	AuditKeys        *audit.Keys // nil: no checkpoints (serve without keys)
	Licences         *license.Service
	Mandates         *mandate.Service // agents' mandates (授权委托)
	Ratings          *rating.Service  // 好差评 and the 差评 work orders
	Booking          *booking.Service // 网上预约 (issue 19)
	Queue            *queue.Service   // the service halls' queues (取号叫号)
	Open311          *open311.Clients // Open311 GeoReport v2 clients (issue 18)
	Appeals          *appeal.Service  // 诉求 work orders
	VerifyLimit      *edge.Limiter    // public verifications per client address
	ProgressLimit    *edge.Limiter    // public progress queries per client address
	PublicURL        string           // the platform's public address for links; "" = the request's host
	Calendars        *calendar.Set
	Region           string // the installation's home region, the default scope of lists
	Now              func() time.Time
}

// Server is the API.
type Server struct {
	Deps
	routes []Route
}

// Route is one registered endpoint; the OpenAPI document must list each.
type Route struct {
	Method, Path string
	Public       bool
}

// New returns the API server.
func New(d Deps) *Server {
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Server{Deps: d}
}

// handler is an API handler: it writes a success or returns an error.
type handler func(w http.ResponseWriter, r *http.Request) error

// Register adds the API routes to mux.
func (s *Server) Register(mux *http.ServeMux) {
	s.handle(mux, "GET", "/api/v1/openapi.json", true, s.openapi)
	s.handle(mux, "POST", "/api/v1/auth/login", true, s.login)
	s.handle(mux, "POST", "/api/v1/auth/logout", false, s.logout)
	s.handle(mux, "POST", "/api/v1/auth/sms-code", true, s.smsCode)
	s.handle(mux, "POST", "/api/v1/auth/password-reset", true, s.passwordReset)
	s.handle(mux, "POST", "/api/v1/register/code", true, s.registerCode)
	s.handle(mux, "POST", "/api/v1/register", true, s.register)
	s.handle(mux, "POST", "/api/v1/assurance", false, s.verifyInPerson)
	s.handle(mux, "POST", "/api/v1/assurance/code", false, s.assuranceCode)
	s.handle(mux, "POST", "/api/v1/assurance/enterprise", false, s.bindEnterpriseAtWindow)
	s.handle(mux, "GET", "/api/v1/me", false, s.me)
	s.handle(mux, "POST", "/api/v1/me/password", false, s.changePassword)
	s.handle(mux, "GET", "/api/v1/me/contacts", false, s.myContacts)
	s.handle(mux, "PUT", "/api/v1/me/contacts", false, s.setContacts)
	s.handle(mux, "GET", "/api/v1/me/data", false, s.myData)
	s.handle(mux, "GET", "/api/v1/me/profile", false, s.myProfile)
	s.handle(mux, "PATCH", "/api/v1/me/profile", false, s.correctProfile)
	s.handle(mux, "POST", "/api/v1/me/phone/code", false, s.phoneCode)
	s.handle(mux, "PUT", "/api/v1/me/phone", false, s.changePhone)
	s.handle(mux, "POST", "/api/v1/me/close", false, s.closeAccount)
	s.handle(mux, "POST", "/api/v1/persons/corrections", false, s.correctPerson)
	s.handle(mux, "GET", "/api/v1/me/enterprises", false, s.myEnterprises)
	s.handle(mux, "POST", "/api/v1/me/enterprises", false, s.bindEnterprise)
	s.handle(mux, "GET", "/api/v1/me/enterprises/{code}/operators", false, s.enterpriseOperators)
	s.handle(mux, "POST", "/api/v1/me/enterprises/{code}/operators", false, s.authoriseOperator)
	s.handle(mux, "POST", "/api/v1/me/enterprises/{code}/operators/{id}/revoke", false, s.revokeOperator)
	s.handle(mux, "GET", "/api/v1/admin/outbox", false, s.outbox)
	s.handle(mux, "POST", "/api/v1/admin/outbox/{id}/resend", false, s.resend)
	s.handle(mux, "GET", "/api/v1/codes/check", false, s.codesCheck)
	s.handle(mux, "GET", "/api/v1/calendar/add", false, s.calendarAdd)
	s.handle(mux, "GET", "/api/v1/calendar/between", false, s.calendarBetween)
	s.handle(mux, "GET", "/api/v1/calendar/workday", false, s.calendarWorkday)
	s.handle(mux, "GET", "/api/v1/regions/{code}/children", true, s.regionChildren)
	s.handle(mux, "GET", "/api/v1/departments", true, s.departments)
	s.handle(mux, "GET", "/api/v1/halls", true, s.halls)
	s.handle(mux, "GET", "/api/v1/items", true, s.items)
	s.handle(mux, "GET", "/api/v1/items/{code}", true, s.item)
	s.handle(mux, "GET", "/api/v1/items/{code}/versions", true, s.itemVersions)
	s.handle(mux, "GET", "/api/v1/bundles", true, s.bundles)
	s.handle(mux, "GET", "/api/v1/bundles/{code}", true, s.bundle)
	s.handle(mux, "GET", "/api/v1/admin/items", false, s.adminItems)
	s.handle(mux, "GET", "/api/v1/admin/items/{code}/draft", false, s.adminDraft)
	s.handle(mux, "PUT", "/api/v1/admin/items/{code}/draft", false, s.adminSaveDraft)
	s.handle(mux, "DELETE", "/api/v1/admin/items/{code}/draft", false, s.adminDiscardDraft)
	s.handle(mux, "POST", "/api/v1/admin/items/{code}/publish", false, s.adminPublish)
	s.handle(mux, "GET", "/api/v1/admin/items/{code}/versions", false, s.adminVersions)
	s.handle(mux, "GET", "/api/v1/admin/items/{code}/diff", false, s.adminDiff)
	s.handle(mux, "PUT", "/api/v1/admin/bundles/{code}", false, s.adminSaveBundle)
	s.handle(mux, "GET", "/api/v1/admin/catalog/export", false, s.adminExport)
	s.handle(mux, "POST", "/api/v1/admin/catalog/import", false, s.adminImport)
	s.handle(mux, "GET", "/api/v1/admin/synonyms", false, s.adminSynonyms)
	s.handle(mux, "PUT", "/api/v1/admin/synonyms/{term}", false, s.adminPutSynonym)
	s.handle(mux, "DELETE", "/api/v1/admin/synonyms/{term}", false, s.adminDeleteSynonym)
	s.handle(mux, "GET", "/api/v1/admin/departments", false, s.adminDepartments)
	s.handle(mux, "POST", "/api/v1/admin/departments", false, s.createDepartment)
	s.handle(mux, "PATCH", "/api/v1/admin/departments/{id}", false, s.updateDepartment)
	s.handle(mux, "GET", "/api/v1/admin/halls", false, s.adminHalls)
	s.handle(mux, "POST", "/api/v1/admin/halls", false, s.createHall)
	s.handle(mux, "PATCH", "/api/v1/admin/halls/{id}", false, s.updateHall)
	s.handle(mux, "GET", "/api/v1/admin/halls/{id}/windows", false, s.hallWindows)
	s.handle(mux, "POST", "/api/v1/admin/halls/{id}/windows", false, s.createWindow)
	s.handle(mux, "PATCH", "/api/v1/admin/windows/{id}", false, s.updateWindow)
	s.handle(mux, "PUT", "/api/v1/admin/regions/{code}/served", false, s.putServed)
	s.handle(mux, "GET", "/api/v1/admin/organisation/export", false, s.adminOrgExport)
	s.handle(mux, "POST", "/api/v1/admin/organisation/import", false, s.adminOrgImport)
	s.handle(mux, "GET", "/api/v1/admin/adoptions", false, s.adminAdoptions)
	s.handle(mux, "GET", "/api/v1/admin/adoption-offers", false, s.adminOffered)
	s.handle(mux, "POST", "/api/v1/admin/adoptions", false, s.adopt)
	s.handle(mux, "PATCH", "/api/v1/admin/adoptions/{code}", false, s.updateAdoption)
	s.handle(mux, "POST", "/api/v1/admin/adoptions/{code}/withdraw", false, s.withdrawAdoption)
	s.handle(mux, "POST", "/api/v1/materials", false, s.uploadMaterial)
	s.handle(mux, "POST", "/api/v1/cases", false, s.createCase)
	s.handle(mux, "GET", "/api/v1/cases", false, s.listCases)
	s.handle(mux, "GET", "/api/v1/cases/{no}", false, s.getCase)
	s.handle(mux, "POST", "/api/v1/cases/{no}/actions", false, s.actOnCase)
	s.handle(mux, "GET", "/api/v1/cases/{no}/timeline", false, s.caseTimeline)
	s.handle(mux, "GET", "/api/v1/cases/{no}/materials/{id}", false, s.caseMaterial)
	s.handle(mux, "GET", "/api/v1/progress", true, s.progress)
	s.handle(mux, "GET", "/api/v1/mandates", false, s.myMandates)
	s.handle(mux, "GET", "/api/v1/ratings/indicators", true, s.ratingIndicators)
	s.handle(mux, "GET", "/api/v1/ratings/orders", false, s.ratingOrders)
	s.handle(mux, "GET", "/api/v1/ratings/orders/{id}", false, s.ratingOrder)
	s.handle(mux, "POST", "/api/v1/ratings/orders/{id}/actions", false, s.ratingOrderAct)
	s.handle(mux, "GET", "/api/v1/cases/{no}/ratings", false, s.caseRatings)
	s.handle(mux, "GET", "/api/v1/admin/rating-rules", false, s.ratingRules)
	s.handle(mux, "PUT", "/api/v1/admin/rating-rules/{region}", false, s.saveRatingRule)
	s.handle(mux, "POST", "/api/v1/cases/{no}/ratings", false, s.rateCase)
	s.handle(mux, "POST", "/api/v1/mandates", false, s.requestMandate)
	s.handle(mux, "GET", "/api/v1/mandates/{id}", false, s.getMandate)
	s.handle(mux, "POST", "/api/v1/mandates/{id}/confirm", false, s.confirmMandate)
	s.handle(mux, "POST", "/api/v1/mandates/{id}/code", false, s.resendMandateCode)
	s.handle(mux, "POST", "/api/v1/mandates/{id}/answer", false, s.answerMandate)
	s.handle(mux, "POST", "/api/v1/mandates/{id}/revoke", false, s.revokeMandate)
	s.handle(mux, "POST", "/api/v1/mandates/{id}/check", false, s.checkMandate)
	s.handle(mux, "GET", "/api/v1/mandates/{id}/document", false, s.mandateDocument)
	s.handle(mux, "GET", "/api/v1/mandate-checks", false, s.mandateChecks)
	s.handle(mux, "GET", "/api/v1/halls/{id}/booking", true, s.bookingOffer)
	s.handle(mux, "GET", "/api/v1/halls/{id}/bookings", false, s.hallBookings)
	s.handle(mux, "GET", "/api/v1/bookings", false, s.myBookings)
	s.handle(mux, "POST", "/api/v1/bookings", false, s.book)
	s.handle(mux, "GET", "/api/v1/bookings/{id}", false, s.getBooking)
	s.handle(mux, "POST", "/api/v1/bookings/{id}/cancel", false, s.cancelBooking)
	s.handle(mux, "POST", "/api/v1/bookings/{id}/check-in", false, s.checkInBooking)
	s.handle(mux, "GET", "/api/v1/admin/halls/{id}/booking", false, s.bookingSetup)
	s.handle(mux, "POST", "/api/v1/admin/halls/{id}/booking-templates", false, s.createBookingTemplate)
	s.handle(mux, "PUT", "/api/v1/admin/halls/{id}/booking-templates/{tid}", false, s.putBookingTemplate)
	s.handle(mux, "DELETE", "/api/v1/admin/halls/{id}/booking-templates/{tid}", false, s.deleteBookingTemplate)
	s.handle(mux, "PUT", "/api/v1/admin/halls/{id}/booking-blackouts/{day}", false, s.putBookingBlackout)
	s.handle(mux, "DELETE", "/api/v1/admin/halls/{id}/booking-blackouts/{day}", false, s.deleteBookingBlackout)
	s.handle(mux, "GET", "/api/v1/admin/booking-policy", false, s.getBookingPolicy)
	s.handle(mux, "PUT", "/api/v1/admin/booking-policy", false, s.putBookingPolicy)
	s.handle(mux, "GET", "/api/v1/appeal-categories", true, s.appealCategories)
	s.handle(mux, "PUT", "/api/v1/admin/appeal-categories/{code}", false, s.putAppealCategory)
	s.handle(mux, "POST", "/api/v1/appeals", true, s.submitAppeal)
	s.handle(mux, "GET", "/api/v1/appeals", false, s.appeals)
	s.handle(mux, "GET", "/api/v1/published-appeals", true, s.publishedAppeals)
	s.handle(mux, "GET", "/api/v1/appeals/{id}", false, s.getAppeal)
	s.handle(mux, "POST", "/api/v1/appeals/{id}/actions", false, s.actAppeal)
	s.handle(mux, "GET", "/api/v1/appeals/{id}/contact", false, s.appealContact)
	s.handle(mux, "GET", "/api/v1/supervision/appeals/report", false, s.appealReport)
	s.handle(mux, "POST", "/api/v1/villagers/code", false, s.villagerCode)
	s.handle(mux, "POST", "/api/v1/villagers", false, s.registerVillager)
	s.handle(mux, "POST", "/api/v1/cases/{no}/urge", false, s.urgeCase)
	s.handle(mux, "GET", "/api/v1/supervision/signals", false, s.supervisionSignals)
	s.handle(mux, "GET", "/api/v1/supervision/orders", false, s.supervisionOrders)
	s.handle(mux, "GET", "/api/v1/supervision/stats", false, s.supervisionStats)
	s.handle(mux, "GET", "/api/v1/supervision/anomalies", false, s.supervisionAnomalies)
	s.handle(mux, "GET", "/api/v1/supervision/reports/monthly", false, s.monthlyReport)
	s.handle(mux, "GET", "/api/v1/supervision/settings", false, s.supervisionSettings)
	s.handle(mux, "GET", "/api/v1/audit/checkpoint", true, s.auditCheckpoint)
	s.handle(mux, "GET", "/api/v1/audit/records/{index}", false, s.auditRecord)
	s.handle(mux, "GET", "/api/v1/audit/consistency", true, s.auditConsistency)
	s.handle(mux, "PUT", "/api/v1/admin/signal-thresholds", false, s.putThresholds)
	s.handle(mux, "DELETE", "/api/v1/admin/signal-thresholds", false, s.deleteThresholds)
	s.handle(mux, "PUT", "/api/v1/admin/escalation-rules/{id}", false, s.putRule)
	s.handle(mux, "GET", "/api/v1/stats", true, s.publicStats)
	s.handle(mux, "GET", "/api/v1/notifications", false, s.notifications)
	s.handle(mux, "POST", "/api/v1/notifications/read", false, s.readNotifications)
	s.handle(mux, "GET", "/api/v1/licences", false, s.myLicences)
	s.handle(mux, "GET", "/api/v1/licences/{identifier}", false, s.licence)
	s.handle(mux, "GET", "/api/v1/licences/{identifier}/file", false, s.licenceFile)
	s.handle(mux, "POST", "/api/v1/licences/{identifier}/share", false, s.shareLicence)
	s.handle(mux, "POST", "/api/v1/licences/{identifier}/status", false, s.licenceStatus)
	s.handle(mux, "GET", "/api/v1/verify/{identifier}", true, s.verify)
	s.handle(mux, "POST", "/api/v1/verify", true, s.verifyFile)
	s.handle(mux, "GET", "/api/v1/shares/{token}", true, s.openShare)
	s.handle(mux, "GET", "/api/v1/licence-types", true, s.licenceTypes)
	s.handle(mux, "GET", "/api/v1/licence-certs", true, s.licenceCerts)
	s.handle(mux, "PUT", "/api/v1/admin/licence-types/{code}", false, s.putLicenceType)
	s.handle(mux, "GET", "/api/v1/admin/site", false, s.getSite)
	s.handle(mux, "PUT", "/api/v1/admin/site", false, s.putSite)
	s.handle(mux, "GET", "/api/v1/admin/notification-templates", false, s.listTemplates)
	s.handle(mux, "PUT", "/api/v1/admin/notification-templates/{kind}/{channel}/{lang}", false, s.putTemplate)
	s.handle(mux, "GET", "/api/v1/admin/staff", false, s.listStaff)
	s.handle(mux, "POST", "/api/v1/admin/staff", false, s.createStaff)
	s.handle(mux, "GET", "/api/v1/admin/staff-exchange", false, s.exportStaff)
	s.handle(mux, "POST", "/api/v1/admin/staff-exchange", false, s.importStaff)
	s.handle(mux, "GET", "/api/v1/admin/staff/{id}", false, s.getStaff)
	s.handle(mux, "PATCH", "/api/v1/admin/staff/{id}", false, s.patchStaff)
	s.handle(mux, "PUT", "/api/v1/admin/staff/{id}/grants", false, s.putStaffGrants)
	s.handle(mux, "POST", "/api/v1/admin/staff/{id}/password", false, s.resetStaffPassword)
	s.handle(mux, "POST", "/api/v1/admin/staff/{id}/second-factor/reset", false, s.resetStaffSecondFactor)
	s.handle(mux, "POST", "/api/v1/admin/staff/{id}/unlock", false, s.unlockStaff)
	s.handle(mux, "POST", "/api/v1/admin/staff/{id}/invitation", false, s.issueStaffInvitation)
	s.handle(mux, "DELETE", "/api/v1/admin/staff/{id}/invitation", false, s.revokeStaffInvitation)
	s.handle(mux, "GET", "/api/v1/halls/{id}/services", true, s.hallServices)
	s.handle(mux, "GET", "/api/v1/halls/{id}/board", true, s.hallBoard)
	s.handle(mux, "GET", "/api/v1/halls/{id}/queue-windows", false, s.queueWindows)
	s.handle(mux, "GET", "/api/v1/halls/{id}/queue-figures", false, s.hallFigures)
	s.handle(mux, "POST", "/api/v1/admin/halls/{id}/services", false, s.createHallService)
	s.handle(mux, "PATCH", "/api/v1/admin/hall-services/{id}", false, s.updateHallService)
	s.handle(mux, "PUT", "/api/v1/admin/windows/{id}/services", false, s.putWindowServices)
	s.handle(mux, "POST", "/api/v1/queue/tickets", false, s.takeTicket)
	s.handle(mux, "GET", "/api/v1/queue/tickets/{id}", true, s.ticketStatus)
	s.handle(mux, "POST", "/api/v1/queue/tickets/{id}/rating", true, s.rateTicket)
	s.handle(mux, "POST", "/api/v1/queue/tickets/{id}/actions", false, s.queueTicketAction)
	s.handle(mux, "POST", "/api/v1/queue/session", false, s.queueSignOn)
	s.handle(mux, "DELETE", "/api/v1/queue/session", false, s.queueSignOff)
	s.handle(mux, "GET", "/api/v1/queue/console", false, s.queueConsole)
	s.handle(mux, "POST", "/api/v1/queue/call-next", false, s.queueCallNext)
	s.handle(mux, "GET", "/api/v1/admin/open311-clients", false, s.open311Clients)
	s.handle(mux, "POST", "/api/v1/admin/open311-clients", false, s.registerOpen311Client)
	s.handle(mux, "POST", "/api/v1/admin/open311-clients/{id}/revoke", false, s.revokeOpen311Client)

	// The same path with another method: 405 with Allow, in the error shape.
	byPath := map[string][]string{}
	for _, rt := range s.routes {
		byPath[rt.Path] = append(byPath[rt.Path], rt.Method)
	}
	for path, methods := range byPath {
		allow := strings.Join(methods, ", ")
		mux.Handle(path, s.wrap(true, func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Allow", allow)
			return errMethod
		}))
	}
	mux.Handle("/api/", s.wrap(true, func(w http.ResponseWriter, r *http.Request) error {
		return apperr.E(apperr.NotFound, "error.not_found")
	}))
}

var errMethod = errors.New("method not allowed")

// passwordChangePaths are what an account that must change its password
// may call: who it is, the change, and logging out.
var passwordChangePaths = map[string]bool{
	"GET /api/v1/me":           true,
	"POST /api/v1/me/password": true,
	"POST /api/v1/auth/logout": true,
}

// Routes lists the registered endpoints.
func (s *Server) Routes() []Route {
	rs := slices.Clone(s.routes)
	sort.Slice(rs, func(i, j int) bool { return rs[i].Path+rs[i].Method < rs[j].Path+rs[j].Method })
	return rs
}

func (s *Server) handle(mux *http.ServeMux, method, path string, public bool, h handler) {
	s.routes = append(s.routes, Route{Method: method, Path: path, Public: public})
	mux.Handle(method+" "+path, s.wrap(public, h))
}

type userKey struct{}

// userFrom returns the authenticated user of a non-public route.
func userFrom(ctx context.Context) *identity.User {
	u, _ := ctx.Value(userKey{}).(*identity.User)
	return u
}

type tokenKey struct{}

func (s *Server) wrap(public bool, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if !public {
			token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || token == "" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="tongban"`)
				s.fail(w, r, apperr.E(apperr.Unauthenticated, "error.unauthenticated"))
				return
			}
			_, u, err := s.Identity.Authenticate(r.Context(), token, identity.SessionAPI)
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="tongban", error="invalid_token"`)
				s.fail(w, r, err)
				return
			}
			if u.MustChangePassword && !passwordChangePaths[r.Pattern] {
				// An administrator set this password (a one-time password):
				// it is changed before anything else (OWASP ASVS 4.0 V2.1.11).
				s.fail(w, r, apperr.E(apperr.Forbidden, "auth.password_change_required"))
				return
			}
			ctx := context.WithValue(r.Context(), userKey{}, u)
			r = r.WithContext(context.WithValue(ctx, tokenKey{}, token))
		}
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	lang := edge.Lang(r)
	if errors.Is(err, errMethod) {
		p := edge.ProblemOf(r.Context(), lang, apperr.E(apperr.Invalid, "error.method_not_allowed"))
		p.Code = "method_not_allowed"
		writeJSON(w, http.StatusMethodNotAllowed, p)
		return
	}
	p := edge.ProblemOf(r.Context(), lang, err)
	p.SetHeaders(w.Header())
	writeJSON(w, p.Status, p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// decode reads a JSON body strictly: only as application/json (else 415),
// at most 1 MiB, UTF-8, one value that is not null, every string and key
// passing the edge's text check (edge.CheckJSON), no unknown fields and
// nothing after the value.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if err := jsonMedia(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apperr.E(apperr.Invalid, "error.body_too_large")
		}
		return apperr.E(apperr.Invalid, "error.bad_json", "detail", "unreadable body")
	}
	return decodeJSON(body, v)
}

// jsonMedia accepts application/json, with no charset or UTF-8's (RFC 8259
// §8.1: JSON between systems is UTF-8).
func jsonMedia(ct string) error {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return apperr.E(apperr.Unsupported, "error.unsupported_media_type")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return apperr.E(apperr.Unsupported, "error.unsupported_media_type")
	}
	return nil
}

// decodeJSON decodes body into v after the edge's checks; every refusal is
// an apperr with a 4xx code (FuzzDecodeNewCase holds it to that).
func decodeJSON(body []byte, v any) error {
	if !utf8.Valid(body) {
		// Marked, so that the walk below names the field they are in.
		body = bytes.ToValidUTF8(body, []byte(edge.BadByte))
	}
	var raw any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return apperr.E(apperr.Invalid, "error.bad_json", "detail", "empty body")
		}
		return apperr.E(apperr.Invalid, "error.bad_json", "detail", err.Error())
	}
	if dec.More() {
		return apperr.E(apperr.Invalid, "error.bad_json", "detail", "trailing data after the JSON value")
	}
	if raw == nil {
		return apperr.E(apperr.Invalid, "error.json_null")
	}
	if err := edge.CheckJSON(raw); err != nil {
		return err
	}
	dec = json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return apperr.E(apperr.Invalid, "error.bad_json", "detail", err.Error())
	}
	return nil
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(openapiDoc)
	return nil
}
