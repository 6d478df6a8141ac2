package vi_test

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/klfit/klfit/fit"
)

// objective is what the tests drive: the method set a fit loop uses.
type objective interface {
	Eval(u, grad []float64) (float64, error)
	Len() int
	Init(u []float64)
}

// minimize drives obj from u with opt's Step for at most steps steps, as
// a fit loop would, and returns the last state. An L-BFGS fit must end
// converged, or stalled with a gradient below gradTol in infinity norm
// (a line search cannot improve a loss at the last bits).
func minimize(t *testing.T, obj objective, opt fit.Optimizer, u []float64, steps int, gradTol float64) *fit.State {
	t.Helper()
	s := &fit.State{U: append([]float64(nil), u...), Grad: make([]float64, len(u))}
	var err error
	if s.Loss, err = obj.Eval(s.U, s.Grad); err != nil {
		t.Fatal(err)
	}
	for range steps {
		err := opt.Step(s, obj.Eval)
		var se *fit.StopError
		switch {
		case err == nil:
			continue
		case errors.As(err, &se) && se.Status == fit.Converged:
			return s
		case errors.As(err, &se) && se.Status == fit.Stalled && floats.Norm(s.Grad, math.Inf(1)) < gradTol:
			return s
		}
		t.Fatalf("step: %v (gradient norm %g)", err, floats.Norm(s.Grad, math.Inf(1)))
	}
	if _, ok := opt.(*fit.LBFGS); ok && floats.Norm(s.Grad, math.Inf(1)) >= gradTol {
		t.Fatalf("no convergence in %d steps: gradient norm %g", steps, floats.Norm(s.Grad, math.Inf(1)))
	}
	return s
}

// sym builds a symmetric matrix from its rows.
func sym(rows [][]float64) *mat.SymDense {
	d := len(rows)
	s := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			s.SetSym(i, j, rows[i][j])
		}
	}
	return s
}

// cov3 is a correlated 3-D covariance, mu3 a mean.
var (
	cov3 = sym([][]float64{{2, 0.9, 0.5}, {0.9, 1, 0.6}, {0.5, 0.6, 0.8}})
	mu3  = []float64{1, -2, 0.5}
)

// relErr returns max |a-b| / max(|b|, floor) over the elements.
func relErr(a, b []float64, floor float64) float64 {
	var e float64
	for i := range a {
		e = math.Max(e, math.Abs(a[i]-b[i])/math.Max(math.Abs(b[i]), floor))
	}
	return e
}

// fd checks grad against central differences of eval at u.
func fdCheck(t *testing.T, name string, eval func(u, g []float64) (float64, error), u []float64, tol float64) {
	t.Helper()
	g := make([]float64, len(u))
	if _, err := eval(u, g); err != nil {
		t.Fatal(err)
	}
	up := append([]float64(nil), u...)
	for i := range u {
		h := 1e-5 * (1 + math.Abs(u[i]))
		up[i] = u[i] + h
		fp, _ := eval(up, nil)
		up[i] = u[i] - h
		fm, _ := eval(up, nil)
		up[i] = u[i]
		want := (fp - fm) / (2 * h)
		if math.Abs(g[i]-want) > tol*(1+math.Abs(want)) {
			t.Errorf("%s: d/du[%d] = %v, finite difference %v", name, i, g[i], want)
		}
	}
}
