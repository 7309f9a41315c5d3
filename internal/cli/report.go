package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/stats"
)

type reportFlags struct {
	month, format, out, dept, region string
}

var reportOpts reportFlags

func reportFlagSet(fs *flag.FlagSet, lf *localFlags) {
	fs.StringVar(&reportOpts.month, "month", "", "the month, YYYY-MM (default: last month)")
	fs.StringVar(&reportOpts.format, "format", "xlsx", "xlsx or pdf")
	fs.StringVar(&reportOpts.out, "out", "", "the file to write (required)")
	fs.StringVar(&reportOpts.dept, "dept", "", "a department id: that department's report (a row per item)")
	fs.StringVar(&reportOpts.region, "report-region", "", "the region of the report (default: --region)")
}

// runReport writes the monthly supervision report (通报) of the region, or
// of one department, as xlsx or PDF: `report monthly --month 2026-10
// --format xlsx --out report.xlsx`.
func runReport(ctx context.Context, e *Env, cfg *config.Config, lf *localFlags, args []string) error {
	if len(args) != 1 || args[0] != "monthly" || reportOpts.out == "" || (reportOpts.format != "xlsx" && reportOpts.format != "pdf") {
		fmt.Fprintln(e.Stderr, "usage: tongban report monthly --month YYYY-MM --format xlsx|pdf --out FILE [--dept ID]")
		return errUsage
	}
	month := reportOpts.month
	if month == "" {
		month = time.Now().AddDate(0, -1, 0).Format("2006-01")
	}
	region := reportOpts.region
	if region == "" {
		region = cfg.Region
	}
	d, err := db.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer d.Close()
	m, err := stats.BuildMonthly(ctx, d, month, region, reportOpts.dept, time.Now())
	if err != nil {
		return err
	}
	var b []byte
	if reportOpts.format == "pdf" {
		b, err = m.PDF()
	} else {
		b, err = m.XLSX()
	}
	if err != nil {
		return err
	}
	if err := os.WriteFile(reportOpts.out, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "%s: %d rows, %d applications, written to %s\n", m.Title(), len(m.Rows), m.Total.Submitted, reportOpts.out)
	return nil
}
