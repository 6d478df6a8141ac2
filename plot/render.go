package plot

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	stddraw "image/draw"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Formats are the file formats Save writes, each figure in both.
var Formats = []string{"png", "svg"}

// sans is the figures' face: Liberation Sans, metric-compatible with
// Arial and Helvetica, which SVG files name as fallbacks.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// svgFamily is how SVG files name the face: Liberation Sans, then faces
// of the same metrics, then the generic family.
const svgFamily = `font-family:'Liberation Sans',Arial,Helvetica,sans-serif;`

// Font sizes in points.
const (
	titleSize = 12
	labelSize = 11
	tickSize  = 9.5
)

// FigureError is a figure that could not be drawn or written, by name
// ("loss.png"), with the reason.
type FigureError struct {
	Name string
	Err  error
}

// Error implements error.
func (e *FigureError) Error() string { return "figure " + e.Name + ": " + e.Err.Error() }

// Unwrap returns the reason.
func (e *FigureError) Unwrap() error { return e.Err }

// Plot renders the figure with gonum/plot, in seaborn's look. A figure of
// small multiples (Panels) gives the plot of its first panel; Render draws
// them all.
func (f *Figure) Plot() *gplot.Plot {
	if len(f.Panels) > 0 {
		return f.Panels[0].Plot()
	}
	p := gplot.New()
	p.Title.Text = f.Title
	p.X.Label.Text = f.XLabel
	p.Y.Label.Text = f.YLabel
	styleText(p)
	p.Add(panel{})
	g := plotter.NewGrid()
	g.Vertical.Color, g.Horizontal.Color = color.White, color.White
	g.Vertical.Width, g.Horizontal.Width = 1, 1
	p.Add(g)
	addContours(p, f.Contours)
	for _, c := range f.Curves {
		xys := finite(c)
		if f.LogX || f.LogY {
			xys = logPoints(xys, f.LogX, f.LogY)
		}
		style := draw.LineStyle{Color: c.Color, Width: vg.Length(c.Width), Dashes: lengths(c.Dashes)}
		if c.LegendOnly {
			p.Legend.Add(c.Label, &plotter.Line{LineStyle: style})
			continue
		}
		if len(xys) == 0 {
			continue
		}
		var thumbs []gplot.Thumbnailer
		if !c.Points {
			l := &line{plotter.Line{XYs: xys, LineStyle: style}}
			p.Add(l)
			thumbs = append(thumbs, l)
		}
		if c.Points || c.Marks {
			s := &plotter.Scatter{XYs: xys}
			s.GlyphStyle.Color = c.Color
			s.GlyphStyle.Radius = vg.Length(c.Width)
			if c.Marks {
				s.GlyphStyle.Radius = vg.Length(1.5 * c.Width)
			}
			s.GlyphStyle.Shape = draw.CircleGlyph{}
			p.Add(s)
			thumbs = append(thumbs, s)
		}
		if c.Label != "" {
			p.Legend.Add(c.Label, thumbs...)
		}
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = NiceTicks{Integer: f.IntegerX}, NiceTicks{}
	if f.LogX {
		p.X.Tick.Marker = LogTicks{}
	}
	if f.LogY {
		p.Y.Tick.Marker = LogTicks{}
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = 4, -4
	switch {
	case f.LegendMiddleRight:
		p.Legend.Left = false
		p.Legend.XOffs, p.Legend.YOffs = -4, -Height/3
	case f.LegendTopRight:
		p.Legend.Left = false
		p.Legend.XOffs = -4
	}
	widen(&p.X, f.LogX)
	widen(&p.Y, f.LogY)
	pad(&p.X, false)
	pad(&p.Y, f.FromZero && !f.LogY)
	return p
}

// margin is the share of an axis's data range left free at each end, as
// in matplotlib.
const margin = 0.05

// line is a plotter.Line without glyph boxes: a line's boxes (one per
// point, to keep its width inside the plot) cost more than they give on a
// figure of hundreds of curves.
type line struct{ l plotter.Line }

func (l *line) Plot(c draw.Canvas, p *gplot.Plot)           { l.l.Plot(c, p) }
func (l *line) DataRange() (xmin, xmax, ymin, ymax float64) { return l.l.DataRange() }
func (l *line) Thumbnail(c *draw.Canvas)                    { l.l.Thumbnail(c) }

func lengths(pts []float64) []vg.Length {
	if pts == nil {
		return nil
	}
	out := make([]vg.Length, len(pts))
	for i, v := range pts {
		out[i] = vg.Length(v)
	}
	return out
}

// styleText sets every text of p in the sans-serif face.
func styleText(p *gplot.Plot) {
	p.Title.TextStyle.Font = font.From(sans, titleSize)
	for _, a := range []*gplot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, labelSize)
		a.Tick.Label.Font = font.From(sans, tickSize)
	}
	p.Legend.TextStyle.Font = font.From(sans, tickSize)
}

