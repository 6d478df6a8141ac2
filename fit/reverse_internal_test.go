package fit

import (
	"errors"
	"math"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/target"
)

// TestReversePassChosen checks that reverse KL with a normal model on a
// 1-D grid takes its own pass (and the plain engine does not), and that
// a target with zeros is handled as the plain pass handles it: where the
// model's terms have underflowed over the zeros the pass evaluates the
// state and agrees with the plain one; where the model has mass on a
// zero the divergence is +Inf, reported as the plain pass reports it.
func TestReversePassChosen(t *testing.T) {
	a, err := grid.Arange(-10, 10, 0.001)
	if err != nil {
		t.Fatal(err)
	}
	g := grid.New1D(a)
	p, err := target.Masses(target.Family{Family: dist.Normal{}, Theta: []float64{2, 1}}, g, target.Normalized)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range g.X { // no mass left of -1
		if x < -1 {
			p[i] = 0
		}
	}
	prob := &Problem{Grid: g, P: p, Family: dist.Normal{}, Divergence: divergence.ReverseKL{}, Transform: dist.Identity{}, Init: []float64{2, 1}}
	for _, threads := range []int{1, 2} {
		fast := NewObjectiveWith(prob, Engine{Threads: threads})
		plain := NewObjectiveWith(prob, Engine{Threads: 1, Plain: true})
		_, fastRev := fast.kl.(*revPass)
		_, plainRev := plain.kl.(*revPass)
		if !fastRev || plainRev {
			t.Fatalf("%d threads: reverse pass %v, plain engine's %v", threads, fastRev, plainRev)
		}
		// Narrow enough that its terms underflow over x < -1, then one
		// that reaches there.
		for _, theta := range [][]float64{{2.5, 0.005}, {1.5, 0.003}, {0, 1}} {
			fg, pg := make([]float64, 2), make([]float64, 2)
			fl, ferr := fast.Eval(theta, fg)
			pl, perr := plain.Eval(theta, pg)
			if theta[0] == 0 {
				var se *SupportError
				if !errors.As(ferr, &se) || !errors.As(perr, &se) || ferr.Error() != perr.Error() {
					t.Errorf("%v: errors %v, plain %v", theta, ferr, perr)
				}
				if fast.general == nil {
					t.Errorf("%v: the pass did not hand the state on", theta)
				}
				continue
			}
			if ferr != nil || perr != nil {
				t.Fatalf("%v: errors %v, plain %v", theta, ferr, perr)
			}
			if math.Abs(fl-pl) > 1e-12*math.Max(1, math.Abs(pl)) {
				t.Errorf("%v: value %.17g, plain %.17g", theta, fl, pl)
			}
			for k := range fg {
				if math.Abs(fg[k]-pg[k]) > 1e-10*math.Max(1, math.Abs(pg[k])) {
					t.Errorf("%v: grad[%d] %.17g, plain %.17g", theta, k, fg[k], pg[k])
				}
			}
		}
		fast.Close()
		plain.Close()
	}
}
