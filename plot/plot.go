// Package plot draws a fit's figures from its history, with gonum/plot:
// the model's density sliding onto the target, the endpoints, every
// parameter's trace and the loss. It knows nothing of files' origins,
// terminals or HTTP: it turns data into figures and figures into PNG and
// SVG.
//
// Densities are drawn at plot resolution (a few hundred points whatever the
// grid size), and long histories are thinned for drawing, so that figures
// of a fit on millions of points or epochs still draw in a fraction of a
// second.
package plot

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
)

// Resolution is the number of points a density curve is drawn with.
const Resolution = 400

// MaxCurves bounds the number of faded model curves on the fit figure (one
// more is drawn for the last state).
const MaxCurves = 200

// maxTracePoints bounds the points of a trace (parameter or loss against
// epoch); longer histories are thinned.
const maxTracePoints = 4000

// Size of every figure.
const (
	Width  = 5 * vg.Inch
	Height = 4 * vg.Inch
	// DPI is the resolution of PNG files.
	DPI = 150
)

// Input is what the figures are drawn from.
type Input struct {
	Grid *grid.Grid
	// Target holds the target's density at every grid point, as the fit
	// used it (raw density values, or normalized masses divided by the
	// grid weight).
	Target []float64
	Family dist.Family
	// History holds the states the fit visited; row 0 is the initial one.
	History *fit.History
	// Symbol names the divergence in the fit figure's title, e.g.
	// "KL(P||Q)".
	Symbol string
}

// Figure is one named figure, described as data: its curves, their
// colours and widths. Plot renders it with gonum/plot.
type Figure struct {
	// Name is the file name without extension, e.g. "fit".
	Name                  string
	Title, XLabel, YLabel string
	// Curves are drawn in order, later ones on top.
	Curves []Curve
	// FromZero starts the y axis at 0.
	FromZero bool
	// Contours are drawn before the curves (2-D figures).
	Contours []Contours
	// LogX and LogY draw an axis on a log scale; points that are not > 0
	// on it are left out.
	LogX, LogY bool
	// LegendMiddleRight places the legend at the right, a third of the
	// way down, instead of the top left.
	LegendMiddleRight bool
}

// Curve is a line through points, with an optional legend label.
type Curve struct {
	Label string
	X, Y  []float64
	Color color.NRGBA
	// Width is the line width in points.
	Width float64
	// Points draws the points as dots instead of a line through them.
	Points bool
}

// Seaborn's default look, which the notebook used.
var (
	background = color.NRGBA{0xEA, 0xEA, 0xF2, 0xFF}
	blue       = color.NRGBA{0x4C, 0x72, 0xB0, 0xFF}
	orange     = color.NRGBA{0xDD, 0x84, 0x52, 0xFF}
	red        = color.NRGBA{0xFF, 0x00, 0x00, 0xFF}
)

// Figures returns the figures of a fit: for 1-D fits "fit" (the model every
// few epochs as a red curve fading in, the target thick on top, the final
// divergence in the title) and "endpoints" (target, initial and final
// model); for 2-D fits "fit" and "endpoints" as contour lines (see
// figures2D); for every fit one trace per parameter, named after it (none
// when there are more than MaxTraces parameters), and "loss". A history
// without rows gives no figures.
func Figures(in Input) []Figure {
	h := in.History
	if h.Len() == 0 {
		return nil
	}
	var figs []Figure
	if in.Grid.Dim() == 1 {
		figs = append(figs, fitFigure(in), endpointsFigure(in))
	} else {
		figs = append(figs, figures2D(in)...)
	}
	for j, name := range h.Names {
		if len(h.Names) > MaxTraces {
			break
		}
		figs = append(figs, traceFigure(FileName(name), "", name, h.Param(j)))
	}
	return append(figs, traceFigure("loss", "loss", h.LossName, h.Losses()))
}

// FileName turns a parameter name into a file name: an index "[k]"
// becomes "_k" ("covariance[0][1]" gives "covariance_0_1"), and other
// characters than letters, digits, '-' and '_' become '_'.
func FileName(name string) string {
	name = strings.ReplaceAll(strings.ReplaceAll(name, "[", "_"), "]", "")
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, name)
}

