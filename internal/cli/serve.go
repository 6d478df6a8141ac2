package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/klfit/klfit/server"
	"github.com/klfit/klfit/target"
)

type serveOptions struct {
	Addr   string
	Public bool
	Quiet  bool
	Config server.Config
}

func newServeCmd(ios *IOStreams) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web playground: fits that run live in the browser",
		Long: `serve starts the playground: a page where you pick a target, a model, a
divergence and an optimizer, press Run and watch q slide onto p, with the
loss, the parameter traces, pause, step and downloads of everything klfit fit
writes. The page and its JSON API (POST /api/fit answers what klfit fit
--json prints) are described in the README.

It listens on 127.0.0.1 only unless --public is given; it works without
internet (nothing is loaded from elsewhere). Ctrl-C (or SIGTERM) stops it
gracefully: running fits get a few seconds to end, then stop and still send
what they computed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), ios, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Addr, "addr", "127.0.0.1:8080", "`host:port` to listen on (port 0 picks a free one)")
	f.BoolVar(&o.Public, "public", false, "allow an --addr other machines can reach (klfit has no authentication)")
	f.Int64Var(&o.Config.MaxBodyBytes, "max-body", server.DefaultMaxBodyBytes, "largest spec accepted, in `bytes`")
	f.Int64Var(&o.Config.MaxUploadBytes, "max-upload", server.DefaultMaxUploadBytes, "largest uploaded data file, in `bytes`")
	f.Int64Var(&o.Config.MaxUploadTotal, "max-uploads", server.DefaultMaxUploadTotal, "most `bytes` of uploads held at once, all requests together; beyond, 503")
	f.IntVar(&o.Config.MaxGridPoints, "max-points", server.DefaultMaxGridPoints, "most grid `points` a fit may use")
	f.Int64Var(&o.Config.MaxFitBytes, "max-fit-memory", server.DefaultMaxFitBytes, "most memory one fit's arrays may take, in `bytes` (8 x points x (parameters + 6))")
	f.IntVar(&o.Config.MaxEpochs, "max-epochs", server.DefaultMaxEpochs, "most `epochs` a fit may ask for")
	f.IntVar(&o.Config.MaxExpression, "max-expression", server.DefaultMaxExpression, "longest formula of an expression target, in `characters`")
	f.DurationVar(&o.Config.FitTimeout, "time-limit", server.DefaultFitTimeout, "time a fit may run, building its target included, before it is stopped")
	f.StringVar(&o.Config.PostgresDSN, "postgres-dsn", "", "offer postgres targets, querying this `database` (URL or key=value; \"env\": libpq's PG* variables)")
	f.IntVar(&o.Config.MaxConcurrent, "max-fits", 0, "fits running at once (default: the number of CPUs)")
	f.IntVar(&o.Config.MaxQueued, "queue", server.DefaultMaxQueued, "requests that may wait for a running fit to end (0: none); beyond, 503")
	f.BoolVar(&o.Quiet, "quiet", false, "log no line per request")
	return cmd
}

func runServe(ctx context.Context, ios *IOStreams, o *serveOptions) error {
	host, port, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return usageError(fmt.Errorf("--addr %q: %w", o.Addr, err))
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || (p == 0 && port != "0") {
		return usageError(fmt.Errorf("--addr %s: invalid port %q: want a number from 0 to 65535 (0 picks a free one)", o.Addr, port))
	}
	loopback := server.IsLoopback(host)
	if !loopback && !o.Public {
		return usageError(fmt.Errorf("--addr %s is not a loopback address: other machines could reach it; add --public to allow that (klfit has no authentication)", o.Addr))
	}
	for _, c := range []struct {
		flag string
		v    int64
	}{{"--max-body", o.Config.MaxBodyBytes}, {"--max-upload", o.Config.MaxUploadBytes}, {"--max-uploads", o.Config.MaxUploadTotal},
		{"--max-points", int64(o.Config.MaxGridPoints)}, {"--max-fit-memory", o.Config.MaxFitBytes}, {"--max-epochs", int64(o.Config.MaxEpochs)},
		{"--max-expression", int64(o.Config.MaxExpression)},
		{"--time-limit", int64(o.Config.FitTimeout)}} {
		if c.v <= 0 {
			return usageError(fmt.Errorf("%s must be > 0", c.flag))
		}
	}
	if o.Config.MaxConcurrent < 0 {
		return usageError(fmt.Errorf("--max-fits must be >= 0"))
	}
	if o.Config.MaxQueued <= 0 {
		o.Config.MaxQueued = -1 // --queue 0 (or less): no waiting
	}
	cfg := o.Config
	cfg.LoopbackHosts = loopback
	if cfg.PostgresDSN != "" {
		if err := checkServeDSN(ctx, &cfg); err != nil {
			return usageError(err)
		}
	}
	if !o.Quiet {
		cfg.Logger = slog.New(slog.NewTextHandler(ios.ErrOut, nil))
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return usageError(fmt.Errorf("--addr %s: %w", o.Addr, err))
	}
	url, everywhere := openURL(ln.Addr(), host)
	where, note := ln.Addr().String(), ""
	if everywhere {
		where, note = "every interface", "listening on every interface; "
	}
	if !loopback {
		fmt.Fprintf(ios.ErrOut, "klfit: warning: serving on %s, open to every machine that can reach it; klfit has no authentication\n", where)
	}
	srv := server.New(cfg)
	fmt.Fprintf(ios.Out, "klfit playground at %s (%sCtrl-C to stop)\n", url, note)
	if err := srv.Serve(ctx, ln); err != nil {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("serving: %w", err)}
	}
	fmt.Fprintln(ios.Out, "klfit playground stopped")
	return nil
}

// checkServeDSN checks --postgres-dsn by connecting once, so that a wrong
// one fails at start rather than on each fit; "env" stands for libpq's
// environment (PGHOST, PGDATABASE, ...).
func checkServeDSN(ctx context.Context, cfg *server.Config) error {
	if cfg.PostgresDSN == "env" {
		cfg.PostgresDSN = ""
	}
	cfg.Postgres = true
	q, err := target.NewPostgres("SELECT 1", cfg.PostgresDSN)
	if err != nil {
		return fmt.Errorf("--postgres-dsn: %w", err)
	}
	if _, err := q.Range(ctx); err != nil {
		return fmt.Errorf("--postgres-dsn: %w", err)
	}
	return nil
}

// openURL returns the playground's URL for a server listening on addr,
// asked for as host. A server listening on every interface (0.0.0.0,
// ::) is opened on this machine through the loopback address of host's
// family, and everywhere is true.
func openURL(addr net.Addr, host string) (url string, everywhere bool) {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return "http://" + addr.String() + "/", false
	}
	lo := "127.0.0.1"
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		lo = "::1"
	}
	return "http://" + net.JoinHostPort(lo, strconv.Itoa(tcp.Port)) + "/", true
}
