package vi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distmv"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/vi"
)

// samplesCSV writes n draws of N(mu3 + 100, cov3) as CSV with the
// columns a, b, c and a text column, and returns them.
func samplesCSV(t *testing.T, n int) (*bytes.Buffer, [][]float64) {
	mean := []float64{mu3[0] + 100, mu3[1] + 100, mu3[2] + 100}
	nd, ok := distmv.NewNormal(mean, cov3, rand.New(rand.NewPCG(21, 22)))
	if !ok {
		t.Fatal("normal")
	}
	var buf bytes.Buffer
	buf.WriteString("a, b,note,c\n")
	rows := make([][]float64, n)
	for k := range rows {
		rows[k] = nd.Rand(nil)
		fmt.Fprintf(&buf, "%v,%v,row %d,%v\n", rows[k][0], rows[k][1], k, rows[k][2])
	}
	return &buf, rows
}

// twoPass returns the columns' mean and covariance (divisor N) computed
// in two passes: the reference for the streamed moments.
func twoPass(rows [][]float64, cols []int) ([]float64, *mat.SymDense) {
	d, n := len(cols), float64(len(rows))
	mean := make([]float64, d)
	for _, r := range rows {
		for i, c := range cols {
			mean[i] += r[c] / n
		}
	}
	cov := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			var s float64
			for _, r := range rows {
				s += (r[cols[i]] - mean[i]) * (r[cols[j]] - mean[j])
			}
			cov.SetSym(i, j, s/n)
		}
	}
	return mean, cov
}

// TestForwardKLFromSamples reads samples in one pass and fits both models
// by L-BFGS: the full-rank fit reaches the samples' mean and covariance,
// the mean-field fit their means and variances (not any smaller
// variance), to 1e-8 relative; the closed-form optimum agrees to 1e-12.
func TestForwardKLFromSamples(t *testing.T) {
	buf, rows := samplesCSV(t, 5000)
	cols := []string{"c", "a", "b"}
	mom, err := vi.ReadMoments(context.Background(), buf, cols)
	if err != nil {
		t.Fatal(err)
	}
	wantM, wantC := twoPass(rows, []int{2, 0, 1})
	if mom.N() != 5000 || relErr(mom.Mean(), wantM, 1) > 1e-14 || relErr(mom.Covariance().RawSymmetric().Data, wantC.RawSymmetric().Data, 1) > 1e-12 {
		t.Fatalf("moments %v %v, two-pass %v %v", mom.Mean(), mat.Formatted(mom.Covariance()), wantM, mat.Formatted(wantC))
	}
	for _, diag := range []bool{false, true} {
		m, _ := vi.NewMVNormal(3)
		want := append([]float64(nil), wantM...)
		for i := range 3 {
			for j := i; j < 3; j++ {
				if !diag {
					want = append(want, wantC.At(i, j))
				} else if i == j {
					want = append(want, wantC.At(i, i))
				}
			}
		}
		if diag {
			m, _ = vi.NewMVNormalDiag(3)
		}
		obj, err := vi.NewForwardKL(m, mom)
		if err != nil {
			t.Fatal(err)
		}
		u := make([]float64, obj.Len())
		fdCheck(t, m.Name(), obj.Eval, []float64{0.1, -0.2, 0.3, 0.2, -0.1, 0.3, 0.05, 0.1, -0.2}[:obj.Len()], 1e-6)
		obj.Init(u)
		st := minimize(t, obj, &fit.LBFGS{}, u, 1000, 1e-8)
		theta := make([]float64, obj.Len())
		obj.Theta(theta, st.U)
		if e := relErr(theta, want, 1e-300); e > 1e-8 {
			t.Errorf("%s: fit %v, samples' moments %v (relative error %g)", m.Name(), theta, want, e)
		}
		if err := obj.Optimum(u); err != nil {
			t.Fatal(err)
		}
		obj.Theta(theta, u)
		if e := relErr(theta, want, 1e-300); e > 1e-12 {
			t.Errorf("%s: optimum %v, samples' moments %v", m.Name(), theta, want)
		}
		if !math.IsNaN(obj.StdErr()) {
			t.Error("forward KL claims a Monte Carlo error")
		}
	}
}

