package dist

import (
	"math"
	"testing"
)

// TestTrigamma checks psi' at values known exactly: psi'(1) = pi^2/6,
// psi'(1/2) = pi^2/2, psi'(n+1) = pi^2/6 - sum_{k<=n} 1/k^2, and against
// central differences of digamma elsewhere.
func TestTrigamma(t *testing.T) {
	exact := []struct{ x, want float64 }{
		{1, math.Pi * math.Pi / 6},
		{0.5, math.Pi * math.Pi / 2},
	}
	h := math.Pi * math.Pi / 6
	for n := 1; n <= 30; n++ {
		h -= 1 / float64(n*n)
		exact = append(exact, struct{ x, want float64 }{float64(n + 1), h})
	}
	for _, e := range exact {
		if got := trigamma(e.x); math.Abs(got-e.want) > 4e-15*e.want {
			t.Errorf("trigamma(%v) = %.17g, want %.17g", e.x, got, e.want)
		}
	}
	for _, x := range []float64{1e-3, 0.3, 2.7, 11.9, 12.1, 57, 1e4} {
		d := 1e-5 * x
		fd := (digamma(x+d) - digamma(x-d)) / (2 * d)
		if got := trigamma(x); math.Abs(got-fd) > 1e-8*got {
			t.Errorf("trigamma(%v) = %v, differences of digamma %v", x, got, fd)
		}
	}
}

// TestLogPhiHazard checks the pair against logPhi and normHazard (each
// checked against reference values; they take math.Erfc) at 1e-12
// relative, from deep in the left tail, across the switch points, to where
// Phi rounds to 1.
func TestLogPhiHazard(t *testing.T) {
	ts := []float64{-1e3, -60, -35.0000001, -35, -34.9999999, -20, -5, -1, -1e-9, 0, 1e-9, 0.5, 1, 3, 8, 38, 40, 1e3}
	for i := range 4000 {
		ts = append(ts, -40+80*float64(i)/4000)
	}
	// Around the switches between erfc's approximations and logPhiHazard's
	// branches: x = |t|/sqrt 2 at 0.84375, 1.25, 1/0.35 and 28.
	for _, x := range []float64{0.84375, 1.25, 1 / 0.35, 28} {
		for _, sg := range []float64{-1, 1} {
			c := sg * x * math.Sqrt2
			for k := -3; k <= 3; k++ {
				ts = append(ts, c+float64(k)*1e-9*math.Max(1, math.Abs(c)), math.Nextafter(c, float64(k)*math.Inf(1)))
			}
		}
	}
	for _, x := range ts {
		lp, h := logPhiHazard(x)
		wl, wh := logPhi(x), normHazard(x)
		if math.Abs(lp-wl) > 1e-12*math.Max(math.Abs(wl), 1e-300) {
			t.Errorf("t=%v: log Phi %.17g, want %.17g", x, lp, wl)
		}
		if math.Abs(h-wh) > 1e-12*math.Abs(wh) {
			t.Errorf("t=%v: hazard %.17g, want %.17g", x, h, wh)
		}
	}
}
