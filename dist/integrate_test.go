package dist_test

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/grid"
)

// trapezoid integrates exp(log q) over [lo, hi] with the trapezoidal rule
// on n intervals.
func trapezoid(f dist.Family, theta []float64, lo, hi float64, n int) float64 {
	xs := linspace(lo, hi, n+1)
	lp := logpOnly(f, theta, xs, nil)
	var s float64
	for i, l := range lp {
		w := 1.0
		if i == 0 || i == n {
			w = 0.5
		}
		s += w * math.Exp(l)
	}
	return s * (hi - lo) / float64(n)
}

// TestDensitiesIntegrateToOne integrates every density on a fine grid over
// a range holding all its mass but a known tail (gonum's distribution
// function gives the tails where they are not negligible, below 1e-15)
// and checks the result within the grid's own error: the trapezoidal
// rule's error is estimated from the same sum on a grid twice as coarse
// (Richardson: |T(h) - T(2h)|/3 for smooth densities, less than
// |T(h) - T(2h)| where the density has a kink or a power-law end point),
// plus 1e-12 for rounding.
func TestDensitiesIntegrateToOne(t *testing.T) {
	cdf := func(d interface{ CDF(float64) float64 }, lo, hi float64) float64 { return d.CDF(hi) - d.CDF(lo) }
	for _, tc := range []struct {
		f      dist.Family
		theta  []float64
		lo, hi float64
		n      int
		mass   float64
	}{
		{dist.Normal{}, []float64{0, 2}, -30, 30, 20000, 1},
		{dist.Laplace{}, []float64{1, 0.5}, -30, 30, 60000, 1},
		{dist.StudentT{}, []float64{3, 0, 1}, -1000, 1000, 400000, cdf(distuv.StudentsT{Nu: 3, Sigma: 1}, -1000, 1000)},
		{dist.StudentT{}, []float64{30, 1, 2}, -200, 200, 100000, cdf(distuv.StudentsT{Nu: 30, Mu: 1, Sigma: 2}, -200, 200)},
		{dist.Cauchy{}, []float64{0, 1}, -1e4, 1e4, 1000000, cdf(distuv.StudentsT{Nu: 1, Sigma: 1}, -1e4, 1e4)},
		{dist.Logistic{}, []float64{1, 0.5}, -40, 40, 40000, 1},
		{dist.Gumbel{}, []float64{0, 2}, -20, 200, 100000, 1},
		{dist.SkewNormal{}, []float64{0.5, 1.5, 4}, -30, 30, 40000, 1},
		{dist.SkewNormal{}, []float64{0, 1, -3}, -30, 30, 40000, 1},
		{dist.Exponential{}, []float64{2}, 0, 40, 40000, 1},
		{dist.Gamma{}, []float64{2.5, 1.5}, 0, 80, 80000, 1},
		{dist.LogNormal{}, []float64{0, 0.5}, 0, 60, 60000, 1},
		{dist.Weibull{}, []float64{1.5, 2}, 0, 50, 100000, 1},
		{dist.Weibull{}, []float64{3, 1}, 0, 10, 10000, 1},
		{dist.Beta{}, []float64{2, 3}, 0, 1, 10000, 1},
		{dist.Beta{}, []float64{1.5, 4}, 0, 1, 100000, 1},
		{mustMixture(t, dist.Normal{}, 3), []float64{0.2, 0.5, 0.3, -3, 0, 4, 1, 0.5, 2}, -40, 40, 40000, 1},
		{mustMixture(t, dist.Gamma{}, 2), []float64{0.4, 0.6, 2, 9, 1, 3}, 0, 100, 100000, 1},
	} {
		fine := trapezoid(tc.f, tc.theta, tc.lo, tc.hi, tc.n)
		coarse := trapezoid(tc.f, tc.theta, tc.lo, tc.hi, tc.n/2)
		if err := math.Abs(fine - tc.mass); !(err <= math.Abs(fine-coarse)+1e-12) {
			t.Errorf("%s %v: integrates to %.15g over [%v, %v], want %.15g (grid error about %.2g)",
				tc.f.Name(), tc.theta, fine, tc.lo, tc.hi, tc.mass, math.Abs(fine-coarse)/3)
		}
	}
}

