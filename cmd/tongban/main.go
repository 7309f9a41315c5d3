// Command tongban is the 通办 Tongban platform: one binary that serves the
// portal, workbench, supervision, administration and API, and the tools
// around them. Run `tongban demo` to try it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/tongban/tongban/internal/cli"
	"github.com/tongban/tongban/internal/config"
)

func main() {
	config.TuneGC(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, &cli.Env{Args: os.Args[1:], Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}
