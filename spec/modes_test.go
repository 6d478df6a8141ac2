package spec_test

import (
	"context"
	"math"
	"testing"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/spec"
)

// TestModeCoveringVersusSeeking fits a normal model to the two-mode
// mixture 0.5 N(-3, 1) + 0.5 N(3, 1) (mean 0, variance 10), as the README
// shows. Forward KL(P||Q) matches the mixture's moments: mean 0 and
// variance 10, up to the grid's discretization (about 1e-8 on this grid,
// which holds the model's tails to 6 standard deviations). Reverse
// KL(Q||P) settles on the mode nearest its start, with about the mode's
// own spread; the other mode pulls it in by about 0.02.
func TestModeCoveringVersusSeeking(t *testing.T) {
	fitSpec := func(divergence, init string) []float64 {
		t.Helper()
		s, err := spec.Parse([]byte(`grid: {start: -20, stop: 20.01, step: 0.02}
target: "0.5*normal(mean=-3, variance=1) + 0.5*normal(mean=3, variance=1)"
divergence: ` + divergence + `
model: {family: normal, init: ` + init + `}
`))
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Build(context.Background(), spec.Env{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := fit.Run(context.Background(), b.Problem, b.Options())
		if err != nil || res.Status != fit.Converged {
			t.Fatalf("%s: %v %v", divergence, res.Status, err)
		}
		return res.Theta()
	}
	if th := fitSpec("kl", "{mean: 1, variance: 1}"); math.Abs(th[0]) > 1e-6 || math.Abs(th[1]-10) > 1e-5 {
		t.Errorf("forward KL: mean %v, variance %v; want the mixture's 0 and 10", th[0], th[1])
	}
	for _, mode := range []float64{3, -3} {
		th := fitSpec("reverse_kl", "{mean: "+map[float64]string{3: "1", -3: "-1"}[mode]+", variance: 1}")
		if math.Abs(th[0]-mode) > 0.05 || math.Abs(th[1]-1) > 0.1 {
			t.Errorf("reverse KL from the %v side: mean %v, variance %v; want the mode at %v with variance about 1", mode, th[0], th[1], mode)
		}
	}
}
