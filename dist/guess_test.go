package dist_test

import (
	"math"
	"strings"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/target"
)

// masses returns the normalized masses of the member theta of f on g.
func masses(t *testing.T, g *grid.Grid, f dist.Family, theta []float64) []float64 {
	t.Helper()
	p, err := target.Masses(target.Family{Family: f, Theta: theta}, g, target.Normalized)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGuessMatchesMoments checks that a family's guess for a target of the
// same family with moments is the member with the target's grid moments:
// the truth itself, to the grid's accuracy (1e-9 here: the grids reach
// far into the tails and the densities are smooth).
func TestGuessMatchesMoments(t *testing.T) {
	for _, tc := range []struct {
		f     dist.Family
		g     *grid.Grid
		theta []float64
	}{
		{dist.Normal{}, grid.New1D(axis(t, -30, 30, 0.01)), []float64{1, 3}},
		{dist.Gamma{}, grid.New1D(axis(t, 0.0005, 60, 0.001)), []float64{4, 2}},
		{dist.LogNormal{}, grid.New1D(axis(t, 0.0005, 40, 0.001)), []float64{0.2, 0.3}},
		{dist.Beta{}, grid.New1D(axis(t, 0.00005, 1, 0.0001)), []float64{3, 5}},
		{dist.Logistic{}, grid.New1D(axis(t, -60, 60, 0.01)), []float64{-1, 1.5}},
	} {
		p := masses(t, tc.g, tc.f, tc.theta)
		got, err := dist.Guess(tc.f, tc.g.X, tc.g.Y, p)
		if err != nil {
			t.Fatalf("%s: %v", tc.f.Name(), err)
		}
		for j := range got {
			if math.Abs(got[j]-tc.theta[j]) > 1e-9*math.Max(1, math.Abs(tc.theta[j])) {
				t.Errorf("%s: guessed %v for a target %v", tc.f.Name(), got, tc.theta)
				break
			}
		}
	}
}

// TestGuessMixtureSpreadsComponents checks that a mixture's guess puts one
// component on each mode of a well-separated bimodal target, in 1-D, in
// 2-D and on the circle: each guessed location within 0.5 of a mode
// (the slices of equal mass cut each mode near its centre), with weights
// near the modes' weights.
func TestGuessMixtureSpreadsComponents(t *testing.T) {
	mx := mustMixture(t, dist.Normal{}, 2)
	g := grid.New1D(axis(t, -20, 20, 0.01))
	p := masses(t, g, mx, []float64{0.5, 0.5, -5, 5, 1, 1})
	got, err := dist.Guess(mx, g.X, nil, p)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got[2]+5) > 0.5 || math.Abs(got[3]-5) > 0.5 || math.Abs(got[0]-0.5) > 1e-6 {
		t.Errorf("1-D guess %v, want components near -5 and 5 with weights 1/2", got)
	}

	mv := mustMixture(t, dist.MVNormal{}, 2)
	g2, _ := grid.New2D(axis(t, -10, 10, 0.1), axis(t, -10, 10, 0.1))
	p2 := masses(t, g2, mv, []float64{0.5, 0.5, -4, -4, 4, 4, 1, 0, 1, 1, 0, 1})
	got2, err := dist.Guess(mv, g2.X, g2.Y, p2)
	if err != nil {
		t.Fatal(err)
	}
	m0, m1 := mv.ComponentTheta(nil, got2, 0), mv.ComponentTheta(nil, got2, 1)
	if math.Hypot(m0[0]+4, m0[1]+4) > 0.5 || math.Hypot(m1[0]-4, m1[1]-4) > 0.5 {
		t.Errorf("2-D guess: components at (%v, %v) and (%v, %v), want near (-4, -4) and (4, 4)", m0[0], m0[1], m1[0], m1[1])
	}

	vm := mustMixture(t, dist.VonMises{}, 2)
	c, _ := grid.Circle(720)
	gc := grid.New1D(c)
	pc := masses(t, gc, vm, []float64{0.5, 0.5, -1.5, 1.5, 20, 20})
	gotc, err := dist.Guess(vm, gc.X, nil, pc)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(gotc[2]+1.5) > 0.5 || math.Abs(gotc[3]-1.5) > 0.5 {
		t.Errorf("circular guess %v, want components near -1.5 and 1.5", gotc)
	}
}

// TestGuessErrors checks that a guess outside the family's reach says why.
func TestGuessErrors(t *testing.T) {
	g := grid.New1D(axis(t, -10, 0, 0.1))
	p := masses(t, g, dist.Normal{}, []float64{-4, 1})
	for _, f := range []dist.Family{dist.Gamma{}, dist.Exponential{}, dist.Beta{}, dist.Weibull{}, dist.LogNormal{}} {
		_, err := dist.Guess(f, g.X, nil, p)
		if err == nil || !strings.Contains(err.Error(), "mean -4") {
			t.Errorf("%s guessed for a target with mean -4: %v", f.Name(), err)
		}
	}
	few := make([]float64, g.Len())
	few[3], few[7] = 0.5, 0.5
	if _, err := dist.Guess(mustMixture(t, dist.Normal{}, 3), g.X, nil, few); err == nil || !strings.Contains(err.Error(), "mass at 2 points") {
		t.Errorf("3 components over 2 points: %v", err)
	}
}
