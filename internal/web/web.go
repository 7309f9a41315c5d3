// Package web serves Tongban's HTML: the public portal, the staff
// workbench, supervision and administration. Pages are html/template with
// htmx for partial updates; every asset is embedded. Handlers are thin: they
// authenticate, authorise, call one service method and render.
package web

import (
	"bytes"
	"context"
	"embed"
	"github.com/tongban/tongban/internal/anomaly"
	"github.com/tongban/tongban/internal/appeal"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/booking"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

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
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Deps are what the web layer needs.
type Deps struct {
	Identity         *identity.Service
	Catalog          *catalog.Catalog
	Cases            *cases.Service
	Supervision      *supervise.Reader
	Notify           *notify.Box
	Templates        *notify.TemplateRenderer // notification templates (issue 16)
	Stats            *stats.Reader
	Anomalies        *anomaly.Reader
	SupervisionAdmin *supervise.Admin
	AuditDB          *db.DB
	AuditKeys        *audit.Keys
	Licences         *license.Service // the licence library; nil: its pages say it is unavailable
	Mandates         *mandate.Service // agents' mandates (授权委托)
	Ratings          *rating.Service  // 好差评 and the 差评 work orders
	Booking          *booking.Service // 网上预约 (issue 19)
	Queue            *queue.Service   // the service halls' queues (取号叫号)
	Streams          context.Context  // done when serving stops: long-lived streams end; nil: never
	QueueTakeLimit   *edge.Limiter    // anonymous takes at a hall's take page per client address
	Open311          *open311.Clients // Open311 GeoReport v2 clients (issue 18)
	Appeals          *appeal.Service  // 诉求 work orders
	VerifyLimit      *edge.Limiter    // public verifications per client address
	ProgressLimit    *edge.Limiter    // public progress queries per client address
	PublicURL        string           // the platform's public address for QR codes; "" = the request's host
	Calendars        *calendar.Set
	Region           string          // the home region whose calendar the home page shows
	SecureCookies    bool            // set Secure on cookies (behind a TLS-terminating proxy)
	Demo             bool            // show the demo logins on the login page
	Site             *site.Portal    // the installation's identity, in the header and footer; nil: none
	Screen           *deliver.Screen // the demo's SMS gateway, shown on /demo/sms; nil: no such page
	Now              func() time.Time
}

// Server holds the parsed templates and the dependencies.
type Server struct {
	Deps
	pages map[string]*template.Template
}

// pages lists every full page; each is parsed together with the layout.
var pageFiles = []string{"home", "login", "workbench", "supervision", "anomalies", "auditcheck", "notifications", "statistics", "admin", "me", "error", "apply", "case", "mycases", "progress", "notice",
	"items", "item", "bundle", "admin_catalog", "admin_item", "admin_diff", "intake", "admin_item_new", "admin_bundle", "admin_synonyms", "admin_organisation", "admin_hall", "admin_adoptions",
	"licences", "licence", "verify", "issued", "logincode", "enrol", "password", "admin_staff", "admin_staff_account", "admin_regions", "invite", "admin_templates", "admin_outbox", "demo_sms",
	"profile", "person_correct", "register", "loginsms", "reset", "assurance", "mandates_agent", "mandates_mine", "mandates_checks", "enterprises", "admin_site", "rate", "ratings", "rating_order",
	"booking", "bookings_mine", "bookings_desk", "admin_booking",
	"hall_take", "hall_ticket", "hall_board", "hall_console", "admin_hall_queue", "hall_figures", "kiosk",
	"appeal_new", "appeals_published", "appeals_mine", "appeals_work", "appeal_order", "appeal_report", "admin_appeals", "admin_open311", "admin_ratings"}

// partials are parsed with every page.
var partials = []string{"templates/layout.html", "templates/appform.html", "templates/badgeset.html", "templates/actions.html", "templates/caselist.html", "templates/figures.html", "templates/staffgrant.html", "templates/orgfields.html", "templates/mandaterow.html", "templates/ratingform.html"}

// New parses the templates; a template error is a build defect.
func New(d Deps) (*Server, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	s := &Server{Deps: d, pages: map[string]*template.Template{}}
	for _, p := range pageFiles {
		t, err := template.New(p).Funcs(funcs).ParseFS(templateFS, append(partials, "templates/"+p+".html")...)
		if err != nil {
			return nil, err
		}
		s.pages[p] = t
	}
	return s, nil
}

// Register adds the web routes to mux. The catch-all "/" answers unknown
// paths with the Chinese 404 page.
func (s *Server) Register(mux *http.ServeMux) {
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheForever(http.FileServerFS(static))))
	// Browsers ask for /favicon.ico by themselves (a PDF, an image opened
	// alone); the pages name /static/favicon.svg and .png.
	mux.Handle("GET /favicon.ico", cacheForever(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, static, "favicon.ico")
	})))

	mux.Handle("GET /{$}", s.page(s.home))
	mux.Handle("GET /login", s.page(s.loginForm))
	mux.Handle("POST /login", s.page(s.login))
	mux.Handle("GET /login/code", s.page(s.loginCodeForm))
	mux.Handle("POST /login/code", s.page(s.loginCode))
	mux.Handle("GET /register", s.page(s.smsPage(registerForm)))
	mux.Handle("POST /register", s.page(s.register))
	mux.Handle("POST /register/code", s.page(s.smsCode(registerForm)))
	mux.Handle("GET /login/sms", s.page(s.smsPage(loginSMSForm)))
	mux.Handle("POST /login/sms", s.page(s.loginSMS))
	mux.Handle("POST /login/sms/code", s.page(s.smsCode(loginSMSForm)))
	mux.Handle("GET /password/reset", s.page(s.smsPage(resetForm)))
	mux.Handle("POST /password/reset", s.page(s.resetPassword))
	mux.Handle("POST /password/reset/code", s.page(s.smsCode(resetForm)))
	mux.Handle("GET /workbench/assurance", s.page(s.assuranceForm, identity.RoleClerk))
	mux.Handle("POST /workbench/assurance", s.page(s.verifyInPerson, identity.RoleClerk))
	mux.Handle("POST /workbench/assurance/code", s.page(s.assuranceCode, identity.RoleClerk))
	mux.Handle("POST /workbench/assurance/enterprise", s.page(s.bindEnterpriseAtWindow, identity.RoleClerk))
	mux.Handle("GET /invite/{token}", s.page(s.inviteForm))
	mux.Handle("GET /demo/sms", s.page(s.demoSMS))
	mux.Handle("POST /invite/{token}", s.page(s.inviteAccept))
	mux.Handle("GET /account/second-factor", s.page(s.enrolForm, anyRole...))
	mux.Handle("POST /account/second-factor", s.page(s.enrol, anyRole...))
	mux.Handle("GET /account/password", s.page(s.passwordForm, anyRole...))
	mux.Handle("POST /account/password", s.page(s.changePassword, anyRole...))
	mux.Handle("POST /logout", s.page(s.logout))
	mux.Handle("POST /prefs", s.page(s.prefs))
	mux.Handle("GET /me", s.page(s.me, anyRole...))
	mux.Handle("POST /me/contacts", s.page(s.saveContacts, anyRole...))
	mux.Handle("GET /me/data.json", s.page(s.myData, anyRole...))
	mux.Handle("GET /me/profile", s.page(s.profilePage, anyRole...))
	mux.Handle("POST /me/profile", s.page(s.correctProfile, anyRole...))
	mux.Handle("POST /me/phone/code", s.page(s.phoneCode, anyRole...))
	mux.Handle("POST /me/phone", s.page(s.changePhone, anyRole...))
	mux.Handle("POST /me/close", s.page(s.closeAccount, anyRole...))
	mux.Handle("GET /workbench/persons", s.page(s.personCorrection, identity.RoleClerk))
	mux.Handle("POST /workbench/persons", s.page(s.personCorrect, identity.RoleClerk))
	mux.Handle("GET /booking", s.page(s.bookingPage, identity.RoleApplicant))
	mux.Handle("POST /booking", s.page(s.bookingPost, identity.RoleApplicant))
	mux.Handle("GET /me/bookings", s.page(s.myBookings, identity.RoleApplicant))
	mux.Handle("POST /me/bookings/{id}/cancel", s.page(s.myBookingCancel, identity.RoleApplicant))
	mux.Handle("POST /me/bookings/{id}/check-in", s.page(s.myBookingCheckIn, identity.RoleApplicant))
	mux.Handle("GET /workbench/bookings", s.page(s.deskBookings, identity.RoleClerk))
	mux.Handle("POST /workbench/bookings/{id}/check-in", s.page(s.deskCheckIn, identity.RoleClerk))
	mux.Handle("GET /admin/halls/{id}/booking", s.page(s.adminBooking, identity.RoleAdmin))
	mux.Handle("POST /admin/halls/{id}/booking/templates", s.page(s.adminBookingTemplate, identity.RoleAdmin))
	mux.Handle("POST /admin/halls/{id}/booking/templates/{tid}/delete", s.page(s.adminBookingTemplateDelete, identity.RoleAdmin))
	mux.Handle("POST /admin/halls/{id}/booking/blackouts", s.page(s.adminBookingBlackout, identity.RoleAdmin))
	mux.Handle("POST /admin/halls/{id}/booking/blackouts/{day}/delete", s.page(s.adminBookingBlackoutDelete, identity.RoleAdmin))
	mux.Handle("GET /me/mandates", s.page(s.myMandates, identity.RoleApplicant))
	mux.Handle("POST /me/mandates/{id}/answer", s.page(s.myMandateAnswer, identity.RoleApplicant))
	mux.Handle("POST /me/mandates/{id}/revoke", s.page(s.myMandateRevoke, identity.RoleApplicant))
	mux.Handle("GET /agent/mandates", s.page(s.agentMandates, identity.RoleAgent))
	mux.Handle("POST /agent/mandates", s.page(s.agentRequest, identity.RoleAgent))
	mux.Handle("POST /agent/mandates/{id}/confirm", s.page(s.agentConfirm, identity.RoleAgent))
	mux.Handle("POST /agent/villagers", s.page(s.agentVillager, identity.RoleAgent))
	mux.Handle("GET /mandates/{id}/document", s.page(s.mandateDocument, mandateRoles...))
	mux.Handle("GET /workbench/mandates", s.page(s.mandateChecks, identity.RoleClerk))
	mux.Handle("POST /workbench/mandates/{id}/check", s.page(s.mandateCheck, identity.RoleClerk))
	mux.Handle("GET /appeals", s.page(s.publishedAppeals))
	mux.Handle("GET /appeals/new", s.page(s.appealNew))
	mux.Handle("POST /appeals/new", s.page(s.appealSubmit))
	mux.Handle("GET /me/appeals", s.page(s.myAppeals, identity.RoleApplicant))
	mux.Handle("POST /me/appeals/{id}/visit", s.page(s.myAppealVisit, identity.RoleApplicant))
	mux.Handle("GET /workbench/appeals", s.page(s.workAppeals, appealStaffRoles...))
	mux.Handle("GET /workbench/appeals/new", s.page(s.appealNew, identity.RoleClerk))
	mux.Handle("POST /workbench/appeals/new", s.page(s.appealSubmit, identity.RoleClerk))
	mux.Handle("GET /workbench/appeals/{id}", s.page(s.appealOrder, appealStaffRoles...))
	mux.Handle("POST /workbench/appeals/{id}/act", s.page(s.appealAct, appealStaffRoles...))
	mux.Handle("GET /admin/appeal-categories", s.page(s.adminAppealCategories, identity.RoleAdmin))
	mux.Handle("POST /admin/appeal-categories", s.page(s.adminAppealCategories, identity.RoleAdmin))
	mux.Handle("GET /supervision/appeals", s.page(s.appealReport, identity.RoleSupervisor, identity.RoleClerk))
	mux.Handle("GET /me/enterprises", s.page(s.enterprises, identity.RoleApplicant))
	mux.Handle("POST /me/enterprises", s.page(s.bindEnterprise, identity.RoleApplicant))
	mux.Handle("POST /me/enterprises/{code}/operators", s.page(s.authoriseOperator, identity.RoleApplicant))
	mux.Handle("POST /me/enterprises/{code}/operators/{id}/revoke", s.page(s.revokeOperator, identity.RoleApplicant))
	mux.Handle("GET /workbench", s.page(s.workbench, workbenchRoles...))
	mux.Handle("GET /workbench/inbox", s.page(s.inbox, workbenchRoles...))
	mux.Handle("GET /supervision", s.page(s.supervision, identity.RoleSupervisor, identity.RoleApprover))
	mux.Handle("GET /supervision/report", s.page(s.monthlyReport, identity.RoleSupervisor, identity.RoleApprover))
	mux.Handle("GET /supervision/anomalies", s.page(s.anomalies, identity.RoleSupervisor, identity.RoleApprover))
	mux.Handle("GET /notifications", s.page(s.notifications, anyRole...))
	mux.Handle("GET /statistics", s.page(s.statistics))
	mux.Handle("POST /notifications/read", s.page(s.readNotifications, anyRole...))
	mux.Handle("GET /admin", s.page(s.admin, identity.RoleAdmin))
	mux.Handle("POST /admin/supervision/thresholds", s.page(s.adminThresholds, identity.RoleAdmin))
	mux.Handle("POST /admin/supervision/rules", s.page(s.adminNewRule, identity.RoleAdmin))
	mux.Handle("POST /admin/supervision/rules/{id}", s.page(s.adminRule, identity.RoleAdmin))
	mux.Handle("POST /admin/licence-types", s.page(s.adminLicenceType, identity.RoleAdmin))
	mux.Handle("GET /admin/site", s.page(s.adminSite, identity.RoleAdmin))
	mux.Handle("POST /admin/site", s.page(s.adminSiteSave, identity.RoleAdmin))
	mux.Handle("GET /admin/templates", s.page(s.adminTemplates, identity.RoleAdmin))
	mux.Handle("POST /admin/templates", s.page(s.adminTemplateSave, identity.RoleAdmin))
	mux.Handle("GET /admin/outbox", s.page(s.adminOutbox, identity.RoleAdmin))
	mux.Handle("GET /admin/open311", s.page(s.adminOpen311, identity.RoleAdmin))
	mux.Handle("GET /admin/rating-rules", s.page(s.adminRatingRules, identity.RoleAdmin))
	mux.Handle("POST /admin/rating-rules", s.page(s.adminSaveRatingRule, identity.RoleAdmin))
	mux.Handle("POST /admin/open311", s.page(s.adminOpen311Register, identity.RoleAdmin))
	mux.Handle("POST /admin/open311/{id}/revoke", s.page(s.adminOpen311Revoke, identity.RoleAdmin))
	mux.Handle("POST /admin/outbox/{id}/resend", s.page(s.adminResend, identity.RoleAdmin))
	mux.Handle("GET /admin/staff", s.page(s.adminStaff, identity.RoleAdmin))
	mux.Handle("POST /admin/staff", s.page(s.adminStaffCreate, identity.RoleAdmin))
	mux.Handle("GET /admin/staff-exchange", s.page(s.adminStaffExport, identity.RoleAdmin))
	mux.Handle("POST /admin/staff-exchange", s.page(s.adminStaffImport, identity.RoleAdmin))
	mux.Handle("GET /admin/staff/{id}", s.page(s.adminStaffAccount, identity.RoleAdmin))
	mux.Handle("POST /admin/staff/{id}", s.page(s.adminStaffPost, identity.RoleAdmin))
	mux.Handle("GET /items", s.page(s.itemsPage))
	mux.Handle("GET /items/{code}", s.page(s.itemGuide))
	mux.Handle("GET /items/{code}/materials", s.page(s.itemMaterials))
	mux.Handle("POST /items/{code}/check", s.page(s.itemCheck))
	mux.Handle("GET /bundles/{code}", s.page(s.bundlePage))
	mux.Handle("POST /bundles/{code}/check", s.page(s.bundlePage))
	mux.Handle("GET /workbench/intake", s.page(s.intake, identity.RoleClerk))
	mux.Handle("POST /workbench/intake/check", s.page(s.intake, identity.RoleClerk))
	// A failed check leaves these URLs in the address bar; reloading them,
	// or switching language or 关怀模式 there, shows the form again, not 404.
	mux.Handle("GET /workbench/intake/check", s.page(s.intake, identity.RoleClerk))
	mux.Handle("GET /workbench/intake/accept", s.page(s.intake, identity.RoleClerk))
	mux.Handle("POST /workbench/intake/accept", s.page(s.intakeAccept, identity.RoleClerk))
	mux.Handle("GET /apply/bundle/{code}", s.page(s.applyBundleForm, applicantRoles...))
	mux.Handle("POST /apply/bundle/{code}", s.page(s.applyBundleSubmit, applicantRoles...))
	mux.Handle("GET /apply/{code}", s.page(s.applyForm, applicantRoles...))
	mux.Handle("POST /apply/{code}", s.page(s.applySubmit, applicantRoles...))
	mux.Handle("GET /my/cases", s.page(s.myCases, applicantRoles...))
	mux.Handle("GET /cases/{ref}", s.page(s.casePage, caseRoles...))
	mux.Handle("POST /cases/{ref}/act", s.page(s.caseAct, caseRoles...))
	mux.Handle("GET /cases/{ref}/materials/{id}", s.page(s.caseMaterial, caseRoles...))
	mux.Handle("GET /cases/{ref}/notices/{id}", s.page(s.caseNotice, caseRoles...))
	mux.Handle("GET /cases/{ref}/audit/{id}", s.page(s.caseAudit, caseRoles...))
	mux.Handle("GET /progress", s.page(s.progress))
	mux.Handle("POST /cases/{ref}/rate", s.page(s.rateCase, applicantRoles...))
	mux.Handle("POST /cases/{ref}/revisit", s.page(s.revisitCase, applicantRoles...))
	mux.Handle("GET /rate", s.page(s.ratePage))
	mux.Handle("POST /rate", s.page(s.ratePage))
	mux.Handle("GET /workbench/ratings", s.page(s.ledgerPage, rating.LedgerRoles...))
	mux.Handle("GET /workbench/ratings/{id}", s.page(s.orderPage, rating.LedgerRoles...))
	mux.Handle("POST /workbench/ratings/{id}", s.page(s.orderAct, rating.LedgerRoles...))
	mux.Handle("GET /licences", s.page(s.wallet, applicantRoles...))
	mux.Handle("GET /workbench/licences", s.page(s.issued, issuedRoles...))
	mux.Handle("GET /licences/{identifier}", s.page(s.licencePage, anyRole...))
	mux.Handle("GET /licences/{identifier}/pdf", s.page(s.licencePDF, anyRole...))
	mux.Handle("GET /licences/{identifier}/file", s.page(s.licenceFile, anyRole...))
	mux.Handle("POST /licences/{identifier}/share", s.page(s.licenceShare, applicantRoles...))
	mux.Handle("POST /licences/{identifier}/status", s.page(s.licenceStatus, identity.RoleApprover))
	mux.Handle("GET /verify", s.page(s.verifyForm))
	mux.Handle("POST /verify", s.page(s.verifyUpload))
	mux.Handle("GET /verify/{identifier}", s.page(s.verifyPage))
	mux.Handle("GET /s/{token}", s.page(s.sharePage))
	mux.Handle("GET /admin/organisation", s.page(s.adminOrganisation, identity.RoleAdmin))
	mux.Handle("GET /admin/organisation/export", s.page(s.adminOrgExport, identity.RoleAdmin))
	mux.Handle("POST /admin/organisation/import", s.page(s.adminOrgImport, identity.RoleAdmin))
	mux.Handle("POST /admin/organisation/departments", s.page(s.adminNewDepartment, identity.RoleAdmin))
	mux.Handle("POST /admin/organisation/departments/{id}", s.page(s.adminEditDepartment, identity.RoleAdmin))
	mux.Handle("POST /admin/organisation/halls", s.page(s.adminNewHall, identity.RoleAdmin))
	mux.Handle("GET /admin/organisation/halls/{id}", s.page(s.adminHall, identity.RoleAdmin))
	mux.Handle("POST /admin/organisation/halls/{id}", s.page(s.adminEditHall, identity.RoleAdmin))
	mux.Handle("POST /admin/organisation/halls/{id}/windows", s.page(s.adminNewWindow, identity.RoleAdmin))
	mux.Handle("POST /admin/organisation/windows/{id}", s.page(s.adminEditWindow, identity.RoleAdmin))
	mux.Handle("GET /admin/regions", s.page(s.adminRegions, identity.RoleAdmin))
	mux.Handle("POST /admin/regions", s.page(s.adminSaveRegions, identity.RoleAdmin))
	mux.Handle("GET /admin/adoptions", s.page(s.adminAdoptions, identity.RoleAdmin))
	mux.Handle("POST /admin/adoptions", s.page(s.adminAdopt, identity.RoleAdmin))
	mux.Handle("POST /admin/adoptions/{code}", s.page(s.adminEditAdoption, identity.RoleAdmin))
	mux.Handle("POST /admin/adoptions/{code}/withdraw", s.page(s.adminWithdrawAdoption, identity.RoleAdmin))
	mux.Handle("GET /admin/catalog", s.page(s.adminCatalog, identity.RoleAdmin))
	mux.Handle("GET /admin/catalog/export", s.page(s.adminExport, identity.RoleAdmin))
	mux.Handle("POST /admin/catalog/import", s.page(s.adminImport, identity.RoleAdmin))
	mux.Handle("GET /admin/catalog/new", s.page(s.adminNewItem, identity.RoleAdmin))
	mux.Handle("POST /admin/catalog/new", s.page(s.adminNewItem, identity.RoleAdmin))
	mux.Handle("GET /admin/catalog/items/{code}", s.page(s.adminItem, identity.RoleAdmin))
	mux.Handle("POST /admin/catalog/items/{code}", s.page(s.adminItemPost, identity.RoleAdmin))
	mux.Handle("GET /admin/catalog/items/{code}/diff", s.page(s.adminDiff, identity.RoleAdmin))
	mux.Handle("GET /admin/catalog/bundles/{code}", s.page(s.adminBundle, identity.RoleAdmin))
	mux.Handle("POST /admin/catalog/bundles/{code}", s.page(s.adminBundle, identity.RoleAdmin))
	mux.Handle("GET /admin/catalog/synonyms", s.page(s.adminSynonyms, identity.RoleAdmin))
	mux.Handle("POST /admin/catalog/synonyms", s.page(s.adminSynonyms, identity.RoleAdmin))
	mux.Handle("GET /hall/{hallID}/take", s.page(s.hallTake))
	mux.Handle("POST /hall/{hallID}/take", s.page(s.hallTakePost))
	mux.Handle("GET /queue/{id}", s.page(s.ticketPage))
	mux.Handle("POST /queue/{id}/rate", s.page(s.rateTicket))
	mux.Handle("GET /hall/{hallID}/board", s.page(s.hallBoard))
	mux.Handle("GET /hall/{hallID}/events", s.page(s.hallEvents))
	mux.Handle("GET /hall/{hallID}/figures", s.page(s.hallFiguresPage, identity.RoleClerk, identity.RoleAdmin, identity.RoleSupervisor))
	mux.Handle("GET /hall/console", s.page(s.hallConsole, identity.RoleClerk, identity.RoleAdmin))
	mux.Handle("POST /hall/console", s.page(s.hallConsolePost, identity.RoleClerk, identity.RoleAdmin))
	mux.Handle("GET /admin/organisation/halls/{id}/queue", s.page(s.adminHallQueue, identity.RoleAdmin))
	mux.Handle("POST /admin/organisation/halls/{id}/queue", s.page(s.adminHallQueuePost, identity.RoleAdmin))
	// The hall's self-service kiosk (kiosk.go): public, its own layout.
	mux.Handle("GET /kiosk/{hallID}", s.page(s.kiosk(s.kioskHome)))
	mux.Handle("POST /kiosk/{hallID}/prefs", s.page(s.kiosk(s.kioskPrefs)))
	mux.Handle("POST /kiosk/{hallID}/reset", s.page(s.kiosk(s.kioskReset)))
	mux.Handle("GET /kiosk/{hallID}/take", s.page(s.kiosk(s.kioskTake)))
	mux.Handle("POST /kiosk/{hallID}/take", s.page(s.kiosk(s.kioskTakePost)))
	mux.Handle("GET /kiosk/{hallID}/tickets/{id}", s.page(s.kiosk(s.kioskTicket)))
	mux.Handle("GET /kiosk/{hallID}/tickets/{id}/slip.pdf", s.page(s.kiosk(s.kioskSlip)))
	mux.Handle("POST /kiosk/{hallID}/tickets/{id}/rate", s.page(s.kiosk(s.kioskRate)))
	mux.Handle("GET /kiosk/{hallID}/check-in", s.page(s.kiosk(s.kioskCheckIn)))
	mux.Handle("POST /kiosk/{hallID}/check-in", s.page(s.kiosk(s.kioskCheckInPost)))
	mux.Handle("GET /kiosk/{hallID}/progress", s.page(s.kiosk(s.kioskProgress)))
	mux.Handle("GET /kiosk/{hallID}/verify", s.page(s.kiosk(s.kioskVerify)))
	mux.Handle("GET /kiosk/{hallID}/instant", s.page(s.kiosk(s.kioskInstant)))
	mux.Handle("GET /kiosk/{hallID}/instant/{code}", s.page(s.kiosk(s.kioskInstantForm)))
	mux.Handle("POST /kiosk/{hallID}/instant/{code}", s.page(s.kiosk(s.kioskInstantPost)))
	mux.Handle("/", s.page(s.notFound))
}