// TestCircularDensitiesIntegrateToOne sums von Mises densities over
// circular grids: the rule is the trapezoidal rule for a periodic
// function, whose error falls faster than any power of the step, so 1e-12
// covers rounding alone.
func TestCircularDensitiesIntegrateToOne(t *testing.T) {
	a, err := grid.Circle(4000)
	if err != nil {
		t.Fatal(err)
	}
	xs := a.Points()
	for _, f := range []dist.Family{dist.VonMises{}, mustMixture(t, dist.VonMises{}, 2)} {
		thetas := [][]float64{{1, 2}, {-3, 1e-6}, {0.3, 100}, {2.5, 700}}
		if f.Name() == "mixture" {
			thetas = [][]float64{{0.3, 0.7, -2, 3, 5, 40}}
		}
		for _, theta := range thetas {
			var s float64
			for _, l := range logpOnly(f, theta, xs, nil) {
				s += math.Exp(l)
			}
			if s *= a.Delta; !(math.Abs(s-1) <= 1e-12) {
				t.Errorf("%s %v: integrates to %.15g on the circle", f.Name(), theta, s)
			}
		}
	}
}

// TestTwoDimensionalDensitiesIntegrateToOne integrates bivariate densities
// over a square holding all their mass with the 2-D trapezoidal rule,
// within the grid error estimated as in TestDensitiesIntegrateToOne.
func TestTwoDimensionalDensitiesIntegrateToOne(t *testing.T) {
	integrate := func(f dist.Family, theta []float64, n int) float64 {
		ax := linspace(-15, 15, n+1)
		x := make([]float64, 0, (n+1)*(n+1))
		y := make([]float64, 0, (n+1)*(n+1))
		w := make([]float64, 0, (n+1)*(n+1))
		for i, yi := range ax {
			for j, xj := range ax {
				x, y = append(x, xj), append(y, yi)
				wi, wj := 1.0, 1.0
				if i == 0 || i == n {
					wi = 0.5
				}
				if j == 0 || j == n {
					wj = 0.5
				}
				w = append(w, wi*wj)
			}
		}
		var s float64
		for i, l := range logpOnly(f, theta, x, y) {
			s += w[i] * math.Exp(l)
		}
		h := 30 / float64(n)
		return s * h * h
	}
	for _, tc := range []struct {
		f     dist.Family
		theta []float64
	}{
		{dist.MVNormal{}, []float64{1, -2, 2, 0.7, 1.5}},
		{dist.MVNormal{}, []float64{0, 0, 0.5, -0.45, 0.5}},
		{mustMixture(t, dist.MVNormal{}, 2), []float64{0.3, 0.7, 0, 1, 0, -1, 1, 0.2, 1, 2, -0.5, 0.5}},
	} {
		fine, coarse := integrate(tc.f, tc.theta, 1200), integrate(tc.f, tc.theta, 600)
		if !(math.Abs(fine-1) <= math.Abs(fine-coarse)+1e-12) {
			t.Errorf("%s %v: integrates to %.15g (grid error about %.2g)", tc.f.Name(), tc.theta, fine, math.Abs(fine-coarse)/3)
		}
	}
}

// TestCategoricalIsADensity checks that a categorical density integrates
// over its cells to its masses: density times cell volume is the mass.
func TestCategoricalIsADensity(t *testing.T) {
	ax, _ := grid.Arange(-1, 1.5, 0.5)
	ay, _ := grid.Arange(0, 2, 1)
	g, _ := grid.New2D(ax, ay)
	c, err := dist.NewCategorical(ax, ay)
	if err != nil {
		t.Fatal(err)
	}
	theta := []float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.1, 0.1, 0.2}
	lp := logpOnly(c, theta, g.X, g.Y)
	var s float64
	for i, l := range lp {
		m := math.Exp(l) * g.Weight
		if math.Abs(m-theta[i]) > 1e-15 {
			t.Errorf("point %d: mass %v, want %v", i, m, theta[i])
		}
		s += m
	}
	if math.Abs(s-1) > 1e-15 {
		t.Errorf("masses sum to %v", s)
	}
}
