package plot_test

import (
	"fmt"
	"strings"

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
	// loss      1 curves  "loss above its last value, 0.1 at epoch 1: still falling"
}

// NiceTicks places ticks as matplotlib does, at a step of 1, 2, 2.5 or 5
// times a power of ten, with one format for the axis.
func ExampleNiceTicks() {
	for _, r := range [][2]float64{{-11, 11}, {0, 0.41}, {-50, 1050}, {0, 19.9}, {1e5, 5.2e5}} {
		var labels []string
		for _, t := range (plot.NiceTicks{}).Ticks(r[0], r[1]) {
			labels = append(labels, t.Label)
		}
		fmt.Println(strings.Join(labels, " "))
	}
	// Output:
	// -10 -5 0 5 10
	// 0.0 0.1 0.2 0.3 0.4
	// 0 200 400 600 800 1000
	// 0.0 2.5 5.0 7.5 10.0 12.5 15.0 17.5
	// 1e5 2e5 3e5 4e5 5e5
}
