package dist_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/klfit/klfit/dist"
)

// TestNormalMatchesGonum checks the hand-written grid kernel against
// gonum's distuv.Normal, to a few ulps.
func TestNormalMatchesGonum(t *testing.T) {
	xs := []float64{-30, -3, -0.5, 0, 1e-9, 0.7, 2, 12.5, 400}
	lp := make([]float64, len(xs))
	for _, theta := range [][]float64{{0, 1}, {5, 1}, {-2, 0.01}, {3, 1e6}, {1e3, 7}} {
		dist.Normal{}.Eval(theta, xs, nil, lp, nil)
		g := distuv.Normal{Mu: theta[0], Sigma: math.Sqrt(theta[1])}
		for i, x := range xs {
			want := g.LogProb(x)
			if math.Abs(lp[i]-want) > 4e-15*math.Max(1, math.Abs(want)) {
				t.Errorf("theta %v x %v: logp %.17g, gonum %.17g", theta, x, lp[i], want)
			}
		}
	}
}

// TestScoresFiniteDifferences checks every score against central
// differences of the log-density. A step of 1e-6 relative to the parameter
// gives truncation error of order 1e-12 and rounding error of order
// 1e-16/1e-6 = 1e-10 relative to the log-density: 1e-7 is the tolerance.
func TestScoresFiniteDifferences(t *testing.T) {
	for _, tc := range []struct {
		f      dist.Family
		thetas [][]float64
		xs     []float64
	}{
		{dist.Normal{}, [][]float64{{0, 1}, {5, 1}, {-2, 1e-3}, {0.1, 50}}, []float64{-4, -1, 0, 0.3, 2, 7}},
	} {
		n := len(tc.xs)
		k := len(tc.f.Params())
		for _, theta := range tc.thetas {
			lp := make([]float64, n)
			score := make([][]float64, k)
			for j := range score {
				score[j] = make([]float64, n)
			}
			tc.f.Eval(theta, tc.xs, nil, lp, score)
			for j := 0; j < k; j++ {
				h := 1e-6 * math.Max(math.Abs(theta[j]), 1e-3)
				up := append([]float64(nil), theta...)
				dn := append([]float64(nil), theta...)
				up[j] += h
				dn[j] -= h
				lpu, lpd := make([]float64, n), make([]float64, n)
				tc.f.Eval(up, tc.xs, nil, lpu, nil)
				tc.f.Eval(dn, tc.xs, nil, lpd, nil)
				for i := range tc.xs {
					fd := (lpu[i] - lpd[i]) / (2 * h)
					if math.Abs(fd-score[j][i]) > 1e-7*math.Max(1, math.Abs(fd)) {
						t.Errorf("%s theta %v x %v: score[%d] %.12g, finite differences %.12g", tc.f.Name(), theta, tc.xs[i], j, score[j][i], fd)
					}
				}
			}
		}
	}
}

// TestNormalIntegratesToOne integrates the density on a fine grid with the
// trapezoidal rule, whose error for a smooth density with negligible tails
// is far below 1e-9.
func TestNormalIntegratesToOne(t *testing.T) {
	for _, theta := range [][]float64{{0, 1}, {3, 0.25}, {-1, 9}} {
		sd := math.Sqrt(theta[1])
		lo, hi := theta[0]-12*sd, theta[0]+12*sd
		n := 20001
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = lo + (hi-lo)*float64(i)/float64(n-1)
		}
		lp := make([]float64, n)
		dist.Normal{}.Eval(theta, xs, nil, lp, nil)
		var sum float64
		for i, l := range lp {
			w := 1.0
			if i == 0 || i == n-1 {
				w = 0.5
			}
			sum += w * math.Exp(l)
		}
		sum *= (hi - lo) / float64(n-1)
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("theta %v integrates to %.15g", theta, sum)
		}
	}
}

func TestValidate(t *testing.T) {
	f := dist.Normal{}
	if err := dist.Validate(f, []float64{0, 1}); err != nil {
		t.Errorf("valid parameters: %v", err)
	}
	for _, tc := range []struct {
		theta []float64
		param string
	}{
		{[]float64{0, 0}, "variance"},
		{[]float64{0, -1}, "variance"},
		{[]float64{math.NaN(), 1}, "mean"},
		{[]float64{0, math.Inf(1)}, "variance"},
	} {
		err := dist.Validate(f, tc.theta)
		var pe *dist.ParamError
		if !errors.As(err, &pe) || pe.Param != tc.param {
			t.Errorf("Validate(%v) = %v, want an error on %s", tc.theta, err, tc.param)
		}
	}
	if err := dist.Validate(f, []float64{0}); err == nil {
		t.Error("one parameter for two accepted")
	}
}

// TestTransforms checks that each transform inverts and that its pullback
// is the transpose of its Jacobian, by central differences.
func TestTransforms(t *testing.T) {
	for _, tr := range []dist.Transform{dist.Identity{}, dist.Unconstrained(dist.Normal{})} {
		theta := []float64{-1.5, 0.3}
		u := make([]float64, 2)
		back := make([]float64, 2)
		tr.U(u, theta)
		tr.Theta(back, u)
		for i := range theta {
			if math.Abs(back[i]-theta[i]) > 1e-15 {
				t.Errorf("%T: round trip %v -> %v", tr, theta, back)
			}
		}
		// With gradTheta = e_j, J^T e_j is row j of the Jacobian.
		for j := range theta {
			gt := make([]float64, 2)
			gt[j] = 1
			gu := make([]float64, 2)
			tr.PullBack(gu, u, theta, gt)
			for k := range u {
				h := 1e-6
				up, dn := append([]float64(nil), u...), append([]float64(nil), u...)
				up[k] += h
				dn[k] -= h
				tu, td := make([]float64, 2), make([]float64, 2)
				tr.Theta(tu, up)
				tr.Theta(td, dn)
				fd := (tu[j] - td[j]) / (2 * h)
				// h = 1e-6 on entries of order 1: truncation ~h^2,
				// rounding ~1e-16/h = 1e-10.
				if math.Abs(fd-gu[k]) > 1e-8 {
					t.Errorf("%T: dtheta_%d/du_%d = %v, finite differences %v", tr, j, k, gu[k], fd)
				}
			}
		}
	}
}

func TestLookup(t *testing.T) {
	f, err := dist.Lookup("normal")
	if err != nil || f.Name() != "normal" {
		t.Fatalf("Lookup(normal) = %v, %v", f, err)
	}
	_, err = dist.Lookup("gaussian")
	if err == nil || !strings.Contains(err.Error(), "normal") {
		t.Errorf("unknown family error %v does not list the known ones", err)
	}
}
