package cli

import (
	"bufio"
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/server"
	"github.com/tongban/tongban/internal/vault"
)

func runMigrate(ctx context.Context, e *Env, cfg *config.Config, lf *localFlags, args []string) error {
	d, err := db.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer d.Close()
	sub := "up"
	if len(args) > 0 {
		sub = args[0]
	}
	switch sub {
	case "up":
		if err := d.Migrate(ctx); err != nil {
			return err
		}
		fallthrough
	case "status":
		st, err := d.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		for _, s := range st {
			fmt.Fprintf(e.Stdout, "%05d %-8s %s\n", s.Source.Version, s.State, s.Source.Path)
		}
		return nil
	}
	fmt.Fprintln(e.Stderr, "usage: tongban migrate [up|status]")
	return errUsage
}

// runCalendar prints one line: a date, a count, or true/false.
func runCalendar(ctx context.Context, e *Env, cfg *config.Config, lf *localFlags, args []string) error {
	usage := func() error {
		fmt.Fprintln(e.Stderr, "usage: tongban calendar add --from DATE --days N | between --from DATE --to DATE | is-workday DATE  [--region CODE] [--calendar FILES]")
		return errUsage
	}
	if len(args) == 0 {
		return usage()
	}
	sub, pos := args[0], args[1:]
	from, to, days := lf.from, lf.to, lf.days
	cals, err := server.LoadCalendars(cfg.CalendarPaths())
	if err != nil {
		return err
	}
	// Regional days apply only where a loaded file names the region.
	cal := cals.For(cfg.Region)
	switch sub {
	case "add":
		if from == "" || days == "" {
			return usage()
		}
		f, err := calendar.ParseDate(from)
		if err != nil {
			return err
		}
		l, err := calendar.ParseLimit(days)
		if err != nil {
			return err
		}
		m, err := cal.Deadline(f, l)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.Stdout, m.String())
	case "between":
		if from == "" || to == "" {
			return usage()
		}
		f, err := calendar.ParseDate(from)
		if err != nil {
			return err
		}
		t, err := calendar.ParseDate(to)
		if err != nil {
			return err
		}
		n, err := cal.WorkdaysBetween(f, t)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.Stdout, n)
	case "is-workday":
		if len(pos) != 1 {
			return usage()
		}
		d, err := calendar.ParseDate(pos[0])
		if err != nil {
			return err
		}
		ok, err := cal.IsWorkday(d)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.Stdout, ok)
	default:
		return usage()
	}
	return nil
}

// runCodes prints "KIND valid", or "KIND invalid: REASON" and fails.
func runCodes(ctx context.Context, e *Env, cfg *config.Config, lf *localFlags, args []string) error {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprintln(e.Stderr, "usage: tongban codes check VALUE [--kind citizen_id|credit_code|division|licence_id]")
		return errUsage
	}
	kind, pos := lf.kind, args[1:]
	if len(pos) != 1 {
		fmt.Fprintln(e.Stderr, "usage: tongban codes check VALUE [--kind citizen_id|credit_code|division|licence_id]")
		return errUsage
	}
	today := calendar.DateIn(time.Now()).Start(time.UTC)
	k, err := codes.Check(pos[0], codes.Kind(kind), today)
	if err != nil {
		fmt.Fprintf(e.Stdout, "%s invalid: %s\n", k, message(cfg, err))
		return errSilent
	}
	fmt.Fprintf(e.Stdout, "%s valid\n", k)
	return nil
}

// runUser: `tongban user passwd USERNAME` reads the new password from the
// first line of standard input (so it stays out of the shell history);
// `tongban user reset-second-factor USERNAME` removes a lost second factor
// (the account enrols again at its next login).
func runUser(ctx context.Context, e *Env, cfg *config.Config, lf *localFlags, args []string) error {
	if len(args) != 2 || (args[0] != "passwd" && args[0] != "reset-second-factor") {
		fmt.Fprintln(e.Stderr, "usage: echo NEW-PASSWORD | tongban user passwd USERNAME\n       tongban user reset-second-factor USERNAME")
		return errUsage
	}
	var pw string
	if args[0] == "passwd" {
		line, err := bufio.NewReader(e.Stdin).ReadString('\n')
		pw = strings.TrimRight(line, "\r\n")
		if pw == "" && err != nil {
			return fmt.Errorf("no password on standard input")
		}
	}
	if cfg.DataKeyFile == "" {
		return fmt.Errorf("give --data-key-file (or TONGBAN_DATA_KEY_FILE)")
	}
	key, err := vault.LoadKeyFile(cfg.DataKeyFile)
	if err != nil {
		return err
	}
	v, err := vault.New(key)
	if err != nil {
		return err
	}
	d, err := db.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer d.Close()
	ids := identity.NewService(d, v)
	lang, _ := i18n.Parse(cfg.Lang)
	if args[0] == "reset-second-factor" {
		if err := ids.ResetSecondFactor(ctx, args[1]); err != nil {
			return err
		}
		if lang == i18n.EN {
			fmt.Fprintf(e.Stdout, "second factor of %s removed; their sessions are ended and they enrol again at the next login\n", args[1])
		} else {
			fmt.Fprintf(e.Stdout, "已解除 %s 的动态验证码，其现有登录已全部注销，下次登录时须重新绑定\n", args[1])
		}
		return nil
	}
	if err := ids.SetPassword(ctx, args[1], pw); err != nil {
		return err
	}
	if lang == i18n.EN {
		fmt.Fprintf(e.Stdout, "password of %s changed; their sessions are ended\n", args[1])
	} else {
		fmt.Fprintf(e.Stdout, "已修改 %s 的密码，其现有登录已全部注销\n", args[1])
	}
	return nil
}

func runVersion(ctx context.Context, e *Env, cfg *config.Config, lf *localFlags, args []string) error {
	version, rev := "(devel)", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				rev = " " + s.Value
			}
		}
		fmt.Fprintf(e.Stdout, "tongban %s%s %s\n", version, rev, bi.GoVersion)
		return nil
	}
	fmt.Fprintf(e.Stdout, "tongban %s\n", version)
	return nil
}
