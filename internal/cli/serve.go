package cli

import (
	"context"
	"fmt"
	"net"

	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/server"
)

func runServe(ctx context.Context, e *Env, cfg *config.Config, lf *localFlags, args []string) error {
	return serve(ctx, e, cfg, server.ModeServe)
}

func runDemo(ctx context.Context, e *Env, cfg *config.Config, lf *localFlags, args []string) error {
	return serve(ctx, e, cfg, server.ModeDemo)
}

func serve(ctx context.Context, e *Env, cfg *config.Config, mode server.Mode) error {
	// The address first: with the port taken, nothing is created (no
	// database, no keys) and the message says what to do.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("unable to listen on %s: %w\n  (another program — or another tongban — uses it: choose another address with --addr, e.g. --addr 127.0.0.1:8081)", cfg.Addr, err)
	}
	defer ln.Close()
	app, err := server.Open(ctx, *cfg, mode)
	if err != nil {
		return err
	}
	defer app.Close()
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	url := scheme + "://" + ln.Addr().String() + "/"
	fmt.Fprintf(e.Stdout, "通办 Tongban is serving at %s\n", url)
	if mode == server.ModeDemo {
		fmt.Fprintf(e.Stdout, "Demo database: %s\nDemo logins (password %s):\n", cfg.DB, identity.DemoPassword)
		for _, a := range demo.Accounts {
			fmt.Fprintf(e.Stdout, "  %-11s %s\n", a.Username, a.Role)
		}
		fmt.Fprintf(e.Stdout, "admin and supervisor also need a one-time code (TOTP): add the secret %s to an authenticator app\n", identity.DemoTOTPSecret)
	}
	if e.Ready != nil {
		e.Ready(url)
	}
	return app.Serve(ctx, ln)
}
