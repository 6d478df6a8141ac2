package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/spec"
)

// TestCheckDataFiles checks the file policy on the spec of every
// kind of target that reads a file or runs a query (samples, table,
// histogram, sql): a file the target reads must be the uploaded one (the
// build reads it through uploadFS, by that name); a query is refused.
func TestCheckDataFiles(t *testing.T) {
	up := &upload{name: "data.csv", path: "/tmp/klfit-upload-1/data", dir: "/tmp/klfit-upload-1"}
	head := `{"grid":{"start":-1,"stop":1,"step":0.5},"target":`
	tail := `,"model":{"family":"normal","init":{"mean":0,"variance":1}},"epochs":3}`
	for _, c := range []struct {
		name, target string
		up           *upload
		used         bool
		key          string
	}{
		{"family", `{"family":"normal","params":{"mean":0,"variance":1}}`, nil, false, ""},
		{"mixture", `{"mixture":[{"weight":1,"family":"normal","params":{"mean":0,"variance":1}}]}`, nil, false, ""},
		{"samples uploaded", `{"samples":"data.csv","column":"x","estimator":"kde"}`, up, true, ""},
		{"table uploaded", `{"table":"data.csv"}`, up, true, ""},
		{"histogram uploaded", `{"histogram":"data.csv"}`, up, true, ""},
		{"samples not uploaded", `{"samples":"/etc/passwd"}`, nil, false, "target.samples"},
		{"another name", `{"samples":"../data.csv"}`, up, false, "target.samples"},
		{"table of the server", `{"table":"secrets.csv"}`, up, false, "target.table"},
		{"a query", `{"sql":"SELECT * FROM '/etc/passwd'"}`, up, false, "target.sql"},
	} {
		t.Run(c.name, func(t *testing.T) {
			sp, err := spec.Parse([]byte(head + c.target + tail))
			if err != nil {
				t.Fatal(err)
			}
			aerr := checkDataFiles(sp, c.up)
			if c.key != "" {
				if aerr == nil || aerr.Key != c.key || aerr.Status != http.StatusBadRequest {
					t.Fatalf("got %+v, want a 400 naming %s", aerr, c.key)
				}
				return
			}
			if aerr != nil {
				t.Fatal(aerr)
			}
			if !c.used && c.up != nil {
				t.Fatal("an unused upload was accepted")
			}
		})
	}
}

func TestStride(t *testing.T) {
	for _, c := range []struct{ epochs, max, want int }{
		{0, 1000, 1}, {1000, 1000, 1}, {1001, 1000, 2}, {5000, 1000, 5}, {4999, 1000, 5}, {100000, 1000, 100}, {7, 2, 4},
	} {
		if got := stride(c.epochs, c.max); got != c.want {
			t.Errorf("stride(%d, %d) = %d, want %d", c.epochs, c.max, got, c.want)
		}
	}
}

// TestAppendState checks that a state encodes as JSON that reads back to
// the same numbers (parameters and loss exactly, densities to their 4
// digits), with null for a non-finite density.
func TestAppendState(t *testing.T) {
	s := state{epoch: 12, loss: 23.039616668595023, theta: []float64{-5.7396504992559465e-05, 6.419846883912239},
		t: 0.00123456789, q: []float64{0.123456, 1e-300, 0, math.Inf(1), 3.14159e7}}
	var got struct {
		Epoch  int
		Loss   float64
		Params []float64
		T      float64
		Q      []*float64
	}
	b := appendState(nil, s)
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	if got.Epoch != 12 || got.Loss != s.loss || got.Params[0] != s.theta[0] || got.Params[1] != s.theta[1] {
		t.Errorf("read back %+v from %s", got, b)
	}
	want := []float64{0.1235, 1e-300, 0, math.NaN(), 3.142e7}
	for i, q := range got.Q {
		if math.IsNaN(want[i]) {
			if q != nil {
				t.Errorf("q[%d] = %v, want null", i, *q)
			}
			continue
		}
		if q == nil || *q != want[i] {
			t.Errorf("q[%d] = %v, want %v", i, q, want[i])
		}
	}
}

