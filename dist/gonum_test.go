package dist_test

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distmv"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/klfit/klfit/dist"
)

// TestMatchesGonum checks the log-densities against gonum's, for every
// family gonum has: distuv's univariate ones (Cauchy as Student's t with
// one degree of freedom) and distmv.Normal. The tolerance, 1e-13 relative
// to max(1, |log q|), allows for the two codes computing the normalizing
// constants by different routes (lgamma differences, log-beta).
func TestMatchesGonum(t *testing.T) {
	type lp interface{ LogProb(float64) float64 }
	line := []float64{-30, -3, -0.5, 0, 1e-9, 0.7, 2, 12.5, 400}
	pos := []float64{1e-6, 0.01, 0.5, 1, 3.3, 20, 150}
	unit := []float64{1e-6, 0.01, 0.3, 0.5, 0.77, 0.999}
	for _, tc := range []struct {
		f      dist.Family
		thetas [][]float64
		xs     []float64
		gonum  func(theta []float64) lp
	}{
		{dist.Laplace{}, [][]float64{{0, 1}, {3, 0.1}, {-2, 30}}, line,
			func(th []float64) lp { return distuv.Laplace{Mu: th[0], Scale: th[1]} }},
		{dist.StudentT{}, [][]float64{{3, 0, 1}, {0.5, 1, 2}, {60, -2, 0.5}}, line,
			func(th []float64) lp { return distuv.StudentsT{Nu: th[0], Mu: th[1], Sigma: th[2]} }},
		{dist.Cauchy{}, [][]float64{{0, 1}, {2, 0.01}, {-5, 20}}, line,
			func(th []float64) lp { return distuv.StudentsT{Nu: 1, Mu: th[0], Sigma: th[1]} }},
		{dist.Logistic{}, [][]float64{{0, 1}, {1, 0.2}, {-3, 8}}, []float64{-30, -3, -0.5, 0, 0.7, 2, 12.5},
			func(th []float64) lp { return logProbOfProb{distuv.Logistic{Mu: th[0], S: th[1]}} }},
		{dist.Gumbel{}, [][]float64{{0, 1}, {2, 0.5}, {-1, 10}}, []float64{-3, -0.5, 0, 0.7, 2, 12.5, 400},
			func(th []float64) lp { return distuv.GumbelRight{Mu: th[0], Beta: th[1]} }},
		{dist.Exponential{}, [][]float64{{1}, {0.01}, {50}}, append([]float64{-1, 0}, pos...),
			func(th []float64) lp { return distuv.Exponential{Rate: th[0]} }},
		{dist.Gamma{}, [][]float64{{2, 1}, {0.3, 2}, {50, 10}}, pos,
			func(th []float64) lp { return distuv.Gamma{Alpha: th[0], Beta: th[1]} }},
		{dist.LogNormal{}, [][]float64{{0, 1}, {2, 0.05}, {-1, 3}}, pos,
			func(th []float64) lp { return distuv.LogNormal{Mu: th[0], Sigma: th[1]} }},
		{dist.Weibull{}, [][]float64{{1.5, 1}, {0.4, 2}, {20, 3}}, pos,
			func(th []float64) lp { return distuv.Weibull{K: th[0], Lambda: th[1]} }},
		{dist.Beta{}, [][]float64{{2, 3}, {0.5, 0.5}, {0.05, 2}, {80, 20}}, unit,
			func(th []float64) lp { return distuv.Beta{Alpha: th[0], Beta: th[1]} }},
	} {
		for _, theta := range tc.thetas {
			got := logpOnly(tc.f, theta, tc.xs, nil)
			g := tc.gonum(theta)
			for i, x := range tc.xs {
				want := g.LogProb(x)
				if math.IsInf(want, -1) && math.IsInf(got[i], -1) {
					continue
				}
				if !(math.Abs(got[i]-want) <= 1e-13*math.Max(1, math.Abs(want))) {
					t.Errorf("%s %v x=%v: log q %.17g, gonum %.17g", tc.f.Name(), theta, x, got[i], want)
				}
			}
		}
	}

	x := []float64{0, 1, -2.5, 0.3, 40}
	y := []float64{0, 1, 3, -0.1, -7}
	for _, theta := range [][]float64{{0, 0, 1, 0, 1}, {1, -2, 2, 0.7, 1.5}, {0, 0, 0.01, -0.0099, 0.01}} {
		got := logpOnly(dist.MVNormal{}, theta, x, y)
		n, ok := distmv.NewNormal(theta[:2], mat.NewSymDense(2, []float64{theta[2], theta[3], theta[3], theta[4]}), nil)
		if !ok {
			t.Fatalf("gonum rejects %v", theta)
		}
		for i := range x {
			want := n.LogProb([]float64{x[i], y[i]})
			if !(math.Abs(got[i]-want) <= 1e-13*math.Max(1, math.Abs(want))) {
				t.Errorf("mvnormal %v (%v, %v): log q %.17g, gonum %.17g", theta, x[i], y[i], got[i], want)
			}
		}
	}
}

// logProbOfProb takes the logarithm of Prob: gonum v0.17.0's
// distuv.Logistic.LogProb ignores Mu and S (it is the standard logistic's),
// while its Prob is right.
type logProbOfProb struct {
	d interface{ Prob(float64) float64 }
}

func (l logProbOfProb) LogProb(x float64) float64 { return math.Log(l.d.Prob(x)) }

// TestMixtureMatchesGonum checks a mixture's density against the weighted
// sum of gonum normal densities, to 1e-13 relative.
func TestMixtureMatchesGonum(t *testing.T) {
	mx := mustMixture(t, dist.Normal{}, 3)
	theta := []float64{0.2, 0.5, 0.3, -3, 0, 4, 1, 0.5, 2}
	xs := []float64{-10, -3, -1, 0, 2.5, 6}
	got := logpOnly(mx, theta, xs, nil)
	for i, x := range xs {
		var p float64
		for c := 0; c < 3; c++ {
			p += theta[c] * distuv.Normal{Mu: theta[3+c], Sigma: math.Sqrt(theta[6+c])}.Prob(x)
		}
		if want := math.Log(p); !(math.Abs(got[i]-want) <= 1e-13*math.Max(1, math.Abs(want))) {
			t.Errorf("x=%v: log q %.17g, gonum %.17g", x, got[i], want)
		}
	}
}
