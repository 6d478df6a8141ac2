package divergence_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distmv"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/klfit/klfit/divergence"
)

// gonumDist is what these tests need of a gonum distribution: an
// independent density and sampler for each family.
type gonumDist interface {
	LogProb(float64) float64
	Rand() float64
}

type closedCase struct {
	family string
	p, q   []float64
	// the same distributions in gonum
	gp, gq gonumDist
	// lo, hi bound the support; kinks are points where the integrand is
	// not smooth (the quadrature splits there).
	lo, hi float64
	kinks  []float64
}

func closedCases(src rand.Source) []closedCase {
	// Graded pieces near the ends of a bounded support, where a beta or
	// gamma density with a shape near 1 has a weak singularity that slows
	// Gauss-Legendre down.
	unit := []float64{1e-8, 1e-6, 1e-4, 1e-2, 0.5, 1 - 1e-2, 1 - 1e-4, 1 - 1e-6, 1 - 1e-8}
	zero := []float64{1e-8, 1e-6, 1e-4, 1e-2, 1}
	nrm := func(m, v float64) distuv.Normal { return distuv.Normal{Mu: m, Sigma: math.Sqrt(v), Src: src} }
	return []closedCase{
		{"normal", []float64{0, 1}, []float64{1, 2}, nrm(0, 1), nrm(1, 2), math.Inf(-1), math.Inf(1), nil},
		{"normal", []float64{-3, 0.2}, []float64{2, 5}, nrm(-3, 0.2), nrm(2, 5), math.Inf(-1), math.Inf(1), nil},
		{"exponential", []float64{0.5}, []float64{2}, distuv.Exponential{Rate: 0.5, Src: src}, distuv.Exponential{Rate: 2, Src: src}, 0, math.Inf(1), nil},
		{"gamma", []float64{2.5, 1.5}, []float64{4, 2}, distuv.Gamma{Alpha: 2.5, Beta: 1.5, Src: src}, distuv.Gamma{Alpha: 4, Beta: 2, Src: src}, 0, math.Inf(1), zero},
		{"gamma", []float64{1.2, 0.7}, []float64{0.9, 0.4}, distuv.Gamma{Alpha: 1.2, Beta: 0.7, Src: src}, distuv.Gamma{Alpha: 0.9, Beta: 0.4, Src: src}, 0, math.Inf(1), zero},
		{"beta", []float64{2, 5}, []float64{3, 3}, distuv.Beta{Alpha: 2, Beta: 5, Src: src}, distuv.Beta{Alpha: 3, Beta: 3, Src: src}, 0, 1, unit},
		{"beta", []float64{1.5, 1.2}, []float64{4, 2.5}, distuv.Beta{Alpha: 1.5, Beta: 1.2, Src: src}, distuv.Beta{Alpha: 4, Beta: 2.5, Src: src}, 0, 1, unit},
		{"laplace", []float64{0, 1}, []float64{1.5, 2}, distuv.Laplace{Mu: 0, Scale: 1, Src: src}, distuv.Laplace{Mu: 1.5, Scale: 2, Src: src}, math.Inf(-1), math.Inf(1), []float64{0, 1.5}},
		{"lognormal", []float64{0.2, 0.5}, []float64{0, 1}, distuv.LogNormal{Mu: 0.2, Sigma: 0.5, Src: src}, distuv.LogNormal{Mu: 0, Sigma: 1, Src: src}, 0, math.Inf(1), nil},
	}
}

// integrate integrates f over [lo, hi] split at the kinks, with gonum's
// fixed Gauss-Legendre rule (which maps infinite bounds to finite ones).
func integrate(f func(float64) float64, lo, hi float64, kinks []float64, n int) float64 {
	pts := append(append([]float64{lo}, kinks...), hi)
	var s float64
	for i := 0; i+1 < len(pts); i++ {
		s += quad.Fixed(f, pts[i], pts[i+1], n, nil, 0)
	}
	return s
}

// mcMean returns the mean of f over n draws of d and its standard error.
func mcMean(d gonumDist, f func(float64) float64, n int) (mean, se float64) {
	var s, s2 float64
	for i := 0; i < n; i++ {
		v := f(d.Rand())
		s += v
		s2 += v * v
	}
	mean = s / float64(n)
	return mean, math.Sqrt((s2/float64(n) - mean*mean) / float64(n))
}

