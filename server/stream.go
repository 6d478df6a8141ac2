package server

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/spec"
)

// Display resolution of the streamed densities.
const (
	targetPoints = 400 // 1-D target curve
	modelPoints  = 200 // 1-D model curve, sent with every state
	gridSide     = 48  // 2-D: the densities on at most 48 x 48 points
)

// view is where a stream shows the densities: the target once, the
// model's density at every streamed state.
type view struct {
	dim int
	// 1-D: X and Target are the target's curve, QX the model's points.
	// 2-D: X and Y are the axes of a coarse grid, Target the target's
	// density on it (row i is Y[i]), and the model is evaluated there.
	X, Y, Target, QX []float64
	qx, qy           []float64 // the model's points, flattened in 2-D
}

func newView(b *spec.Built) *view {
	if g := b.Problem.Grid; g.Dim() == 2 {
		return newView2D(g, b.TargetDensity())
	}
	return newView1D(b.Problem.Grid.Axes[0], b.TargetDensity())
}

// newView1D shows the target's densities dens on the axis a.
func newView1D(a grid.Axis, dens []float64) *view {
	v := &view{dim: 1, X: span(a, targetPoints), QX: span(a, modelPoints)}
	v.Target = make([]float64, len(v.X))
	for i, x := range v.X {
		j, f := locate(a, x)
		v.Target[i] = dens[j]
		if f > 0 {
			v.Target[i] = (1-f)*dens[j] + f*dens[j+1]
		}
	}
	v.qx = v.QX
	return v
}

// newView2D shows the target's densities dens on the 2-D grid g, on a
// coarse grid of at most gridSide points a side (bilinear interpolation).
func newView2D(g *grid.Grid, dens []float64) *view {
	ax, ay := g.Axes[0], g.Axes[1]
	v := &view{dim: 2, X: span(ax, min(ax.N, gridSide)), Y: span(ay, min(ay.N, gridSide))}
	n := len(v.X) * len(v.Y)
	v.Target, v.qx, v.qy = make([]float64, n), make([]float64, n), make([]float64, n)
	for i, y := range v.Y {
		iy, fy := locate(ay, y)
		for j, x := range v.X {
			ix, fx := locate(ax, x)
			at := func(dy, dx int) float64 {
				if (dy > 0 && fy == 0) || (dx > 0 && fx == 0) {
					return 0
				}
				return dens[(iy+dy)*ax.N+ix+dx]
			}
			k := i*len(v.X) + j
			v.Target[k] = (1-fy)*((1-fx)*at(0, 0)+fx*at(0, 1)) + fy*((1-fx)*at(1, 0)+fx*at(1, 1))
			v.qx[k], v.qy[k] = x, y
		}
	}
	return v
}

// span returns n points from the axis's first point to its last.
func span(a grid.Axis, n int) []float64 {
	lo, hi := a.At(0), a.At(a.N-1)
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = lo
		if n > 1 {
			xs[i] = lo + (hi-lo)*float64(i)/float64(n-1)
		}
	}
	return xs
}

// locate returns the grid cell [j, j+1] holding x and x's fraction f of
// the way through it (f is 0 on the last point).
func locate(a grid.Axis, x float64) (int, float64) {
	if a.N < 2 {
		return 0, 0
	}
	t := (x - a.At(0)) / a.Delta
	j := min(max(int(math.Floor(t)), 0), a.N-2)
	return j, min(max(t-float64(j), 0), 1)
}

// model returns the model's density at the view's points, in dst when it
// has room.
func (v *view) model(dst []float64, f dist.Family, theta []float64) []float64 {
	q := dst[:0]
	if cap(q) < len(v.qx) {
		q = make([]float64, len(v.qx))
	}
	q = q[:len(v.qx)]
	var y []float64
	if v.dim == 2 {
		y = v.qy
	}
	f.Eval(theta, v.qx, y, q, nil)
	for i, l := range q {
		q[i] = math.Exp(l)
	}
	return q
}

