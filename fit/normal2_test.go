package fit_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/target"
)

// normal2 is a bivariate normal with theta = (mx, my, a, b, d), covariance
// [[a, b], [b, d]], written for these tests from its quadratic form:
// log q = b1 x + b2 y + c11 x^2 + c12 x y + c22 y^2 + K with
// c11 = -d/(2D), c12 = b/D, c22 = -a/(2D), D = ad - b^2,
// b1 = -(2 c11 mx + c12 my), b2 = -(2 c22 my + c12 mx),
// K = c11 mx^2 + c12 mx my + c22 my^2 - log(2 pi) - log(D)/2.
type normal2 struct{}

func (normal2) Name() string        { return "normal2_test" }
func (normal2) Description() string { return "bivariate normal, for tests" }
func (normal2) Dim() int            { return 2 }
func (normal2) Support() string     { return "R^2" }
func (normal2) Params() []dist.Param {
	return []dist.Param{{Name: "mx"}, {Name: "my"}, {Name: "a", Constraint: dist.Positive}, {Name: "b"}, {Name: "d", Constraint: dist.Positive}}
}

func (normal2) Validate(theta []float64) error {
	if theta[2] <= 0 || theta[4] <= 0 || theta[2]*theta[4]-theta[3]*theta[3] <= 0 {
		return errors.New("covariance not positive definite")
	}
	return nil
}

// coefs returns the coefficients, K, and their derivatives.
func (normal2) coefs(theta []float64) (c [5]float64, k float64, dc [5][5]float64, dk [5]float64) {
	mx, my, a, b, d := theta[0], theta[1], theta[2], theta[3], theta[4]
	D := a*d - b*b
	D2 := D * D
	c11, c12, c22 := -d/(2*D), b/D, -a/(2*D)
	// d/d(a, b, d) of c11, c12, c22, indices 2..4 of theta.
	dc11 := [3]float64{d * d / (2 * D2), -b * d / D2, b * b / (2 * D2)}
	dc12 := [3]float64{-b * d / D2, (D + 2*b*b) / D2, -a * b / D2}
	dc22 := [3]float64{b * b / (2 * D2), -a * b / D2, a * a / (2 * D2)}
	dD := [3]float64{d, -2 * b, a}
	c = [5]float64{-(2*c11*mx + c12*my), -(2*c22*my + c12*mx), c11, c12, c22}
	k = c11*mx*mx + c12*mx*my + c22*my*my - math.Log(2*math.Pi) - 0.5*math.Log(D)
	dc[0] = [5]float64{-2 * c11, -c12, 0, 0, 0}
	dc[1] = [5]float64{-c12, -2 * c22, 0, 0, 0}
	dk[0], dk[1] = -c[0], -c[1]
	for j := range 3 {
		dc[2+j] = [5]float64{-(2*mx*dc11[j] + my*dc12[j]), -(2*my*dc22[j] + mx*dc12[j]), dc11[j], dc12[j], dc22[j]}
		dk[2+j] = dc11[j]*mx*mx + dc12[j]*mx*my + dc22[j]*my*my - 0.5*dD[j]/D
	}
	return c, k, dc, dk
}

func (f normal2) Eval(theta, x, y, logp []float64, score [][]float64) {
	c, k, dc, dk := f.coefs(theta)
	for i := range x {
		t := [5]float64{x[i], y[i], x[i] * x[i], x[i] * y[i], y[i] * y[i]}
		l := k
		for j := range 5 {
			l += c[j] * t[j]
		}
		logp[i] = l
		for p := range score {
			s := dk[p]
			for j := range 5 {
				s += dc[p][j] * t[j]
			}
			score[p][i] = s
		}
	}
}

func (f normal2) Quadratic2D(theta []float64, rx, ry float64, d [][5]float64) [5]float64 {
	c, _, dc, _ := f.coefs(theta)
	// With x = x' + rx, y = y' + ry the linear coefficients become
	// b1 + 2 c11 rx + c12 ry and b2 + 2 c22 ry + c12 rx.
	shift := func(v [5]float64) [5]float64 {
		return [5]float64{v[0] + 2*v[2]*rx + v[3]*ry, v[1] + 2*v[4]*ry + v[3]*rx, v[2], v[3], v[4]}
	}
	for p := range d {
		d[p] = shift(dc[p])
	}
	return shift(c)
}