// TestClosedFormsKL checks every KL closed form (and the reverse KL, its
// mirror) against two independent references built on gonum's densities:
// quadrature of p log(p/q) and a Monte Carlo mean of log p - log q over
// gonum's samples.
func TestClosedFormsKL(t *testing.T) {
	src := rand.NewPCG(1, 1)
	for _, c := range closedCases(src) {
		got, ok, err := divergence.ClosedForm(divergence.ForwardKL{}, c.family, c.p, c.q)
		if !ok || err != nil {
			t.Fatalf("%s: %v %v", c.family, ok, err)
		}
		integrand := func(x float64) float64 {
			lp := c.gp.LogProb(x)
			if math.IsInf(lp, -1) {
				return 0
			}
			return math.Exp(lp) * (lp - c.gq.LogProb(x))
		}
		ref := integrate(integrand, c.lo, c.hi, c.kinks, 1000)
		// 1000 Gauss-Legendre nodes per piece, the pieces graded toward
		// weak endpoint singularities: agreement to about 1e-10.
		if math.Abs(got-ref) > 1e-9*max(1, ref) {
			t.Errorf("%s %v || %v: closed form %v, quadrature %v", c.family, c.p, c.q, got, ref)
		}
		mc, se := mcMean(c.gp, func(x float64) float64 { return c.gp.LogProb(x) - c.gq.LogProb(x) }, 100000)
		// Five standard errors: a fixed seed makes this deterministic, and
		// a wrong formula is off by far more.
		if math.Abs(got-mc) > 5*se {
			t.Errorf("%s %v || %v: closed form %v, Monte Carlo %v +- %v", c.family, c.p, c.q, got, mc, se)
		}
		rev, ok, err := divergence.ClosedForm(divergence.ReverseKL{}, c.family, c.q, c.p)
		if !ok || err != nil || rev != got {
			t.Errorf("%s: reverse KL(q||p) with arguments swapped = %v, want %v", c.family, rev, got)
		}
	}
}

// TestClosedFormsNormal checks the other closed forms for normals (squared
// Hellinger, Renyi and Amari alpha) against quadrature of their defining
// integrals with gonum's densities.
func TestClosedFormsNormal(t *testing.T) {
	p, q := []float64{0.5, 1.5}, []float64{-1, 0.8}
	gp := distuv.Normal{Mu: 0.5, Sigma: math.Sqrt(1.5)}
	gq := distuv.Normal{Mu: -1, Sigma: math.Sqrt(0.8)}
	inf := math.Inf(1)
	// S(a) = integral p^a q^(1-a).
	s := func(a float64) float64 {
		return integrate(func(x float64) float64 { return math.Exp(a*gp.LogProb(x) + (1-a)*gq.LogProb(x)) }, -inf, inf, nil, 1000)
	}
	for _, c := range []struct {
		d    divergence.Divergence
		want float64
	}{
		{divergence.Hellinger{}, 1 - s(0.5)},
		{divergence.Renyi{Alpha: 0.3}, math.Log(s(0.3)) / (0.3 - 1)},
		{divergence.Renyi{Alpha: 1.5}, math.Log(s(1.5)) / (1.5 - 1)},
		{divergence.Alpha{Alpha: 0.3}, (1 - s(0.3)) / (0.3 * 0.7)},
		{divergence.Alpha{Alpha: -0.5}, (1 - s(-0.5)) / (-0.5 * 1.5)},
	} {
		got, ok, err := divergence.ClosedForm(c.d, "normal", p, q)
		// Gauss-Legendre quadrature with 1000 nodes of these smooth
		// integrands is exact to about 1e-13; the closed forms lose a few
		// digits to logs of ratios: 1e-9 is far above both.
		if !ok || err != nil || math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s: closed form %v (%v, %v), quadrature %v", divergence.Label(c.d), got, ok, err, c.want)
		}
	}
	// Renyi of order 3 between N(0, 1) and N(0, 0.5): 3*0.5 - 2*1 < 0, infinite.
	if v, _, err := divergence.ClosedForm(divergence.Renyi{Alpha: 3}, "normal", []float64{0, 1}, []float64{0, 0.5}); !math.IsInf(v, 1) || err == nil {
		t.Errorf("heavy-tailed Renyi: %v, %v", v, err)
	}
	if _, ok, _ := divergence.ClosedForm(divergence.JS{}, "normal", p, q); ok {
		t.Error("JS has no closed form")
	}
}