func fitFigure(in Input) Figure {
	h := in.History
	rows := h.Len()
	xs := plotXs(in.Grid.Axes[0], Resolution/2) // many curves: keep the SVG small
	f := Figure{Name: "fit", Title: fmt.Sprintf("%s = %1.3f", in.Symbol, h.Loss(rows-1)), XLabel: "x", YLabel: "density", FromZero: true}
	stride := max(5, (rows-1+MaxCurves-1)/MaxCurves) // the notebook's every 5 epochs, at most MaxCurves+1 curves
	for r := 0; r < rows; r += stride {
		f.Curves = append(f.Curves, modelCurve(in, xs, r, fade(r, rows), 1))
	}
	if (rows-1)%stride != 0 {
		f.Curves = append(f.Curves, modelCurve(in, xs, rows-1, fade(rows-1, rows), 1))
	}
	f.Curves = append(f.Curves, targetCurve(in, plotXs(in.Grid.Axes[0], Resolution), 3))
	return f
}

// fade is the notebook's colour for row r of rows: red with alpha rising
// linearly from 0.1 to 1.
func fade(r, rows int) color.NRGBA {
	alpha := 1.0
	if rows > 1 {
		alpha = 0.1 + 0.9*float64(r)/float64(rows-1)
	}
	return color.NRGBA{R: 0xFF, A: uint8(math.Round(alpha * 255))}
}

func endpointsFigure(in Input) Figure {
	last := in.History.Len() - 1
	xs := plotXs(in.Grid.Axes[0], Resolution)
	t := targetCurve(in, xs, 5)
	t.Label = "target"
	i := modelCurve(in, xs, 0, orange, 1.5)
	i.Label = "initial q (epoch 0)"
	f := modelCurve(in, xs, last, red, 1.5)
	f.Label = fmt.Sprintf("final q (epoch %d)", last)
	return Figure{Name: "endpoints", Title: "target, initial and final model", XLabel: "x", YLabel: "density",
		Curves: []Curve{t, i, f}, FromZero: true}
}

func traceFigure(name, title, ylabel string, ys []float64) Figure {
	c := trace(ys)
	c.Color, c.Width = blue, 1.5
	return Figure{Name: name, Title: title, XLabel: "epoch", YLabel: ylabel, Curves: []Curve{c}}
}

// plotXs returns n points spanning the axis's first to last point.
func plotXs(a grid.Axis, n int) []float64 {
	lo, hi := a.At(0), a.At(a.N-1)
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = lo + (hi-lo)*float64(i)/float64(n-1)
	}
	return xs
}

// targetCurve interpolates the target's grid densities linearly at xs.
func targetCurve(in Input, xs []float64, width float64) Curve {
	a := in.Grid.Axes[0]
	ys := make([]float64, len(xs))
	for i, x := range xs {
		t := (x - a.At(0)) / a.Delta
		j := min(max(int(math.Floor(t)), 0), max(a.N-2, 0))
		ys[i] = in.Target[j]
		if a.N > 1 {
			f := t - float64(j)
			ys[i] = (1-f)*in.Target[j] + f*in.Target[j+1]
		}
	}
	return Curve{X: xs, Y: ys, Color: blue, Width: width}
}

// modelCurve is the model's continuous density for history row r.
func modelCurve(in Input, xs []float64, r int, c color.NRGBA, width float64) Curve {
	ys := make([]float64, len(xs))
	in.Family.Eval(in.History.Row(r), xs, nil, ys, nil)
	for i, l := range ys {
		ys[i] = math.Exp(l)
	}
	return Curve{X: xs, Y: ys, Color: c, Width: width}
}

// trace returns ys against their index, thinned to at most maxTracePoints
// points (the last one always kept).
func trace(ys []float64) Curve {
	stride := max((len(ys)+maxTracePoints-1)/maxTracePoints, 1)
	var c Curve
	for i := 0; i < len(ys); i += stride {
		c.X, c.Y = append(c.X, float64(i)), append(c.Y, ys[i])
	}
	if (len(ys)-1)%stride != 0 {
		c.X, c.Y = append(c.X, float64(len(ys)-1)), append(c.Y, ys[len(ys)-1])
	}
	return c
}