// widen gives an axis whose range is a single value, or narrower than
// float64 can tell apart at that magnitude, a range of a thousandth of the
// value each side (1 each side at 0; a decade each side on a log axis),
// and an axis with no finite range [0, 1]. (gonum/plot would widen it by 1
// each side, which is no widening at all beyond 2^53, and panic.)
func widen(a *gplot.Axis, log bool) {
	if math.IsInf(a.Min, 0) || math.IsInf(a.Max, 0) || math.IsNaN(a.Min) || math.IsNaN(a.Max) || a.Min > a.Max {
		a.Min, a.Max = 0, 1
		return
	}
	mag := math.Max(math.Abs(a.Min), math.Abs(a.Max))
	if a.Max-a.Min > mag*1e-12 {
		return
	}
	d := mag * 1e-3
	if d == 0 || log {
		d = 1
	}
	mid := a.Min/2 + a.Max/2
	a.Min, a.Max = mid-d, mid+d
}

// pad widens the axis's range by the margin at each end; fromZero starts
// it at 0 instead.
func pad(a *gplot.Axis, fromZero bool) {
	d := margin * (a.Max - a.Min)
	a.Min, a.Max = a.Min-d, a.Max+d
	if fromZero {
		a.Min = 0
	}
}

// logPoints keeps the points whose coordinates on log axes are > 0 and
// replaces those coordinates by their base-10 logarithm: log axes are
// drawn as linear axes of exponents, ticked by LogTicks.
func logPoints(xys plotter.XYs, logX, logY bool) plotter.XYs {
	out := xys[:0]
	for _, xy := range xys {
		if logX && !(xy.X > 0) || logY && !(xy.Y > 0) {
			continue
		}
		if logX {
			xy.X = math.Log10(xy.X)
		}
		if logY {
			xy.Y = math.Log10(xy.Y)
		}
		out = append(out, xy)
	}
	return out
}

// finite returns the curve's finite points. (A density can be infinite at
// a point, such as a gamma density with shape < 1 at 0.)
func finite(c Curve) plotter.XYs {
	pts := make(plotter.XYs, 0, len(c.X))
	for i, y := range c.Y {
		if !math.IsInf(y, 0) && !math.IsNaN(y) && !math.IsInf(c.X[i], 0) && !math.IsNaN(c.X[i]) {
			pts = append(pts, plotter.XY{X: c.X[i], Y: y})
		}
	}
	return pts
}

// panel fills the data area with the seaborn background.
type panel struct{}