var (
	workbenchRoles = []identity.Role{identity.RoleClerk, identity.RoleHandler, identity.RoleReviewer, identity.RoleApprover}
	anyRole        = identity.Roles
	// issuedRoles may open 证照管理: the issuing staff, and supervisors (read-only).
	issuedRoles = []identity.Role{identity.RoleHandler, identity.RoleReviewer, identity.RoleApprover, identity.RoleSupervisor}
)

// render executes a page into a buffer first, so that a template failure
// becomes an error page instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, v *View) {
	var buf bytes.Buffer
	if err := s.pages[page].ExecuteTemplate(&buf, "layout", v); err != nil {
		slog.ErrorContext(r.Context(), "web: render", "page", page, "err", err)
		p := edge.ProblemOf(r.Context(), v.Lang, err)
		http.Error(w, p.Message, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fragment renders one named template (an htmx partial) without the layout.
func (s *Server) fragment(w http.ResponseWriter, r *http.Request, page, name string, v *View) {
	var buf bytes.Buffer
	if err := s.pages[page].ExecuteTemplate(&buf, name, v); err != nil {
		slog.ErrorContext(r.Context(), "web: render fragment", "name", name, "err", err)
		http.Error(w, edge.ProblemOf(r.Context(), v.Lang, err).Message, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

func cacheForever(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Assets change only with a release; a day is a safe cache life.
		w.Header().Set("Cache-Control", "public, max-age=86400")
		h.ServeHTTP(w, r)
	})
}
