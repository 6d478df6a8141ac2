package plot

import (
	"bytes"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/klfit/klfit/fit"
)

// lightBlue draws the band of a Monte Carlo loss's standard error.
var lightBlue = color.NRGBA{0x4C, 0x72, 0xB0, 0x70}

// MonteCarloFigures returns the figures of a fit without a grid (a normal
// model fitted by Monte Carlo, whose history names its parameters
// mean[i], covariance[i][j] or variance[i]): "loss", the loss against
// epoch with symbol in its title and, when the history has a loss_stderr
// column, a band of two standard errors either side; and one trace per
// mean and per variance (the covariance's diagonal), when there are at
// most MaxTraces of them. A history without rows gives no figures.
func MonteCarloFigures(h *fit.History, symbol string) []Figure {
	if h.Len() == 0 {
		return nil
	}
	var figs []Figure
	var traced []int
	for j, name := range h.Names {
		if strings.HasPrefix(name, "mean[") || strings.HasPrefix(name, "variance[") || isDiagonal(name) {
			traced = append(traced, j)
		}
	}
	if len(traced) <= MaxTraces {
		for _, j := range traced {
			figs = append(figs, traceFigure(FileName(h.Names[j]), "", h.Names[j], h.Param(j), nil))
		}
	}
	loss := traceFigure("loss", fmt.Sprintf("%s = %.6g", symbol, h.Loss(h.Len()-1)), h.LossName, h.Losses(), nil)
	for k, col := range h.Report {
		if col != "loss_stderr" {
			continue
		}
		losses, reports := h.Losses(), h.Reports()
		lo, hi := make([]float64, len(losses)), make([]float64, len(losses))
		for r, l := range losses {
			se := reports[r*len(h.Report)+k]
			lo[r], hi[r] = l-2*se, l+2*se
		}
		band := []Curve{trace(lo), trace(hi)}
		for i := range band {
			band[i].Color, band[i].Width = lightBlue, 1
		}
		band[0].Label = "± 2 standard errors"
		loss.Curves[0].Label = h.LossName
		loss.Curves = append(band, loss.Curves...)
		loss.LegendMiddleRight = true
	}
	return append(figs, loss)
}

// isDiagonal reports whether name is a covariance's diagonal entry,
// covariance[i][i].
func isDiagonal(name string) bool {
	rest, ok := strings.CutPrefix(name, "covariance[")
	if !ok {
		return false
	}
	i, j, ok := strings.Cut(rest, "][")
	return ok && i+"]" == j
}

// GridCell is the size of one panel of a grid of figures (SaveGrid), and
// MinGridWidth the least width of the grid: panels are larger when there
// are few.
const (
	GridCell     = 2.2 * vg.Inch
	MinGridWidth = 5 * vg.Inch
)

// SaveGrid draws figures in rows of square cells, GridCell or more (a nil figure
// leaves its cell blank), as NAME.png and NAME.svg in dir, and returns the
// paths written: a corner plot, for instance.
func SaveGrid(dir, name string, rows [][]*Figure) ([]string, error) {
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	plots := make([][]*gplot.Plot, len(rows))
	for i, r := range rows {
		plots[i] = make([]*gplot.Plot, cols)
		for j, f := range r {
			if f != nil {
				plots[i][j] = f.Plot()
			}
		}
	}
	cell := max(GridCell, MinGridWidth/vg.Length(cols)) // a single panel is drawn at a figure's size
	w, h := cell*vg.Length(cols), cell*vg.Length(len(rows))
	var paths []string
	for _, ext := range Formats {
		path := filepath.Join(dir, name+"."+ext)
		var buf bytes.Buffer
		err := drawTo(&buf, ext, w, h, func(dc draw.Canvas) {
			canvases := gplot.Align(plots, draw.Tiles{Rows: len(rows), Cols: cols, PadX: vg.Millimeter * 2, PadY: vg.Millimeter * 2}, dc)
			for i := range plots {
				for j, p := range plots[i] {
					if p != nil {
						p.Draw(canvases[i][j])
					}
				}
			}
		})
		if err == nil {
			err = os.WriteFile(path, buf.Bytes(), 0o644)
		}
		if err != nil {
			return paths, &FigureError{Name: name + "." + ext, Err: err}
		}
		paths = append(paths, path)
	}
	return paths, nil
}
