package grid

import (
	"errors"
	"math"
	"testing"
)

// TestArangeMatchesNumPy checks lengths, spacing and points against values
// NumPy's arange gives (NumPy 1.24: len(np.arange(a, b, s)), and
// np.arange(-10, 10, 0.1)[k] printed with repr).
func TestArangeMatchesNumPy(t *testing.T) {
	for _, tc := range []struct {
		start, stop, step float64
		n                 int
	}{
		{-10, 10, 0.1, 200},
		{0, 1, 0.1, 10},
		{0, 1.0000001, 0.1, 11},
		{-5, 5, 1, 10},
		{0, 0.3, 0.1, 3}, // 0.3/0.1 = 2.9999999999999996 in float64
		{1, 2, 3, 1},
		{-3, 3, 0.05, 120},
	} {
		a, err := Arange(tc.start, tc.stop, tc.step)
		if err != nil {
			t.Fatalf("Arange(%v, %v, %v): %v", tc.start, tc.stop, tc.step, err)
		}
		if a.N != tc.n {
			t.Errorf("Arange(%v, %v, %v) has %d points, NumPy %d", tc.start, tc.stop, tc.step, a.N, tc.n)
		}
	}
	a, _ := Arange(-10, 10, 0.1)
	if a.Delta != 0.09999999999999964 {
		t.Errorf("delta %.17g, want 0.09999999999999964", a.Delta)
	}
	// NumPy 1.24: np.arange(-10, 10, 0.1)[[0, 1, 100, 150, 199]]
	for _, tc := range []struct {
		i int
		x float64
	}{{0, -10}, {1, -9.9}, {100, -3.552713678800501e-14}, {150, 4.999999999999947}, {199, 9.899999999999928}} {
		if got := a.At(tc.i); got != tc.x {
			t.Errorf("x[%d] = %.17g, NumPy %.17g", tc.i, got, tc.x)
		}
	}
}

func TestArangeErrors(t *testing.T) {
	for _, tc := range []struct {
		start, stop, step float64
		key               string
	}{
		{0, 1, 0, "step"},
		{0, 1, -0.1, "step"},
		{1, 1, 0.1, "stop"},
		{2, 1, 0.1, "stop"},
		{math.NaN(), 1, 0.1, "start"},
		{0, math.Inf(1), 0.1, "stop"},
		{0, 1, 1e-9, "step"},          // 1e9 points
		{1e20, 1e20 + 1e6, 1, "step"}, // step lost in rounding
	} {
		_, err := Arange(tc.start, tc.stop, tc.step)
		var ge *Error
		if !errors.As(err, &ge) || ge.Key != tc.key {
			t.Errorf("Arange(%v, %v, %v): error %v, want one on %q", tc.start, tc.stop, tc.step, err, tc.key)
		}
	}
}

func TestNew2D(t *testing.T) {
	ax, _ := Arange(0, 3, 1)
	ay, _ := Arange(10, 12, 1)
	g, err := New2D(ax, ay)
	if err != nil {
		t.Fatal(err)
	}
	if g.Len() != 6 || g.Dim() != 2 || g.Weight != 1 {
		t.Fatalf("len %d dim %d weight %v", g.Len(), g.Dim(), g.Weight)
	}
	wantX := []float64{0, 1, 2, 0, 1, 2}
	wantY := []float64{10, 10, 10, 11, 11, 11}
	for i := range wantX {
		if g.X[i] != wantX[i] || g.Y[i] != wantY[i] {
			t.Errorf("point %d = (%v, %v), want (%v, %v)", i, g.X[i], g.Y[i], wantX[i], wantY[i])
		}
	}
	big, _ := Arange(0, 10000, 1)
	if _, err := New2D(big, big); err == nil {
		t.Error("10^8-point grid accepted")
	}
}
