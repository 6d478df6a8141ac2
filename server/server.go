package server

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
)

// Defaults of the Config fields left zero.
const (
	DefaultMaxBodyBytes    = 1 << 20  // 1 MiB
	DefaultMaxUploadBytes  = 32 << 20 // 32 MiB
	DefaultMaxUploadTotal  = 4 * DefaultMaxUploadBytes
	DefaultMaxGridPoints   = 1_000_000
	DefaultMaxFitBytes     = 1 << 30 // 1 GiB
	DefaultMaxEpochs       = 100_000
	DefaultMaxExpression   = 2000 // characters
	DefaultFitTimeout      = 60 * time.Second
	DefaultMaxQueued       = 64
	DefaultQueueTimeout    = 10 * time.Second
	DefaultMaxStreamEvents = 1000
	DefaultWriteTimeout    = 30 * time.Second
	DefaultShutdownGrace   = 5 * time.Second
)

// Config sets a server's limits. The zero value of every field means its
// default (the Default constants; MaxConcurrent defaults to the number of
// CPUs).
type Config struct {
	// MaxBodyBytes caps a spec, sent as the body or as the multipart
	// "spec" field; larger requests get 413.
	MaxBodyBytes int64
	// MaxUploadBytes caps an uploaded data file; larger uploads get 413.
	// Uploads are streamed to a temporary file, never held in memory.
	MaxUploadBytes int64
	// MaxUploadTotal caps the bytes of multipart requests the server
	// holds at once, being received or saved for a fit: a request that
	// would go beyond it gets 503 with Retry-After before it is read. A
	// request reserves its Content-Length (without one, the most a
	// request may send), and keeps the bytes of its saved file until its
	// fit ends. It is raised to what one request may send when lower.
	MaxUploadTotal int64
	// MaxGridPoints caps the points of a fit's grid (400, key "grid").
	MaxGridPoints int
	// MaxFitBytes caps the memory of one fit's arrays, estimated as
	// 8 bytes x points x (parameters + 6): the general pass holds the
	// grid's x and y, the target, log p, log q, q and one score array per
	// parameter, each as long as the grid (400, key "grid").
	MaxFitBytes int64
	// MaxEpochs caps the epochs of a fit (400, key "epochs").
	MaxEpochs int
	// MaxExpression caps the characters of an expression target's
	// formula (400, key "target.expression"): building the target
	// evaluates it at every point of the grid.
	MaxExpression int
	// Postgres offers postgres targets, querying the database of
	// PostgresDSN ("": libpq's environment, PGHOST...) (klfit serve
	// --postgres-dsn); without it they are refused (400, key
	// "target.postgres"). A request can never give a dsn of its own.
	Postgres    bool
	PostgresDSN string
	// FitTimeout is the time a fit may run, from building its target to
	// its last epoch; it then stops between two epochs, as an interrupted
	// fit, and its summary is still sent. A fit still being built then
	// fails at once (400, key "target"); its build ends in the background,
	// holding its slot.
	FitTimeout time.Duration
	// MaxConcurrent bounds the fits running at once.
	MaxConcurrent int
	// MaxQueued bounds the requests waiting for a fit to end; beyond it,
	// or after QueueTimeout, they get 503 with Retry-After. A negative
	// value means no waiting.
	MaxQueued    int
	QueueTimeout time.Duration
	// MaxStreamEvents bounds the states a stream sends for one fit: a fit
	// of more epochs sends one state every ceil(epochs/MaxStreamEvents)
	// epochs (2-D fits, whose states are larger, a fifth as many).
	MaxStreamEvents int
	// StreamBuffer is the number of states queued for a slow client; the
	// fit never waits for a client, and states that find the queue full
	// are skipped (the final one never is). The default, MaxStreamEvents
	// + 1, holds every state a stream sends, so that none is skipped.
	StreamBuffer int
	// WriteTimeout bounds each write of a stream to its client.
	WriteTimeout time.Duration
	// ShutdownGrace is how long Serve lets running requests end when its
	// context is cancelled before it cancels their fits.
	ShutdownGrace time.Duration
	// LoopbackHosts accepts only requests addressed to a loopback host
	// (localhost, 127.0.0.0/8, ::1), as a server bound to a loopback
	// address expects: a page elsewhere whose name is made to resolve to
	// 127.0.0.1 (DNS rebinding) then gets 403.
	LoopbackHosts bool
	// ErrorLog receives the HTTP server's errors; nil means the log
	// package's standard logger.
	ErrorLog *log.Logger
	// Logger, when not nil, receives one line per request: its method,
	// path, status, duration, and the status of its fit, if it ran one.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	def64 := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	dur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def64(&c.MaxBodyBytes, DefaultMaxBodyBytes)
	def64(&c.MaxUploadBytes, DefaultMaxUploadBytes)
	def64(&c.MaxUploadTotal, 4*c.MaxUploadBytes)
	c.MaxUploadTotal = max(c.MaxUploadTotal, c.multipartBytes())
	def(&c.MaxGridPoints, DefaultMaxGridPoints)
	def64(&c.MaxFitBytes, DefaultMaxFitBytes)
	def(&c.MaxEpochs, DefaultMaxEpochs)
	def(&c.MaxExpression, DefaultMaxExpression)
	dur(&c.FitTimeout, DefaultFitTimeout)
	def(&c.MaxConcurrent, runtime.NumCPU())
	switch {
	case c.MaxQueued == 0:
		c.MaxQueued = DefaultMaxQueued
	case c.MaxQueued < 0:
		c.MaxQueued = 0
	}
	dur(&c.QueueTimeout, DefaultQueueTimeout)
	def(&c.MaxStreamEvents, DefaultMaxStreamEvents)
	def(&c.StreamBuffer, c.MaxStreamEvents+1)
	dur(&c.WriteTimeout, DefaultWriteTimeout)
	dur(&c.ShutdownGrace, DefaultShutdownGrace)
	return c
}