func (panel) Plot(c draw.Canvas, _ *gplot.Plot) {
	inner := c.Canvas
	for {
		dc, ok := inner.(draw.Canvas) // gonum/plot nests canvases: same coordinates
		if !ok {
			break
		}
		inner = dc.Canvas
	}
	if img, ok := inner.(rasterCanvas); ok {
		// A PNG: set the rectangle's pixels at once, which costs a tenth
		// of filling it as a path through the rasterizer.
		dots := func(l vg.Length) int { return int(math.Round(l.Dots(img.DPI()))) }
		h := img.Image().Bounds().Dy() // the image's y axis points down
		r := image.Rect(dots(c.Min.X), h-dots(c.Max.Y), dots(c.Max.X), h-dots(c.Min.Y))
		stddraw.Draw(img.Image(), r, image.NewUniform(background), image.Point{}, stddraw.Src)
		return
	}
	c.SetColor(background)
	c.Fill(c.Rectangle.Path())
}

// rasterCanvas is a canvas drawing into an image (vgimg's), with no
// transform but vg's: points from the bottom left, DPI dots per inch.
type rasterCanvas interface {
	Image() stddraw.Image
	DPI() float64
}

// Size returns the figure's size: Width by Height, or for small multiples
// Cols panels of PanelWidth by PanelHeight to a row.
func (f *Figure) Size() (w, h vg.Length) {
	if len(f.Panels) == 0 {
		return Width, Height
	}
	cols := max(f.Cols, 1)
	rows := (len(f.Panels) + cols - 1) / cols
	return PanelWidth * vg.Length(cols), PanelHeight * vg.Length(rows)
}

// Render draws the figure as "png" (at DPI dots per inch) or "svg" onto w.
// A figure that cannot be drawn (gonum/plot panics on some data) is an
// error naming it, and nothing is written to w.
func (f *Figure) Render(w io.Writer, format string) error {
	wd, ht := f.Size()
	err := drawTo(w, format, wd, ht, func(dc draw.Canvas) {
		if len(f.Panels) > 0 {
			f.drawPanels(dc)
			return
		}
		p := f.Plot()
		if f.EqualAspect {
			equalAspect(p, dc)
		}
		p.Draw(dc)
	})
	if err != nil {
		return &FigureError{Name: f.Name + "." + format, Err: err}
	}
	return nil
}

// drawTo draws onto a canvas of the given format and size and writes the
// file onto w; a panic while drawing is an error, and then nothing is
// written.
func drawTo(w io.Writer, format string, wd, ht vg.Length, drawIt func(draw.Canvas)) error {
	var buf bytes.Buffer
	err := safely(func() error {
		c, err := newCanvas(format, wd, ht)
		if err != nil {
			return err
		}
		drawIt(draw.New(c))
		_, err = c.WriteTo(&buf)
		return err
	})
	if err != nil {
		return err
	}
	_, err = buf.WriteTo(w)
	return err
}

// drawPanels draws small multiples, Cols to a row, aligned.
func (f *Figure) drawPanels(dc draw.Canvas) {
	cols := max(f.Cols, 1)
	rows := (len(f.Panels) + cols - 1) / cols
	plots := make([][]*gplot.Plot, rows)
	for i := range plots {
		plots[i] = make([]*gplot.Plot, cols)
		for j := range plots[i] {
			if k := i*cols + j; k < len(f.Panels) && (len(f.Panels[k].Curves) > 0 || len(f.Panels[k].Contours) > 0) {
				plots[i][j] = f.Panels[k].Plot()
				plots[i][j].Title.TextStyle.Font.Size = labelSize
			}
		}
	}
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: 4 * vg.Millimeter, PadY: 3 * vg.Millimeter,
		PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 2 * vg.Millimeter}
	canvases := gplot.Align(plots, tiles, dc)
	for i := range plots {
		for j, p := range plots[i] {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
}

// equalAspect widens one axis's range so that a unit has the same length
// on both axes of the data area p draws into on dc.
func equalAspect(p *gplot.Plot, dc draw.Canvas) {
	for range 2 { // the ranges change the tick labels, which change the data area
		da := p.DataCanvas(dc)
		w, h := float64(da.Max.X-da.Min.X), float64(da.Max.Y-da.Min.Y)
		if w <= 0 || h <= 0 {
			return
		}
		ux, uy := (p.X.Max-p.X.Min)/w, (p.Y.Max-p.Y.Min)/h
		switch {
		case ux > uy:
			mid, half := (p.Y.Min+p.Y.Max)/2, ux*h/2
			p.Y.Min, p.Y.Max = mid-half, mid+half
		case uy > ux:
			mid, half := (p.X.Min+p.X.Max)/2, uy*w/2
			p.X.Min, p.X.Max = mid-half, mid+half
		}
	}
}

// safely runs draw, turning a panic into an error.
func safely(draw func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot be drawn: %v", r)
		}
	}()
	return draw()
}

