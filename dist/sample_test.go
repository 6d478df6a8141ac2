package dist_test

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/grid"
)

// sampleN is the number of draws of the sampling tests.
const sampleN = 20000

// within reports whether est is within 5 standard errors of want: a
// correct sampler fails with probability below 1e-6 per check (and never,
// for a fixed seed, once it passes).
func within(est, want, se float64) bool { return math.Abs(est-want) <= 5*se }

// meanVar returns the sample mean, variance and fourth central moment.
func meanVar(xs []float64) (m, v, m4 float64) {
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	for _, x := range xs {
		d := (x - m) * (x - m)
		v += d
		m4 += d * d
	}
	return m, v / float64(len(xs)-1), m4 / float64(len(xs))
}

// TestSampleMoments draws sampleN points from each 1-D family with a fixed
// seed and checks the sample mean and variance against the closed forms,
// within 5 standard errors: sqrt(var/n) for the mean, sqrt((m4 -
// var^2)/n) for the variance, with m4 the sample fourth central moment.
func TestSampleMoments(t *testing.T) {
	ax, _ := grid.Arange(-2, 3, 0.5)
	cat, err := dist.NewCategorical(ax)
	if err != nil {
		t.Fatal(err)
	}
	catTheta := []float64{0.05, 0.1, 0.2, 0.05, 0.1, 0.1, 0.15, 0.05, 0.1, 0.1}
	for i, tc := range []struct {
		f     dist.Family
		theta []float64
	}{
		{dist.Normal{}, []float64{1, 4}},
		{dist.Laplace{}, []float64{-1, 0.5}},
		{dist.StudentT{}, []float64{10, 2, 1.5}},
		{dist.Logistic{}, []float64{1, 2}},
		{dist.Gumbel{}, []float64{-2, 3}},
		{dist.SkewNormal{}, []float64{0.5, 2, 5}},
		{dist.SkewNormal{}, []float64{0, 1, -2}},
		{dist.Exponential{}, []float64{2.5}},
		{dist.Gamma{}, []float64{0.5, 2}},
		{dist.Gamma{}, []float64{7, 0.5}},
		{dist.LogNormal{}, []float64{0.3, 0.4}},
		{dist.Weibull{}, []float64{0.8, 2}},
		{dist.Weibull{}, []float64{5, 1}},
		{dist.Beta{}, []float64{0.5, 2}},
		{dist.Beta{}, []float64{8, 3}},
		{mustMixture(t, dist.Normal{}, 2), []float64{0.3, 0.7, -3, 2, 1, 0.5}},
		{mustMixture(t, dist.Exponential{}, 2), []float64{0.5, 0.5, 1, 0.1}},
		{cat, catTheta},
	} {
		xs := make([]float64, sampleN)
		tc.f.(dist.Sampler).Sample(tc.theta, rand.NewPCG(1, uint64(i)), xs, nil)
		mo := tc.f.(dist.Moments)
		wantM, wantV := mo.Mean(tc.theta), mo.Variance(tc.theta)
		m, v, m4 := meanVar(xs)
		if !within(m, wantM, math.Sqrt(v/sampleN)) {
			t.Errorf("%s %v: sample mean %v, mean %v", tc.f.Name(), tc.theta, m, wantM)
		}
		if !within(v, wantV, math.Sqrt((m4-v*v)/sampleN)) {
			t.Errorf("%s %v: sample variance %v, variance %v", tc.f.Name(), tc.theta, v, wantV)
		}
		for _, x := range xs {
			if math.IsInf(dist.LogProb(tc.f, tc.theta, x), -1) {
				t.Errorf("%s %v: drew %v, outside the support", tc.f.Name(), tc.theta, x)
				break
			}
		}
	}
}

// TestSampleCauchy checks Cauchy draws, which have no moments, by their
// median (loc) and the fraction within loc +- scale (1/2), both within 5
// standard errors: pi scale/(2 sqrt(n)) for the median, sqrt(1/(4n)) for
// the fraction.
func TestSampleCauchy(t *testing.T) {
	theta := []float64{3, 0.5}
	xs := make([]float64, sampleN)
	dist.Cauchy{}.Sample(theta, rand.NewPCG(2, 2), xs, nil)
	sort.Float64s(xs)
	if med := xs[sampleN/2]; !within(med, 3, math.Pi*0.5/(2*math.Sqrt(sampleN))) {
		t.Errorf("sample median %v, want 3", med)
	}
	var in int
	for _, x := range xs {
		if math.Abs(x-3) < 0.5 {
			in++
		}
	}
	if f := float64(in) / sampleN; !within(f, 0.5, math.Sqrt(0.25/sampleN)) {
		t.Errorf("fraction within a scale of loc: %v, want 0.5", f)
	}
}

