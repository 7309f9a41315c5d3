package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/server"
	"github.com/tongban/tongban/internal/stats"
	"github.com/tongban/tongban/internal/synth"
)

// synthFlags are synth's own flags.
type synthFlags struct {
	cases, months, seed string
	open                bool
}

var synthOpts synthFlags

func synthFlagSet(fs *flag.FlagSet, lf *localFlags) {
	fs.StringVar(&synthOpts.cases, "cases", "10000", "how many cases")
	fs.StringVar(&synthOpts.months, "months", "6", "over how many months before now (1–36)")
	fs.StringVar(&synthOpts.seed, "seed", "1", "random seed: the same seed makes the same cases")
	fs.BoolVar(&synthOpts.open, "open", false, "every case open, filed in the last days with its deadline ahead (a scanner scale test)")
}

// runSynth fills the (demo) database with synthetic cases, then runs the
// supervision scanner once so that their signals show.
func runSynth(ctx context.Context, e *Env, cfg *config.Config, lf *localFlags, args []string) error {
	n, err1 := strconv.Atoi(synthOpts.cases)
	m, err2 := strconv.Atoi(synthOpts.months)
	seed, err3 := strconv.ParseUint(synthOpts.seed, 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || n <= 0 || m < 1 || m > 36 {
		fmt.Fprintln(e.Stderr, "tongban synth: --cases must be a positive number, --months 1 to 36, --seed a number")
		return errUsage
	}
	app, err := server.Open(ctx, *cfg, server.ModeDemo)
	if err != nil {
		return err
	}
	defer app.Close()
	last := time.Now()
	rep, err := synth.Run(ctx, synth.Deps{DB: app.DB, Catalog: app.Catalog, Identity: app.Identity, Calendars: app.Calendars, Cases: app.Cases},
		synth.Options{Cases: n, Months: m, Now: time.Now(), Seed: seed, OpenOnly: synthOpts.open, Progress: func(done int) {
			if time.Since(last) > 5*time.Second || done == n {
				fmt.Fprintf(e.Stderr, "synth: %d / %d cases\n", done, n)
				last = time.Now()
			}
		}})
	if err != nil {
		return err
	}
	pass, err := app.Scanner.Pass(ctx)
	if err != nil {
		return err
	}
	if _, err := stats.Compact(ctx, app.DB, time.Now()); err != nil {
		return err
	}
	// Cases finished long ago leave the everyday lists, as the hourly sweep
	// would take them.
	archived, err := app.Cases.Archive(ctx)
	if err != nil {
		return err
	}
	out := map[string]any{"synth": rep, "took": rep.Took.String(), "scanner": pass, "archived": archived}
	b, _ := json.MarshalIndent(out, "", "  ")
	fmt.Fprintln(e.Stdout, string(b))
	return nil
}