// state is one streamed state of a fit.
type state struct {
	epoch int
	loss  float64
	theta []float64
	// t is the time since the fit started, in seconds.
	t float64
	// q is the model's density at the view's points.
	q []float64
}

// streamer is the observer of a streamed fit. It queues every stride-th
// state (and the last epoch's) for the client without ever waiting: a
// state that finds the queue full is skipped, so a slow client can
// neither slow the fit down nor change a number. The model's density is
// computed by the writer, off the fit's goroutine (families are safe for
// concurrent use: the fit's own passes call them from several goroutines).
type streamer struct {
	stride, epochs int
	ch             chan state
	start          time.Time
	// last is the epoch of the last state queued (-1 for none); dropped
	// counts the states skipped. Both are written by the fit's goroutine
	// and read once it is done.
	last, dropped int
}

// Observe implements fit.Observer.
func (st *streamer) Observe(ev *fit.Event) {
	if ev.Epoch%st.stride != 0 && ev.Epoch != st.epochs {
		return
	}
	s := state{epoch: ev.Epoch, loss: ev.Loss, theta: append([]float64(nil), ev.Theta...), t: time.Since(st.start).Seconds()}
	select {
	case st.ch <- s:
		st.last = ev.Epoch
	default:
		st.dropped++
	}
}

// startEvent is the first event of a stream: what the fit is and where
// its densities are shown.
type startEvent struct {
	Epochs     int             `json:"epochs"`
	Stride     int             `json:"stride"`
	Dim        int             `json:"dim"`
	Family     string          `json:"family"`
	Divergence string          `json:"divergence"`
	Symbol     string          `json:"symbol"`
	Direction  string          `json:"direction"`
	LossName   string          `json:"loss_name"`
	Names      []string        `json:"names"`
	Spec       json.RawMessage `json:"spec"`
	X          []spec.Float    `json:"x"`
	Y          []spec.Float    `json:"y,omitempty"`
	QX         []spec.Float    `json:"qx,omitempty"`
	Target     []spec.Float    `json:"target"`
}

func floats(v []float64) []spec.Float {
	if v == nil {
		return nil
	}
	out := make([]spec.Float, len(v))
	for i, x := range v {
		out[i] = spec.Float(x)
	}
	return out
}

