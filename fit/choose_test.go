package fit_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/target"
)

// TestRunTrials checks that fits run side by side give exactly the
// numbers each gives alone, in the trials' order, with a wall time per
// history row.
func TestRunTrials(t *testing.T) {
	var trials []fit.Trial
	var alone []*fit.Result
	for _, name := range []string{"gd", "momentum", "adam", "rmsprop", "lbfgs", "natural"} {
		newOpt := optimizers()[name]
		trials = append(trials, fit.Trial{Name: name, Problem: notebookProblem(t), Options: fit.Options{Optimizer: newOpt(), Epochs: 200}})
		r, err := fit.Run(context.Background(), notebookProblem(t), fit.Options{Optimizer: newOpt(), Epochs: 200})
		if err != nil {
			t.Fatal(err)
		}
		alone = append(alone, r)
	}
	for i, tr := range fit.RunTrials(context.Background(), trials) {
		if tr.Err != nil || tr.Name != trials[i].Name {
			t.Fatalf("trial %d: %s, %v", i, tr.Name, tr.Err)
		}
		h := tr.Result.History
		if !slices.Equal(h.Losses(), alone[i].History.Losses()) || !slices.Equal(h.Thetas(), alone[i].History.Thetas()) {
			t.Errorf("%s: the parallel fit differs from the fit alone", tr.Name)
		}
		if len(tr.Seconds) != h.Len() || !slices.IsSorted(tr.Seconds) {
			t.Errorf("%s: %d wall times for %d rows", tr.Name, len(tr.Seconds), h.Len())
		}
	}
}

func TestReachThreshold(t *testing.T) {
	a := lossHistory(5, 3, 2.0000015, 2.0000005, 2)
	b := lossHistory(5, 2.5, 2.1)
	best, th := fit.ReachThreshold(a, b)
	if best != 2 || th != 2+2e-6 {
		t.Fatalf("best %v, threshold %v", best, th)
	}
	if fit.FirstBelow(a, th) != 2 || fit.FirstBelow(b, th) != -1 {
		t.Errorf("first below: %d, %d", fit.FirstBelow(a, th), fit.FirstBelow(b, th))
	}
	// Near zero the tolerance is absolute.
	c := lossHistory(1, 1e-7, 0)
	if _, th := fit.ReachThreshold(c); th != 1e-6 || fit.FirstBelow(c, th) != 1 {
		t.Errorf("threshold %v", th)
	}
}

func TestLRRates(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		per    int
		want   []float64
	}{
		{1e-3, 1, 1, []float64{1e-3, 1e-2, 1e-1, 1}},
		{0.05, 2, 1, []float64{0.1, 1}},
		{1, 10, 2, []float64{1, math.Pow(10, 0.5), 10}},
	} {
		got, err := fit.LRRates(tc.lo, tc.hi, tc.per)
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("LRRates(%v, %v, %d) = %v, %v", tc.lo, tc.hi, tc.per, got, err)
			continue
		}
		for i := range got {
			if !close(got[i], tc.want[i], 1e-15, 0) {
				t.Errorf("LRRates(%v, %v, %d) = %v", tc.lo, tc.hi, tc.per, got)
			}
		}
	}
	for _, bad := range [][3]float64{{0, 1, 1}, {1, 0.5, 1}, {1, 2, 0}, {1e-300, 1e300, 10}, {2, 3, 1}} {
		if _, err := fit.LRRates(bad[0], bad[1], int(bad[2])); err == nil {
			t.Errorf("LRRates%v accepted", bad)
		}
	}
}

