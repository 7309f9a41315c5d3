package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/tongban/tongban/internal/api"
	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/booking"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/cases"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/deliver"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/edge"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/license"
	"github.com/tongban/tongban/internal/notify"
	"github.com/tongban/tongban/internal/rating"
	"github.com/tongban/tongban/internal/site"
	"github.com/tongban/tongban/internal/stats"
	"github.com/tongban/tongban/internal/supervise"
	"github.com/tongban/tongban/internal/vault"
)

// Mode says how the app is started.
type Mode int

const (
	// ModeServe is production: the schema must be migrated, a data key
	// given, and no account may keep a default password.
	ModeServe Mode = iota
	// ModeDemo migrates, creates a data key beside the database if needed,
	// and seeds the demo data.
	ModeDemo
)

// App is the running product: one database, the services, the handler.
type App struct {
	// templates render notifications for the channels and the pages alike.
	templates *notify.TemplateRenderer

	Config    config.Config
	DB        *db.DB
	Identity  *identity.Service
	Calendars *calendar.Set
	Handler   http.Handler
	API       *api.Server
	Scanner   *supervise.Scanner // electronic supervision, every minute while serving
	Cases     *cases.Service
	Catalog   *catalog.Catalog
	Sequencer *audit.Sequencer // the audit log's sequencer, while serving
	// Reads holds staff reads' records until they are written in batches
	// (within a second); written out when serving stops and on Close.
	Reads     *audit.Buffer
	AuditKeys *audit.Keys      // signs checkpoints; nil when no keys were given (serve)
	Licences  *license.Service // the licence library; nil when serving without its keys
	Site      *site.Info       // the installation's identity (tongban setup); Region "" before it
	// Dispatcher sends notifications on the configured channels (e-mail,
	// SMS) from the outbox, in every replica while serving.
	Dispatcher *deliver.Dispatcher
	// Screen is the demo's SMS gateway (a page instead of phones); nil
	// outside demo mode or when a real gateway is configured.
	Screen *deliver.Screen
	// streams ends the event streams (hall boards) when serving stops, so
	// that they do not hold the shutdown until its timeout.
	streams    context.Context
	endStreams context.CancelFunc
}