// TestReadMomentsErrors checks the one-line errors of a samples file.
func TestReadMomentsErrors(t *testing.T) {
	for _, c := range []struct{ csv, want string }{
		{"a,b\n1,2\n", `samples: line 1: no column "c" (the columns are a, b)`},
		{"a,c\n1,2\n3,x\n", `samples: line 3, column c: "x" is not a finite number`},
		{"a,c\n1,NaN\n", `samples: line 2, column c: "NaN" is not a finite number`},
		{"", "samples: the file is empty"},
		{"a,c\n", "samples: the file has a header and no rows"},
		{"a,c\n1,2,3\n", "samples: record on line 2: wrong number of fields"},
		{"a,c\n1e200,1\n-1e200,2\n", "samples: line 3: sample 2: the mean or variance of coordinate 1 overflows float64: the values are too large"},
	} {
		_, err := vi.ReadMoments(context.Background(), strings.NewReader(c.csv), []string{"a", "c"})
		if err == nil || err.Error() != c.want {
			t.Errorf("%q: error %v, want %q", c.csv, err, c.want)
		}
	}
	// Too few samples for a full covariance: the objective is refused,
	// for it has no optimum.
	mom, _ := vi.ReadMoments(context.Background(), strings.NewReader("a,c\n1,2\n3,4\n"), []string{"a", "c"})
	m, _ := vi.NewMVNormal(2)
	var se *vi.SingularError
	if _, err := vi.NewForwardKL(m, mom); !errors.As(err, &se) || !strings.Contains(err.Error(), "x2 = x1 + 1 (to rounding") {
		t.Errorf("collinear samples: %v", err)
	}
}

// FuzzReadMoments reads arbitrary CSV: it never panics, an error says
// something, and accepted samples have finite moments.
func FuzzReadMoments(f *testing.F) {
	for _, s := range []string{"a,c\n1,2\n3,4\n", "a,b\n1,2\n", "a,c\n1,x\n", "", "a,c\n", "a,c\n1,2,3\n",
		"\"a\",c\n1e308,-1e308\n1e308,1e308\n", "c,a,a\n1,2,3\n", "a,c\n\"1\n\",2\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, csv string) {
		mom, err := vi.ReadMoments(context.Background(), strings.NewReader(csv), []string{"a", "c"})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		for _, v := range append(mom.Mean(), mom.Covariance().RawSymmetric().Data...) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("moment %v from %q", v, csv)
			}
		}
	})
}

// TestReadMomentsCancel checks that reading stops when the context is
// done, saying where.
func TestReadMomentsCancel(t *testing.T) {
	buf, _ := samplesCSV(t, 3000)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := vi.ReadMoments(ctx, buf, []string{"a"})
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "samples: stopped at line 2: ") {
		t.Errorf("error %v", err)
	}
}