// TestLRFind sweeps gd's learning rate on the raw-parameter notebook
// problem started at variance 10, which rates of 100 and more step below
// zero variance, and checks each point against a fit run alone at its
// rate, and that the suggestion is the stable rate with the lowest final
// loss of the first run of stable rates.
func TestLRFind(t *testing.T) {
	rates, _ := fit.LRRates(1e-4, 1e3, 2)
	prob := func() *fit.Problem {
		p := notebookProblem(t)
		p.Init = []float64{0, 10}
		return p
	}
	pts, sug, err := fit.LRFind(context.Background(), rates, func(r float64) fit.Trial {
		return fit.Trial{Problem: prob(), Options: fit.Options{Optimizer: &fit.GD{LearningRate: r}, Epochs: 30}}
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pts {
		res, _ := fit.Run(context.Background(), prob(), fit.Options{Optimizer: &fit.GD{LearningRate: p.Rate}, Epochs: 30})
		h := res.History
		stable := res.Status == fit.MaxEpochs && slices.Max(h.Losses()) <= h.Loss(0) && h.Loss(h.Len()-1) < h.Loss(0)
		if p.Stable != stable || p.Status != res.Status || p.Final != h.Loss(h.Len()-1) {
			t.Errorf("rate %v: point %+v, alone %s final %v", p.Rate, p, res.Status, h.Loss(h.Len()-1))
		}
	}
	if !pts[sug].Stable {
		t.Fatalf("suggested the unstable rate %v", pts[sug].Rate)
	}
	for j := sug - 1; j >= 0 && pts[j].Stable; j-- {
		if pts[j].Final < pts[sug].Final {
			t.Errorf("rate %v ends lower (%v) than the suggested %v (%v)", pts[j].Rate, pts[j].Final, pts[sug].Rate, pts[sug].Final)
		}
	}
	for j := sug + 1; j < len(pts) && pts[j].Stable; j++ {
		if pts[j].Final <= pts[sug].Final {
			t.Errorf("the larger rate %v ends as low (%v) as the suggested %v (%v)", pts[j].Rate, pts[j].Final, pts[sug].Rate, pts[sug].Final)
		}
	}
	if sug < 0 || pts[len(pts)-1].Stable {
		t.Fatal("the sweep needs stable and unstable rates")
	}
	t.Logf("suggested learning rate %v", pts[sug].Rate)
}

// TestSuggestLR checks the suggestion rule on sweeps written out: the
// largest stable rate of the first run of stable ones that ends lower than
// every smaller rate, and none from a sweep that was interrupted, whatever
// its finished rates say.
func TestSuggestLR(t *testing.T) {
	ok := func(rate, final float64) fit.LRPoint {
		return fit.LRPoint{Rate: rate, Status: fit.MaxEpochs, Epochs: 5, Initial: 10, Final: final, Max: 10, Stable: true}
	}
	bad := func(rate float64, s fit.Status) fit.LRPoint {
		return fit.LRPoint{Rate: rate, Status: s, Epochs: 2, Initial: 10, Final: 20, Max: 20}
	}
	for _, c := range []struct {
		name string
		pts  []fit.LRPoint
		want int
	}{
		{"stable then diverged", []fit.LRPoint{ok(0.01, 9), ok(0.1, 5), bad(1, fit.Diverged)}, 1},
		{"overshoot", []fit.LRPoint{ok(0.01, 9), ok(0.1, 5), ok(1, 7), bad(10, fit.Diverged)}, 1},
		{"stable beyond unstable", []fit.LRPoint{ok(0.01, 9), bad(0.1, fit.Diverged), ok(1, 1)}, 0},
		{"none stable", []fit.LRPoint{bad(0.01, fit.Diverged), bad(0.1, fit.Diverged)}, -1},
		{"a larger rate interrupted", []fit.LRPoint{ok(0.01, 9), ok(0.1, 5), bad(1, fit.Interrupted)}, -1},
		{"a smaller rate interrupted", []fit.LRPoint{bad(0.01, fit.Interrupted), ok(0.1, 5), bad(1, fit.Diverged)}, -1},
	} {
		if got := fit.SuggestLR(c.pts); got != c.want {
			t.Errorf("%s: suggested %d, want %d", c.name, got, c.want)
		}
	}
	// A sweep stopped before it starts: every rate interrupted, none
	// suggested.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rates, _ := fit.LRRates(1e-3, 1, 1)
	pts, sug, err := fit.LRFind(ctx, rates, func(r float64) fit.Trial {
		return fit.Trial{Problem: notebookProblem(t), Options: fit.Options{Optimizer: &fit.GD{LearningRate: r}, Epochs: 30}}
	})
	if err != nil || sug != -1 || len(pts) != len(rates) || pts[0].Status != fit.Interrupted {
		t.Errorf("interrupted sweep: %+v, suggested %d, %v", pts, sug, err)
	}
}

// lossHistory returns a history of the given losses, with one parameter
// always 0.
func lossHistory(losses ...float64) *fit.History {
	h := fit.NewHistory("kl", []string{"x"})
	for _, l := range losses {
		h.Append(l, []float64{0})
	}
	return h
}

// TestTrialsShareAProblem runs trials of a mixture model (whose transform
// keeps buffers) on one shared Problem at once, as a library user may:
// each must equal the fit run alone. Run with -race to see the sharing.
func TestTrialsShareAProblem(t *testing.T) {
	a, _ := grid.Arange(-8, 8, 0.05)
	g := grid.New1D(a)
	mix, err := dist.NewMixture(dist.Normal{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	p, err := target.Masses(target.Family{Family: dist.Normal{}, Theta: []float64{0.5, 2}}, g, target.Normalized)
	if err != nil {
		t.Fatal(err)
	}
	prob := &fit.Problem{Grid: g, P: p, Family: mix, Divergence: divergence.ForwardKL{}, Transform: dist.Unconstrained(mix),
		Init: []float64{0.4, 0.6, -1, 1, 1, 2}}
	var trials []fit.Trial
	for i := range 4 {
		trials = append(trials, fit.Trial{Name: fmt.Sprint(i), Problem: prob, Options: fit.Options{Optimizer: &fit.Adam{LearningRate: 0.01, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}, Epochs: 300}})
	}
	alone, err := fit.Run(context.Background(), prob, fit.Options{Optimizer: &fit.Adam{LearningRate: 0.01, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}, Epochs: 300})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range fit.RunTrials(context.Background(), trials) {
		if r.Err != nil || !slices.Equal(r.Result.History.Thetas(), alone.History.Thetas()) {
			t.Errorf("trial %s differs from the fit run alone (%v)", r.Name, r.Err)
		}
	}
}
