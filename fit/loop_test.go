package fit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/fit"
)

// TestStopRules checks that each rule stops the fit at the first epoch
// where it holds, with the status, rule and value the result reports, and
// the value recomputed from the history.
func TestStopRules(t *testing.T) {
	relChange := func(h *fit.History, r int) float64 {
		a, b := h.Loss(r-1), h.Loss(r)
		return math.Abs(b-a) / math.Max(math.Max(math.Abs(a), math.Abs(b)), 1)
	}
	for _, tc := range []struct {
		name   string
		opt    fit.Optimizer
		stop   fit.Stop
		status fit.Status
		check  func(t *testing.T, res *fit.Result)
	}{
		{"tolerance", &fit.GD{LearningRate: 0.01}, fit.Stop{Tolerance: 1e-6}, fit.Converged, func(t *testing.T, res *fit.Result) {
			n := res.Epochs
			if got := relChange(res.History, n); got != res.StopValue || got > 1e-6 {
				t.Errorf("value %v, history says %v", res.StopValue, got)
			}
			for r := 1; r < n; r++ {
				if relChange(res.History, r) <= 1e-6 {
					t.Errorf("the rule held at epoch %d already", r)
				}
			}
		}},
		{"gradient_tolerance", &fit.Adam{LearningRate: 0.05, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}, fit.Stop{GradientTolerance: 1e-3}, fit.Converged, func(t *testing.T, res *fit.Result) {
			if !(res.StopValue <= 1e-3) {
				t.Errorf("gradient norm %v", res.StopValue)
			}
		}},
		{"patience", &fit.Momentum{LearningRate: 0.01, Momentum: 0.9}, fit.Stop{Patience: 5}, fit.Converged, func(t *testing.T, res *fit.Result) {
			l := res.History.Losses()
			n := len(l) - 1
			best := slices.Min(l[:n-4])
			for _, v := range l[n-4:] {
				if v < best {
					t.Errorf("the loss improved in the last 5 epochs: %v", l[n-5:])
				}
			}
			if res.StopValue != 5 {
				t.Errorf("value %v", res.StopValue)
			}
		}},
		{"max_time", &fit.GD{LearningRate: 0.01}, fit.Stop{MaxTime: time.Nanosecond}, fit.MaxTime, func(t *testing.T, res *fit.Result) {
			if res.Epochs != 1 || !(res.StopValue > 0) {
				t.Errorf("%d epochs, value %v", res.Epochs, res.StopValue)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := fit.Run(context.Background(), notebookProblem(t), fit.Options{Optimizer: tc.opt, Epochs: 100000, Stop: tc.stop})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.status || res.StopRule != tc.name || res.Epochs >= 100000 {
				t.Fatalf("status %s, rule %s after %d epochs", res.Status, res.StopRule, res.Epochs)
			}
			tc.check(t, res)
		})
	}
	res, _ := fit.Run(context.Background(), notebookProblem(t), fit.Options{Epochs: 7})
	if res.StopRule != "max_epochs" || res.StopValue != 7 {
		t.Errorf("max_epochs: rule %s value %v", res.StopRule, res.StopValue)
	}
	if _, err := fit.Run(context.Background(), notebookProblem(t), fit.Options{Epochs: 1, Stop: fit.Stop{Tolerance: -1}}); err == nil {
		t.Error("a negative tolerance was accepted")
	}
}

// TestBacktrack runs the raw-parameter fit that a learning rate of 1000
// takes below zero variance at its first step. Backtracking halves the
// rate until the step is good; since every backtrack happens at epoch 1,
// the fit must then be exactly plain gd at the final rate.
func TestBacktrack(t *testing.T) {
	prob := notebookProblem(t)
	prob.Init = []float64{0, 10}
	res, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: &fit.GD{LearningRate: 1000}, Epochs: 50, OnDivergence: fit.Backtrack})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != fit.MaxEpochs || res.Backtracks < 3 || res.LearningRate != 1000*math.Ldexp(1, -res.Backtracks) {
		t.Fatalf("status %s, %d backtracks, learning rate %v", res.Status, res.Backtracks, res.LearningRate)
	}
	plain, _ := fit.Run(context.Background(), prob, fit.Options{Optimizer: &fit.GD{LearningRate: res.LearningRate}, Epochs: 50})
	if !slices.Equal(plain.History.Losses(), res.History.Losses()) || !slices.Equal(plain.History.Thetas(), res.History.Thetas()) {
		t.Error("the backtracked fit differs from gd at its final learning rate")
	}
	t.Logf("%d backtracks, learning rate %v", res.Backtracks, res.LearningRate)

	// Too few backtracks: the fit diverges and says how many it took.
	res, err = fit.Run(context.Background(), prob, fit.Options{Optimizer: &fit.GD{LearningRate: 1000}, Epochs: 50, OnDivergence: fit.Backtrack, MaxBacktracks: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != fit.Diverged || res.Backtracks != 2 || !strings.Contains(res.Failure.Error(), "after 2 backtracks, learning rate 250") {
		t.Fatalf("status %s, %d backtracks, failure %v", res.Status, res.Backtracks, res.Failure)
	}
	var de *fit.DomainError
	if !errors.As(res.Failure, &de) {
		t.Errorf("the failure does not wrap the domain error: %v", res.Failure)
	}
	if _, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: &fit.LBFGS{}, Epochs: 5, OnDivergence: fit.Backtrack}); err == nil {
		t.Error("backtracking an optimizer without a learning rate was accepted")
	}
}

