package dist_test

import (
	"math"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/grid"
)

// TestSkewNormalGuess guesses a skew-normal from the grid masses of
// skew-normals: the method of moments returns the member itself (the
// grid's moments are exact to far below 1e-6 on a step of 0.01 for these
// smooth densities), and a left-skewed target gets a negative alpha, not
// the saddle at alpha = 0.
func TestSkewNormalGuess(t *testing.T) {
	a, _ := grid.Arange(-15, 15, 0.01)
	x := a.Points()
	for _, theta := range [][]float64{{0, 1, 4}, {1, 2, -3}, {-0.5, 0.7, 1}} {
		lp := make([]float64, len(x))
		dist.SkewNormal{}.Eval(theta, x, nil, lp, nil)
		p := make([]float64, len(x))
		for i, l := range lp {
			p[i] = math.Exp(l)
		}
		got, err := dist.Guess(dist.SkewNormal{}, x, nil, p)
		if err != nil {
			t.Fatal(err)
		}
		for k := range theta {
			if math.Abs(got[k]-theta[k]) > 1e-6*math.Max(1, math.Abs(theta[k])) {
				t.Errorf("%v: guessed %v", theta, got)
				break
			}
		}
	}
}
