package fit_test

import (
	"context"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"strconv"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/target"
)

// readCSV reads a CSV of numbers with a header.
func readCSV(t *testing.T, path string) [][]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows := make([][]float64, len(recs)-1)
	for i, rec := range recs[1:] {
		for _, s := range rec {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatal(err)
			}
			rows[i] = append(rows[i], v)
		}
	}
	return rows
}

// close reports whether got is within rel relative or abs absolute of want.
func close(got, want, rel, abs float64) bool {
	return math.Abs(got-want) <= math.Max(rel*math.Abs(want), abs)
}

// TestNotebookReference checks every state of the notebook's fit against an
// independent float64 recomputation. Any float64 implementation of the same
// arithmetic lands within about 1e-12 of it; 1e-9 relative leaves room for
// a different summation order over 1000 steps, not for a different method.
func TestNotebookReference(t *testing.T) {
	ref := readCSV(t, "testdata/notebook_history.csv")
	res, err := fit.Run(context.Background(), notebookProblem(t), fit.Options{Optimizer: &fit.GD{LearningRate: 0.01}, Epochs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != fit.MaxEpochs || res.Epochs != 1000 || res.History.Len() != len(ref) {
		t.Fatalf("status %s, %d epochs, %d rows; want max_epochs, 1000, %d", res.Status, res.Epochs, res.History.Len(), len(ref))
	}
	for r, want := range ref {
		got := append([]float64{float64(r), res.History.Loss(r)}, res.History.Row(r)...)
		for c := range want {
			if !close(got[c], want[c], 1e-9, 1e-12) {
				t.Errorf("row %d column %d: got %.17g, want %.17g", r, c, got[c], want[c])
			}
		}
	}
}

// TestNotebookPrinted checks the ten pairs the notebook printed. Its
// TensorFlow rounded differently, by about 2e-8 relative: 1e-6 relative
// (1e-9 absolute for the mean near 0) is the agreement the data allows.
func TestNotebookPrinted(t *testing.T) {
	res, err := fit.Run(context.Background(), notebookProblem(t), fit.Options{Optimizer: &fit.GD{LearningRate: 0.01}, Epochs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range readCSV(t, "testdata/notebook_printed.csv") {
		row := res.History.Row(int(want[0]))
		for j := range row {
			if !close(row[j], want[1+j], 1e-6, 1e-9) {
				t.Errorf("epoch %v %s: got %.17g, notebook printed %.17g", want[0], res.History.Names[j], row[j], want[1+j])
			}
		}
	}
}

// centralDiff returns the central finite-difference gradient of f at u.
func centralDiff(f func([]float64) float64, u []float64, h float64) []float64 {
	g := make([]float64, len(u))
	for k := range u {
		v := append([]float64(nil), u...)
		step := h * math.Max(math.Abs(u[k]), 1e-2)
		v[k] = u[k] + step
		fp := f(v)
		v[k] = u[k] - step
		fm := f(v)
		g[k] = (fp - fm) / (2 * step)
	}
	return g
}

// TestGradientFiniteDifferences checks the objective's gradient against
// central differences of its value, under both parameterizations, both
// target weightings and near and far from the target (including a model so
// far from the target that most of its masses underflow). Central
// differences with a step of 1e-5 relative to each coordinate are accurate
// to about 1e-9 relative here (truncation of order h^2, rounding of order
// eps/h); 1e-6 is the tolerance.
func TestGradientFiniteDifferences(t *testing.T) {
	a, _ := grid.Arange(-10, 10, 0.1)
	g := grid.New1D(a)
	for _, w := range []target.Weights{target.Density, target.Normalized} {
		p, err := target.Masses(target.Family{Family: dist.Normal{}, Theta: []float64{0, 7}}, g, w)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range []dist.Transform{dist.Identity{}, dist.Unconstrained(dist.Normal{})} {
			for _, theta := range [][]float64{{5, 1}, {0.3, 6.5}, {-2, 20}, {8, 0.01}} {
				prob := &fit.Problem{Grid: g, P: p, Family: dist.Normal{}, Divergence: divergence.ForwardKL{}, Transform: tr, Init: theta}
				obj := fit.NewObjective(prob)
				u := make([]float64, 2)
				tr.U(u, theta)
				grad := make([]float64, 2)
				if _, err := obj.Eval(u, grad); err != nil {
					t.Fatal(err)
				}
				fd := centralDiff(func(v []float64) float64 {
					l, err := obj.Eval(v, nil)
					if err != nil {
						t.Fatal(err)
					}
					return l
				}, u, 1e-5)
				for k := range grad {
					if !close(grad[k], fd[k], 1e-6, 1e-6) {
						t.Errorf("weights %v, %T, theta %v: grad[%d] = %.12g, finite differences %.12g", w, tr, theta, k, grad[k], fd[k])
					}
				}
			}
		}
	}
}

// TestFarModelIsFinite checks that a model far from the target (mean 8,
// variance 0.01: exp underflows at most grid points) has a finite loss
// equal to the direct formula evaluated in log space.
func TestFarModelIsFinite(t *testing.T) {
	prob := notebookProblem(t)
	prob.Init = []float64{8, 0.01}
	obj := fit.NewObjective(prob)
	grad := make([]float64, 2)
	loss, err := obj.Eval([]float64{8, 0.01}, grad)
	if err != nil || math.IsInf(loss, 0) || math.IsNaN(loss) || math.IsNaN(grad[0]) || math.IsNaN(grad[1]) {
		t.Fatalf("loss %v, grad %v, err %v", loss, grad, err)
	}
	// Direct: log q_i = -(x_i-8)^2/0.02 - logsumexp_j(same), computed with
	// the maximum taken out by hand.
	x := prob.Grid.X
	l := make([]float64, len(x))
	m := math.Inf(-1)
	for i, xi := range x {
		l[i] = -(xi - 8) * (xi - 8) / 0.02
		m = math.Max(m, l[i])
	}
	var z float64
	for _, li := range l {
		z += math.Exp(li - m)
	}
	var want float64
	for i, pi := range prob.P {
		want += pi * (math.Log(pi) - (l[i] - m - math.Log(z)))
	}
	if !close(loss, want, 1e-12, 0) {
		t.Errorf("loss %.17g, want %.17g", loss, want)
	}
}

// TestDiverged runs the raw-parameter fit that steps the variance below zero
// (from mean 0, variance 10, a learning rate of 100 does it in one step) and
// checks that the fit stops there, keeps the initial state and says why.
func TestDiverged(t *testing.T) {
	prob := notebookProblem(t)
	prob.Init = []float64{0, 10}
	res, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: &fit.GD{LearningRate: 100}, Epochs: 50})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != fit.Diverged || res.Epochs != 0 || res.History.Len() != 1 {
		t.Fatalf("status %s, epochs %d, rows %d; want diverged, 0, 1", res.Status, res.Epochs, res.History.Len())
	}
	f := res.Failure
	var de *fit.DomainError
	if f == nil || f.Epoch != 1 || !errors.As(f.Err, &de) {
		t.Fatalf("failure %+v, want a domain error at epoch 1", f)
	}
	if f.Theta[1] >= 0 || f.LastGood[0] != 0 || f.LastGood[1] != 10 {
		t.Errorf("offending %v, last good %v; want a negative variance and (0, 10)", f.Theta, f.LastGood)
	}
	if got := f.Error(); got == "" {
		t.Error("empty failure message")
	}
}

// TestSupportMismatch checks that a target with mass where the model has
// none gives +Inf with the point named, never NaN.
func TestSupportMismatch(t *testing.T) {
	a, _ := grid.Arange(-1, 1, 0.5)
	g := grid.New1D(a)
	prob := &fit.Problem{Grid: g, P: []float64{0.25, 0.25, 0.25, 0.25}, Family: halfLine{}, Divergence: divergence.ForwardKL{},
		Transform: dist.Identity{}, Init: []float64{1}}
	res, err := fit.Run(context.Background(), prob, fit.Options{Epochs: 3})
	if err != nil {
		t.Fatal(err)
	}
	var se *fit.SupportError
	if res.Status != fit.Diverged || !errors.As(res.Failure.Err, &se) || se.Point != "x=-1" {
		t.Fatalf("status %s, failure %v; want a support error at x=-1", res.Status, res.Failure)
	}
}

// halfLine is an exponential density on [0, inf) for the support test.
type halfLine struct{}

func (halfLine) Name() string         { return "half_line" }
func (halfLine) Description() string  { return "exponential, for tests" }
func (halfLine) Dim() int             { return 1 }
func (halfLine) Params() []dist.Param { return []dist.Param{{Name: "rate", Constraint: dist.Positive}} }
func (halfLine) Support() string      { return "[0, inf)" }
func (halfLine) Eval(theta, x, _, logp []float64, score [][]float64) {
	for i, xi := range x {
		if xi < 0 {
			logp[i] = math.Inf(-1)
			if score != nil {
				score[0][i] = 0
			}
			continue
		}
		logp[i] = math.Log(theta[0]) - theta[0]*xi
		if score != nil {
			score[0][i] = 1/theta[0] - xi
		}
	}
}

// TestInterrupted cancels the context from an observer and checks that the
// fit stops at the next epoch boundary with everything before it kept.
func TestInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopAt := 10
	obs := fit.ObserverFunc(func(ev *fit.Event) {
		if ev.Epoch == stopAt {
			cancel()
		}
	})
	res, err := fit.Run(ctx, notebookProblem(t), fit.Options{Epochs: 100_000_000, Observers: []fit.Observer{obs}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != fit.Interrupted || res.Epochs != stopAt || res.History.Len() != stopAt+1 {
		t.Fatalf("status %s, epochs %d, rows %d", res.Status, res.Epochs, res.History.Len())
	}
	// The history grows with the epochs run, not with those asked for.
	if c := res.History.Len(); c > 1024 {
		t.Errorf("history capacity %d for %d rows", c, res.History.Len())
	}
}

// TestObserversSeeEveryRow checks that observers see the history's rows,
// in order, with the same numbers.
func TestObserversSeeEveryRow(t *testing.T) {
	var epochs []int
	var losses []float64
	obs := fit.ObserverFunc(func(ev *fit.Event) {
		epochs = append(epochs, ev.Epoch)
		losses = append(losses, ev.Loss)
	})
	res, err := fit.Run(context.Background(), notebookProblem(t), fit.Options{Epochs: 20, Observers: []fit.Observer{obs}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range epochs {
		if epochs[i] != i || losses[i] != res.History.Loss(i) {
			t.Fatalf("observer row %d: epoch %d loss %v; history %v", i, epochs[i], losses[i], res.History.Loss(i))
		}
	}
	if len(epochs) != 21 {
		t.Errorf("observer saw %d rows, want 21", len(epochs))
	}
}

func TestRunRejectsBadProblems(t *testing.T) {
	good := notebookProblem(t)
	for _, tc := range []struct {
		name   string
		mutate func(p *fit.Problem)
	}{
		{"mass count", func(p *fit.Problem) { p.P = p.P[:3] }},
		{"no family", func(p *fit.Problem) { p.Family = nil }},
		{"no divergence", func(p *fit.Problem) { p.Divergence = nil }},
		{"no transform", func(p *fit.Problem) { p.Transform = nil }},
		{"bad init", func(p *fit.Problem) { p.Init = []float64{0, -1} }},
		{"short init", func(p *fit.Problem) { p.Init = []float64{0} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := *good
			tc.mutate(&p)
			if _, err := fit.Run(context.Background(), &p, fit.Options{Epochs: 1}); err == nil {
				t.Error("no error")
			}
		})
	}
	if _, err := fit.Run(context.Background(), good, fit.Options{Epochs: -1}); err == nil {
		t.Error("negative epochs: no error")
	}
}
