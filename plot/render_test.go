package plot_test

import (
	"bytes"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/plot"
)

// TestDegenerateAxis draws the figures of a fit whose loss and parameters
// never moved from values beyond 2^53 (a first step diverging from a loss
// of 8.7e16): gonum/plot widens a range of one value by 1 each side, no
// widening at all there, and panics; the figures must draw.
func TestDegenerateAxis(t *testing.T) {
	in := input(t, 200, 0)
	in.History = fit.NewHistory("alpha", []string{"mean", "variance"})
	in.History.Append(8.7e16, []float64{1e17, 3})
	in.History.Append(8.7e16, []float64{1e17, 3})
	for _, f := range plot.Figures(in) {
		for _, format := range plot.Formats {
			var buf bytes.Buffer
			if err := f.Render(&buf, format); err != nil || buf.Len() == 0 {
				t.Errorf("%s.%s: %v", f.Name, format, err)
			}
		}
	}
	// The same for a linear axis of one value, as the mean's trace is.
	f := plot.Figure{Name: "flat", Curves: []plot.Curve{{X: []float64{0, 1}, Y: []float64{8.7e16, 8.7e16}, Width: 1}}}
	if err := f.Render(&bytes.Buffer{}, "png"); err != nil {
		t.Error(err)
	}
	// Drawn in the middle of a range that float64 can step through.
	if p := f.Plot(); !(p.Y.Min < 8.7e16 && p.Y.Max > 8.7e16) || len(p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max)) < 5 {
		t.Errorf("y axis [%v, %v]", p.Y.Min, p.Y.Max)
	}
}

// TestWriteRecovers checks that a plot gonum/plot panics on (its own
// ticker on a degenerate range beyond 2^53) is an error, and that nothing
// is written.
func TestWriteRecovers(t *testing.T) {
	p := gplot.New()
	l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 8.7e16}, {X: 1, Y: 8.7e16}})
	if err != nil {
		t.Fatal(err)
	}
	p.Add(l)
	var buf bytes.Buffer
	err = plot.Write(&buf, p, "png")
	if err == nil || !strings.Contains(err.Error(), "cannot be drawn") || buf.Len() != 0 {
		t.Errorf("error %v, %d bytes written", err, buf.Len())
	}
}

// TestSaveReportsFigures checks that Save writes every figure it can, and
// names each one it cannot in a *FigureError.
func TestSaveReportsFigures(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "mean.svg"), 0o755); err != nil {
		t.Fatal(err)
	}
	figs := plot.Figures(input(t, 200, 11))
	paths, err := plot.Save(dir, figs)
	if len(paths) != 2*len(figs)-1 {
		t.Errorf("wrote %d files", len(paths))
	}
	var fe *plot.FigureError
	if !errors.As(err, &fe) || fe.Name != "mean.svg" || !strings.HasPrefix(err.Error(), "figure mean.svg: ") {
		t.Errorf("error %v", err)
	}
}

// TestText checks that text is sans-serif: the SVG names Liberation Sans
// with a generic fallback and never the serif face.
func TestText(t *testing.T) {
	var buf bytes.Buffer
	figs := plot.Figures(input(t, 200, 11))
	if err := figs[0].Render(&buf, "svg"); err != nil {
		t.Fatal(err)
	}
	svg := buf.String()
	if !strings.Contains(svg, "font-family:'Liberation Sans',Arial,Helvetica,sans-serif;") || strings.Contains(svg, "Serif") {
		t.Errorf("SVG fonts: %q", fontFamilies(svg))
	}
}

func fontFamilies(svg string) []string {
	var out []string
	for _, s := range strings.Split(svg, "font-family:")[1:] {
		out = append(out, strings.SplitN(s, ";", 2)[0])
	}
	return out
}

// TestParamsFigure checks the small multiples of a mixture's parameters:
// one row per parameter block, the components side by side, one image.
func TestParamsFigure(t *testing.T) {
	in := input(t, 200, 0)
	names := []string{"weights[0]", "weights[1]", "mean[0]", "mean[1]", "variance[0]", "variance[1]"}
	in.History = fit.NewHistory("kl", names)
	in.History.Append(1, []float64{0.5, 0.5, -1, 1, 1, 1})
	in.History.Append(0.5, []float64{0.3, 0.7, -3, 2, 1, 0.5})
	figs := plot.Figures(in)
	var got []string
	for _, f := range figs {
		got = append(got, f.Name)
	}
	if strings.Join(got, ",") != "fit,endpoints,params,loss" {
		t.Fatalf("figures %v", got)
	}
	p := figs[2]
	if p.Cols != 2 || len(p.Panels) != 6 || p.Panels[3].Title != "mean[1]" || p.Panels[3].Curves[0].Y[1] != 2 {
		t.Fatalf("params figure: %d columns, %d panels", p.Cols, len(p.Panels))
	}
	var buf bytes.Buffer
	if err := p.Render(&buf, "png"); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w, h := p.Size()
	if img.Bounds().Dx() != int(w.Dots(plot.DPI)) || img.Bounds().Dy() != int(h.Dots(plot.DPI)) || h != 3*plot.PanelHeight {
		t.Errorf("image %v for a figure %v x %v", img.Bounds(), w, h)
	}
}

// TestSingleStateIsDrawn draws the traces of a fit stopped at its start
// (one state in the history): each shows that state, as a dot, where a
// line through one point drew nothing; the loss's is the loss itself, not
// above its minimum, and its title says it is the only state.
func TestSingleStateIsDrawn(t *testing.T) {
	in := input(t, 200, 0)
	in.History = fit.NewHistory("kl", []string{"mean", "variance"})
	in.History.Append(0.5, []float64{1, 3})
	drawn := 0
	for _, f := range plot.Figures(in) {
		if f.Name == "loss" && f.Title != "loss 0.5 at epoch 0, the only state" {
			t.Errorf("the loss figure's title %q", f.Title)
		}
		if f.Name != "loss" && f.Name != "mean" && f.Name != "variance" {
			continue
		}
		drawn++
		var buf bytes.Buffer
		if err := f.Render(&buf, "png"); err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(&buf)
		if err != nil {
			t.Fatal(err)
		}
		// Pixels of the traces' blue (0x4C, 0x72, 0xB0), antialiased.
		blue := 0
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				if r>>8 < 0x80 && g>>8 < 0xA0 && bl>>8 > 0x90 && bl>>8-r>>8 > 0x40 {
					blue++
				}
			}
		}
		if blue < 4 {
			t.Errorf("%s: %d pixels of the trace's colour: the state is not drawn", f.Name, blue)
		}
	}
	if drawn != 3 {
		t.Errorf("%d of the loss, mean and variance figures", drawn)
	}
}
