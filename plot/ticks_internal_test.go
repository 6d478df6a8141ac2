package plot

import (
	"strconv"
	"testing"

	"github.com/klfit/klfit/fit"
)

// TestFormatTicksExact labels ticks of 2.5e5 up to 1.75e6: every label
// must read back as its value (1.25e6 is not 1.2e6).
func TestFormatTicksExact(t *testing.T) {
	vals := []float64{0, 2.5e5, 5e5, 7.5e5, 1e6, 1.25e6, 1.5e6, 1.75e6}
	for i, l := range formatTicks(vals, 2.5e5) {
		if v, err := strconv.ParseFloat(l, 64); err != nil || v != vals[i] {
			t.Errorf("tick %v labelled %q", vals[i], l)
		}
	}
}

// TestLossFigureEnds checks the loss figure's two endings: a fit whose
// loss stopped falling keeps its minimum, drawn at float64's floor; one
// still falling at its last epoch leaves that epoch out and says so.
func TestLossFigureEnds(t *testing.T) {
	for _, c := range []struct {
		losses []float64
		title  string
		n      int
	}{
		{[]float64{1, 0.1, 1e-3, 1e-3}, "loss above its minimum, 0.001 at epoch 2", 4},
		{[]float64{1, 0.1, 1e-3}, "loss above its last value, 0.001 at epoch 2: still falling", 2},
	} {
		h := fit.NewHistory("kl", []string{"mean"})
		for _, l := range c.losses {
			h.Append(l, []float64{0})
		}
		f := lossFigure(Input{History: h, Symbol: "KL(P||Q)"})
		if f.Title != c.title || len(f.Curves[0].Y) != c.n {
			t.Errorf("%v: title %q, %d points; want %q, %d", c.losses, f.Title, len(f.Curves[0].Y), c.title, c.n)
		}
	}
}
