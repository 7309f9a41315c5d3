// Package cli is the tongban command: serve, demo, migrate, calendar, codes,
// user and version. Main returns the exit status: 0 success, 1 failure or an
// invalid value, 2 a usage error.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/i18n"
)

// Env is the command's world: arguments, streams and environment.
type Env struct {
	Args   []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// Ready, when set, receives the listening URL once serve or demo is up
	// (end-to-end tests use it).
	Ready func(url string)
	// ClockSync, when set, replaces the kernel's clock state doctor reads
	// (synchronised, estimated maximum error); tests set it.
	ClockSync func() (bool, time.Duration, error)
}

type command struct {
	name, summary string
	run           func(ctx context.Context, e *Env, cfg *config.Config, lf *localFlags, args []string) error
	flags         func(fs *flag.FlagSet, lf *localFlags) // the command's own flags, beside the settings
}

// localFlags holds the flags that belong to one command, per invocation.
type localFlags struct {
	from, to, days, kind string
	setup                setupFlags
	backup               backupFlags
}

var commands []command

func init() {
	commands = []command{
		{"serve", "serve the product (production: migrated database, data key, no default passwords)", runServe, nil},
		{"demo", "serve with an embedded SQLite database seeded with demo data", runDemo, nil},
		{"migrate", "apply database migrations (migrate [up|status])", runMigrate, nil},
		{"setup", "set up an empty installation: its region, service centre and first administrator (interactive, or by flags; the password on standard input)", runSetup, setupFlagSet},
		{"calendar", "working-day arithmetic (calendar add|between|is-workday)", runCalendar, func(fs *flag.FlagSet, lf *localFlags) {
			fs.StringVar(&lf.from, "from", "", "start date YYYY-MM-DD (does not count)")
			fs.StringVar(&lf.to, "to", "", "end date YYYY-MM-DD")
			fs.StringVar(&lf.days, "days", "", "working days (half-days as .5)")
		}},
		{"codes", "check an identifier (codes check VALUE [--kind K])", runCodes, func(fs *flag.FlagSet, lf *localFlags) {
			fs.StringVar(&lf.kind, "kind", "", "citizen_id, credit_code, division or licence_id; detected when absent")
		}},
		{"import", "load data (import divisions FILE.csv: a code,name division list; all rows or none)", runImport, nil},
		{"user", "manage accounts (user passwd USERNAME: the password is read from standard input; user reset-second-factor USERNAME: a lost second factor)", runUser, nil},
		{"report", "write the monthly supervision report (report monthly --month YYYY-MM --format xlsx|pdf --out FILE [--dept ID])", runReport, reportFlagSet},
		{"audit", "the tamper-evident log (audit verify: recompute the whole tree and check every checkpoint; audit prove --index N)", runAudit, auditFlagSet},
		{"licence", "electronic licence keys and files (licence keys --dept CODE --name NAME [--rotate]: make a department's signing key, and the CA if none, or replace it; licence revoke-key --dept CODE --reason R: stop issuing with its key; licence verify FILE: check a licence file offline)", runLicence, licenceFlagSet},
		{"synth", "fill the demo database with synthetic cases (synth --cases N --months M [--seed S] [--open])", runSynth, synthFlagSet},
		{"doctor", "check an installation: schema, administrator, file permissions, calendar horizon, free disk, clock, backups, audit log; prints what to fix (exit 1 on a problem)", runDoctor, nil},
		{"backup", "copy a running installation into one archive (backup --out FILE.tar.gz|DIR [--without-keys] [--keep N]): the database as of one commit, the file store, the keys, a manifest of SHA-256 sums", runBackup, backupFlagSet},
		{"restore", "restore an archive into an empty installation (restore FILE.tar.gz [--force]): every SHA-256 checked first, the audit log verified after", runRestore, restoreFlagSet},
		{"version", "print the version", runVersion, nil},
	}
}

// errUsage marks a usage error (exit status 2); errSilent a failure (exit
// status 1). In both cases the command has already said why.
var (
	errUsage  = errors.New("usage")
	errSilent = errors.New("failed")
)

// Main runs the command line.
func Main(ctx context.Context, e *Env) int {
	if e.Getenv == nil {
		e.Getenv = os.Getenv
	}
	if len(e.Args) < 1 || e.Args[0] == "-h" || e.Args[0] == "--help" || e.Args[0] == "help" {
		usage(e.Stderr)
		if len(e.Args) < 1 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != e.Args[0] {
			continue
		}
		var cfg config.Config
		fs := flag.NewFlagSet("tongban "+c.name, flag.ContinueOnError)
		fs.SetOutput(e.Stderr)
		if err := config.Register(fs, &cfg, e.Getenv); err != nil {
			fmt.Fprintln(e.Stderr, "tongban:", err)
			return 2
		}
		var lf localFlags
		if c.flags != nil {
			c.flags(fs, &lf)
		}
		rest, err := parseInterspersed(fs, e.Args[1:])
		if err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		fs.Visit(func(f *flag.Flag) { cfg.RegionGiven = cfg.RegionGiven || f.Name == "region" })
		cfg.RegionGiven = cfg.RegionGiven || e.Getenv(config.EnvName("region")) != ""
		if err := cfg.Validate(); err != nil {
			fmt.Fprintln(e.Stderr, "tongban:", err)
			return 2
		}
		setupLogging(e.Stderr, cfg.LogLevel)
		err = c.run(ctx, e, &cfg, &lf, rest)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, errUsage):
			return 2
		case errors.Is(err, errSilent):
			return 1
		default:
			fmt.Fprintln(e.Stderr, "tongban:", message(&cfg, err))
			return 1
		}
	}
	fmt.Fprintf(e.Stderr, "tongban: unknown command %q\n\n", e.Args[0])
	usage(e.Stderr)
	return 2
}

// parseInterspersed lets flags follow positional arguments
// (`tongban codes check VALUE --kind credit_code`).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return rest, nil
		}
		rest = append(rest, args[0])
		args = args[1:]
	}
}

// message translates an apperr for the CLI's language; other errors are
// operator messages and are printed as they are.
func message(cfg *config.Config, err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Code != apperr.Internal {
		lang, ok := i18n.Parse(cfg.Lang)
		if !ok {
			lang = i18n.ZH
		}
		return i18n.T(lang, ae.Key, ae.Args)
	}
	return err.Error()
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "通办 Tongban — Internet + Government Services")
	fmt.Fprintln(w, "\nUsage: tongban COMMAND [flags] [arguments]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nEvery setting is a flag and a TONGBAN_* environment variable; run `tongban serve -h` for the list.")
}

func setupLogging(w io.Writer, level string) {
	var l slog.Level
	l.UnmarshalText([]byte(strings.ToUpper(level)))
	slog.SetDefault(slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})))
}
