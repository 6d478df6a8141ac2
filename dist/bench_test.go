package dist_test

import (
	"sync"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/grid"
)

// BenchmarkEval measures one evaluation of log-density and scores on
// 100,000 points, the hot path of a fit, per family.
func BenchmarkEval(b *testing.B) {
	const n = 100_000
	x := linspace(0.001, 0.999, n)
	y := linspace(-3, 3, n)
	ax, _ := grid.Arange(0, 1, 1.0/2048)
	cat, _ := dist.NewCategorical(ax)
	catTheta, _ := cat.Guess(nil, nil, nil)
	for _, tc := range []struct {
		f     dist.Family
		theta []float64
	}{
		{dist.Normal{}, []float64{0.5, 1}},
		{dist.Laplace{}, []float64{0.5, 1}},
		{dist.StudentT{}, []float64{5, 0.5, 1}},
		{dist.Cauchy{}, []float64{0.5, 1}},
		{dist.Logistic{}, []float64{0.5, 1}},
		{dist.Gumbel{}, []float64{0.5, 1}},
		{dist.SkewNormal{}, []float64{0.5, 1, 3}},
		{dist.Exponential{}, []float64{2}},
		{dist.Gamma{}, []float64{2, 3}},
		{dist.LogNormal{}, []float64{0, 1}},
		{dist.Weibull{}, []float64{1.5, 1}},
		{dist.Beta{}, []float64{2, 3}},
		{dist.VonMises{}, []float64{0.5, 2}},
		{dist.MVNormal{}, []float64{0, 0, 1, 0.3, 2}},
		{mustMixture(b, dist.Normal{}, 3), []float64{0.2, 0.5, 0.3, 0, 0.5, 1, 1, 0.5, 2}},
		{cat, catTheta},
	} {
		xs, ys := x, []float64(nil)
		if tc.f.Dim() == 2 {
			ys = y
		}
		m := n
		if tc.f.Name() == "categorical" { // its scores are n per point
			m = 2048
			xs = linspace(0, 1, m)
		}
		logp := make([]float64, m)
		score := make([][]float64, len(tc.theta))
		for k := range score {
			score[k] = make([]float64, m)
		}
		b.Run(tc.f.Name(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tc.f.Eval(tc.theta, xs[:m], ys, logp, score)
			}
		})
	}
}

// TestMixtureConcurrentEval evaluates one mixture from several goroutines
// at once, as a fit's engine may do on chunks of a grid, and checks every
// result against a lone evaluation.
func TestMixtureConcurrentEval(t *testing.T) {
	mx := mustMixture(t, dist.Gamma{}, 3)
	theta := []float64{0.2, 0.5, 0.3, 2, 5, 9, 1, 2, 3}
	x := linspace(0.01, 20, 5000)
	want, wantS := eval(mx, theta, x, nil)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				lp, sc := eval(mx, theta, x, nil)
				for i := range lp {
					if lp[i] != want[i] || sc[4][i] != wantS[4][i] {
						errs <- "concurrent evaluations differ"
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}