// TestNormal2Scores checks the test family itself: it integrates to 1 and
// its scores match central differences.
func TestNormal2Scores(t *testing.T) {
	theta := []float64{0.5, -1, 2, 0.7, 1.5}
	xs, ys := []float64{-1, 0, 2.5}, []float64{0.3, -2, 1}
	lp := make([]float64, 3)
	score := make([][]float64, 5)
	for p := range score {
		score[p] = make([]float64, 3)
	}
	normal2{}.Eval(theta, xs, ys, lp, score)
	for p := range 5 {
		h := 1e-6
		up, dn := append([]float64(nil), theta...), append([]float64(nil), theta...)
		up[p] += h
		dn[p] -= h
		lu, ld := make([]float64, 3), make([]float64, 3)
		normal2{}.Eval(up, xs, ys, lu, nil)
		normal2{}.Eval(dn, xs, ys, ld, nil)
		for i := range xs {
			// h = 1e-6 on log-densities of order 10: rounding ~1e-15/h
			// = 1e-9, truncation ~h^2.
			if fd := (lu[i] - ld[i]) / (2 * h); math.Abs(fd-score[p][i]) > 1e-7 {
				t.Errorf("score %d at point %d: %v, finite differences %v", p, i, score[p][i], fd)
			}
		}
	}
	ax, _ := grid.Arange(-12, 13, 0.05)
	ay, _ := grid.Arange(-13, 11, 0.05)
	g, _ := grid.New2D(ax, ay)
	all := make([]float64, g.Len())
	normal2{}.Eval(theta, g.X, g.Y, all, nil)
	var sum float64
	for _, l := range all {
		sum += math.Exp(l)
	}
	if sum *= g.Weight; math.Abs(sum-1) > 1e-9 {
		t.Errorf("density integrates to %v", sum)
	}
}

// TestFast2DMatchesPlain is TestFastPassMatchesPlain for the row-by-row
// pass of a bivariate normal model on 2-D grids, with threads changing no
// bit.
func TestFast2DMatchesPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 60 {
		nx, ny := 10+rng.IntN(300), 10+rng.IntN(300)
		ax, _ := grid.Arange(-5, 5, 10/float64(nx))
		ay, _ := grid.Arange(-4, 6, 10/float64(ny))
		g, err := grid.New2D(ax, ay)
		if err != nil {
			t.Fatal(err)
		}
		randCov := func(scale float64) []float64 {
			a, d := scale*math.Exp(rng.NormFloat64()), scale*math.Exp(rng.NormFloat64())
			b := 0.9 * (2*rng.Float64() - 1) * math.Sqrt(a*d)
			return []float64{rng.NormFloat64(), 1 + rng.NormFloat64(), a, b, d}
		}
		p, err := target.Masses(target.Family{Family: normal2{}, Theta: randCov(2)}, g, target.Weights(rng.IntN(2)))
		if err != nil {
			t.Fatal(err)
		}
		theta := randCov(math.Exp(3 * rng.NormFloat64()))
		// Half the trials use the registered bivariate normal, whose
		// parameter vector is the same (mean, then a, b, d).
		var fam dist.Family = normal2{}
		if trial%2 == 1 {
			fam = dist.MVNormal{}
		}
		prob := &fit.Problem{Grid: g, P: p, Family: fam, Divergence: divergence.ForwardKL{}, Transform: dist.Identity{}, Init: theta}
		fl, fg := eval(t, prob, fit.Engine{Threads: 1}, theta)
		pl, pg := eval(t, prob, fit.Engine{Plain: true}, theta)
		f2, g2 := eval(t, prob, fit.Engine{Threads: 3}, theta)
		scale := 0.0
		for i := range p {
			scale += p[i]
		}
		scale *= 1 + math.Abs(pl)
		if !agree(fl, pl, scale) {
			t.Errorf("trial %d (%dx%d, theta %v): loss fast %.17g, plain %.17g", trial, nx, ny, theta, fl, pl)
		}
		for k := range fg {
			if !agree(fg[k], pg[k], scale*(1+math.Abs(pg[k]))) {
				t.Errorf("trial %d (%dx%d, theta %v): grad[%d] fast %.17g, plain %.17g", trial, nx, ny, theta, k, fg[k], pg[k])
			}
			if g2[k] != fg[k] {
				t.Errorf("trial %d: 3 threads change grad[%d]", trial, k)
			}
		}
		if f2 != fl {
			t.Errorf("trial %d: 3 threads change the loss", trial)
		}
	}
}