// Open prepares the app in the given mode. The caller closes it.
func Open(ctx context.Context, cfg config.Config, mode Mode) (*App, error) {
	cals, err := LoadCalendars(cfg.CalendarPaths())
	if err != nil {
		return nil, err
	}
	d, err := db.Open(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	// STANDARDS.md §4: a year without a notice is refused, or counted Monday
	// to Friday and shown as provisional — the demo (which runs on today's
	// date whatever year it is) and installations that ask for it.
	cals.WeekdayFallback = mode == ModeDemo || cfg.CalendarFallback == "weekdays"
	a := &App{Config: cfg, DB: d, Calendars: cals}
	if err := a.prepare(ctx, mode); err != nil {
		d.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) prepare(ctx context.Context, mode Mode) error {
	keyFile := a.Config.DataKeyFile
	if mode == ModeDemo {
		if err := a.DB.Migrate(ctx); err != nil {
			return err
		}
		if keyFile == "" {
			keyFile = a.Config.Beside("tongban-data.key") // the demo data key beside the SQLite file
		}
	} else if err := a.requireMigrated(ctx); err != nil {
		return err
	}
	// The region chosen at `tongban setup` is the installation's home; a
	// --region given as well must agree (two homes would scope settings and
	// supervision differently on two replicas). Before setup (the demo) the
	// flag's, as before.
	info, err := site.Load(ctx, a.DB)
	if err != nil {
		return err
	}
	if info.Region != "" {
		if a.Config.RegionGiven && a.Config.Region != info.Region {
			return apperr.E(apperr.Invalid, "setup.region_differs", "given", a.Config.Region, "stored", info.Region)
		}
		a.Config.Region = info.Region
	}
	a.Site = info
	var key []byte
	switch {
	case keyFile == "":
		return fmt.Errorf("no data key: give --data-key-file (or TONGBAN_DATA_KEY_FILE); create one with: head -c 32 /dev/urandom | base64 > tongban-data.key")
	case mode == ModeDemo:
		key, err = vault.EnsureKeyFile(keyFile)
	default:
		key, err = vault.LoadKeyFile(keyFile)
	}
	if err != nil {
		return err
	}
	v, err := vault.New(key)
	if err != nil {
		return err
	}
	a.Identity = identity.NewService(a.DB, v)
	// One catalog (and its caches) for the case engine, the scanner and
	// every handler.
	cat := catalog.New(a.DB)
	cat.Home = a.Config.Region
	cs, err := cases.New(a.DB, cat, a.Identity, a.Calendars, blob.Dir{Root: filesDir(a.Config)})
	if err != nil {
		return err
	}
	if a.Config.UploadQuota != "" {
		if err := cs.Limits.ParseQuota(a.Config.UploadQuota); err != nil {
			return err
		}
	}
	a.Cases, a.Catalog = cs, cat
	// Staff reads are recorded in batches, not one write transaction each
	// (issue 20; docs/AUDIT.md says what a crash can lose).
	a.Reads = &audit.Buffer{DB: a.DB, OnError: func(err error) { slog.Error("audit: staff reads not yet written (kept, tried again)", "err", err) }}
	cs.Reads = a.Reads
	// A year's holiday notice loaded since the last start: open cases due in
	// that year are recounted (their deadlines may have used the fallback).
	if years, n, err := cs.SyncCalendars(ctx); err != nil {
		return err
	} else if len(years) > 0 {
		slog.InfoContext(ctx, "calendars: notices new or changed since the last start; open cases recounted", "years", years, "cases", n)
	}
	licDir := licenceKeyDir(a.Config)
	if keys, err := license.OpenKeyring(licDir, mode == ModeDemo, a.Config.LicenceAlg, a.DB.Now); err == nil {
		a.Licences = &license.Service{DB: a.DB, Keys: keys, Identity: a.Identity, Home: a.Config.Region}
		cs.SetLicensing(a.Licences)
	} else if mode == ModeDemo {
		return err
	} else {
		slog.WarnContext(ctx, "licences: no CA certificate: no licences are issued, reused or verified", "dir", licDir, "err", err)
	}
	host, _ := os.Hostname()
	holder := fmt.Sprintf("%s/%d/%s", host, os.Getpid(), db.NewID()[:8])
	if err := a.sealAtRest(ctx, holder); err != nil {
		return err
	}
	a.Scanner = &supervise.Scanner{DB: a.DB, Catalog: a.Catalog, Calendars: a.Calendars, Cases: cs, Log: slog.Default(),
		Holder: holder, Home: a.Config.Region}
	a.Sequencer = &audit.Sequencer{DB: a.DB, Holder: a.Scanner.Holder}
	chans, rates, err := deliver.FromConfig(a.Config)
	if err != nil {
		return err
	}
	if mode == ModeDemo && chans[deliver.ChannelSMS] == nil {
		// The demo texts its codes to a page (/demo/sms) instead of phones.
		a.Screen = &deliver.Screen{}
		chans[deliver.ChannelSMS] = a.Screen
		// A reviewer walks registration, SMS sign-in and reset with one
		// number: codes may be asked every few seconds instead of a minute.
		a.Identity.Codes = identity.DemoCodes
	}
	// The channels render from the installation's templates (the ones
	// administrators edit on /admin/templates), measured with the gateway's
	// own 【签名】.
	templates := &notify.TemplateRenderer{DB: a.DB, Home: a.Config.Region, Base: a.Config.PublicURL}
	a.templates = templates
	if a.Config.SMSSign != "" {
		templates.Signature = "【" + a.Config.SMSSign + "】"
	}
	a.Dispatcher = &deliver.Dispatcher{DB: a.DB, Vault: v, Holder: holder, Channels: chans, Policy: deliver.Policy{PerMinute: rates},
		Renderer: templates, Log: slog.Default(), Urgent: deliver.DefaultUrgent, Reminders: deliver.DefaultReminders}
	if sms := chans[deliver.ChannelSMS]; sms != nil {
		a.Identity.Texter = &deliver.Texter{Channel: sms, Renderer: templates}
	}
	keyDir := auditKeyDir(a.Config)
	if a.AuditKeys, err = audit.LoadKeys(keyDir, a.Config.AuditOrigin, mode == ModeDemo); err != nil {
		if mode == ModeDemo {
			return err
		}
		slog.WarnContext(ctx, "audit: no signing keys: the log is kept but no checkpoints are issued", "dir", keyDir, "err", err)
		a.AuditKeys = nil
	}
	if mode == ModeDemo {
		if err := demo.Seed(ctx, a.DB, a.Identity); err != nil {
			return err
		}
		// The seed ran setup: the portal shows the demo centre's identity
		// from the first start, and the demo's home is setup's region.
		if a.Site, err = site.Load(ctx, a.DB); err != nil {
			return err
		}
		if a.Site.Region != "" && a.Site.Region != a.Config.Region {
			return apperr.E(apperr.Invalid, "setup.region_differs", "given", a.Config.Region, "stored", a.Site.Region)
		}
		if err := demo.SeedCases(ctx, a.DB, a.Identity, cs, time.Now); err != nil {
			// The demo still runs without its sample cases (a date outside the
			// loaded calendar years, say); say why.
			slog.WarnContext(ctx, "demo: sample cases not seeded", "err", err)
		}
		// The supervision page opens with the sample cases' signals.
		if _, err := a.Scanner.Pass(ctx); err != nil {
			slog.WarnContext(ctx, "demo: first supervision pass", "err", err)
		}
		if _, err := stats.Compact(ctx, a.DB, a.DB.Now()); err != nil {
			slog.WarnContext(ctx, "demo: monthly figures", "err", err)
		}
		// The demo's audit log is sequenced and signed before it serves.
		for {
			n, err := a.Sequencer.Step(ctx)
			if err != nil {
				return err
			}
			if n == 0 {
				break
			}
		}
		if _, _, err := a.AuditKeys.Checkpoint(ctx, a.DB); err != nil {
			return err
		}
	} else {
		// Nobody could ever log in to administer it (issue 15).
		if n, err := a.Identity.AdminCount(ctx); err != nil {
			return err
		} else if n == 0 {
			return apperr.E(apperr.Invalid, "setup.no_admin")
		}
		n, err := a.Identity.DefaultPasswordCount(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return apperr.E(apperr.Invalid, "auth.default_passwords", "count", n)
		}
	}
	proxies, err := edge.ParseProxies(a.Config.TrustedProxies)
	if err != nil {
		return err
	}
	// Long-lived streams (the hall boards' events) end when serving stops.
	a.streams, a.endStreams = context.WithCancel(context.Background())
	a.Handler, a.API, err = Handler(Options{
		Streams: a.streams, DB: a.DB, Identity: a.Identity, Calendars: a.Calendars, Region: a.Config.Region, Cases: cs, TrustedProxies: proxies,
		SecureCookies: a.Config.SecureCookies || a.Config.TLSCert != "", Demo: mode == ModeDemo, Screen: a.Screen, MetricsToken: a.Config.MetricsToken, AuditKeys: a.AuditKeys,
		Licences: a.Licences, PublicURL: a.Config.PublicURL, Site: a.Site, Catalog: a.Catalog, Templates: a.templates,
	})
	return err
}

// sealAtRest is the one-time step that seals what versions before sealing
// stored in clear (PIPL Art. 51): cases' form values, licence payloads and
// materials. One replica runs it (db.Once); the others serve meanwhile,
// reading either form. On SQLite the file is then rewritten so that no clear
// copy lingers in free pages or the WAL. The material store's directories
// are made 0700 at every start.
func (a *App) sealAtRest(ctx context.Context, holder string) error {
	if err := (blob.Dir{Root: filesDir(a.Config)}).Restrict(); err != nil {
		return err
	}
	_, err := a.DB.Once(ctx, "seal-at-rest-v1", holder, func(ctx context.Context, renew func() error) error {
		rows, files, err := a.Cases.SealStored(ctx, renew)
		if err != nil {
			return err
		}
		// Payloads are sealed even when this server has no licence keys.
		lic, err := (&license.Service{DB: a.DB, Identity: a.Identity}).SealStored(ctx, renew)
		if err != nil {
			return err
		}
		if rows+files+lic == 0 {
			return nil
		}
		slog.InfoContext(ctx, "personal data at rest: rows and files stored in clear by an older version are sealed",
			"cases", rows, "materials", files, "licences", lic)
		return a.DB.Compact(ctx)
	})
	return err
}

// requireMigrated refuses to serve a schema that is behind the binary: with
// several replicas, migrations are an explicit step (`tongban migrate`).
func (a *App) requireMigrated(ctx context.Context) error {
	st, err := a.DB.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	for _, s := range st {
		if s.State != "applied" {
			return fmt.Errorf("the database schema is not up to date (migration %d is %s): run `tongban migrate` first", s.Source.Version, s.State)
		}
	}
	return nil
}

// filesDir is where uploaded materials live: the configured directory, or
// tongban-files beside a SQLite database.
func filesDir(cfg config.Config) string { return cfg.Or(cfg.FilesDir, "tongban-files") }

// auditKeyDir is where the audit log's keys are: the configured directory,
// or audit-keys beside a SQLite database.
func auditKeyDir(cfg config.Config) string { return cfg.Or(cfg.AuditKeys, "audit-keys") }

// licenceKeyDir is where the licence CA and departments' keys are: the
// configured directory, or licence-keys beside a SQLite database.
func licenceKeyDir(cfg config.Config) string { return cfg.Or(cfg.LicenceKeys, "licence-keys") }

// LoadCalendars returns the national calendar with the given files laid over it.
func LoadCalendars(paths []string) (*calendar.Set, error) {
	cals := calendar.National()
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("calendar file: %w", err)
		}
		err = cals.Load(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("calendar file %s: %w", p, err)
		}
	}
	return cals, nil
}

