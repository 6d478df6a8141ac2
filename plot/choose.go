package plot

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/klfit/klfit/fit"
)

// palette is seaborn's "deep" palette, for one curve per run.
var palette = []color.NRGBA{
	{0x4C, 0x72, 0xB0, 0xFF}, {0xDD, 0x84, 0x52, 0xFF}, {0x55, 0xA8, 0x68, 0xFF}, {0xC4, 0x4E, 0x52, 0xFF},
	{0x81, 0x72, 0xB3, 0xFF}, {0x93, 0x78, 0x60, 0xFF}, {0xDA, 0x8B, 0xC3, 0xFF}, {0x8C, 0x8C, 0x8C, 0xFF},
	{0xCC, 0xB9, 0x74, 0xFF}, {0x64, 0xB5, 0xCD, 0xFF},
}

// Run is one fit of a comparison: its name, its losses and the wall time
// (seconds) at which each was recorded.
type Run struct {
	Name    string
	Loss    []float64
	Seconds []float64
}

// CompareFigures returns the two panels of a comparison: the loss above
// the best loss of all runs against epoch, and against wall time, on a log
// scale; the first panel has the legend. Differences below 1e-16 * max(|best|, 1), float64's resolution
// of the loss, are drawn at that floor.
func CompareFigures(runs []Run, best float64) (byEpoch, byTime Figure) {
	title := fmt.Sprintf("loss − best (best %.10g)", best)
	byEpoch = Figure{Name: "compare", Title: title, XLabel: "epoch", YLabel: "loss − best", LogY: true, LegendMiddleRight: true, IntegerX: true}
	byTime = Figure{Name: "compare", Title: title, XLabel: "wall time (s)", YLabel: "loss − best", LogY: true, LogX: true}
	for i, r := range runs {
		excess := excess(r.Loss, best)
		c := trace(excess)
		c.Label, c.Color, c.Width = r.Name, palette[i%len(palette)], 1.5
		byEpoch.Curves = append(byEpoch.Curves, c)
		t := Curve{Color: c.Color, Width: 1.5}
		stride := max((len(r.Seconds)+maxTracePoints-1)/maxTracePoints, 1)
		for j := 0; j < len(r.Seconds) && j < len(excess); j += stride {
			t.X, t.Y = append(t.X, r.Seconds[j]), append(t.Y, excess[j])
		}
		if n := min(len(r.Seconds), len(excess)); n > 0 && (n-1)%stride != 0 {
			t.X, t.Y = append(t.X, r.Seconds[n-1]), append(t.Y, excess[n-1])
		}
		byTime.Curves = append(byTime.Curves, t)
	}
	return byEpoch, byTime
}

// LRFindFigure draws a learning-rate sweep: the loss after the sweep's
// epochs against the rate (log scale), stable rates as a blue line with
// dots, unstable ones as red dots at their last good loss, and the
// suggested rate (index suggest, -1 for none) as a vertical line.
func LRFindFigure(pts []fit.LRPoint, suggest int) Figure {
	f := Figure{Name: "lr_find", Title: "loss after the sweep's epochs", XLabel: "learning rate", YLabel: "loss", LogX: true, LegendMiddleRight: true}
	stable := Curve{Label: "stable", Color: blue, Width: 1.5}
	dots := Curve{Color: blue, Width: 2.5, Points: true}
	unstable := Curve{Label: "unstable", Color: red, Width: 2.5, Points: true}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		if math.IsNaN(p.Final) {
			continue
		}
		lo, hi = math.Min(lo, p.Final), math.Max(hi, p.Final)
		if p.Stable {
			stable.X, stable.Y = append(stable.X, p.Rate), append(stable.Y, p.Final)
			dots.X, dots.Y = append(dots.X, p.Rate), append(dots.Y, p.Final)
		} else {
			unstable.X, unstable.Y = append(unstable.X, p.Rate), append(unstable.Y, p.Final)
		}
	}
	f.Curves = []Curve{stable, dots, unstable}
	if suggest >= 0 && lo <= hi {
		r := pts[suggest].Rate
		f.Curves = append(f.Curves, Curve{Label: fmt.Sprintf("suggested %.3g", r), X: []float64{r, r}, Y: []float64{lo, hi}, Color: orange, Width: 1.5})
	}
	return f
}

// SaveRow draws the figures side by side into one image, as NAME.png and
// NAME.svg in dir, and returns the paths written; an image it cannot draw
// or write is a *FigureError.
func SaveRow(dir, name string, figs ...Figure) ([]string, error) {
	var paths []string
	for _, ext := range []string{"png", "svg"} {
		path := filepath.Join(dir, name+"."+ext)
		f, err := os.Create(path)
		if err != nil {
			return paths, &FigureError{Name: name + "." + ext, Err: err}
		}
		err = WriteRow(f, ext, figs...)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return paths, &FigureError{Name: name + "." + ext, Err: err}
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// WriteRow draws the figures side by side, each Width by Height, as "png"
// or "svg" onto w.
func WriteRow(w io.Writer, format string, figs ...Figure) error {
	return drawTo(w, format, Width*vg.Length(len(figs)), Height, func(dc draw.Canvas) {
		row := make([]*gplot.Plot, len(figs))
		for i := range figs {
			row[i] = figs[i].Plot()
		}
		canvases := gplot.Align([][]*gplot.Plot{row}, draw.Tiles{Rows: 1, Cols: len(figs), PadX: vg.Millimeter * 4}, dc)
		for i, p := range row {
			p.Draw(canvases[0][i])
		}
	})
}
