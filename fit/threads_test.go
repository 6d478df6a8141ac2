package fit_test

import (
	"math"
	"strings"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
)

// familyGrid returns a grid of about n points that lies inside f's support
// (the family's own kind of points: a 2-D grid for a 2-D family).
func familyGrid(t testing.TB, f dist.Family, n int) *grid.Grid {
	t.Helper()
	lo, hi := -10.0, 10.0
	sup := f.Support()
	switch {
	case dist.IsCircular(f):
		lo, hi = -math.Pi, math.Pi
	case strings.HasPrefix(sup, "(0, 1)"):
		lo, hi = 0, 1
	case strings.HasPrefix(sup, "(0,"), strings.HasPrefix(sup, "[0,"):
		lo, hi = 0, 30
	}
	if f.Dim() == 2 {
		m := int(math.Sqrt(float64(n)))
		ax, err := grid.Arange(-5, 5, 10/float64(m))
		if err != nil {
			t.Fatal(err)
		}
		ay, err := grid.Arange(-4, 6, 10/float64(m+7))
		if err != nil {
			t.Fatal(err)
		}
		g, err := grid.New2D(ax, ay)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	// Open at both ends: no point on a support bound.
	h := (hi - lo) / float64(n)
	a, err := grid.Arange(lo+h/2, hi, h)
	if err != nil {
		t.Fatal(err)
	}
	return grid.New1D(a)
}

// bump returns target masses on g: a bump off the grid's centre on a
// floor, so that every divergence is finite for every model.
func bump(g *grid.Grid) []float64 {
	x0, x1 := g.X[0], g.X[len(g.X)-1]
	c, s := x0+0.4*(x1-x0), 0.15*(x1-x0)
	p := make([]float64, g.Len())
	var sum float64
	for i, x := range g.X {
		d := (x - c) / s
		if g.Y != nil {
			e := (g.Y[i] - 0.5) / 2
			d = math.Hypot(d, e)
		}
		p[i] = math.Exp(-d*d/2) + 0.05
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}

// TestThreadsBitIdenticalEveryFamily checks, for every registered family
// and every registered divergence (with its default options), that the
// loss and gradient are the same to the bit on 1, 2, 3 and 7 threads, by
// the specialized passes and the plain one, over several evaluations of
// one Objective (so that the pool's runs follow each other as in a fit).
// Grids have several chunks, so that the pool is used (at least 8 for
// the quadratic families' recurrence, a mixture of normals and a
// skew-normal under forward KL, which split no fewer); a categorical
// model has at most dist.MaxCategoricalPoints points, one chunk, and is
// checked all the same.
func TestThreadsBitIdenticalEveryFamily(t *testing.T) {
	n := 3*4096 + 123
	if testing.Short() {
		n = 2*4096 + 57
	}
	for _, fname := range dist.Names() {
		var f dist.Family
		var g *grid.Grid
		var err error
		switch fname {
		case "categorical":
			a, aerr := grid.Arange(-10, 10, 20.0/dist.MaxCategoricalPoints)
			if aerr != nil {
				t.Fatal(aerr)
			}
			g = grid.New1D(a)
			f, err = dist.New(fname, dist.Config{Axes: g.Axes})
		default:
			f, err = dist.New(fname, dist.Config{Components: 2, Component: "normal"})
		}
		if err != nil {
			t.Fatalf("%s: %v", fname, err)
		}
		if g == nil {
			m := n
			_, q1 := f.(dist.Quadratic)
			_, q2 := f.(dist.Quadratic2D)
			if mx, ok := f.(*dist.Mixture); ok && mx.Dim() == 1 {
				_, q1 = mx.Component().(dist.Quadratic) // forward KL's mixture pass splits no fewer either
			}
			if _, ok := f.(dist.SkewNormal); ok {
				q1 = true // nor does its skew-normal pass
			}
			if q1 || q2 {
				m = 8*4096 + 123
			}
			g = familyGrid(t, f, m)
		}
		p := bump(g)
		theta0, err := dist.Guess(f, g.X, g.Y, p)
		if err != nil {
			t.Fatalf("%s: %v", fname, err)
		}
		tr := dist.Unconstrained(f)
		u0 := make([]float64, len(theta0))
		tr.U(u0, theta0)
		// Three points along a line from the guess: runs that follow each
		// other with different work.
		us := make([][]float64, 3)
		for k := range us {
			us[k] = make([]float64, len(u0))
			for j := range u0 {
				us[k][j] = u0[j] + 0.05*float64(k)*math.Sin(float64(j+1))
			}
		}
		for _, dname := range divergence.Names() {
			d, err := divergence.New(dname, nil)
			if err != nil {
				t.Fatal(err)
			}
			prob := &fit.Problem{Grid: g, P: p, Family: f, Divergence: d, Transform: tr, Init: theta0}
			// A divergence with no gradient (total variation) is checked
			// by its value.
			withGrad := true
			probe := fit.NewObjectiveWith(prob, fit.Engine{Threads: 1})
			if _, err := probe.Eval(u0, make([]float64, len(u0))); err != nil {
				if _, err := probe.Eval(u0, nil); err != nil {
					t.Fatalf("%s, %s: %v", fname, dname, err)
				}
				withGrad = false
			}
			probe.Close()
			for _, plain := range []bool{false, true} {
				var want [][]float64 // per evaluation: loss, then gradient
				for _, threads := range []int{1, 2, 3, 7} {
					obj := fit.NewObjectiveWith(prob, fit.Engine{Threads: threads, Plain: plain})
					if threads > 1 && g.Len() > 2*4096 && obj.Workers() < 2 {
						t.Errorf("%s, %s (plain %v): %d points on %d threads run on one", fname, dname, plain, g.Len(), threads)
					}
					for k, u := range us {
						var grad []float64
						if withGrad {
							grad = make([]float64, len(u))
						}
						loss, err := obj.Eval(u, grad)
						if err != nil {
							t.Fatalf("%s, %s, %d threads: %v", fname, dname, threads, err)
						}
						got := append([]float64{loss}, grad...)
						if threads == 1 {
							want = append(want, got)
							continue
						}
						for j := range got {
							if math.Float64bits(got[j]) != math.Float64bits(want[k][j]) {
								t.Errorf("%s, %s (plain %v), evaluation %d: %d threads give %v, 1 thread %v",
									fname, dname, plain, k, threads, got, want[k])
								break
							}
						}
					}
					obj.Close()
				}
			}
		}
	}
}