// watchCalendar says in the log, at start and then daily, when a year within
// calendar.NoticeHorizon has no holiday notice loaded (the State Council
// publishes each year's in the preceding autumn): a warning when deadlines
// reaching it are refused, a note when the weekday fallback counts them.
func (a *App) watchCalendar(ctx context.Context) {
	t := time.NewTicker(24 * time.Hour)
	defer t.Stop()
	for {
		cal := a.Calendars.For(a.Config.Region)
		if missing := calendar.Unannounced(cal, a.DB.Now()); len(missing) > 0 {
			level := slog.LevelWarn
			if cal.Fallback() {
				level = slog.LevelInfo
			}
			slog.Log(ctx, level, "calendar: no holiday notice loaded for a year within the horizon; load its file with --calendar",
				"years", calendar.YearList(missing), "weekday_fallback", cal.Fallback())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Serve answers HTTP on ln until ctx ends, then drains for up to 10 s.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: edge.ReadHeaderTimeout,
		ReadTimeout:       edge.ReadTimeout,  // file uploads extend it (edge.Transfer)
		WriteTimeout:      edge.WriteTimeout, // file downloads extend it
		IdleTimeout:       edge.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn),
	}
	if a.endStreams != nil {
		srv.RegisterOnShutdown(a.endStreams)
	}
	// Background jobs run while serving; each acts only in the replica that
	// holds its lease.
	jobs, stopJobs := context.WithCancel(ctx)
	defer stopJobs()
	if a.Scanner != nil {
		go a.Scanner.Run(jobs, time.Minute)
	}
	go a.watchCalendar(jobs)
	if a.Cases != nil {
		// Uploads never attached to a case are removed after a day, by one
		// replica at a time.
		go func() {
			t := time.NewTicker(time.Hour)
			defer t.Stop()
			defer a.DB.ReleaseLease(context.WithoutCancel(jobs), cases.SweepLease, a.Scanner.Holder)
			for {
				if rep, _, err := a.Cases.SweepIfHeld(jobs, a.Scanner.Holder, 2*time.Hour); err != nil && jobs.Err() == nil {
					slog.Error("cases: sweep uploads", "err", err)
				} else if rep.Uploads > 0 {
					slog.Info("cases: unattached uploads swept", "uploads", rep.Uploads, "files", rep.Files)
				}
				select {
				case <-jobs.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	if a.Scanner != nil {
		// 好差评: where a region's rule says so, a case whose rating window
		// passed gets its default rating (marked, never counted as real),
		// by one replica at a time.
		go func() {
			ratings := &rating.Service{DB: a.DB, Calendars: a.Calendars}
			t := time.NewTicker(10 * time.Minute)
			defer t.Stop()
			defer a.DB.ReleaseLease(context.WithoutCancel(jobs), rating.ExpireLease, a.Scanner.Holder)
			for {
				if n, _, err := ratings.ExpireIfHeld(jobs, a.Scanner.Holder, 30*time.Minute); err != nil && jobs.Err() == nil {
					slog.Error("rating: default ratings", "err", err)
				} else if n > 0 {
					slog.Info("rating: default ratings made", "ratings", n)
				}
				select {
				case <-jobs.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	if a.Licences != nil {
		// Expired licences are noted in their history (verification reads
		// expiry from the date at once; this records it).
		go func() {
			t := time.NewTicker(time.Hour)
			defer t.Stop()
			for {
				if _, err := a.Licences.NoteExpired(jobs); err != nil && jobs.Err() == nil {
					slog.Error("licences: note expired", "err", err)
				}
				select {
				case <-jobs.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	if a.Scanner != nil {
		// 网上预约: no-shows marked (and suspensions) and tomorrow's
		// reminders sent each minute, by the replica holding the lease;
		// the queue tickets of past days never served voided.
		bk := &booking.Service{DB: a.DB, Calendars: a.Calendars, Root: a.Config.Region}
		go func() {
			t := time.NewTicker(time.Minute)
			defer t.Stop()
			for {
				rep, err := bk.Run(jobs, a.Scanner.Holder)
				if err != nil && jobs.Err() == nil {
					slog.Error("booking: sweep", "err", err)
				}
				if rep.Voided > 0 {
					slog.Info("queue: tickets of past days voided", "count", rep.Voided)
				}
				select {
				case <-jobs.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	if a.Dispatcher != nil {
		go a.Dispatcher.Run(jobs, 5*time.Second)
	}
	if a.Cases != nil && a.Dispatcher != nil {
		// Staff who chose a channel are told of their new work (新到待办)
		// in a digest, by one replica at a time.
		contacts := &deliver.Contacts{DB: a.DB, Vault: a.Identity.Vault()}
		go func() {
			t := time.NewTicker(5 * time.Minute)
			defer t.Stop()
			defer a.DB.ReleaseLease(context.WithoutCancel(jobs), cases.NewWorkLease, a.Dispatcher.Holder)
			for {
				if n, err := a.Cases.TellNewWorkIfHeld(jobs, a.Dispatcher.Holder, 15*time.Minute, contacts.StaffWithChannel); err != nil && jobs.Err() == nil {
					slog.Error("cases: tell new work", "err", err)
				} else if n > 0 {
					slog.Info("cases: staff told of new work", "staff", n)
				}
				select {
				case <-jobs.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	if a.Sequencer != nil {
		go a.Sequencer.Run(jobs, time.Second, func(err error) { slog.Error("audit: sequencer", "err", err) })
	}
	if a.AuditKeys != nil {
		// A checkpoint every few seconds when the log has grown.
		go func() {
			t := time.NewTicker(5 * time.Second)
			defer t.Stop()
			for {
				select {
				case <-jobs.Done():
					return
				case <-t.C:
					if _, _, err := a.AuditKeys.Checkpoint(jobs, a.DB); err != nil && jobs.Err() == nil {
						slog.Error("audit: checkpoint", "err", err)
					}
				}
			}
		}()
	}
	errc := make(chan error, 1)
	go func() {
		if a.Config.TLSCert != "" {
			errc <- srv.ServeTLS(ln, a.Config.TLSCert, a.Config.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return errors.Join(err, a.writeReads(context.Background()))
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := srv.Shutdown(shut)
		if e := <-errc; !errors.Is(e, http.ErrServerClosed) {
			err = errors.Join(err, e)
		}
		// The last requests have answered: their staff reads are written
		// before serving ends (a clean shutdown loses none).
		w, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		return errors.Join(err, a.writeReads(w))
	}
}

// writeReads writes the staff reads still buffered; reads after it are
// written one by one.
func (a *App) writeReads(ctx context.Context) error {
	if a.Reads == nil {
		return nil
	}
	if err := a.Reads.Close(ctx); err != nil {
		return fmt.Errorf("audit: staff reads not written at shutdown: %w", err)
	}
	return nil
}

// Close writes the staff reads still buffered and releases the database.
func (a *App) Close() error { return errors.Join(a.writeReads(context.Background()), a.DB.Close()) }