// handleStream answers POST /api/fit/stream with Server-Sent Events:
//
//	event: start    what the fit is: names, epochs, stride, the target's density
//	event: state    {"epoch", "loss", "params", "t", "q"}: every stride-th epoch, and the last
//	event: notice   {"message"}: why the fit was interrupted, states skipped
//	event: summary  the summary JSON, as POST /api/fit answers it
//
// A spec that is not valid gets a JSON error before the stream starts.
func (s *Server) handleStream(w http.ResponseWriter, r *http.Request) {
	j, aerr := s.prepare(w, r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	defer j.close()

	b := j.built
	v := newView(b)
	maxEvents := s.cfg.MaxStreamEvents
	if v.dim == 2 {
		maxEvents = max(1, maxEvents/5)
	}
	st := &streamer{stride: stride(b.Epochs, maxEvents), epochs: b.Epochs, ch: make(chan state, s.cfg.StreamBuffer), last: -1}
	specJSON, _ := b.Spec.MarshalJSON()
	start := startEvent{Epochs: b.Epochs, Stride: st.stride, Dim: v.dim, Family: b.Problem.Family.Name(),
		Divergence: b.Problem.Divergence.Name(), Symbol: b.LossSymbol(),
		Direction: b.Problem.Divergence.Direction(), LossName: b.Problem.Divergence.Name(),
		Names: dist.ParamNames(b.Problem.Family), Spec: specJSON,
		X: floats(v.X), Y: floats(v.Y), QX: floats(v.QX), Target: floats(v.Target)}

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	out := &sse{w: w, rc: http.NewResponseController(w), timeout: s.cfg.WriteTimeout}
	data, _ := json.Marshal(start)
	if out.event("start", data) != nil {
		return
	}

	type outcome struct {
		res    *fit.Result
		notice string
		err    *apiError
	}
	done := make(chan outcome, 1)
	st.start = time.Now()
	go func() {
		res, notice, aerr := s.run(j, st)
		done <- outcome{res, notice, aerr}
		close(st.ch)
	}()
	var werr error
	var buf []byte
	var q []float64
	for state := range st.ch {
		if werr != nil {
			continue // the client is gone: drain until the fit has stopped
		}
		q = v.model(q, b.Problem.Family, state.theta)
		state.q = q
		buf = appendState(buf[:0], state)
		werr = out.write("state", buf)
		if werr == nil && len(st.ch) == 0 {
			werr = out.flush() // flush when caught up: fewer, larger writes
		}
		if werr != nil {
			j.cancel()
		}
	}
	res := <-done
	if werr != nil {
		return
	}
	if res.err != nil {
		data, _ := json.Marshal(errorBody{Error: res.err.Msg})
		out.event("error", data)
		return
	}
	if n := res.res.History.Len(); n > 0 && st.last != res.res.Epochs {
		theta := res.res.History.Row(n - 1)
		last := state{epoch: res.res.Epochs, loss: res.res.History.Loss(n - 1), theta: theta,
			t: res.res.Elapsed.Seconds(), q: v.model(q, b.Problem.Family, theta)}
		if out.event("state", appendState(buf[:0], last)) != nil {
			return
		}
	}
	if res.notice != "" {
		out.notice(res.notice)
	}
	if st.dropped > 0 {
		out.notice(strconv.Itoa(st.dropped) + " states were not sent: the connection was slower than the fit")
	}
	out.event("summary", j.summary(res.res).JSON())
}

// appendState appends a state's JSON to dst. Parameters and loss keep
// every digit; densities, drawn on a screen, keep 4.
func appendState(dst []byte, s state) []byte {
	dst = append(dst, `{"epoch":`...)
	dst = strconv.AppendInt(dst, int64(s.epoch), 10)
	dst = append(dst, `,"loss":`...)
	dst = appendNumber(dst, s.loss, -1)
	dst = append(dst, `,"params":[`...)
	for i, v := range s.theta {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendNumber(dst, v, -1)
	}
	dst = append(dst, `],"t":`...)
	dst = appendNumber(dst, s.t, 6)
	dst = append(dst, `,"q":[`...)
	for i, v := range s.q {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendNumber(dst, v, 4)
	}
	return append(dst, "]}"...)
}

// appendNumber appends v with prec significant digits (-1: as many as
// needed to read it back exactly), or null when v is not finite.
func appendNumber(dst []byte, v float64, prec int) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(dst, "null"...)
	}
	return strconv.AppendFloat(dst, v, 'g', prec, 64)
}

// sse writes Server-Sent Events, each flushed, each write bounded in time
// so that a client that stops reading cannot hold the handler.
type sse struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	buf     []byte
}

// event writes an event and flushes it.
func (e *sse) event(name string, data []byte) error {
	if err := e.write(name, data); err != nil {
		return err
	}
	return e.flush()
}

func (e *sse) flush() error { return e.rc.Flush() }

// write writes an event without flushing it.
func (e *sse) write(name string, data []byte) error {
	e.rc.SetWriteDeadline(time.Now().Add(e.timeout)) // not every writer supports deadlines
	b := append(e.buf[:0], "event: "...)
	b = append(b, name...)
	b = append(b, '\n')
	for len(data) > 0 {
		line := data
		rest := []byte(nil)
		for i, c := range data {
			if c == '\n' {
				line, rest = data[:i], data[i+1:]
				break
			}
		}
		b = append(b, "data: "...)
		b = append(b, line...)
		b = append(b, '\n')
		data = rest
	}
	b = append(b, '\n')
	e.buf = b
	_, err := e.w.Write(b)
	return err
}

func (e *sse) notice(msg string) error {
	data, _ := json.Marshal(map[string]string{"message": msg})
	return e.event("notice", data)
}