// TestSampleVonMises checks von Mises draws by their circular moments:
// E[cos(x - mu)] = I1(kappa)/I0(kappa) = 1 - circular variance and
// E[sin(x - mu)] = 0, within 5 standard errors; every draw is in
// [-pi, pi).
func TestSampleVonMises(t *testing.T) {
	for i, theta := range [][]float64{{1, 2}, {-3, 0.3}, {2.5, 50}, {0, 1e-8}} {
		xs := make([]float64, sampleN)
		dist.VonMises{}.Sample(theta, rand.NewPCG(3, uint64(i)), xs, nil)
		cs, ss := make([]float64, sampleN), make([]float64, sampleN)
		for j, x := range xs {
			if !(x >= -math.Pi && x < math.Pi) {
				t.Fatalf("%v: draw %v outside [-pi, pi)", theta, x)
			}
			ss[j], cs[j] = math.Sincos(x - theta[0])
		}
		mc, vc, _ := meanVar(cs)
		ms, vs, _ := meanVar(ss)
		want := 1 - dist.VonMises{}.Variance(theta)
		if !within(mc, want, math.Sqrt(vc/sampleN)) {
			t.Errorf("%v: mean cos(x-mu) %v, want %v", theta, mc, want)
		}
		if !within(ms, 0, math.Sqrt(vs/sampleN)) {
			t.Errorf("%v: mean sin(x-mu) %v, want 0", theta, ms)
		}
	}
}

// TestSampleTwoDimensional checks bivariate draws by their mean vector and
// covariance, each entry within 5 standard errors (sqrt(var/n) for a mean,
// the sample standard deviation of the products over sqrt(n) for a
// covariance).
func TestSampleTwoDimensional(t *testing.T) {
	for i, tc := range []struct {
		f     dist.Family
		theta []float64
	}{
		{dist.MVNormal{}, []float64{1, -2, 2, 0.7, 1.5}},
		{mustMixture(t, dist.MVNormal{}, 2), []float64{0.3, 0.7, 0, 1, 0, -1, 1, 0.2, 1, 2, -0.5, 0.5}},
	} {
		xs, ys := make([]float64, sampleN), make([]float64, sampleN)
		tc.f.(dist.Sampler).Sample(tc.theta, rand.NewPCG(4, uint64(i)), xs, ys)
		vm := tc.f.(dist.VectorMoments)
		wm, wc := vm.MeanVector(tc.theta), vm.Covariance(tc.theta)
		mx, vx, _ := meanVar(xs)
		my, vy, _ := meanVar(ys)
		if !within(mx, wm[0], math.Sqrt(vx/sampleN)) || !within(my, wm[1], math.Sqrt(vy/sampleN)) {
			t.Errorf("%s: sample mean (%v, %v), mean %v", tc.f.Name(), mx, my, wm)
		}
		pxx, pxy, pyy := make([]float64, sampleN), make([]float64, sampleN), make([]float64, sampleN)
		for j := range xs {
			dx, dy := xs[j]-mx, ys[j]-my
			pxx[j], pxy[j], pyy[j] = dx*dx, dx*dy, dy*dy
		}
		for k, p := range [][]float64{pxx, pxy, pyy} {
			m, v, _ := meanVar(p)
			want := wc[[]int{0, 1, 3}[k]]
			if !within(m, want, math.Sqrt(v/sampleN)) {
				t.Errorf("%s: sample covariance entry %d %v, covariance %v", tc.f.Name(), k, m, want)
			}
		}
	}
}

// TestSamplingIsSeeded checks that the same seed gives the same draws.
func TestSamplingIsSeeded(t *testing.T) {
	for _, f := range []dist.Family{dist.Gamma{}, dist.VonMises{}, dist.SkewNormal{}} {
		theta := []float64{1.5, 2, 0.5}[:len(f.Params())]
		a, b := make([]float64, 50), make([]float64, 50)
		f.(dist.Sampler).Sample(theta, rand.NewPCG(9, 9), a, nil)
		f.(dist.Sampler).Sample(theta, rand.NewPCG(9, 9), b, nil)
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("%s: draws differ with the same seed", f.Name())
			}
		}
	}
}
