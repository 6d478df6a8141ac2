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
		h.Append(10*(1-f)+5.6e-16, []float64{5 * (1 - f), 1 + 6*f})
	}
	return plot.Input{Grid: g, Target: tgt, Family: dist.Normal{}, History: h, Symbol: "KL(P||Q)"}
}

// TestFigures checks the figures' names and what the fit figure holds: the
// model every 5 epochs (and the last), fading from alpha 0.1 to 1, a
// legend entry for them, then the target, then the final model dashed on
// top; and its title, the loss in significant digits.
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
	if fitFig.Title != "KL(P‖Q) = 5.6e-16 after 1000 epochs" {
		t.Errorf("title %q", fitFig.Title)
	}
	ls := fitFig.Curves
	if len(ls) != 201+3 {
		t.Fatalf("%d curves, want 201 model curves, a legend entry, the target and the final model", len(ls))
	}
	if a0, a1 := ls[0].Color.A, ls[200].Color.A; a0 != 26 || a1 != 255 {
		t.Errorf("alphas %d..%d of 255, want 0.1..1", a0, a1)
	}
	if l := ls[201]; !l.LegendOnly || !strings.Contains(l.Label, "every 5 epochs") {
		t.Errorf("legend entry of the faded curves %+v", l)
	}
	if tc := ls[202]; tc.Width != 3 || len(tc.X) != plot.Resolution || tc.Label != "target p" {
		t.Errorf("target line width %v with %d points, label %q", tc.Width, len(tc.X), tc.Label)
	}
	if fc := ls[203]; fc.Dashes == nil || !strings.Contains(fc.Label, "epoch 1000") {
		t.Errorf("final model %q, dashes %v", fc.Label, fc.Dashes)
	}
	// The initial model (mean 5, variance 1) peaks at 1/sqrt(2 pi) near x=5.
	peak := 0.0
	for _, y := range figs[1].Curves[1].Y {
		peak = math.Max(peak, y)
	}
	// The plot's 400 points over [-10, 10] fall within 0.025 of the peak
	// at x=5, where the density is off by at most 1 - exp(-0.025^2/2),
	// about 3e-4 relative; the grid holds all but 3e-7 of its mass.
	if math.Abs(peak-1/math.Sqrt(2*math.Pi)) > 1e-3 {
		t.Errorf("initial curve peaks at %v", peak)
	}
	loss := figs[4]
	if !loss.LogY || loss.YLabel != "KL(P‖Q) − min" || !strings.Contains(loss.Title, "5.6e-16 at epoch 1000: still falling") {
		t.Errorf("loss figure: log %v, y label %q, title %q", loss.LogY, loss.YLabel, loss.Title)
	}
	// The loss above its minimum; the minimum, the last epoch's, is left
	// out: the loss fell by 0.01 in the last epoch, so it is no floor.
	if y := loss.Curves[0].Y; y[0] != 10 || len(y) != 1000 || math.Abs(y[len(y)-1]-0.01) > 1e-15 {
		t.Errorf("loss excess from %v to %v (%d points)", y[0], y[len(y)-1], len(y))
	}
}

// TestModelAsTheLossSeesIt checks that a model is drawn as the divergence
// sees it: its density divided by its mass on the grid (computed here
// independently, cell by cell), so that a model whose mass has left the
// grid shows as the part the grid holds instead of a flat line at 0.
func TestModelAsTheLossSeesIt(t *testing.T) {
	for _, theta := range [][]float64{{0, 7}, {-12, 1}, {-49539, 155043}} {
		in := input(t, 200, 0)
		in.History.Append(1, theta)
		ends := plot.Figures(in)[1]
		model := ends.Curves[2]
		g := in.Grid
		lq := make([]float64, g.Len())
		dist.Normal{}.Eval(theta, g.X, nil, lq, nil)
		m := math.Inf(-1)
		for _, l := range lq {
			m = math.Max(m, l)
		}
		var s float64
		for _, l := range lq {
			s += math.Exp(l - m)
		}
		logMass := m + math.Log(s*g.Weight)
		var lp [1]float64
		peak := 0.0
		for i, x := range model.X {
			dist.Normal{}.Eval(theta, []float64{x}, nil, lp[:], nil)
			want := math.Exp(lp[0] - logMass)
			if d := math.Abs(model.Y[i] - want); d > 1e-12*want {
				t.Fatalf("theta %v: drawn %v at x=%v, want %v", theta, model.Y[i], x, want)
			}
			peak = math.Max(peak, model.Y[i])
		}
		// Its grid masses sum to 1, so its peak is at least 1/20 (the
		// grid's length) whatever theta.
		if peak < 0.05 {
			t.Errorf("theta %v: peak %v drawn", theta, peak)
		}
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