// flaky is Adam with a failure injected at one step: that step advances
// Adam's moments and the iterate, then reports a domain error, as a step
// that left the domain would.
type flaky struct {
	fit.Adam
	n, failAt int
}

// Fresh keeps the injected failure in the run's copy.
func (f *flaky) Fresh() fit.Optimizer {
	return &flaky{Adam: *f.Adam.Fresh().(*fit.Adam), failAt: f.failAt}
}

func (f *flaky) Step(s *fit.State, eval fit.Evaluator) error {
	f.n++
	if f.n == f.failAt {
		f.Adam.Step(s, eval)
		return &fit.DomainError{Err: errors.New("injected failure")}
	}
	return f.Adam.Step(s, eval)
}

// TestBacktrackRestoresOptimizerState makes Adam fail at its fifth step
// and checks that backtracking restores the moments saved after epoch 4,
// not those the failed step advanced: the fit must be exactly Adam for 4
// epochs, checkpointed, then resumed at half the learning rate.
func TestBacktrackRestoresOptimizerState(t *testing.T) {
	prob := notebookProblem(t)
	adam := fit.Adam{LearningRate: 0.05, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}
	bt, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: &flaky{Adam: adam, failAt: 5}, Epochs: 30, OnDivergence: fit.Backtrack})
	if err != nil {
		t.Fatal(err)
	}
	if bt.Status != fit.MaxEpochs || bt.Backtracks != 1 || bt.LearningRate != 0.025 {
		t.Fatalf("status %s, %d backtracks, learning rate %v", bt.Status, bt.Backtracks, bt.LearningRate)
	}
	var cp *fit.Checkpoint
	first := adam
	if _, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: &first, Epochs: 4,
		Checkpoint: func(c *fit.Checkpoint) error { cp = c; return nil }}); err != nil { // the last call: nothing changes c afterwards
		t.Fatal(err)
	}
	second := adam
	second.LearningRate /= 2
	want, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: &second, Epochs: 30, Resume: cp})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(want.History.Losses(), bt.History.Losses()) || !slices.Equal(want.History.Thetas(), bt.History.Thetas()) {
		t.Error("the backtracked fit is not Adam resumed from epoch 4 at half the rate")
	}
}

// optimizers returns a fresh instance of every optimizer, for the tests
// that must hold for all of them.
func optimizers() map[string]func() fit.Optimizer {
	return map[string]func() fit.Optimizer{
		"gd":       func() fit.Optimizer { return &fit.GD{LearningRate: 0.01} },
		"momentum": func() fit.Optimizer { return &fit.Momentum{LearningRate: 0.005, Momentum: 0.9} },
		"nesterov": func() fit.Optimizer { return &fit.Momentum{LearningRate: 0.005, Momentum: 0.9, Nesterov: true} },
		"adam":     func() fit.Optimizer { return &fit.Adam{LearningRate: 0.05, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8} },
		"rmsprop":  func() fit.Optimizer { return &fit.RMSprop{LearningRate: 0.01, Alpha: 0.99, Epsilon: 1e-8} },
		"lbfgs":    func() fit.Optimizer { return &fit.LBFGS{Store: 3} }, // a small memory, so that resuming replays a full one
		"natural":  func() fit.Optimizer { return &fit.NaturalGradient{LearningRate: 0.05} },
	}
}