// TestView1D checks the 1-D view: the target's curve interpolates its grid
// densities linearly (exact at grid points, the mean of two neighbours
// half way), and the model's density is exp of the family's log-density.
func TestView1D(t *testing.T) {
	s, err := spec.Parse([]byte(`{"grid":{"start":-2,"stop":2,"step":0.5},"target":{"family":"normal","params":{"mean":0,"variance":1}},` +
		`"target_weights":"density","model":{"family":"normal","init":{"mean":0,"variance":1}}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Build(context.Background(), spec.Env{})
	if err != nil {
		t.Fatal(err)
	}
	v := newView(b)
	dens := b.TargetDensity() // 8 points: -2, -1.5, ..., 1.5
	if len(v.X) != targetPoints || v.X[0] != -2 || v.X[len(v.X)-1] != 1.5 {
		t.Fatalf("x from %v to %v, %d points", v.X[0], v.X[len(v.X)-1], len(v.X))
	}
	// Interpolation at a point x: between grid points j and j+1.
	for i, x := range v.X {
		j := min(int(math.Floor((x+2)/0.5)), 6)
		f := (x + 2 - 0.5*float64(j)) / 0.5
		want := (1-f)*dens[j] + f*dens[j+1]
		if math.Abs(v.Target[i]-want) > 1e-12 { // rounding of f only
			t.Errorf("target at x=%v: %v, want %v", x, v.Target[i], want)
		}
	}
	q := v.model(nil, b.Problem.Family, []float64{0.5, 2})
	for i, x := range v.QX {
		want := math.Exp(-(x-0.5)*(x-0.5)/4) / math.Sqrt(4*math.Pi)
		if math.Abs(q[i]-want) > 1e-15 {
			t.Errorf("q at x=%v: %v, want %v", x, q[i], want)
		}
	}
}

// flat2D is a 2-D family for the view's test: q(x, y) = 1/(1+x^2+y^2)
// without parameters, unnormalized (the view shows exp of whatever the
// family returns).
type flat2D struct{}

func (flat2D) Name() string                                { return "test_view2d" }
func (flat2D) Description() string                         { return "" }
func (flat2D) Dim() int                                    { return 2 }
func (flat2D) Support() string                             { return "" }
func (flat2D) Params() []dist.Param                        { return nil }
func (flat2D) Eval(_, x, y, logp []float64, _ [][]float64) { evalFlat(x, y, logp) }

func evalFlat(x, y, logp []float64) {
	for i := range x {
		logp[i] = -math.Log(1 + x[i]*x[i] + y[i]*y[i])
	}
}

// TestView2D checks the 2-D view on a grid small enough to be shown whole
// (the coarse points are the grid points) and on one that is not.
func TestView2D(t *testing.T) {
	for _, c := range []struct {
		name            string
		step            float64
		wantNX, wantNY  int
		exactAtGridPnts bool
	}{{"whole", 0.25, 16, 12, true}, {"coarse", 0.05, gridSide, gridSide, false}} {
		t.Run(c.name, func(t *testing.T) {
			ax, err1 := grid.Arange(-2, 2, c.step)
			ay, err2 := grid.Arange(-1, 2, c.step)
			g, err := grid.New2D(ax, ay)
			if err := errors.Join(err1, err2, err); err != nil {
				t.Fatal(err)
			}
			dens := make([]float64, g.Len())
			evalFlat(g.X, g.Y, dens)
			for i := range dens {
				dens[i] = math.Exp(dens[i])
			}
			v := newView2D(g, dens)
			if len(v.X) != c.wantNX || len(v.Y) != c.wantNY {
				t.Fatalf("%d x %d points, want %d x %d", len(v.X), len(v.Y), c.wantNX, c.wantNY)
			}
			q := v.model(nil, flat2D{}, nil)
			for i, y := range v.Y {
				for j, x := range v.X {
					k := i*len(v.X) + j
					exact := 1 / (1 + x*x + y*y)
					if math.Abs(q[k]-exact) > 1e-15 {
						t.Fatalf("q at (%v, %v) = %v, want %v", x, y, q[k], exact)
					}
					// Bilinear interpolation of a smooth density: exact at grid
					// points (up to rounding), else within h^2/8 * max|f''| * 2
					// axes; |f''| <= 2 for this f, so h^2/2 bounds it.
					tol := 1e-12
					if !c.exactAtGridPnts {
						tol = c.step * c.step / 2
					}
					if math.Abs(v.Target[k]-exact) > tol {
						t.Fatalf("target at (%v, %v) = %v, want %v within %v", x, y, v.Target[k], exact, tol)
					}
				}
			}
		})
	}
}

// TestLimiter checks the bound on running fits and its queue.
func TestLimiter(t *testing.T) {
	l := newLimiter(1, 1, 50*time.Millisecond)
	release, err := l.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The one queue place: waits, then gives up after the timeout.
	start := time.Now()
	if _, err := l.acquire(context.Background()); !errors.Is(err, errBusy) || time.Since(start) < 50*time.Millisecond {
		t.Errorf("queued request: %v after %v", err, time.Since(start))
	}
	// A waiting request gets the slot when it is released.
	got := make(chan error, 1)
	go func() {
		r, err := l.acquire(context.Background())
		if err == nil {
			r()
		}
		got <- err
	}()
	for l.waiting.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	// With the queue full, the next one is turned away at once.
	start = time.Now()
	if _, err := l.acquire(context.Background()); !errors.Is(err, errBusy) || time.Since(start) > 40*time.Millisecond {
		t.Errorf("request beyond the queue: %v after %v", err, time.Since(start))
	}
	release()
	if err := <-got; err != nil {
		t.Errorf("the queued request: %v", err)
	}
	// A client that goes away while waiting.
	release, _ = l.acquire(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: %v", err)
	}
	release()
}

// TestCheckBuilt checks the limits applied to a built fit through the
// grid it built, whatever its kind: a circle of 2000 angles passes a cap
// of 2000 points and not one of 1999; and the memory cap, at the exact
// estimate (8 x 2000 x (2 + 6) = 128000 bytes for von Mises's mu and
// kappa) and one byte under it.
func TestCheckBuilt(t *testing.T) {
	sp, err := spec.Parse([]byte(`{"grid":{"circular":true,"points":2000},"target":{"family":"von_mises","params":{"mu":0,"kappa":1}},` +
		`"model":{"family":"von_mises","init":{"mu":1,"kappa":1}},"epochs":3}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := sp.Build(context.Background(), spec.Env{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cfg Config
		msg string
	}{
		{Config{MaxGridPoints: 2000, MaxFitBytes: 128000}, ""},
		{Config{MaxGridPoints: 1999}, "2000 points is more than this server allows (1999)"},
		{Config{MaxFitBytes: 127999}, "a fit of 2 parameters (von_mises) on 2000 points needs about 0.122 MiB"},
	} {
		aerr := New(c.cfg).checkBuilt(b)
		switch {
		case c.msg == "" && aerr != nil:
			t.Errorf("%+v: %v", c.cfg, aerr)
		case c.msg != "" && (aerr == nil || aerr.Key != "grid" || !strings.Contains(aerr.Msg, c.msg)):
			t.Errorf("%+v: got %+v, want key grid and %q", c.cfg, aerr, c.msg)
		}
	}
}

// TestOneThreadPerFit checks that the server runs each fit on one
// goroutine: it runs as many fits at once as there are CPUs, and the
// engine's worker pools (one goroutine per CPU, polling between epochs)
// would make them fight for the CPUs. With GOMAXPROCS 4, a fit on 40000
// points (past the engine's threshold for going parallel) is observed
// while it runs: no goroutine of a worker pool may be alive.
func TestOneThreadPerFit(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	for _, div := range []string{"kl", "reverse_kl"} { // the specialized and the general pass
		sp, err := spec.Parse([]byte(`{"grid":{"start":-10,"stop":10,"step":0.0005},"target":{"family":"normal","params":{"mean":0,"variance":2}},` +
			`"divergence":"` + div + `","model":{"family":"normal","init":{"mean":1,"variance":1}},"optimizer":{"name":"gd","learning_rate":0.1},"epochs":2}`))
		if err != nil {
			t.Fatal(err)
		}
		b, err := sp.Build(context.Background(), spec.Env{})
		if err != nil {
			t.Fatal(err)
		}
		workers := -1
		look := fit.ObserverFunc(func(ev *fit.Event) {
			if ev.Epoch == 1 {
				var buf bytes.Buffer
				pprof.Lookup("goroutine").WriteTo(&buf, 2)
				workers = strings.Count(buf.String(), "fit.(*pool).loop")
			}
		})
		j := &job{built: b, ctx: t.Context(), cancel: func() {}, release: func() {}}
		if _, _, aerr := New(Config{}).run(j, look); aerr != nil {
			t.Fatal(aerr)
		}
		if workers != 0 {
			t.Errorf("%s: %d goroutines of worker pools while the fit ran, want 0", div, workers)
		}
	}
}
