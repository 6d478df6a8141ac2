package plot_test

import (
	"fmt"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/plot"
)

// The figures of a short made-up history; plot.Save writes them as PNG and
// SVG.
func ExampleFigures() {
	a, _ := grid.Arange(-5, 5, 0.5)
	g := grid.New1D(a)
	h := fit.NewHistory("kl", []string{"mean", "variance"})
	h.Append(0.5, []float64{2, 1})
	h.Append(0.1, []float64{1, 1.5})
	tgt := make([]float64, g.Len())
	for i := range tgt {
		tgt[i] = 0.1
	}
	for _, f := range plot.Figures(plot.Input{Grid: g, Target: tgt, Family: dist.Normal{}, History: h, Symbol: "KL(P||Q)"}) {
		fmt.Printf("%-9s %d curves  %q\n", f.Name, len(f.Curves), f.Title)
	}
	// Output:
	// fit       5 curves  "KL(P‖Q) = 0.1 after 1 epochs"
	// endpoints 3 curves  "target, initial and final model"
	// mean      1 curves  "mean of q"
	// variance  1 curves  "variance of q"
	// loss      1 curves  "loss above its minimum, 0.1 at epoch 1"
}
