package plot_test

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/plot"
)

// input returns a made-up fit history of rows states on a grid of n points.
func input(t testing.TB, n, rows int) plot.Input {
	a, err := grid.Arange(-10, 10, 20/float64(n))
	if err != nil {
		t.Fatal(err)
	}
	g := grid.New1D(a)
	tgt := make([]float64, g.Len())
	dist.Normal{}.Eval([]float64{0, 7}, g.X, nil, tgt, nil)
	for i := range tgt {
		tgt[i] = math.Exp(tgt[i])
	}
	h := fit.NewHistory("kl", []string{"mean", "variance"})
	for r := 0; r < rows; r++ {
		f := float64(r) / float64(max(rows-1, 1))
		h.Append(10*(1-f), []float64{5 * (1 - f), 1 + 6*f})
	}
	return plot.Input{Grid: g, Target: tgt, Family: dist.Normal{}, History: h, Symbol: "KL(P||Q)"}
}

// TestFigures checks the figures' names and what the fit figure holds: the
// model every 5 epochs (and the last), fading from alpha 0.1 to 1, then the
// target on top; and its title.
func TestFigures(t *testing.T) {
	figs := plot.Figures(input(t, 200, 1001))
	var names []string
	for _, f := range figs {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, ","); got != "fit,endpoints,mean,variance,loss" {
		t.Fatalf("figures %s", got)
	}
	fitFig := figs[0]
	if fitFig.Title != "KL(P||Q) = 0.000" {
		t.Errorf("title %q", fitFig.Title)
	}
	ls := fitFig.Curves
	if len(ls) != 201+1 {
		t.Fatalf("%d curves, want 201 model curves and the target", len(ls))
	}
	if a0, a1 := ls[0].Color.A, ls[200].Color.A; a0 != 26 || a1 != 255 {
		t.Errorf("alphas %d..%d of 255, want 0.1..1", a0, a1)
	}
	if ls[201].Width != 3 || len(ls[201].X) != plot.Resolution {
		t.Errorf("target line width %v with %d points", ls[201].Width, len(ls[201].X))
	}
	// The initial model (mean 5, variance 1) peaks at 1/sqrt(2 pi) near x=5.
	peak := 0.0
	for _, y := range figs[1].Curves[1].Y {
		peak = math.Max(peak, y)
	}
	// The plot's 400 points over [-10, 10] fall within 0.025 of the peak
	// at x=5, where the density is off by at most 1 - exp(-0.025^2/2),
	// about 3e-4 relative.
	if math.Abs(peak-1/math.Sqrt(2*math.Pi)) > 1e-3 {
		t.Errorf("initial curve peaks at %v", peak)
	}
}

// TestLargeInputsDrawAtPlotResolution checks that a 2-million-point grid and
// a million-row history are drawn with a bounded number of points.
func TestLargeInputsDrawAtPlotResolution(t *testing.T) {
	for _, f := range plot.Figures(input(t, 2_000_000, 1_000_000)) {
		var pts int
		for _, c := range f.Curves {
			pts += len(c.X)
		}
		if pts > plot.MaxCurves*plot.Resolution+10_000 {
			t.Errorf("%s draws %d points", f.Name, pts)
		}
	}
}

func TestSave(t *testing.T) {
	dir := t.TempDir()
	paths, err := plot.Save(dir, plot.Figures(input(t, 200, 11)))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 10 {
		t.Fatalf("wrote %d files", len(paths))
	}
	b, err := os.ReadFile(filepath.Join(dir, "fit.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if w := img.Bounds().Dx(); w != 5*plot.DPI {
		t.Errorf("PNG width %d, want %d", w, 5*plot.DPI)
	}
	svg, _ := os.ReadFile(filepath.Join(dir, "loss.svg"))
	if !bytes.Contains(svg, []byte("<svg")) {
		t.Error("loss.svg is not SVG")
	}
}

func BenchmarkFiguresLargeGrid(b *testing.B) {
	in := input(b, 2_000_000, 1001)
	dir := b.TempDir()
	b.ResetTimer()
	for b.Loop() {
		if _, err := plot.Save(dir, plot.Figures(in)); err != nil {
			b.Fatal(err)
		}
	}
}
