package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/db"
)

// runImport: `tongban import divisions FILE` loads a code,name division list
// (for example a whole province from published NBS data). Any bad row
// rejects the whole file, naming the line.
func runImport(ctx context.Context, e *Env, cfg *config.Config, lf *localFlags, args []string) error {
	if len(args) != 2 || args[0] != "divisions" {
		fmt.Fprintln(e.Stderr, "usage: tongban import divisions FILE.csv")
		return errUsage
	}
	f, err := os.Open(args[1])
	if err != nil {
		return err
	}
	defer f.Close()
	d, err := db.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer d.Close()
	n, err := catalog.New(d).ImportDivisions(ctx, f)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "%d divisions imported\n", n)
	return nil
}
