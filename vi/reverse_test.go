package vi_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/vi"
)

// TestReverseKLGradient checks Eval's gradient against finite differences
// of its loss (a smooth function of u: the draws are fixed), for both
// models and two targets.
func TestReverseKLGradient(t *testing.T) {
	nt, _ := vi.NewNormalTarget(mu3, cov3)
	banana, err := vi.NewFormula("-x1^2/2 - (x2 - x1^2)^2 - x3^2/2 + sin(x1*x3)", 3)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, target := range []vi.LogDensity{nt, banana} {
		for _, diag := range []bool{false, true} {
			m, _ := vi.NewMVNormal(3)
			if diag {
				m, _ = vi.NewMVNormalDiag(3)
			}
			obj, err := vi.NewReverseKL(m, target, vi.Options{Samples: 50, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			u := make([]float64, obj.Len())
			for i := range u {
				u[i] = 0.3 * rng.NormFloat64()
			}
			fdCheck(t, m.Name(), obj.Eval, u, 1e-6)
		}
	}
}

// saaOptimum returns the exact minimizer of the full-rank reverse-KL
// sample average for the target N(mu, sigma) and the draws z: writing
// C_z for the draws' covariance (divisor S) and zbar for their mean, the
// loss is -log det L + tr(L^T P L C_z)/2 + (m + L zbar - mu)^T P (...)/2
// up to a constant, convex in (m, L), whose stationary point is L = L_S
// L_C^-1 (L_S, L_C the Cholesky factors of sigma and C_z: then L C_z L^T
// = sigma and P L C_z = L^-T, whose lower triangle is diag(1/L_ii)) and
// m = mu - L zbar.
func saaOptimum(t *testing.T, mu []float64, sigma *mat.SymDense, z []float64, s int) ([]float64, *mat.SymDense) {
	d := len(mu)
	zm := mat.NewDense(s, d, z)
	zbar := make([]float64, d)
	for k := range s {
		for i := range d {
			zbar[i] += zm.At(k, i) / float64(s)
		}
	}
	cz := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			var c float64
			for k := range s {
				c += (zm.At(k, i) - zbar[i]) * (zm.At(k, j) - zbar[j])
			}
			cz.SetSym(i, j, c/float64(s))
		}
	}
	var chS, chC mat.Cholesky
	if !chS.Factorize(sigma) || !chC.Factorize(cz) {
		t.Fatal("cholesky")
	}
	var ls, lc, lcInv mat.TriDense
	chS.LTo(&ls)
	chC.LTo(&lc)
	if err := lcInv.InverseTri(&lc); err != nil {
		t.Fatal(err)
	}
	var l mat.Dense
	l.Mul(&ls, &lcInv)
	var lzb mat.VecDense
	lzb.MulVec(&l, mat.NewVecDense(d, zbar))
	m := make([]float64, d)
	for i := range d {
		m[i] = mu[i] - lzb.AtVec(i)
	}
	var cov mat.Dense
	cov.Mul(&l, l.T())
	out := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			out.SetSym(i, j, cov.At(i, j))
		}
	}
	return m, out
}

// thetaOf splits a full-rank model's parameters into mean and covariance.
func thetaOf(m *vi.Gaussian, u []float64) ([]float64, *mat.SymDense) {
	d := m.Dim()
	theta := make([]float64, m.Len())
	m.Theta(theta, u)
	cov := mat.NewSymDense(d, nil)
	k := d
	for i := range d {
		for j := i; j < d; j++ {
			cov.SetSym(i, j, theta[k])
			k++
		}
	}
	return theta[:d], cov
}