// TestClosedFormMVNormal checks the multivariate normal KL against 2-D
// quadrature and Monte Carlo with gonum's distmv.Normal, for both layouts
// of the covariance.
func TestClosedFormMVNormal(t *testing.T) {
	m1, m2 := []float64{0, 1}, []float64{1, -0.5}
	c1 := []float64{1, 0.3, 0.3, 0.5}
	c2 := []float64{2, -0.4, -0.4, 1}
	src := rand.NewPCG(2, 2)
	g1, ok1 := distmv.NewNormal(m1, mat.NewSymDense(2, c1), src)
	g2, ok2 := distmv.NewNormal(m2, mat.NewSymDense(2, c2), src)
	if !ok1 || !ok2 {
		t.Fatal("gonum rejected the covariances")
	}
	full, _, err := divergence.ClosedForm(divergence.ForwardKL{}, "mvnormal", append(append([]float64{}, m1...), c1...), append(append([]float64{}, m2...), c2...))
	if err != nil {
		t.Fatal(err)
	}
	tri, _, _ := divergence.ClosedForm(divergence.ForwardKL{}, "mvnormal", []float64{0, 1, 1, 0.3, 0.5}, []float64{1, -0.5, 2, -0.4, 1})
	if math.Abs(full-tri) > 1e-15 {
		t.Errorf("full %v, triangle %v", full, tri)
	}
	// Gauss-Legendre on [-12, 12]^2, 300 x 300 nodes: the densities are
	// below 1e-30 outside, and the rule is exact to about 1e-10 here.
	xy := make([]float64, 2)
	ref := quad.Fixed(func(x float64) float64 {
		return quad.Fixed(func(y float64) float64 {
			xy[0], xy[1] = x, y
			lp := g1.LogProb(xy)
			return math.Exp(lp) * (lp - g2.LogProb(xy))
		}, -12, 12, 300, nil, 0)
	}, -12, 12, 300, nil, 0)
	if math.Abs(full-ref) > 1e-8 {
		t.Errorf("closed form %v, quadrature %v", full, ref)
	}
	var s, s2 float64
	const n = 100000
	x := make([]float64, 2)
	for i := 0; i < n; i++ {
		g1.Rand(x)
		v := g1.LogProb(x) - g2.LogProb(x)
		s += v
		s2 += v * v
	}
	mean := s / n
	se := math.Sqrt((s2/n - mean*mean) / n)
	if math.Abs(full-mean) > 5*se {
		t.Errorf("closed form %v, Monte Carlo %v +- %v", full, mean, se)
	}
	if _, _, err := divergence.ClosedForm(divergence.ForwardKL{}, "mvnormal", []float64{0, 0, 1, 2, 2, 1}, []float64{0, 0, 1, 0, 0, 1}); err == nil {
		t.Error("a covariance that is not positive definite was accepted")
	}
}

// TestClosedFormCategorical checks the categorical KL against Monte Carlo
// with gonum's distuv.Categorical sampler.
func TestClosedFormCategorical(t *testing.T) {
	p := []float64{0.1, 0.2, 0.3, 0.4}
	q := []float64{2, 2, 1, 5} // unnormalized: the closed form normalizes
	got, _, err := divergence.ClosedForm(divergence.ForwardKL{}, "categorical", p, q)
	if err != nil {
		t.Fatal(err)
	}
	cat := distuv.NewCategorical(p, rand.NewPCG(3, 3))
	var s, s2 float64
	const n = 200000
	for i := 0; i < n; i++ {
		k := int(cat.Rand())
		v := math.Log(p[k] / (q[k] / 10))
		s += v
		s2 += v * v
	}
	mean := s / n
	se := math.Sqrt((s2/n - mean*mean) / n)
	if math.Abs(got-mean) > 5*se {
		t.Errorf("closed form %v, Monte Carlo %v +- %v", got, mean, se)
	}
	if v, _, err := divergence.ClosedForm(divergence.ForwardKL{}, "categorical", []float64{0.5, 0.5}, []float64{1, 0}); !math.IsInf(v, 1) || err == nil {
		t.Errorf("support mismatch: %v, %v", v, err)
	}
}
