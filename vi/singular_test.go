package vi_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/klfit/klfit/vi"
)

// TestMomentsCheck checks which samples a normal model has no best fit
// on: collinear ones (exactly, to rounding, and a combination of two
// columns), a constant column (exactly, and to the last bits of a large
// value) for either model, and not samples whose correlation is strong
// but well above rounding, nor far from 0. The coordinate found dependent
// and its combination must be the one the samples were made with, and
// the decision must agree with the least eigenvalue of the correlation
// matrix that gonum's eigendecomposition gives, against the bound Check
// documents.
func TestMomentsCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	gen := func(n int, f func() []float64) [][]float64 {
		rows := make([][]float64, n)
		for k := range rows {
			rows[k] = f()
		}
		return rows
	}
	for _, c := range []struct {
		name   string
		rows   [][]float64
		diag   bool
		column int   // -1: no error
		of     []int // the combination's coordinates
		coef   []float64
		icept  float64
	}{
		{"collinear", [][]float64{{1, 2}, {2, 4}, {3, 6}, {4, 8}}, false, 1, []int{0}, []float64{2}, 0},
		{"collinear, mean-field", [][]float64{{1, 2}, {2, 4}, {3, 6}, {4, 8}}, true, -1, nil, nil, 0},
		{"nearly collinear", gen(1000, func() []float64 {
			x := rng.NormFloat64()
			return []float64{x, 2*x + 1 + 1e-9*rng.NormFloat64()}
		}), false, 1, []int{0}, []float64{2}, 1},
		{"a combination of two", gen(1000, func() []float64 {
			x, z := rng.NormFloat64(), 5+2*rng.NormFloat64()
			return []float64{x, z, 2*x - 3*z + 1e-8*rng.NormFloat64()}
		}), false, 2, []int{0, 1}, []float64{2, -3}, 0},
		{"nearly, by the least eigenvalue", gen(3000, func() []float64 {
			// No coordinate is left with a share of its variance below the
			// bound, but the least eigenvalue is below it.
			x := make([]float64, 30)
			var s float64
			for i := range 29 {
				x[i] = rng.NormFloat64()
				s += x[i]
			}
			x[29] = s/3 + 1.8e-5*rng.NormFloat64()
			return x
		}), false, 29, seq(29), slices.Repeat([]float64{1.0 / 3}, 29), 0},
		{"correlated above rounding", gen(1000, func() []float64 {
			x, z := rng.NormFloat64(), 5+2*rng.NormFloat64()
			return []float64{x, z, 2*x - 3*z + 1e-3*rng.NormFloat64()}
		}), false, -1, nil, nil, 0},
		{"far from 0", gen(1000, func() []float64 {
			x := rng.NormFloat64()
			return []float64{1e6 + x, x + 0.5*rng.NormFloat64()}
		}), false, -1, nil, nil, 0},
		{"constant", gen(10, func() []float64 { return []float64{rng.NormFloat64(), 5} }), false, 1, nil, nil, 0},
		{"constant, mean-field", gen(10, func() []float64 { return []float64{rng.NormFloat64(), 5} }), true, 1, nil, nil, 0},
		{"constant to rounding", gen(10, func() []float64 {
			v := 1e8 // or the next float64: the values differ in the last bit
			if rng.IntN(2) == 1 {
				v = math.Nextafter(v, math.Inf(1))
			}
			return []float64{rng.NormFloat64(), v}
		}), true, 1, nil, nil, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := len(c.rows[0])
			m := vi.NewMoments(d)
			for _, x := range c.rows {
				if err := m.Add(x); err != nil {
					t.Fatal(err)
				}
			}
			err := m.Check(c.diag)
			var se *vi.SingularError
			switch {
			case c.column < 0 && err != nil:
				t.Fatalf("refused: %v", err)
			case c.column < 0:
			case !errors.As(err, &se):
				t.Fatalf("error %v, want a *vi.SingularError", err)
			case se.Column != c.column || !slices.Equal(se.Of, c.of) || len(se.Coef) != len(c.coef):
				t.Fatalf("column %d of %v (%v), want %d of %v: %v", se.Column, se.Of, se.Coef, c.column, c.of, err)
			case c.name == "nearly, by the least eigenvalue" && !(se.Unexplained > se.Bound && strings.Contains(err.Error(), "nearly: the smallest eigenvalue")):
				t.Errorf("share %g, bound %g: %v", se.Unexplained, se.Bound, err)
			case strings.Contains(err.Error(), "\n"):
				t.Errorf("a message of more than one line: %q", err)
			}
			if se != nil {
				// The samples were made with these coefficients, up to noise
				// of at most 1e-8 against spreads of 1 and more.
				for k, want := range c.coef {
					if math.Abs(se.Coef[k]-want) > 1e-6 {
						t.Errorf("coefficient of x%d: %v, want %v", se.Of[k]+1, se.Coef[k], want)
					}
				}
				if math.Abs(se.Intercept-c.icept) > 1e-6 {
					t.Errorf("intercept %v, want %v", se.Intercept, c.icept)
				}
			}
			if c.diag || (se != nil && len(se.Of) == 0) {
				return
			}
			// The least eigenvalue of the correlation matrix, and the bound.
			cov := m.Covariance()
			r := mat.NewSymDense(d, nil)
			worst := 0.0
			for i := range d {
				sd := math.Sqrt(cov.At(i, i))
				worst = math.Max(worst, math.Abs(m.Mean()[i])/sd)
				for j := i; j < d; j++ {
					r.SetSym(i, j, cov.At(i, j)/math.Sqrt(cov.At(i, i)*cov.At(j, j)))
				}
			}
			bound := 1e4 * float64(d) * 0x1p-52 * (1 + worst)
			var eig mat.EigenSym
			if !eig.Factorize(r, false) {
				t.Fatal("no eigenvalues")
			}
			low := eig.Values(nil)[0]
			if (se != nil) != (low < bound) {
				t.Errorf("least eigenvalue %g, bound %g: refused %v", low, bound, se != nil)
			}
		})
	}
}

// seq returns 0, 1, ..., n-1.
func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}