// TestReverseKLFullRankRecoversNormal fits a full-rank model to N(mu,
// sigma) by L-BFGS on fixed draws: the fit reaches the sample-average
// optimum (in closed form, see saaOptimum) to 1e-7, and that optimum's
// distance to (mu, sigma) shrinks like 1/sqrt(S): over 20 seeds its
// root-mean-square error falls by about 4 from S = 100 to S = 1600.
func TestReverseKLFullRankRecoversNormal(t *testing.T) {
	nt, _ := vi.NewNormalTarget(mu3, cov3)
	m, _ := vi.NewMVNormal(3)
	obj, err := vi.NewReverseKL(m, nt, vi.Options{Samples: 400, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	u := make([]float64, obj.Len())
	obj.Init(u)
	st := minimize(t, obj, &fit.LBFGS{}, u, 500, 1e-9)
	gotM, gotC := thetaOf(m, st.U)
	wantM, wantC := saaOptimum(t, mu3, cov3, obj.Draws(), obj.Samples())
	if e := relErr(gotM, wantM, 1); e > 1e-7 {
		t.Errorf("mean %v, sample-average optimum %v", gotM, wantM)
	}
	if e := relErr(gotC.RawSymmetric().Data, wantC.RawSymmetric().Data, 1); e > 1e-7 {
		t.Errorf("covariance %v, sample-average optimum %v", mat.Formatted(gotC), mat.Formatted(wantC))
	}
	// The loss at the optimum estimates KL - log Z = 0 - 0 (the target
	// is normalized and q = p nearly): within a few standard errors.
	if se := obj.StdErr(); math.Abs(st.Loss) > 5*se+1e-3 {
		t.Errorf("loss at the optimum %v ± %v, want about 0", st.Loss, se)
	}

	rms := func(s int) float64 {
		var sum float64
		for seed := range uint64(20) {
			o, _ := vi.NewReverseKL(m, nt, vi.Options{Samples: s, Seed: 100 + seed})
			_, c := saaOptimum(t, mu3, cov3, o.Draws(), s)
			var diff mat.Dense
			diff.Sub(c, cov3)
			f := mat.Norm(&diff, 2)
			sum += f * f
		}
		return math.Sqrt(sum / 20)
	}
	small, large := rms(100), rms(1600)
	if r := small / large; r < 2.5 || r > 6.4 {
		t.Errorf("RMS covariance error %v with 100 draws, %v with 1600: ratio %v, want about 4", small, large, r)
	}
}

// TestReverseKLMeanField fits a mean-field model to a correlated normal:
// reverse KL's mean-field optimum has the variances 1/(sigma^-1)_ii, not
// the marginal variances sigma_ii. On fixed draws z the optimum solves,
// with a = m - mu, D = diag(sigma_i) and C_z the draws' covariance, a =
// -D zbar and sigma_i (H sigma)_i = 1 for H = P∘C_z (elementwise): the
// fit must satisfy those to 1e-6 (L-BFGS stops when the decrease it
// predicts is below 1e-12 times the loss, so with curvatures of order 1
// the gradient, and these residuals, can be left near sqrt(1e-12)), and be within Monte Carlo error (4
// times 1/sqrt(S) relative, 8192 draws) of 1/(sigma^-1)_ii, far from
// sigma_ii.
func TestReverseKLMeanField(t *testing.T) {
	nt, _ := vi.NewNormalTarget(mu3, cov3)
	p := nt.Precision()
	m, _ := vi.NewMVNormalDiag(3)
	const s = 8192
	obj, err := vi.NewReverseKL(m, nt, vi.Options{Samples: s, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	u := make([]float64, obj.Len())
	obj.Init(u)
	st := minimize(t, obj, &fit.LBFGS{}, u, 500, 1e-9)
	theta := make([]float64, 6)
	m.Theta(theta, st.U)
	sig := make([]float64, 3)
	for i := range sig {
		sig[i] = math.Sqrt(theta[3+i])
	}
	z := obj.Draws()
	zbar := make([]float64, 3)
	for k := range s {
		for i := range 3 {
			zbar[i] += z[k*3+i] / s
		}
	}
	for i := range 3 {
		if a := theta[i] - mu3[i]; math.Abs(a+sig[i]*zbar[i]) > 1e-6 {
			t.Errorf("mean[%d] - mu = %v, want -sigma zbar = %v", i, a, -sig[i]*zbar[i])
		}
		var h float64
		for j := range 3 {
			var c float64
			for k := range s {
				c += (z[k*3+i] - zbar[i]) * (z[k*3+j] - zbar[j])
			}
			h += p.At(i, j) * c / s * sig[j]
		}
		if r := sig[i]*h - 1; math.Abs(r) > 1e-6 {
			t.Errorf("stationarity residual %d: %v", i, r)
		}
		want := 1 / p.At(i, i)
		if math.Abs(theta[3+i]/want-1) > 4/math.Sqrt(s) {
			t.Errorf("variance[%d] = %v, want 1/(sigma^-1)_ii = %v within %.3f relative", i, theta[3+i], want, 4/math.Sqrt(s))
		}
		if math.Abs(cov3.At(i, i)/want-1) < 0.2 {
			t.Fatalf("the test cannot tell 1/(sigma^-1)_%d from sigma_%d", i, i)
		}
	}
}

// TestReverseKLThreads checks that a fit's every number is the same to
// the bit on 1, 2, 3 and 8 threads, for a formula target (evaluated draw
// by draw) and a normal one (evaluated in chunks of draws), with a number
// of draws that leaves the last chunk short.
func TestReverseKLThreads(t *testing.T) {
	formula, err := vi.NewFormula("-x1^2/2 - (x2 - x1^2)^2 - (x3 + x1)^2/4 - x4^2/2 - abs(x5)", 5)
	if err != nil {
		t.Fatal(err)
	}
	cov := mat.NewSymDense(5, nil)
	for i := range 5 {
		for j := i; j < 5; j++ {
			cov.SetSym(i, j, 0.5/float64(1+j-i))
		}
	}
	normal, err := vi.NewNormalTarget([]float64{1, 2, 3, 4, 5}, cov)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := vi.NewMVNormal(5)
	for _, target := range []vi.LogDensity{formula, normal} {
		var first []float64
		for _, threads := range []int{1, 2, 3, 8} {
			obj, err := vi.NewReverseKL(m, target, vi.Options{Samples: 77, Seed: 9, Threads: threads})
			if err != nil {
				t.Fatal(err)
			}
			u := make([]float64, obj.Len())
			obj.Init(u)
			st := minimize(t, obj, &fit.LBFGS{}, u, 15, math.Inf(1))
			got := append(append(slices.Clone(st.U), st.Loss, obj.StdErr()), st.Grad...)
			if first == nil {
				first = got
				continue
			}
			for i := range got {
				if math.Float64bits(got[i]) != math.Float64bits(first[i]) {
					t.Fatalf("%T, %d threads: number %d is %v, on one thread %v", target, threads, i, got[i], first[i])
				}
			}
		}
	}
}

// TestReverseKLResample checks that draws stay fixed by default, change
// at each epoch with Resample, and depend only on the seed and the epoch.
func TestReverseKLResample(t *testing.T) {
	nt, _ := vi.NewNormalTarget(mu3, cov3)
	m, _ := vi.NewMVNormal(3)
	fixed, _ := vi.NewReverseKL(m, nt, vi.Options{Samples: 10, Seed: 1})
	re, _ := vi.NewReverseKL(m, nt, vi.Options{Samples: 10, Seed: 1, Resample: true})
	z0 := slices.Clone(re.Draws())
	if !slices.Equal(z0, fixed.Draws()) {
		t.Fatal("epoch 0 draws differ with resample")
	}
	fixed.StartEpoch(1)
	re.StartEpoch(1)
	if !slices.Equal(z0, fixed.Draws()) {
		t.Error("fixed draws changed")
	}
	z1 := slices.Clone(re.Draws())
	if slices.Equal(z0, z1) {
		t.Error("resample kept the draws")
	}
	re.StartEpoch(2)
	re.StartEpoch(0)
	if !slices.Equal(z0, re.Draws()) {
		t.Error("epoch 0 draws are not reproduced")
	}
	other, _ := vi.NewReverseKL(m, nt, vi.Options{Samples: 10, Seed: 1, Resample: true})
	other.StartEpoch(1)
	if !slices.Equal(z1, other.Draws()) {
		t.Error("epoch 1 draws depend on the history")
	}
}

// TestReverseKLAdam drives a resampling fit with Adam: the mean ends
// within Monte Carlo reach of the target's.
func TestReverseKLAdam(t *testing.T) {
	nt, _ := vi.NewNormalTarget(mu3, cov3)
	m, _ := vi.NewMVNormal(3)
	obj, _ := vi.NewReverseKL(m, nt, vi.Options{Samples: 64, Seed: 2, Resample: true})
	s := &fit.State{U: make([]float64, obj.Len()), Grad: make([]float64, obj.Len())}
	var err error
	if s.Loss, err = obj.Eval(s.U, s.Grad); err != nil {
		t.Fatal(err)
	}
	opt := &fit.Adam{LearningRate: 0.02, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}
	var avg []float64
	for e := 1; e <= 3000; e++ {
		obj.StartEpoch(e)
		if err := opt.Step(s, obj.Eval); err != nil {
			t.Fatal(err)
		}
		if e > 2000 { // Polyak average of the last 1000 iterates
			if avg == nil {
				avg = make([]float64, len(s.U))
			}
			for i, v := range s.U {
				avg[i] += v / 1000
			}
		}
	}
	mean, cov := thetaOf(m, avg)
	// The averaged iterate's error is about the step noise, lr * O(1),
	// far below 0.1 (the target's scale is 1).
	if e := relErr(mean, mu3, 1); e > 0.1 {
		t.Errorf("Adam mean %v, want %v", mean, mu3)
	}
	if e := relErr(cov.RawSymmetric().Data, cov3.RawSymmetric().Data, 1); e > 0.15 {
		t.Errorf("Adam covariance %v, want %v", mat.Formatted(cov), mat.Formatted(cov3))
	}
}

// TestReverseKLBadTarget checks the one-line errors for a log-density
// that is NaN or -Inf at a draw, and a dimension mismatch.
func TestReverseKLBadTarget(t *testing.T) {
	m, _ := vi.NewMVNormal(2)
	nan, _ := vi.NewFormula("log(x1) - x2^2", 2)
	obj, _ := vi.NewReverseKL(m, nan, vi.Options{Samples: 20, Seed: 1})
	u := make([]float64, obj.Len())
	loss, err := obj.Eval(u, make([]float64, len(u)))
	var de *vi.DrawError
	if !errors.As(err, &de) || !math.IsNaN(loss) || !strings.HasPrefix(err.Error(), "the log-density is NaN at draw ") || strings.Contains(err.Error(), "\n") {
		t.Errorf("NaN: loss %v, error %v", loss, err)
	}
	zero, _ := vi.NewFormula("x1 > 0 ? -x1 : -1/0", 2)
	obj, _ = vi.NewReverseKL(m, zero, vi.Options{Samples: 20, Seed: 1})
	loss, err = obj.Eval(u, nil)
	if !math.IsInf(loss, 1) || err == nil || !strings.Contains(err.Error(), "is -Inf at draw") || !strings.Contains(err.Error(), "reverse KL is +Inf") {
		t.Errorf("-Inf: loss %v, error %v", loss, err)
	}
	m3, _ := vi.NewMVNormal(3)
	if _, err := vi.NewReverseKL(m3, zero, vi.Options{}); err == nil || err.Error() != "reverse KL: a 3-D model for a 2-D target" {
		t.Errorf("dimension mismatch: %v", err)
	}
}

// TestReverseKLQMC checks that randomized quasi-Monte Carlo draws bring
// the full-rank optimum closer to the target than as many independent
// draws: over 20 seeds of 256 draws in 3-D, the root-mean-square error of
// the covariance at the optimum (in closed form, see saaOptimum) is at
// least halved. The draws depend only on the seed.
func TestReverseKLQMC(t *testing.T) {
	nt, _ := vi.NewNormalTarget(mu3, cov3)
	m, _ := vi.NewMVNormal(3)
	rms := func(qmc bool) float64 {
		var sum float64
		for seed := range uint64(20) {
			o, err := vi.NewReverseKL(m, nt, vi.Options{Samples: 256, Seed: 300 + seed, QMC: qmc})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range o.Draws() {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("draw %v", v)
				}
			}
			_, c := saaOptimum(t, mu3, cov3, o.Draws(), 256)
			var diff mat.Dense
			diff.Sub(c, cov3)
			f := mat.Norm(&diff, 2)
			sum += f * f
		}
		return math.Sqrt(sum / 20)
	}
	mc, qmc := rms(false), rms(true)
	t.Logf("RMS covariance error: %v independent, %v quasi-Monte Carlo", mc, qmc)
	if qmc > mc/2 {
		t.Errorf("RMS covariance error %v with quasi-Monte Carlo draws, %v with independent ones", qmc, mc)
	}
	a, _ := vi.NewReverseKL(m, nt, vi.Options{Samples: 16, Seed: 1, QMC: true})
	b, _ := vi.NewReverseKL(m, nt, vi.Options{Samples: 16, Seed: 1, QMC: true})
	c, _ := vi.NewReverseKL(m, nt, vi.Options{Samples: 16, Seed: 2, QMC: true})
	if !slices.Equal(a.Draws(), b.Draws()) || slices.Equal(a.Draws(), c.Draws()) {
		t.Error("quasi-Monte Carlo draws do not follow the seed")
	}
}