// Plot renders the figure with gonum/plot, in seaborn's look.
func (f *Figure) Plot() *gplot.Plot {
	p := gplot.New()
	p.Title.Text = f.Title
	p.X.Label.Text = f.XLabel
	p.Y.Label.Text = f.YLabel
	p.Add(panel{})
	g := plotter.NewGrid()
	g.Vertical.Color, g.Horizontal.Color = color.White, color.White
	g.Vertical.Width, g.Horizontal.Width = 1, 1
	p.Add(g)
	addContours(p, f.Contours)
	for _, c := range f.Curves {
		xys := finite(c)
		if f.LogX || f.LogY {
			xys = positive(xys, f.LogX, f.LogY)
		}
		if len(xys) == 0 {
			continue
		}
		var thumb gplot.Thumbnailer
		if c.Points {
			s := &plotter.Scatter{XYs: xys}
			s.GlyphStyle.Color = c.Color
			s.GlyphStyle.Radius = vg.Length(c.Width)
			s.GlyphStyle.Shape = draw.CircleGlyph{}
			p.Add(s)
			thumb = s
		} else {
			l := &plotter.Line{XYs: xys}
			l.LineStyle.Color = c.Color
			l.LineStyle.Width = vg.Length(c.Width)
			p.Add(l)
			thumb = l
		}
		if c.Label != "" {
			p.Legend.Add(c.Label, thumb)
		}
	}
	if f.LogX {
		logAxis(&p.X)
	}
	if f.LogY {
		logAxis(&p.Y)
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = 4, -4
	if f.LegendMiddleRight {
		p.Legend.Left = false
		p.Legend.XOffs, p.Legend.YOffs = -4, -Height/3
	}
	if f.FromZero && !f.LogY {
		p.Y.Min = 0
	}
	return p
}

// logAxis puts an axis on a log scale, widening a range of one value to a
// decade each side; an axis with no positive range stays linear.
func logAxis(a *gplot.Axis) {
	if !(a.Min > 0) || !(a.Max >= a.Min) || math.IsInf(a.Max, 1) {
		return
	}
	if a.Min == a.Max {
		a.Min, a.Max = a.Min/10, a.Max*10
	}
	a.Scale, a.Tick.Marker = gplot.LogScale{}, gplot.LogTicks{Prec: 1} // 1e-05, 0.1, 1e+02
}

// positive keeps the points whose coordinates on log axes are > 0.
func positive(xys plotter.XYs, logX, logY bool) plotter.XYs {
	out := xys[:0]
	for _, xy := range xys {
		if (!logX || xy.X > 0) && (!logY || xy.Y > 0) {
			out = append(out, xy)
		}
	}
	return out
}

// finite returns the curve's finite points. (A density can be infinite at
// a point, such as a gamma density with shape < 1 at 0.)
func finite(c Curve) plotter.XYs {
	pts := make(plotter.XYs, 0, len(c.X))
	for i, y := range c.Y {
		if !math.IsInf(y, 0) && !math.IsNaN(y) {
			pts = append(pts, plotter.XY{X: c.X[i], Y: y})
		}
	}
	return pts
}

// panel fills the data area with the seaborn background.
type panel struct{}

func (panel) Plot(c draw.Canvas, _ *gplot.Plot) {
	c.SetColor(background)
	c.Fill(c.Rectangle.Path())
}

// Save writes every figure as NAME.png and NAME.svg into dir and returns
// the paths written.
func Save(dir string, figs []Figure) ([]string, error) {
	var paths []string
	for _, f := range figs {
		p := f.Plot()
		for _, ext := range []string{"png", "svg"} {
			path := filepath.Join(dir, f.Name+"."+ext)
			if err := writeFile(path, p, ext); err != nil {
				return paths, err
			}
			paths = append(paths, path)
		}
	}
	return paths, nil
}

func writeFile(path string, p *gplot.Plot, format string) (err error) {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	return Write(out, p, format)
}

// Write draws p as "png" (at DPI dots per inch) or "svg" onto w.
func Write(w io.Writer, p *gplot.Plot, format string) error {
	c, err := newCanvas(format, Width)
	if err != nil {
		return err
	}
	p.Draw(draw.New(c))
	_, err = c.WriteTo(w)
	return err
}

// canvas is a vg canvas that writes itself as a file.
type canvas interface {
	vg.CanvasSizer
	io.WriterTo
}

// newCanvas returns a PNG (at DPI dots per inch) or SVG canvas of the
// given width and the figures' height.
func newCanvas(format string, width vg.Length) (canvas, error) {
	switch format {
	case "png":
		return vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, Height), vgimg.UseDPI(DPI))}, nil
	case "svg":
		return vgsvg.New(width, Height), nil
	}
	return nil, fmt.Errorf("plot: unknown format %q (known: png, svg)", format)
}
