package plot_test

import (
	"bytes"
	"image/png"
	"math"
	"strings"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/plot"
)

// input2D returns a made-up history of a bivariate normal sliding onto a
// target N((1, -1), [[1, 0.5], [0.5, 2]]) on an n x n grid.
func input2D(t testing.TB, n, rows int) plot.Input {
	a, err := grid.Arange(-6, 6, 12/float64(n))
	if err != nil {
		t.Fatal(err)
	}
	g, err := grid.New2D(a, a)
	if err != nil {
		t.Fatal(err)
	}
	truth := []float64{1, -1, 1, 0.5, 2}
	tgt := make([]float64, g.Len())
	dist.MVNormal{}.Eval(truth, g.X, g.Y, tgt, nil)
	for i := range tgt {
		tgt[i] = math.Exp(tgt[i])
	}
	h := fit.NewHistory("kl", dist.ParamNames(dist.MVNormal{}))
	for r := 0; r < rows; r++ {
		f := float64(r) / float64(max(rows-1, 1))
		h.Append(1-f, []float64{-2 + 3*f, 2 - 3*f, 1, 0.5 * f, 1 + f})
	}
	return plot.Input{Grid: g, Target: tgt, Family: dist.MVNormal{}, History: h, Symbol: "KL(P||Q)"}
}

// TestFigures2D checks the 2-D figures: their names, the target's contour
// data (the grid's densities at sampled points, levels at fixed fractions
// of its peak), the final model's (its density at the same points), and
// the path of the model's mean.
func TestFigures2D(t *testing.T) {
	in := input2D(t, 300, 101)
	figs := plot.Figures(in)
	var names []string
	for _, f := range figs {
		names = append(names, f.Name)
	}
	want := "fit,endpoints,params,loss"
	if got := strings.Join(names, ","); got != want {
		t.Fatalf("figures %s, want %s", got, want)
	}
	fitFig := figs[0]
	if len(fitFig.Contours) != 2 || len(figs[1].Contours) != 3 {
		t.Fatalf("%d and %d contour sets", len(fitFig.Contours), len(figs[1].Contours))
	}
	tc, mc := fitFig.Contours[0], fitFig.Contours[1]
	if len(tc.X) != plot.Resolution2D || len(tc.Y) != plot.Resolution2D || len(tc.Z) != plot.Resolution2D*plot.Resolution2D {
		t.Fatalf("target sampled at %d x %d points (%d values)", len(tc.X), len(tc.Y), len(tc.Z))
	}
	var peak float64
	for _, v := range in.Target {
		peak = math.Max(peak, v)
	}
	for k, l := range tc.Levels {
		if math.Abs(l-plot.ContourLevels[k]*peak) > 1e-15 {
			t.Errorf("level %d is %v, want %v of the peak %v", k, l, plot.ContourLevels[k], peak)
		}
	}
	// The model is drawn as the divergence sees it: its density divided by
	// its mass on the grid.
	lq := make([]float64, in.Grid.Len())
	dist.MVNormal{}.Eval(in.History.Row(100), in.Grid.X, in.Grid.Y, lq, nil)
	var mass float64
	for _, l := range lq {
		mass += math.Exp(l) * in.Grid.Weight
	}
	// Every sampled value is the grid's value at that point.
	ax := in.Grid.Axes[0]
	for i := 0; i < len(tc.Y); i += 17 {
		for j := 0; j < len(tc.X); j += 13 {
			gi := int(math.Round((tc.Y[i] - ax.Start) / ax.Delta))
			gj := int(math.Round((tc.X[j] - ax.Start) / ax.Delta))
			if tc.Z[i*len(tc.X)+j] != in.Target[gi*ax.N+gj] {
				t.Fatalf("target value at (%v, %v) is not the grid's", tc.X[j], tc.Y[i])
			}
			var lp [1]float64
			dist.MVNormal{}.Eval(in.History.Row(100), tc.X[j:j+1], tc.Y[i:i+1], lp[:], nil)
			if want := math.Exp(lp[0]) / mass; math.Abs(mc.Z[i*len(tc.X)+j]-want) > 1e-12*want {
				t.Fatalf("model value at (%v, %v) is %v, want %v", tc.X[j], tc.Y[i], mc.Z[i*len(tc.X)+j], want)
			}
		}
	}
	if !fitFig.EqualAspect || mc.Dashes == nil {
		t.Errorf("fit figure: equal aspect %v, model dashed %v", fitFig.EqualAspect, mc.Dashes)
	}
	path := fitFig.Curves[0]
	if n := len(path.X); n != 35 || path.X[0] != -2 || path.Y[n-1] != -1 || !path.Marks {
		t.Errorf("mean path of %d points from (%v, %v) to (%v, %v)", n, path.X[0], path.Y[0], path.X[n-1], path.Y[n-1])
	}
}

