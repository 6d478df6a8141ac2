package spec_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"runtime"
	"sync"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/spec"
)

// The extension tests: every registered family, divergence and optimizer
// goes through the same checks, driven by the registries, so that a new
// one cannot skip them (a family without a spec in familySpec, or a
// divergence that cannot be built with its defaults, fails the suite):
//
//   - the objective's gradient against central differences of its loss;
//   - a built fit run twice in a row and twice at once: byte-identical
//     histories;
//   - a fit interrupted by a checkpoint and resumed: the same history as
//     one run straight through;
//   - epochs that allocate nothing in the steady state.
func extensionChecks(t *testing.T, b *spec.Built, opt fit.Optimizer) {
	t.Helper()
	checkGradient(t, b.Problem)
	opts := fit.Options{Optimizer: opt, Epochs: 6, Engine: fit.Engine{Threads: 1}}
	want := historyOf(t, b.Problem, opts)
	var wg sync.WaitGroup
	got := make([]string, 2)
	for i := range got {
		wg.Go(func() { got[i] = historyOf(t, b.Problem, opts) })
	}
	wg.Wait()
	if again := historyOf(t, b.Problem, opts); again != want || got[0] != want || got[1] != want {
		t.Errorf("runs of the same built fit differ")
	}
	checkResume(t, b.Problem, opts, want)
	checkAllocations(t, b.Problem, opt)
}

func historyOf(t *testing.T, prob *fit.Problem, opts fit.Options) string {
	res, err := fit.Run(context.Background(), prob, opts)
	if err != nil {
		t.Error(err)
		return ""
	}
	var buf bytes.Buffer
	res.History.WriteCSV(&buf)
	return buf.String()
}

// checkGradient compares the objective's gradient at the initial state,
// and at a point moved from it, with central differences of its loss. With
// h = 1e-5 max(1, |u_k|), the truncation error is of order h^2 times the
// third derivative and the rounding error about 1e-16 |loss| / h: 1e-6
// relative to the largest gradient entry (plus 1e-8) holds both with room.
func checkGradient(t *testing.T, prob *fit.Problem) {
	t.Helper()
	obj := fit.NewObjective(prob)
	defer obj.Close()
	u := make([]float64, len(prob.Init))
	prob.Transform.U(u, prob.Init)
	for _, shift := range []float64{0, 0.05} {
		v := append([]float64(nil), u...)
		for k := range v {
			v[k] += shift * float64(k%3-1)
		}
		grad := make([]float64, len(v))
		if _, err := obj.Eval(v, grad); err != nil {
			t.Errorf("eval at %v: %v", v, err)
			return
		}
		scale := 0.0
		for _, g := range grad {
			scale = math.Max(scale, math.Abs(g))
		}
		for k := range v {
			h := 1e-5 * math.Max(1, math.Abs(v[k]))
			up, dn := append([]float64(nil), v...), append([]float64(nil), v...)
			up[k] += h
			dn[k] -= h
			lu, err1 := obj.Eval(up, nil)
			ld, err2 := obj.Eval(dn, nil)
			if err1 != nil || err2 != nil {
				t.Errorf("eval near %v: %v %v", v, err1, err2)
				return
			}
			fd := (lu - ld) / (2 * h)
			if math.Abs(fd-grad[k]) > 1e-6*scale+1e-8 {
				t.Errorf("u=%v: gradient[%d] = %v, central difference %v", v, k, grad[k], fd)
			}
		}
	}
}

// checkResume runs opts's fit to epoch 3 with a checkpoint there, resumes
// it to the end, and compares with the uninterrupted history want.
func checkResume(t *testing.T, prob *fit.Problem, opts fit.Options, want string) {
	t.Helper()
	var saved []byte
	first := opts
	first.Epochs, first.CheckpointEvery = 3, 3
	first.Checkpoint = func(cp *fit.Checkpoint) error {
		var err error
		saved, err = json.Marshal(cp)
		return err
	}
	if _, err := fit.Run(context.Background(), prob, first); err != nil {
		t.Fatal(err)
	}
	cp := new(fit.Checkpoint)
	if err := cp.UnmarshalJSON(saved); err != nil {
		t.Fatal(err)
	}
	resumed := opts
	resumed.Resume = cp
	if got := historyOf(t, prob, resumed); got != want {
		t.Errorf("the resumed history differs from the uninterrupted one")
	}
}

// checkAllocations runs 200 and 400 epochs: an allocation per epoch shows
// as 200 more; the history's blocks and the runtime's bookkeeping add a
// handful. L-BFGS converges long before: its fits are compared whole.
func checkAllocations(t *testing.T, prob *fit.Problem, opt fit.Optimizer) {
	t.Helper()
	allocs := func(epochs int) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: opt, Epochs: epochs, Engine: fit.Engine{Threads: 1}})
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		return after.Mallocs - before.Mallocs
	}
	allocs(10) // warm the pools
	one, two := allocs(200), allocs(400)
	if int64(two)-int64(one) > 40 {
		t.Errorf("%d allocations for 200 epochs, %d for 400", one, two)
	}
}

// smallStep returns opt's registered settings with the learning rate divided
// by 10, so that six epochs stay on the grid for every family.
func smallStep(t *testing.T, name string) fit.Optimizer {
	info, err := fit.LookupOptimizer(name)
	if err != nil {
		t.Fatal(err)
	}
	s := map[string]float64{}
	for _, st := range info.Settings {
		s[st.Name] = st.Default
	}
	if lr, ok := s["learning_rate"]; ok {
		s["learning_rate"] = lr / 10
	}
	return info.New(s)
}

// TestEveryFamily runs the extension checks on a fit of every registered
// family to a member of itself (Adam, forward KL).
func TestEveryFamily(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every family through gradient, reuse, resume and allocation checks")
	}
	for _, name := range dist.Names() {
		t.Run(name, func(t *testing.T) {
			extensionChecks(t, build(t, familySpec(t, name)), smallStep(t, "adam"))
		})
	}
}

// TestEveryDivergence runs the extension checks on a normal fitted to a
// Laplace target under every registered divergence that can be minimized
// (Adam).
func TestEveryDivergence(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every divergence through gradient, reuse, resume and allocation checks")
	}
	for _, name := range divergence.Names() {
		t.Run(name, func(t *testing.T) {
			d, err := divergence.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := d.(divergence.ReportOnly); ok {
				t.Skipf("%s is report-only: it is not minimized", name)
			}
			src := "grid: {start: -8, stop: 8, step: 0.05}\ntarget: {family: laplace, params: {loc: 0.3, scale: 1}}\n" +
				"divergence: " + name + "\nmodel: {family: normal, init: {mean: 1, variance: 2}}\n"
			extensionChecks(t, build(t, src), smallStep(t, "adam"))
		})
	}
}

// TestEveryOptimizer runs the extension checks on the demo's target with
// every registered optimizer.
func TestEveryOptimizer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every optimizer through gradient, reuse, resume and allocation checks")
	}
	src := "grid: {start: -10, stop: 10, step: 0.1}\ntarget: {family: normal, params: {mean: 0, variance: 7}}\nmodel: {family: normal, init: {mean: 5, variance: 1}}\n"
	for _, name := range fit.OptimizerNames() {
		t.Run(name, func(t *testing.T) {
			extensionChecks(t, build(t, src), smallStep(t, name))
		})
	}
}