// multipartBytes is the most a multipart request may send: a spec, a
// file and the framing.
func (c Config) multipartBytes() int64 { return c.MaxBodyBytes + c.MaxUploadBytes + 64<<10 }

//go:embed static
var static embed.FS

// Server is the playground: an http.Handler serving the page and the API.
// Its zero value is not usable; call New.
type Server struct {
	cfg     Config
	handler http.Handler
	limit   *limiter
	// parsing bounds the specs parsed at once, as many as the fits.
	parsing *limiter
	// uploads holds the bytes of the multipart requests being received
	// or kept (Config.MaxUploadTotal).
	uploads *budget

	// fits is the parent of every fit's context; cancelFits stops them all
	// (at the end of a shutdown's grace period).
	fits       context.Context
	cancelFits context.CancelCauseFunc

	// running counts the fits in progress, for tests and shutdown.
	running atomic.Int64
}

// New returns a server with the given limits.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, limit: newLimiter(cfg.MaxConcurrent, cfg.MaxQueued, cfg.QueueTimeout),
		parsing: newLimiter(cfg.MaxConcurrent, cfg.MaxQueued, cfg.QueueTimeout),
		uploads: &budget{max: cfg.MaxUploadTotal}}
	s.fits, s.cancelFits = context.WithCancelCause(context.Background())

	mux := http.NewServeMux()
	page, err := fs.Sub(static, "static")
	if err != nil {
		panic("server: the embedded page is missing: " + err.Error())
	}
	files := http.FileServerFS(page)
	route(mux, "/{$}", get(files))
	route(mux, "/static/", get(http.StripPrefix("/static/", files)))
	route(mux, "/healthz", get(http.HandlerFunc(healthz)))
	route(mux, "/api/families", get(http.HandlerFunc(handleFamilies)))
	route(mux, "/api/divergences", get(http.HandlerFunc(handleDivergences)))
	route(mux, "/api/optimizers", get(http.HandlerFunc(handleOptimizers)))
	route(mux, "/api/presets", get(http.HandlerFunc(handlePresets)))
	route(mux, "/api/limits", get(http.HandlerFunc(s.handleLimits)))
	route(mux, "/api/fit", post(http.HandlerFunc(s.handleFit)))
	route(mux, "/api/fit/stream", post(http.HandlerFunc(s.handleStream)))
	route(mux, "/api/fit/files/{name}", post(http.HandlerFunc(s.handleFiles)))
	route(mux, "/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{Status: http.StatusNotFound, Msg: "no such endpoint: " + r.URL.Path})
	}))
	// Browsers may not post to the API from other sites' pages.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{Status: http.StatusForbidden,
			Msg: r.Method + " " + r.URL.Path + ": cross-origin request refused: pages of other sites may not post to this server"})
	}))
	s.handler = securityHeaders(cop.Handler(mux))
	if cfg.LoopbackHosts {
		s.handler = loopbackOnly(s.handler)
	}
	if cfg.Logger != nil {
		s.handler = logRequests(cfg.Logger, s.handler)
	}
	return s
}

// Config returns the server's limits, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Running returns the number of fits in progress.
func (s *Server) Running() int { return int(s.running.Load()) }

// Serve serves on ln until ctx is cancelled, then shuts down gracefully:
// it stops accepting connections, lets running requests end for
// Config.ShutdownGrace, then cancels the fits still running (they end as
// interrupted, and their clients still get what they computed) and waits
// for their handlers. It returns nil after a shutdown, or the error that
// stopped the server. A server whose fits were cancelled so cancels every
// later fit at once: serve again with a new one.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          s.cfg.ErrorLog,
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	grace, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownGrace)
	err := hs.Shutdown(grace)
	cancel()
	if err != nil {
		s.cancelFits(errShutdown)
		// Cancelled fits end at their next epoch and their handlers
		// write what was computed: give them a moment, then close.
		wait, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = hs.Shutdown(wait)
		cancel()
		if err != nil {
			hs.Close()
		}
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// route registers h for pattern.
func route(mux *http.ServeMux, pattern string, h http.Handler) { mux.Handle(pattern, h) }

// get admits GET and HEAD requests, post POST requests; others get a JSON
// 405.
func get(h http.Handler) http.Handler  { return methods(h, http.MethodGet, http.MethodHead) }
func post(h http.Handler) http.Handler { return methods(h, http.MethodPost) }

func methods(h http.Handler, allowed ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, m := range allowed {
			if r.Method == m {
				h.ServeHTTP(w, r)
				return
			}
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, &apiError{Status: http.StatusMethodNotAllowed,
			Msg: r.Method + " " + r.URL.Path + ": method not allowed (allowed: " + strings.Join(allowed, ", ") + ")"})
	})
}

// securityHeaders sets headers that keep the page from being framed,
// sniffed or made to load anything from elsewhere.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		h.ServeHTTP(w, r)
	})
}

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// IsLoopback reports whether host (a name or an IP address, without port)
// is a loopback host: localhost, 127.0.0.0/8 or ::1.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return ip != nil && ip.IsLoopback()
}

// loopbackOnly refuses requests whose Host header is not a loopback host.
func loopbackOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if hh, _, err := net.SplitHostPort(host); err == nil {
			host = hh
		}
		if !IsLoopback(host) {
			writeError(w, &apiError{Status: http.StatusForbidden,
				Msg: fmt.Sprintf("this server answers requests to localhost only, not to %q", r.Host)})
			return
		}
		h.ServeHTTP(w, r)
	})
}
