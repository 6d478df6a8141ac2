package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/spec"
)

// limiter bounds the fits running at once, with a short bounded queue in
// front.
type limiter struct {
	slots     chan struct{}
	waiting   atomic.Int64
	maxQueued int64
	timeout   time.Duration
}

func newLimiter(concurrent, queued int, timeout time.Duration) *limiter {
	return &limiter{slots: make(chan struct{}, concurrent), maxQueued: int64(queued), timeout: timeout}
}

// errBusy: every slot is taken and the queue is full or took too long.
var errBusy = errors.New("busy")

// acquire takes a slot, waiting in the queue when there is room in it, and
// returns the function that gives the slot back. It fails with errBusy, or
// with ctx's error when the client goes away while waiting.
func (l *limiter) acquire(ctx context.Context) (release func(), err error) {
	release = func() { <-l.slots }
	select {
	case l.slots <- struct{}{}:
		return release, nil
	default:
	}
	if l.waiting.Add(1) > l.maxQueued {
		l.waiting.Add(-1)
		return nil, errBusy
	}
	defer l.waiting.Add(-1)
	t := time.NewTimer(l.timeout)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
		return release, nil
	case <-t.C:
		return nil, errBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// full reports whether a request would find every slot taken and no room
// in the queue: acquire would fail at once.
func (l *limiter) full() bool {
	return len(l.slots) == cap(l.slots) && l.waiting.Load() >= l.maxQueued
}

// busy is the answer to a request that found no slot.
func (s *Server) busy() *apiError {
	running := fmt.Sprintf("%d fits are running", s.cfg.MaxConcurrent)
	if s.cfg.MaxConcurrent == 1 {
		running = "1 fit is running"
	}
	queue := "it queues no request"
	switch q := s.cfg.MaxQueued; {
	case q == 1:
		queue = "its queue (1 request) is full or moved too slowly"
	case q > 1:
		queue = fmt.Sprintf("its queue (%d requests) is full or moved too slowly", q)
	}
	return &apiError{Status: http.StatusServiceUnavailable, RetryAfter: 5,
		Msg: fmt.Sprintf("the server is busy: %s, as many as it runs at once, and %s; retry in a few seconds", running, queue)}
}

// checkSize refuses a spec whose grid, formula or epochs exceed the
// server's limits, before anything is allocated for it. Invalid grids are
// left to Spec.Build, which says what is wrong with them.
func (s *Server) checkSize(sp *spec.Spec) *apiError {
	if aerr := s.checkPoints(gridPoints(sp.Grid)); aerr != nil {
		return aerr
	}
	if n := utf8.RuneCountInString(sp.Target.Expression); n > s.cfg.MaxExpression {
		return &apiError{Status: http.StatusBadRequest, Key: "target.expression",
			Msg: fmt.Sprintf("target.expression: the formula has %d characters, more than this server allows (%d)", n, s.cfg.MaxExpression)}
	}
	return s.checkEpochs(sp.Epochs)
}

// gridPoints returns the number of points of the grid g describes,
// counted as Spec.Build builds it but without building it: a circle of
// Points angles, or one or two axes from start to stop by step (an axis of
// more points than the grid package builds counted as (stop-start)/step,
// so that the server's own, lower, limit is the one named). It returns 0
// for a grid that is not valid.
func gridPoints(g spec.Grid) float64 {
	count := func(a spec.Axis) float64 {
		ax, err := grid.Arange(a.Start, a.Stop, a.Step)
		if err != nil {
			if n := (a.Stop - a.Start) / a.Step; a.Step > 0 && n > grid.MaxPoints && !math.IsInf(n, 0) {
				return math.Ceil(n)
			}
			return 0
		}
		return float64(ax.N)
	}
	switch {
	case g.Circular:
		return float64(max(g.Points, 0))
	case g.X == nil && g.Y == nil:
		return count(spec.Axis{Start: g.Start, Stop: g.Stop, Step: g.Step})
	case g.X != nil && g.Y != nil:
		return count(*g.X) * count(*g.Y)
	}
	return 0
}

// checkPoints refuses a grid of more points than the server allows.
func (s *Server) checkPoints(points float64) *apiError {
	if points > float64(s.cfg.MaxGridPoints) {
		return &apiError{Status: http.StatusBadRequest, Key: "grid",
			Msg: fmt.Sprintf("grid: %.0f points is more than this server allows (%d); use fewer points", points, s.cfg.MaxGridPoints)}
	}
	return nil
}

// checkBuilt refuses a built fit that exceeds the server's limits: its
// epochs, the points of the grid it built, and the memory its fit would
// take (see Config.MaxFitBytes).
func (s *Server) checkBuilt(b *spec.Built) *apiError {
	if aerr := s.checkEpochs(b.Epochs); aerr != nil {
		return aerr
	}
	points := b.Problem.Grid.Len()
	if aerr := s.checkPoints(float64(points)); aerr != nil {
		return aerr
	}
	params := len(b.Problem.Family.Params())
	if need := fitBytes(points, params); need > float64(s.cfg.MaxFitBytes) {
		return &apiError{Status: http.StatusBadRequest, Key: "grid",
			Msg: fmt.Sprintf("grid: a fit of %d parameters (%s) on %d points needs about %s, more than this server allows (%s); use fewer points or a model with fewer parameters",
				params, b.Problem.Family.Name(), points, sizeText(need), sizeText(float64(s.cfg.MaxFitBytes)))}
	}
	return nil
}

// fitBytes estimates the memory of a fit's arrays: parameters + 6
// float64 arrays as long as the grid (see Config.MaxFitBytes).
func fitBytes(points, params int) float64 {
	return 8 * float64(points) * float64(params+6)
}

// sizeText writes a number of bytes in MiB or GiB, to 3 digits.
func sizeText(b float64) string {
	if b >= 1<<30 {
		return strconv.FormatFloat(b/(1<<30), 'g', 3, 64) + " GiB"
	}
	return strconv.FormatFloat(b/(1<<20), 'g', 3, 64) + " MiB"
}

func (s *Server) checkEpochs(epochs int) *apiError {
	if epochs > s.cfg.MaxEpochs {
		return &apiError{Status: http.StatusBadRequest, Key: "epochs",
			Msg: fmt.Sprintf("epochs: %d is more than this server allows (%d)", epochs, s.cfg.MaxEpochs)}
	}
	return nil
}

// Limits is what GET /api/limits answers: the server's limits, for the
// page to show and respect.
type Limits struct {
	MaxBodyBytes        int64   `json:"max_body_bytes"`
	MaxUploadBytes      int64   `json:"max_upload_bytes"`
	MaxUploadTotal      int64   `json:"max_upload_total"`
	MaxGridPoints       int     `json:"max_grid_points"`
	MaxFitBytes         int64   `json:"max_fit_bytes"`
	MaxEpochs           int     `json:"max_epochs"`
	MaxExpression       int     `json:"max_expression"`
	FitTimeoutSeconds   float64 `json:"fit_timeout_seconds"`
	MaxConcurrent       int     `json:"max_concurrent"`
	MaxStreamEvents     int     `json:"max_stream_events"`
	QueueTimeoutSeconds float64 `json:"queue_timeout_seconds"`
}

func (s *Server) handleLimits(w http.ResponseWriter, _ *http.Request) {
	c := s.cfg
	writeJSON(w, Limits{
		MaxBodyBytes: c.MaxBodyBytes, MaxUploadBytes: c.MaxUploadBytes, MaxUploadTotal: c.MaxUploadTotal, MaxGridPoints: c.MaxGridPoints,
		MaxFitBytes: c.MaxFitBytes, MaxEpochs: c.MaxEpochs, MaxExpression: c.MaxExpression,
		FitTimeoutSeconds: c.FitTimeout.Seconds(), MaxConcurrent: c.MaxConcurrent,
		MaxStreamEvents: c.MaxStreamEvents, QueueTimeoutSeconds: c.QueueTimeout.Seconds(),
	})
}

// stride is the number of epochs between two streamed states: 1 up to
// maxEvents epochs, then ceil(epochs/maxEvents).
func stride(epochs, maxEvents int) int {
	if epochs <= maxEvents {
		return 1
	}
	return int(math.Ceil(float64(epochs) / float64(maxEvents)))
}
