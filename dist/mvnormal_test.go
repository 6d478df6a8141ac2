package dist_test

import (
	"math"
	"testing"

	"github.com/klfit/klfit/dist"
)

// TestMVNormalQuadratic2D checks the quadratic-form coefficients of the
// bivariate normal's log-density: log q minus b1 x + b2 y + c11 x^2 +
// c12 x y + c22 y^2 is the same at every point (to 1e-12 of the terms'
// size), and the coefficients' derivatives match central differences
// extrapolated by Richardson (steps 1e-6 and 5e-7 relative: truncation of
// order 1e-12 even where the nearly singular covariance makes the
// coefficients curve fast, rounding about 1e-10, hence 1e-8).
func TestMVNormalQuadratic2D(t *testing.T) {
	f := dist.MVNormal{}
	x := []float64{0, 1, -2.5, 0.3, 4}
	y := []float64{0, 1, 3, -0.1, -2}
	for _, theta := range [][]float64{{0, 0, 1, 0, 1}, {1, -2, 2, 0.7, 1.5}, {0.5, 0.2, 0.01, -0.0099, 0.01}} {
		d := make([][5]float64, 5)
		c := f.Quadratic2D(theta, 0, 0, d)
		lp := logpOnly(f, theta, x, y)
		var k0 float64
		for i := range x {
			q := c[0]*x[i] + c[1]*y[i] + c[2]*x[i]*x[i] + c[3]*x[i]*y[i] + c[4]*y[i]*y[i]
			k := lp[i] - q
			if i == 0 {
				k0 = k
				continue
			}
			if scale := math.Max(1, math.Abs(q)+math.Abs(lp[i])); math.Abs(k-k0) > 1e-12*scale {
				t.Errorf("%v: log q - quadratic is %v at point %d, %v at point 0", theta, k, i, k0)
			}
		}
		for p := range theta {
			central := func(h float64) (d [5]float64) {
				up, dn := append([]float64(nil), theta...), append([]float64(nil), theta...)
				up[p] += h
				dn[p] -= h
				cu, cd := f.Quadratic2D(up, 0, 0, nil), f.Quadratic2D(dn, 0, 0, nil)
				for j := range d {
					d[j] = (cu[j] - cd[j]) / (2 * h)
				}
				return d
			}
			h := 1e-6 * math.Max(math.Abs(theta[p]), 0.01)
			d1, d2 := central(h), central(h/2)
			for j := range 5 {
				fd := d2[j] + (d2[j]-d1[j])/3
				if math.Abs(fd-d[p][j]) > 1e-8*math.Max(1, math.Abs(fd)) {
					t.Errorf("%v: d c[%d]/d theta[%d] = %v, finite differences %v", theta, j, p, d[p][j], fd)
				}
			}
		}
	}
}
