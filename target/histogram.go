package target

import (
	"fmt"
	"io/fs"
	"math"

	"github.com/klfit/klfit/grid"
)

// Bin is one bin of a histogram: Count observations in [Lo, Hi).
type Bin struct {
	Lo, Hi, Count float64
}

// Histogram is a 1-D target given as binned counts, as a database returns
// them for `SELECT floor(x/w)*w AS lo, floor(x/w)*w + w AS hi, count(*)
// ... GROUP BY 1`. Bins may be unequal, sparse (empty bins left out),
// unsorted and overlapping; each bin's count is spread uniformly over its
// width, so a grid cell receives the share of every bin it overlaps in
// proportion to the overlap. Grid cells are centred on the grid points.
type Histogram struct {
	// Path is the file the bins came from ("" for bins built in Go).
	Path     string
	Bins     []Bin
	warnings []string
}

// LoadHistogram reads bins from a CSV file with columns lo,hi,count (with
// a header naming them, or in that order without one). Every bound must be
// finite with lo < hi, every count finite and >= 0. Errors name the file
// and the line.
func LoadHistogram(path string) (*Histogram, error) { return ReadHistogram(nil, path) }

// ReadHistogram is LoadHistogram reading name from fsys (the operating
// system's files when fsys is nil).
func ReadHistogram(fsys fs.FS, path string) (*Histogram, error) {
	h := &Histogram{Path: path}
	src := &csvSource{path: path, fsys: fsys, want: []string{"lo", "hi", "count"}}
	err := src.each(func(line int, v []float64) error {
		b := Bin{Lo: v[0], Hi: v[1], Count: v[2]}
		if err := b.check(); err != nil {
			return &FileError{Path: path, Line: line, Msg: err.Error()}
		}
		h.Bins = append(h.Bins, b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

func (b Bin) check() error {
	for _, v := range []struct {
		name string
		v    float64
	}{{"lo", b.Lo}, {"hi", b.Hi}, {"count", b.Count}} {
		if math.IsNaN(v.v) || math.IsInf(v.v, 0) {
			return fmt.Errorf("%s is %v: it must be finite", v.name, v.v)
		}
	}
	if !(b.Lo < b.Hi) {
		return fmt.Errorf("bin [%v, %v): lo must be less than hi", b.Lo, b.Hi)
	}
	if b.Count < 0 {
		return fmt.Errorf("count is %v: it must be >= 0", b.Count)
	}
	return nil
}

// Dim returns 1.
func (h *Histogram) Dim() int { return 1 }

// String returns the one-line syntax: histogram(path).
func (h *Histogram) String() string {
	if h.Path == "" {
		return fmt.Sprintf("histogram(<%d bins>)", len(h.Bins))
	}
	return "histogram(" + Quote(h.Path) + ")"
}

// Warnings returns what the last Density call had to say.
func (h *Histogram) Warnings() []string { return h.warnings }

// Density spreads the bins over g's cells and returns the result as a
// density: the mass of each cell divided by the total count and the cell
// width.
func (h *Histogram) Density(dst []float64, g *grid.Grid) error {
	h.warnings = nil
	if g.Dim() != 1 {
		return fmt.Errorf("a histogram target is 1-D but the grid is %d-D", g.Dim())
	}
	for i := range dst {
		dst[i] = 0
	}
	ax := g.Axes[0]
	var total, outside float64
	for i, b := range h.Bins {
		if err := b.check(); err != nil {
			return fmt.Errorf("bin %d: %w", i, err)
		}
		total += b.Count
		outside += spread(dst, ax, b.Lo, b.Hi, b.Count)
	}
	if total == 0 {
		return fmt.Errorf("%s: every count is zero", h.Path)
	}
	if outside > 0 {
		h.warnings = append(h.warnings, fmt.Sprintf("%.3g%% of the histogram's count lies outside the grid [%v, %v] and is dropped", 100*outside/total, ax.At(0)-ax.Delta/2, ax.At(ax.N-1)+ax.Delta/2))
	}
	for i := range dst {
		dst[i] /= total * ax.Delta
	}
	return nil
}

// spread adds the count of [lo, hi) to the cells of ax it overlaps, in
// proportion to the overlap (cell i is [x_i - d/2, x_i + d/2)), and
// returns the part that falls outside every cell.
func spread(mass []float64, ax grid.Axis, lo, hi, count float64) (outside float64) {
	d := ax.Delta
	edge0 := ax.At(0) - d/2
	first := int(math.Floor((lo - edge0) / d))
	last := int(math.Floor((hi - edge0) / d))
	width := hi - lo
	for i := max(first, 0); i <= min(last, ax.N-1); i++ {
		c := ax.At(i)
		a, b := math.Max(lo, c-d/2), math.Min(hi, c+d/2)
		if b > a {
			mass[i] += count * (b - a) / width
		}
	}
	edgeN := ax.At(ax.N-1) + d/2
	below := math.Max(0, math.Min(hi, edge0)-lo)
	above := math.Max(0, hi-math.Max(lo, edgeN))
	return count * (below + above) / width
}