// TestSampleMoments draws from a normal target: the draws' moments are
// reproducible from the seed, differ for another seed, and lie within 5
// standard errors of the target's mean and covariance.
func TestSampleMoments(t *testing.T) {
	nt, err := vi.NewNormalTarget(mu3, cov3)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20000
	m, err := vi.SampleMoments(context.Background(), nt, n, 5)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := vi.SampleMoments(context.Background(), nt, n, 5)
	if !equalFloats(m.Mean(), again.Mean()) || !mat.Equal(m.Covariance(), again.Covariance()) {
		t.Error("the same seed gives different draws")
	}
	other, _ := vi.SampleMoments(context.Background(), nt, n, 6)
	if equalFloats(m.Mean(), other.Mean()) {
		t.Error("another seed gives the same draws")
	}
	mean := m.Mean()
	for i := range mean {
		se := math.Sqrt(cov3.At(i, i) / n)
		if math.Abs(mean[i]-mu3[i]) > 5*se {
			t.Errorf("mean[%d] = %v, target's %v (standard error %.2g)", i, mean[i], mu3[i], se)
		}
	}
	// The covariance of n normal draws has standard error about
	// sqrt((S_ii S_jj + S_ij^2)/n).
	c := m.Covariance()
	for i := range 3 {
		for j := i; j < 3; j++ {
			se := math.Sqrt((cov3.At(i, i)*cov3.At(j, j) + cov3.At(i, j)*cov3.At(i, j)) / n)
			if math.Abs(c.At(i, j)-cov3.At(i, j)) > 5*se {
				t.Errorf("covariance[%d][%d] = %v, target's %v (standard error %.2g)", i, j, c.At(i, j), cov3.At(i, j), se)
			}
		}
	}
	if _, err := vi.SampleMoments(context.Background(), nt, 0, 5); err == nil {
		t.Error("0 draws: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := vi.SampleMoments(ctx, nt, n, 5); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestNormalTargetSample checks one draw against mean + L z computed by
// gonum from the same standard normal numbers.
func TestNormalTargetSample(t *testing.T) {
	nt, err := vi.NewNormalTarget(mu3, cov3)
	if err != nil {
		t.Fatal(err)
	}
	var ch mat.Cholesky
	if !ch.Factorize(cov3) {
		t.Fatal("cov3")
	}
	var l mat.TriDense
	ch.LTo(&l)
	rng, ref := rand.New(rand.NewPCG(1, 2)), rand.New(rand.NewPCG(1, 2))
	x := make([]float64, 3)
	for range 5 {
		nt.Sample(x, rng)
		z := mat.NewVecDense(3, []float64{ref.NormFloat64(), ref.NormFloat64(), ref.NormFloat64()})
		var want mat.VecDense
		want.MulVec(&l, z)
		for i := range 3 {
			if w := want.AtVec(i) + mu3[i]; math.Abs(x[i]-w) > 1e-14*(1+math.Abs(w)) {
				t.Errorf("x[%d] = %v, mean + L z = %v", i, x[i], w)
			}
		}
	}
}

func equalFloats(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// TestOptimumLoss checks the least forward-KL loss against the average of
// -log q over the samples at their own mean and covariance (divisor N),
// q evaluated by gonum's distmv, for the full-rank model and, with the
// covariance's diagonal, the mean-field one.
func TestOptimumLoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	m := vi.NewMoments(3)
	var xs [][]float64
	for range 500 {
		z := []float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
		x := []float64{1e4 + z[0], 2*z[0] + 0.5*z[1], -3 + z[0] - z[1] + 0.1*z[2]}
		xs = append(xs, x)
		if err := m.Add(x); err != nil {
			t.Fatal(err)
		}
	}
	full := m.Covariance()
	diag := mat.NewSymDense(3, nil)
	for i := range 3 {
		diag.SetSym(i, i, full.At(i, i))
	}
	for _, c := range []struct {
		diag bool
		cov  *mat.SymDense
	}{{false, full}, {true, diag}} {
		nd, ok := distmv.NewNormal(m.Mean(), c.cov, nil)
		if !ok {
			t.Fatal("covariance not positive definite")
		}
		var want float64
		for _, x := range xs {
			want -= nd.LogProb(x) / float64(len(xs))
		}
		got, ok := m.OptimumLoss(c.diag)
		// 500 log-densities of size 5 averaged: a few 1e-15, plus the
		// quadratic form's cancellation at x 1e4 from 0, 1e-12.
		if !ok || math.Abs(got-want) > 1e-11*math.Abs(want) {
			t.Errorf("diag %v: %v, the average of -log q %v", c.diag, got, want)
		}
	}
}
