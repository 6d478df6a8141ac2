package vi_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distmv"

	"github.com/klfit/klfit/vi"
)

// TestGaussianModel checks the model's names, its parameters, its
// log-density against gonum's and its draws against its Cholesky factor,
// for both kinds.
func TestGaussianModel(t *testing.T) {
	full, _ := vi.NewMVNormal(3)
	diag, _ := vi.NewMVNormalDiag(3)
	if got := full.Names(); len(got) != full.Len() || got[0] != "mean[0]" || got[3] != "covariance[0][0]" || got[4] != "covariance[0][1]" || got[8] != "covariance[2][2]" {
		t.Errorf("full names %v", got)
	}
	if got := diag.Names(); len(got) != 6 || got[3] != "variance[0]" || got[5] != "variance[2]" {
		t.Errorf("diag names %v", got)
	}
	for _, m := range []*vi.Gaussian{full, diag} {
		u := make([]float64, m.Len())
		if err := m.Unconstrain(u, mu3, cov3); err != nil {
			t.Fatal(err)
		}
		theta := make([]float64, m.Len())
		m.Theta(theta, u)
		want := []float64{1, -2, 0.5, 2, 0.9, 0.5, 1, 0.6, 0.8}
		cov := cov3
		if m.Diagonal() {
			want = []float64{1, -2, 0.5, 2, 1, 0.8}
			cov = sym([][]float64{{2, 0, 0}, {0, 1, 0}, {0, 0, 0.8}})
		}
		if e := relErr(theta, want, 1); e > 1e-14 {
			t.Errorf("%s: theta %v, want %v", m.Name(), theta, want)
		}
		ref, ok := distmv.NewNormal(mu3, cov, nil)
		if !ok {
			t.Fatal("gonum normal")
		}
		rng := rand.New(rand.NewPCG(5, 6))
		z, x := make([]float64, 3), make([]float64, 3)
		for range 10 {
			for i := range z {
				z[i] = rng.NormFloat64()
			}
			m.Sample(x, u, z)
			// x = mean + L z: check against the factor itself.
			var l mat.TriDense = *m.Cholesky(u)
			var lz mat.VecDense
			lz.MulVec(&l, mat.NewVecDense(3, z))
			for i := range x {
				if math.Abs(x[i]-mu3[i]-lz.AtVec(i)) > 1e-14 {
					t.Fatalf("%s: draw %v, mean + L z = %v", m.Name(), x, lz.RawVector().Data)
				}
			}
			if got, want := m.LogDensity(u, x), ref.LogProb(x); math.Abs(got-want) > 1e-13*math.Max(1, math.Abs(want)) {
				t.Errorf("%s: log q %v, gonum %v", m.Name(), got, want)
			}
		}
	}
	if err := full.Unconstrain(make([]float64, 9), mu3, sym([][]float64{{1, 2, 0}, {2, 1, 0}, {0, 0, 1}})); err == nil {
		t.Error("an indefinite covariance was accepted")
	}
	if _, err := vi.NewMVNormal(0); err == nil {
		t.Error("dimension 0 was accepted")
	}
	// The bounds on the dimension, which make no model's vectors.
	for _, c := range []struct {
		d    int
		diag bool
		ok   bool
	}{{vi.MaxFullRankDims, false, true}, {vi.MaxFullRankDims + 1, false, false}, {vi.MaxFullRankDims + 1, true, true},
		{vi.MaxMeanFieldDims, true, true}, {vi.MaxMeanFieldDims + 1, true, false}} {
		newModel := vi.NewMVNormal
		if c.diag {
			newModel = vi.NewMVNormalDiag
		}
		if _, err := newModel(c.d); (err == nil) != c.ok {
			t.Errorf("dimension %d, mean-field %v: error %v", c.d, c.diag, err)
		}
	}
}

// TestNormalTarget checks the normal target's log-density and gradient
// against gonum's density and finite differences.
func TestNormalTarget(t *testing.T) {
	nt, err := vi.NewNormalTarget(mu3, cov3)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := distmv.NewNormal(mu3, cov3, nil)
	x := []float64{0.3, -1, 2}
	if got, want := nt.LogDensity(x, nil), ref.LogProb(x); math.Abs(got-want) > 1e-14*math.Abs(want) {
		t.Errorf("log p %v, gonum %v", got, want)
	}
	fdCheck(t, "normal target", func(u, g []float64) (float64, error) { return nt.LogDensity(u, g), nil }, x, 1e-7)
	// The batch form gives each row's value and gradient.
	xs := []float64{0.3, -1, 2, 1, 1, 1, -3, 0, 0.5}
	lp, gs := make([]float64, 3), make([]float64, 9)
	nt.LogDensities(lp, gs, xs)
	g := make([]float64, 3)
	for k := range 3 {
		v := nt.LogDensity(xs[3*k:3*k+3], g)
		if math.Abs(lp[k]-v) > 1e-14*math.Abs(v) || relErr(gs[3*k:3*k+3], g, 1) > 1e-14 {
			t.Errorf("row %d: batch %v %v, one by one %v %v", k, lp[k], gs[3*k:3*k+3], v, g)
		}
	}
	if _, err := vi.NewNormalTarget(mu3, sym([][]float64{{1, 2, 0}, {2, 1, 0}, {0, 0, 1}})); err == nil || err.Error() != "normal target: the 3 x 3 covariance is not positive definite" {
		t.Errorf("indefinite covariance: %v", err)
	}
}
