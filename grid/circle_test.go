package grid_test

import (
	"math"
	"testing"

	"github.com/klfit/klfit/grid"
)

func TestCircle(t *testing.T) {
	a, err := grid.Circle(360)
	if err != nil {
		t.Fatal(err)
	}
	g := grid.New1D(a)
	if !g.Circular() || g.Len() != 360 || g.X[0] != -math.Pi {
		t.Fatalf("circle: %d points from %v, circular %v", g.Len(), g.X[0], g.Circular())
	}
	// The point after the last is the first, a full turn on.
	if d := a.At(360) - math.Pi; math.Abs(d) > 1e-14 {
		t.Errorf("point 360 is %v, want pi", a.At(360))
	}
	if math.Abs(g.Weight*360-2*math.Pi) > 1e-14 {
		t.Errorf("weights sum to %v, want 2 pi", g.Weight*360)
	}
	for _, n := range []int{0, 1, -5} {
		if _, err := grid.Circle(n); err == nil {
			t.Errorf("Circle(%d) accepted", n)
		}
	}
	lin, _ := grid.Arange(0, 1, 0.1)
	if grid.New1D(lin).Circular() {
		t.Error("a linear grid is circular")
	}
}