// Save writes every figure as NAME.png and NAME.svg into dir, drawing them
// concurrently on up to GOMAXPROCS goroutines, and returns the paths
// written, in the order of figs. A figure that cannot be drawn or written
// is left out; the error then joins a *FigureError for each, and the
// other figures are written all the same.
func Save(dir string, figs []Figure) ([]string, error) {
	type job struct {
		fig    *Figure
		format string
		path   string
		err    error
	}
	jobs := make([]job, 0, len(figs)*len(Formats))
	for i := range figs {
		for _, ext := range Formats {
			jobs = append(jobs, job{fig: &figs[i], format: ext, path: filepath.Join(dir, figs[i].Name+"."+ext)})
		}
	}
	// The fit figure, the slowest, first.
	next := make(chan *job, len(jobs))
	for i := range jobs {
		next <- &jobs[i]
	}
	close(next)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				j.err = writeFile(j.path, j.fig, j.format)
			}
		}()
	}
	wg.Wait()
	var paths []string
	var errs []error
	for _, j := range jobs {
		if j.err != nil {
			var fe *FigureError
			if !errors.As(j.err, &fe) {
				j.err = &FigureError{Name: filepath.Base(j.path), Err: j.err}
			}
			errs = append(errs, j.err)
			continue
		}
		paths = append(paths, j.path)
	}
	return paths, errors.Join(errs...)
}

// writeFile renders f and writes it to path; a figure that cannot be
// drawn leaves no file.
func writeFile(path string, f *Figure, format string) error {
	var buf bytes.Buffer
	if err := f.Render(&buf, format); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// Write draws p as "png" (at DPI dots per inch) or "svg" onto w, Width by
// Height. A plot gonum/plot cannot draw (it panics on some data) is an
// error, and nothing is written to w.
func Write(w io.Writer, p *gplot.Plot, format string) error {
	return drawTo(w, format, Width, Height, func(dc draw.Canvas) { p.Draw(dc) })
}

// canvas is a vg canvas that writes itself as a file.
type canvas interface {
	vg.CanvasSizer
	io.WriterTo
}

// newCanvas returns a PNG (at DPI dots per inch) or SVG canvas of the
// given size.
func newCanvas(format string, w, h vg.Length) (canvas, error) {
	switch format {
	case "png":
		return pngCanvas{vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))}, nil
	case "svg":
		return svgCanvas{vgsvg.New(w, h)}, nil
	}
	return nil, fmt.Errorf("plot: unknown format %q (known: png, svg)", format)
}

// pngCanvas writes PNG files encoded for speed (see encodePNG).
type pngCanvas struct{ *vgimg.Canvas }

func (c pngCanvas) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	err := encodePNG(cw, c.Image())
	return cw.n, err
}

// svgCanvas writes SVG files whose text names a generic font family after
// Liberation Sans, so that a viewer without it still draws sans-serif.
type svgCanvas struct{ *vgsvg.Canvas }

func (c svgCanvas) WriteTo(w io.Writer) (int64, error) {
	var buf bytes.Buffer
	if _, err := c.Canvas.WriteTo(&buf); err != nil {
		return 0, err
	}
	out := bytes.ReplaceAll(buf.Bytes(), []byte("font-family:Liberation Sans;"), []byte(svgFamily))
	n, err := w.Write(out)
	return int64(n), err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