// TestResumeIsExact interrupts a fit, writes its checkpoint to a file,
// resumes from the file with a fresh optimizer and checks that the
// history is identical, bit for bit, to that of an uninterrupted fit; the
// same from a checkpoint written periodically. It does so for every
// optimizer, on the unconstrained notebook problem.
func TestResumeIsExact(t *testing.T) {
	// L-BFGS ends by no_decrease at the loss's rounding floor, after 17
	// to 20 epochs depending on the last bits of the loss: interrupt well
	// before.
	const epochs, stopAt, every = 60, 9, 4
	for name, newOpt := range optimizers() {
		t.Run(name, func(t *testing.T) {
			prob := notebookProblem(t)
			prob.Transform = dist.Unconstrained(dist.Normal{})
			want, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: newOpt(), Epochs: epochs})
			if err != nil {
				t.Fatal(err)
			}
			if want.Epochs <= stopAt+every {
				t.Fatalf("the uninterrupted fit ended after %d epochs (%s): too early for the test", want.Epochs, want.StopRule)
			}
			dir := t.TempDir()
			final := filepath.Join(dir, "final.json")
			periodic := map[int]string{}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			stop := fit.ObserverFunc(func(ev *fit.Event) {
				if ev.Epoch == stopAt {
					cancel()
				}
			})
			save := func(cp *fit.Checkpoint) error {
				path := final
				if cp.Status == "" {
					path = filepath.Join(dir, fmt.Sprintf("cp%d.json", cp.Epoch))
					periodic[cp.Epoch] = path
				}
				return cp.WriteFile(path)
			}
			part, err := fit.Run(ctx, prob, fit.Options{Optimizer: newOpt(), Epochs: epochs, Observers: []fit.Observer{stop},
				Checkpoint: save, CheckpointEvery: every})
			if err != nil || part.CheckpointErr != nil {
				t.Fatal(err, part.CheckpointErr)
			}
			if part.Status != fit.Interrupted || part.Epochs != stopAt || len(periodic) != stopAt/every {
				t.Fatalf("status %s after %d epochs, %d periodic checkpoints", part.Status, part.Epochs, len(periodic))
			}
			for _, path := range []string{final, periodic[every*2]} {
				cp, err := fit.ReadCheckpoint(path)
				if err != nil {
					t.Fatal(err)
				}
				got, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: newOpt(), Epochs: epochs, Resume: cp})
				if err != nil {
					t.Fatal(err)
				}
				if got.Status != want.Status || got.Epochs != want.Epochs ||
					!slices.Equal(got.History.Losses(), want.History.Losses()) || !slices.Equal(got.History.Thetas(), want.History.Thetas()) {
					t.Errorf("resumed from epoch %d: %s after %d epochs; uninterrupted %s after %d; histories equal: %v",
						cp.Epoch, got.Status, got.Epochs, want.Status, want.Epochs, slices.Equal(got.History.Losses(), want.History.Losses()))
				}
				if got.Evaluations != want.Evaluations || got.Backtracks != want.Backtracks {
					t.Errorf("resumed from epoch %d: %d evaluations and %d backtracks; uninterrupted %d and %d",
						cp.Epoch, got.Evaluations, got.Backtracks, want.Evaluations, want.Backtracks)
				}
			}
		})
	}
}

// TestResumeRefusesOtherFits checks that a checkpoint is not resumed into
// a fit it does not belong to.
func TestResumeRefusesOtherFits(t *testing.T) {
	prob := notebookProblem(t)
	var cp *fit.Checkpoint
	save := func(c *fit.Checkpoint) error {
		data, err := c.MarshalJSON()
		if err != nil {
			return err
		}
		cp = new(fit.Checkpoint)
		return cp.UnmarshalJSON(data)
	}
	if _, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: &fit.Adam{LearningRate: 0.05, Beta1: 0.9, Beta2: 0.999}, Epochs: 5, Checkpoint: save}); err != nil || cp == nil {
		t.Fatal(err)
	}
	other := notebookProblem(t)
	other.P[100] *= 1.001
	for name, tc := range map[string]struct {
		prob *fit.Problem
		opt  fit.Optimizer
		want string
	}{
		"other problem":   {other, &fit.Adam{}, "does not match this problem"},
		"other optimizer": {prob, &fit.RMSprop{}, "written by the adam optimizer"},
	} {
		_, err := fit.Run(context.Background(), tc.prob, fit.Options{Optimizer: tc.opt, Epochs: 10, Resume: cp})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v", name, err)
		}
	}
	for _, bad := range []string{`{}`, `{"format":"klfit-checkpoint","version":9}`, `not json`,
		`{"format":"klfit-checkpoint","version":1,"epoch":3,"u":[1,2],"grad":[1,2],"history":{"names":["a","b"],"loss":[1],"theta":[1,2]}}`} {
		if err := new(fit.Checkpoint).UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("checkpoint %s accepted", bad)
		}
	}
}