// TestContoursAreDrawn renders the 2-D fit figure and checks that both
// colours of contour lines reach the PNG.
func TestContoursAreDrawn(t *testing.T) {
	figs := plot.Figures(input2D(t, 120, 11))
	var buf bytes.Buffer
	if err := plot.Write(&buf, figs[0].Plot(), "png"); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var blue, red int
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			switch {
			case bl > 150 && r < 110 && g < 140:
				blue++
			case r > 200 && g < 60 && bl < 60:
				red++
			}
		}
	}
	// Five closed contour lines of a few hundred pixels each, per colour.
	if blue < 500 || red < 500 {
		t.Errorf("%d blue and %d red pixels: contours not drawn", blue, red)
	}
}

// TestManyParametersHaveNoTraces checks that a family with more than
// MaxTraces parameters gets the loss trace only.
func TestManyParametersHaveNoTraces(t *testing.T) {
	a, _ := grid.Arange(0, 50, 1)
	c, err := dist.NewCategorical(a)
	if err != nil {
		t.Fatal(err)
	}
	g := grid.New1D(a)
	h := fit.NewHistory("kl", dist.ParamNames(c))
	theta, _ := c.Guess(g.X, nil, nil)
	h.Append(0.5, theta)
	tgt := make([]float64, g.Len())
	for i := range tgt {
		tgt[i] = 0.02
	}
	var names []string
	for _, f := range plot.Figures(plot.Input{Grid: g, Target: tgt, Family: c, History: h, Symbol: "KL(P||Q)"}) {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, ","); got != "fit,endpoints,loss" {
		t.Errorf("figures %s", got)
	}
}

// TestFigureNames checks that FigureNames names the figures Figures draws,
// for the notebook's model, others in 1-D and 2-D, and one of too many
// parameters.
func TestFigureNames(t *testing.T) {
	for _, in := range []plot.Input{input(t, 200, 3), input2D(t, 60, 3)} {
		var names []string
		for _, f := range plot.Figures(in) {
			names = append(names, f.Name)
		}
		if got := plot.FigureNames(in.History.Names); strings.Join(got, ",") != strings.Join(names, ",") {
			t.Errorf("FigureNames %v, Figures draws %v", got, names)
		}
	}
	for _, c := range []struct {
		params []string
		want   string
	}{
		{[]string{"mean", "variance"}, "fit,endpoints,mean,variance,loss"},
		{[]string{"loc", "scale"}, "fit,endpoints,params,loss"},
		{make([]string, plot.MaxTraces+1), "fit,endpoints,loss"},
	} {
		if got := strings.Join(plot.FigureNames(c.params), ","); got != c.want {
			t.Errorf("FigureNames(%v) = %s, want %s", c.params, got, c.want)
		}
	}
}

func TestFileName(t *testing.T) {
	for in, want := range map[string]string{"mean": "mean", "covariance[0][1]": "covariance_0_1", "weights[2]": "weights_2", "a b/c": "a_b_c"} {
		if got := plot.FileName(in); got != want {
			t.Errorf("FileName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestContoursOnNoGrid renders contours whose axes are not a grid, as a
// model whose standard deviation overflowed gives: mean ± 4 sd with sd
// +Inf is 30 points at -Inf then 30 at +Inf. The figure draws, without
// them, where gonum/plot's tracer panicked ("assignment to entry in nil
// map") or ran out of memory.
func TestContoursOnNoGrid(t *testing.T) {
	const n = 60
	xs, inf, nan, same := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	z := make([]float64, n*n)
	for k := range n {
		xs[k] = -4 + 8*float64(k)/(n-1)
		inf[k] = math.Inf(1) * xs[k]
		nan[k] = xs[k]
		same[k] = 1e76
	}
	nan[n/2] = math.NaN()
	for r := range n {
		for c := range n {
			z[r*n+c] = math.Exp(-xs[c] * xs[c] / 2) // varies along x only
		}
	}
	for _, ys := range [][]float64{inf, nan, same} {
		f := plot.Figure{Name: "c", Contours: []plot.Contours{{X: xs, Y: ys, Z: z, Levels: plot.ContourLevels, Width: 1}}}
		for _, format := range plot.Formats {
			if err := f.Render(&bytes.Buffer{}, format); err != nil {
				t.Errorf("y from %v to %v: %s: %v", ys[0], ys[n-1], format, err)
			}
		}
	}
}
