package fit_test

import (
	"math"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
)

// TestRecurrencePassFarNarrow checks the normal model's recurrence pass
// against the plain pass on large grids around targets far from 0 and
// narrow, where the model is close to the target (KL 0.0127). The
// recurrence pass subtracts the model's terms from sum P log P and the
// target's moments, of the size of log P (16 at 10^7 points), and took
// the model's linear coefficient about the target's mean as b + 2 c ref,
// a difference of numbers up to 2.5e8: it was up to 1.5e-10 of the KL off
// at 10^6 points and 1.8e-9 at 10^7, its gradient 5e-11. The plain pass
// sums P (log P - log Q), terms of size sum P |log P - log Q|, each
// rounded to about 1e-16 of themselves (it agrees with a compensated sum
// of them within 3e-13 of the KL here); the bound is 1e-12 of the larger
// of that size and the KL, and 1e-12 of each gradient component.
func TestRecurrencePassFarNarrow(t *testing.T) {
	if testing.Short() {
		t.Skip("10^6 and 10^7 points")
	}
	cases := []struct {
		n                int
		mu, sd, half     float64 // the target, on [mu - half, mu + half]
		modelMu, modelSD float64
	}{
		{1_000_000, 1000, 0.01, 0.1, 1000.001, 0.011},
		{1_000_000, 1e4, 1, 8, 1e4 + 0.1, 1.1},
		{1_000_000, 0, 1, 8, 0.1, 1.1},
		{1_000_000, -300, 0.001, 0.01, -300.0001, 0.0011},
		{10_000_000, -300, 0.001, 0.01, -300.0001, 0.0011},
	}
	for _, c := range cases {
		a, err := grid.Arange(c.mu-c.half, c.mu+c.half, 2*c.half/float64(c.n))
		if err != nil {
			t.Fatal(err)
		}
		g := grid.New1D(a)
		p := make([]float64, g.Len())
		var s float64
		for i, x := range g.X {
			d := (x - c.mu) / c.sd
			p[i] = math.Exp(-d * d / 2)
			s += p[i]
		}
		for i := range p {
			p[i] /= s
		}
		theta := []float64{c.modelMu, c.modelSD * c.modelSD}
		prob := &fit.Problem{Grid: g, P: p, Family: dist.Normal{}, Divergence: divergence.ForwardKL{}, Transform: dist.Identity{}, Init: theta}
		fl, fg := eval(t, prob, fit.Engine{Threads: 1}, theta)
		pl, pg := eval(t, prob, fit.Engine{Threads: 1, Plain: true}, theta)
		l := make([]float64, g.Len())
		dist.Normal{}.Eval(theta, g.X, nil, l, nil)
		size := klTermSize(p, l)
		if math.Abs(fl-pl) > 1e-12*math.Max(size, math.Abs(pl)) {
			t.Errorf("n=%d, target N(%g, %g^2): recurrence pass %.17g, plain %.17g: %.3g of the KL apart, terms of size %.3g",
				c.n, c.mu, c.sd, fl, pl, (fl-pl)/pl, size)
		}
		for k := range fg {
			if math.Abs(fg[k]-pg[k]) > 1e-12*math.Abs(pg[k]) {
				t.Errorf("n=%d, target N(%g, %g^2): gradient[%d] recurrence pass %.17g, plain %.17g", c.n, c.mu, c.sd, k, fg[k], pg[k])
			}
		}
	}
}

// klTermSize returns sum P |log P - log Q| for the log-density l (log Q
// is l normalized over the grid).
func klTermSize(p, l []float64) float64 {
	m := math.Inf(-1)
	for _, v := range l {
		m = math.Max(m, v)
	}
	var z float64
	for _, v := range l {
		z += math.Exp(v - m)
	}
	lz := m + math.Log(z)
	var size float64
	for i, pi := range p {
		if pi > 0 {
			size += pi * math.Abs(math.Log(pi)-(l[i]-lz))
		}
	}
	return size
}

// TestRecurrencePass2DFarNarrow is TestRecurrencePassFarNarrow for the
// bivariate normal's pass on a 1000 x 1000 grid far from 0: taking the
// linear coefficients about the target's mean as b1 + 2 c11 rx + c12 ry
// (and b2 likewise), with plain sums of the moments, put that pass
// 1.1e-11 of the KL off and its gradient up to 5e-10.
func TestRecurrencePass2DFarNarrow(t *testing.T) {
	if testing.Short() {
		t.Skip("10^6 points")
	}
	const mx, my, sx, sy, rho = 1000, -300, 0.01, 0.002, 0.3
	ax, err := grid.Arange(mx-0.08, mx+0.08, 0.16/1000)
	if err != nil {
		t.Fatal(err)
	}
	ay, err := grid.Arange(my-0.016, my+0.016, 0.032/1000)
	if err != nil {
		t.Fatal(err)
	}
	g, err := grid.New2D(ax, ay)
	if err != nil {
		t.Fatal(err)
	}
	tv := []float64{mx, my, sx * sx, rho * sx * sy, sy * sy}
	l := make([]float64, g.Len())
	dist.MVNormal{}.Eval(tv, g.X, g.Y, l, nil)
	p := make([]float64, g.Len())
	var s float64
	for i, v := range l {
		p[i] = math.Exp(v)
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
	theta := []float64{mx + 0.001, my - 0.0002, 1.2 * sx * sx, 0.2 * sx * sy, 1.1 * sy * sy}
	prob := &fit.Problem{Grid: g, P: p, Family: dist.MVNormal{}, Divergence: divergence.ForwardKL{}, Transform: dist.Identity{}, Init: theta}
	fl, fg := eval(t, prob, fit.Engine{Threads: 1}, theta)
	pl, pg := eval(t, prob, fit.Engine{Threads: 1, Plain: true}, theta)
	dist.MVNormal{}.Eval(theta, g.X, g.Y, l, nil)
	size := klTermSize(p, l)
	if math.Abs(fl-pl) > 1e-12*math.Max(size, math.Abs(pl)) {
		t.Errorf("recurrence pass %.17g, plain %.17g: %.3g of the KL apart, terms of size %.3g", fl, pl, (fl-pl)/pl, size)
	}
	for k := range fg {
		if math.Abs(fg[k]-pg[k]) > 1e-12*math.Abs(pg[k]) {
			t.Errorf("gradient[%d] recurrence pass %.17g, plain %.17g", k, fg[k], pg[k])
		}
	}
}