// TestSlowObserversDoNotChangeTheNumbers attaches an observer that
// sleeps and scribbles over the event's slices, and checks that the
// history is the same as without it.
func TestSlowObserversDoNotChangeTheNumbers(t *testing.T) {
	for name, newOpt := range optimizers() {
		plain, _ := fit.Run(context.Background(), notebookProblem(t), fit.Options{Optimizer: newOpt(), Epochs: 30})
		vandal := fit.ObserverFunc(func(ev *fit.Event) {
			if ev.Epoch%10 == 0 {
				time.Sleep(time.Millisecond)
			}
			for i := range ev.Theta {
				ev.Theta[i], ev.Grad[i] = math.NaN(), math.NaN()
			}
			ev.Loss = math.Inf(1)
		})
		got, _ := fit.Run(context.Background(), notebookProblem(t), fit.Options{Optimizer: newOpt(), Epochs: 30, Observers: []fit.Observer{vandal}})
		if !slices.Equal(plain.History.Losses(), got.History.Losses()) || !slices.Equal(plain.History.Thetas(), got.History.Thetas()) {
			t.Errorf("%s: an observer changed the fit", name)
		}
	}
}

// TestCSVStreamer checks that a streamed history is byte for byte the one
// History.WriteCSV writes, that rows reach the writer while the fit runs,
// and that a resumed fit's stream starts with the checkpoint's rows.
func TestCSVStreamer(t *testing.T) {
	var w timedWriter
	prob := notebookProblem(t)
	names := dist.ParamNames(prob.Family)
	plain, err := fit.Run(context.Background(), prob, fit.Options{Epochs: 50})
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := plain.History.WriteCSV(&want); err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(want.String(), "\n")
	tick := make(chan time.Time)
	st := fit.NewCSVStreamerTicks(&w, fit.NewHistory("kl", names).CSVHeader(), tick)
	clock := fit.ObserverFunc(func(ev *fit.Event) {
		if ev.Epoch%10 != 9 {
			return
		}
		// The second tick is received once the first one's write is
		// done: the rows up to this epoch, and no more, have reached w.
		tick <- time.Time{}
		tick <- time.Time{}
		if got, want := w.buf.String(), strings.Join(lines[:ev.Epoch+2], ""); got != want {
			t.Errorf("at epoch %d the stream holds %d bytes, want the %d of rows 0-%d", ev.Epoch, len(got), len(want), ev.Epoch)
		}
	})
	res, err := fit.Run(context.Background(), prob, fit.Options{Epochs: 50, Observers: []fit.Observer{st, clock}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if w.buf.String() != want.String() {
		t.Errorf("streamed CSV differs from WriteCSV's")
	}
	_ = res
	for _, wr := range w.writes {
		if !strings.HasSuffix(wr, "\n") {
			t.Errorf("a write ends inside a row: %q", wr[max(0, len(wr)-20):])
		}
	}
	// Resumed: the checkpoint's rows first.
	half := fit.NewHistory("kl", names)
	for r := range 10 {
		half.Append(res.History.Loss(r), res.History.Row(r))
	}
	var w2 bytes.Buffer
	st2 := fit.NewCSVStreamer(&w2, half.CSVHeader(), 0)
	st2.WriteHistory(half)
	st2.Close()
	var want2 bytes.Buffer
	half.WriteCSV(&want2)
	if w2.String() != want2.String() {
		t.Errorf("WriteHistory wrote %q, want %q", w2.String(), want2.String())
	}
}

// timedWriter records each write.
type timedWriter struct {
	buf    bytes.Buffer
	writes []string
}

func (w *timedWriter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, string(p))
	return w.buf.Write(p)
}

// TestCSVStreamerAllocatesNothing checks that streaming a row allocates
// nothing once the buffers exist.
func TestCSVStreamerAllocatesNothing(t *testing.T) {
	st := fit.NewCSVStreamer(io.Discard, []string{"epoch", "kl", "mean", "variance"}, time.Hour)
	defer st.Close()
	ev := &fit.Event{Epoch: 123456, Loss: 23.020654898262368, Theta: []float64{-1.114267179975998e-11, 6.9999999999823315}}
	if n := testing.AllocsPerRun(10000, func() { st.Observe(ev) }); n != 0 {
		t.Errorf("%v allocations per row", n)
	}
}

// unbounded is an objective with no minimum, -exp(u) (that of an improper
// target): its loss falls without bound, to -Inf once exp overflows, or
// with exp(u) its parameter.
type unbounded struct{ inTheta bool }

func (unbounded) Names() []string  { return []string{"a"} }
func (unbounded) Init(u []float64) { u[0] = 0 }
func (o unbounded) Theta(theta, u []float64) {
	theta[0] = u[0]
	if o.inTheta {
		theta[0] = math.Exp(u[0])
	}
}
func (o unbounded) Eval(u, grad []float64) (float64, error) {
	if o.inTheta {
		grad[0] = -1
		return -u[0], nil // finite while the parameter overflows
	}
	grad[0] = -math.Exp(u[0])
	return grad[0], nil
}

// TestUnboundedLossDiverges runs L-BFGS on objectives with no minimum: a
// line search that can go no further because its trial states had a loss
// that is not finite, or parameters that are not, ends the fit diverged,
// naming why, with the last good state kept; it ended "stalled", exit 0,
// as though the fit had converged.
func TestUnboundedLossDiverges(t *testing.T) {
	for _, c := range []struct {
		o    unbounded
		want string
	}{
		{unbounded{}, "is not finite"},
		{unbounded{inTheta: true}, "the parameter a is +Inf"},
	} {
		res, err := fit.RunEvaluable(context.Background(), c.o, "loss", fit.Options{Optimizer: &fit.LBFGS{}, Epochs: 10_000})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != fit.Diverged || res.Failure == nil || !strings.Contains(res.Failure.Error(), c.want) {
			t.Errorf("%+v: status %s, failure %v; want diverged, %q", c.o, res.Status, res.Failure, c.want)
			continue
		}
		if l := res.History.Loss(res.History.Len() - 1); math.IsNaN(l) || math.IsInf(l, 0) {
			t.Errorf("%+v: the last recorded loss is %v", c.o, l)
		}
		// The offending parameters are the refused trial's: its loss
		// -exp(a), or its parameter exp(a), overflows.
		th := res.Failure.Theta
		if len(th) != 1 || (!c.o.inTheta && !math.IsInf(-math.Exp(th[0]), -1)) || (c.o.inTheta && !math.IsInf(th[0], 1)) {
			t.Errorf("%+v: offending parameters %v, not the refused trial's (%v)", c.o, th, res.Failure)
		}
	}
}

// kinked is |u - 1|, refused below 0 (a domain error, as a negative
// variance is): L-BFGS's line search backs away from the refusal and
// stalls at the kink. That is an end (stalled), not a divergence.
type kinked struct{}

func (kinked) Names() []string          { return []string{"a"} }
func (kinked) Init(u []float64)         { u[0] = 3 }
func (kinked) Theta(theta, u []float64) { theta[0] = u[0] }
func (kinked) Eval(u, grad []float64) (float64, error) {
	if u[0] < 0 {
		return math.NaN(), &fit.DomainError{Err: errors.New("a must be >= 0")}
	}
	grad[0] = 1
	if u[0] < 1 {
		grad[0] = -1
	}
	return math.Abs(u[0] - 1), nil
}

// TestKinkWithRefusalStalls checks that a line search which refused a
// point out of the domain on its way and then stalls at a kink ends
// stalled: only refusals of a model off the grid or of values that are
// not finite make a stall a divergence.
func TestKinkWithRefusalStalls(t *testing.T) {
	res, err := fit.RunEvaluable(context.Background(), kinked{}, "loss", fit.Options{Optimizer: &fit.LBFGS{}, Epochs: 100})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status == fit.Diverged {
		t.Errorf("diverged: %v", res.Failure)
	}
}

// searcher is an optimizer whose one step tries u+1000 (refused: the
// objective's loss is not finite there), then u+1 (finite, no lower),
// and stalls, as a line search can.
type searcher struct{}

func (searcher) Name() string         { return "searcher" }
func (searcher) Fresh() fit.Optimizer { return searcher{} }
func (searcher) Step(s *fit.State, eval fit.Evaluator) error {
	g := make([]float64, len(s.U))
	for _, d := range []float64{1000, 1} {
		u := []float64{s.U[0] + d}
		if _, err := eval(u, g); err != nil {
			continue
		}
	}
	return &fit.StopError{Status: fit.Stalled, Rule: "line_search"}
}

// TestStallNamesRefusedPoint checks that a step which stalls after a
// refused trial ends diverged with that trial's parameters as the
// offending ones, not the last trial's (which was finite).
func TestStallNamesRefusedPoint(t *testing.T) {
	res, err := fit.RunEvaluable(context.Background(), unbounded{}, "loss", fit.Options{Optimizer: searcher{}, Epochs: 5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != fit.Diverged || res.Failure == nil || len(res.Failure.Theta) != 1 || res.Failure.Theta[0] != 1000 {
		t.Errorf("status %s, failure %v: want diverged at a=1000", res.Status, res.Failure)
	}
}
