package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// requestInfo is what a handler tells the request log about its request.
type requestInfo struct {
	fitStatus string // the status its fit ended with, if it ran one
}

type infoKey struct{}

// setFitStatus records the status of a request's fit for the request log.
func setFitStatus(ctx context.Context, status string) {
	if info, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		info.fitStatus = status
	}
}

// statusWriter records the status a handler answers. Unwrap lets
// http.ResponseController reach the connection (flushes, deadlines).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs one line per request to l: method, path, status,
// duration, and the status of its fit when it ran one.
func logRequests(l *slog.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{}
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), infoKey{}, info)))
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", sw.status), slog.Duration("duration", time.Since(start)),
		}
		if info.fitStatus != "" {
			attrs = append(attrs, slog.String("fit", info.fitStatus))
		}
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelWarn
		}
		l.LogAttrs(r.Context(), level, "request", attrs...)
	})
}
