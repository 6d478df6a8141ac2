package target

import (
	"encoding/csv"
	"fmt"
	"io/fs"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/klfit/klfit/grid"
)

// Warner is implemented by targets that have something to tell the user
// after Density: samples that fell outside the grid, a grid that extends
// past a table. Warnings are one line each.
type Warner interface {
	// Warnings returns the warnings of the last Density call.
	Warnings() []string
}

// Table is a density tabulated in a CSV file with columns x,density (1-D)
// or x,y,density (2-D, on a full rectangular lattice), with or without a
// header. It is interpolated onto the grid linearly (bilinearly in 2-D)
// and is zero outside the table's range; a grid that extends past the
// range gets a warning.
type Table struct {
	Path string
	// X holds the sorted x values; Y the sorted y values (nil in 1-D).
	X, Y []float64
	// D holds the density values: D[i] at X[i] in 1-D, D[j*len(X)+i] at
	// (X[i], Y[j]) in 2-D.
	D        []float64
	warnings []string
}

// LoadTable reads a tabulated density. A file whose header has a y column,
// or whose records have three numbers and no header, is 2-D. Errors name
// the file and the line.
func LoadTable(path string) (*Table, error) { return ReadTable(nil, path) }

// ReadTable is LoadTable reading name from fsys (the operating system's
// files when fsys is nil).
func ReadTable(fsys fs.FS, path string) (*Table, error) {
	twoD, err := tableIs2D(fsys, path)
	if err != nil {
		return nil, err
	}
	t := &Table{Path: path}
	type row struct {
		x, y, d float64
		line    int
	}
	var rows []row
	src := &csvSource{path: path, fsys: fsys, want: []string{"x", "density"}}
	if twoD {
		src.want = []string{"x", "y", "density"}
	}
	err = src.each(func(line int, v []float64) error {
		r := row{x: v[0], d: v[len(v)-1], line: line}
		if twoD {
			r.y = v[1]
		}
		for k, val := range v {
			if math.IsNaN(val) || math.IsInf(val, 0) {
				return &FileError{Path: path, Line: line, Msg: fmt.Sprintf("%s is %v: it must be finite", src.want[k], val)}
			}
		}
		if r.d < 0 {
			return &FileError{Path: path, Line: line, Msg: fmt.Sprintf("density is %v at x=%v: it must be >= 0", r.d, r.x)}
		}
		rows = append(rows, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !twoD {
		sort.SliceStable(rows, func(i, j int) bool { return rows[i].x < rows[j].x })
		for i := 1; i < len(rows); i++ {
			if rows[i].x == rows[i-1].x {
				return nil, &FileError{Path: path, Line: max(rows[i].line, rows[i-1].line), Msg: fmt.Sprintf("x=%v appears twice (lines %d and %d)", rows[i].x, min(rows[i].line, rows[i-1].line), max(rows[i].line, rows[i-1].line))}
			}
		}
		if len(rows) < 2 {
			return nil, &FileError{Path: path, Msg: "a table needs at least two rows to interpolate"}
		}
		for _, r := range rows {
			t.X = append(t.X, r.x)
			t.D = append(t.D, r.d)
		}
		return t, nil
	}
	xs, ys := uniqueSorted(rows, func(r row) float64 { return r.x }), uniqueSorted(rows, func(r row) float64 { return r.y })
	if len(xs) < 2 || len(ys) < 2 {
		return nil, &FileError{Path: path, Msg: "a 2-D table needs at least two x and two y values"}
	}
	// A full lattice has one row for every (x, y): check before sizing it
	// by the distinct values, which a file of scattered points would make
	// enormous.
	if len(xs)*len(ys) > len(rows) {
		present := make(map[[2]float64]bool, len(rows))
		for _, r := range rows {
			present[[2]float64{r.x, r.y}] = true
		}
		for _, y := range ys {
			for _, x := range xs {
				if !present[[2]float64{x, y}] {
					return nil, &FileError{Path: path, Msg: fmt.Sprintf("the table is not a full lattice: x=%v, y=%v is missing (%d rows for %d distinct x and %d distinct y values)", x, y, len(rows), len(xs), len(ys))}
				}
			}
		}
	}
	t.X, t.Y = xs, ys
	t.D = make([]float64, len(xs)*len(ys))
	seen := make([]int, len(t.D))
	for _, r := range rows {
		i, j := sort.SearchFloat64s(xs, r.x), sort.SearchFloat64s(ys, r.y)
		k := j*len(xs) + i
		if seen[k] != 0 {
			return nil, &FileError{Path: path, Line: r.line, Msg: fmt.Sprintf("x=%v, y=%v appears twice (lines %d and %d)", r.x, r.y, seen[k], r.line)}
		}
		seen[k] = r.line
		t.D[k] = r.d
	}
	for k, l := range seen {
		if l == 0 {
			return nil, &FileError{Path: path, Msg: fmt.Sprintf("the table is not a full lattice: x=%v, y=%v is missing", xs[k%len(xs)], ys[k/len(xs)])}
		}
	}
	return t, nil
}

func uniqueSorted[T any](rows []T, key func(T) float64) []float64 {
	var v []float64
	for _, r := range rows {
		v = append(v, key(r))
	}
	sort.Float64s(v)
	out := v[:0]
	for i, x := range v {
		if i == 0 || x != v[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// tableIs2D reads the first record of a table file to tell its dimension.
func tableIs2D(fsys fs.FS, path string) (bool, error) {
	f, err := Open(fsys, path)
	if err != nil {
		return false, &FileError{Path: path, Msg: "cannot open: " + unwrapPathError(err), Err: err}
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	r.TrimLeadingSpace = true
	rec, err := r.Read()
	if err != nil {
		return false, nil // reading again reports the problem with its line
	}
	numeric := true
	for _, field := range rec {
		field = strings.TrimSpace(strings.TrimPrefix(field, "\uFEFF"))
		if field == "y" {
			return true, nil
		}
		if _, err := strconv.ParseFloat(field, 64); err != nil {
			numeric = false
		}
	}
	return numeric && len(rec) == 3, nil
}

// Dim returns 1 or 2.
func (t *Table) Dim() int {
	if t.Y != nil {
		return 2
	}
	return 1
}

// String returns the one-line syntax: table(path).
func (t *Table) String() string { return "table(" + Quote(t.Path) + ")" }

// Warnings returns what the last Density call had to say.
func (t *Table) Warnings() []string { return t.warnings }

// Density interpolates the table onto g.
func (t *Table) Density(dst []float64, g *grid.Grid) error {
	t.warnings = nil
	if err := t.DensityAt(dst, g.X, g.Y); err != nil {
		return err
	}
	lo, hi := g.Axes[0].At(0), g.Axes[0].At(g.Axes[0].N-1)
	if lo < t.X[0] || hi > t.X[len(t.X)-1] {
		t.warnings = append(t.warnings, fmt.Sprintf("%s covers x in [%v, %v] but the grid spans [%v, %v]: the target is 0 outside the table", t.Path, t.X[0], t.X[len(t.X)-1], lo, hi))
	}
	if t.Y != nil {
		lo, hi := g.Axes[1].At(0), g.Axes[1].At(g.Axes[1].N-1)
		if lo < t.Y[0] || hi > t.Y[len(t.Y)-1] {
			t.warnings = append(t.warnings, fmt.Sprintf("%s covers y in [%v, %v] but the grid spans [%v, %v]: the target is 0 outside the table", t.Path, t.Y[0], t.Y[len(t.Y)-1], lo, hi))
		}
	}
	return nil
}

// DensityAt interpolates the table at the points (x[i], y[i]).
func (t *Table) DensityAt(dst, x, y []float64) error {
	for i, xi := range x {
		if t.Y == nil {
			dst[i] = interp1(t.X, t.D, xi)
			continue
		}
		dst[i] = t.interp2(xi, y[i])
	}
	return nil
}

// locate returns the cell index k and the fraction f with
// v = xs[k] + f (xs[k+1]-xs[k]), or ok = false outside [xs[0], xs[n-1]].
func locate(xs []float64, v float64) (k int, f float64, ok bool) {
	n := len(xs)
	if !(v >= xs[0] && v <= xs[n-1]) {
		return 0, 0, false
	}
	k = sort.SearchFloat64s(xs, v) // first index with xs[k] >= v
	if k == 0 {
		return 0, 0, true
	}
	k--
	return k, (v - xs[k]) / (xs[k+1] - xs[k]), true
}

func interp1(xs, ds []float64, v float64) float64 {
	k, f, ok := locate(xs, v)
	if !ok {
		return 0
	}
	if f == 0 {
		return ds[k]
	}
	return ds[k] + f*(ds[k+1]-ds[k])
}

func (t *Table) interp2(x, y float64) float64 {
	i, fx, okx := locate(t.X, x)
	j, fy, oky := locate(t.Y, y)
	if !okx || !oky {
		return 0
	}
	nx := len(t.X)
	at := func(i, j int) float64 {
		if i >= nx || j >= len(t.Y) {
			return 0 // weight 0: only reached when the fraction is 0
		}
		return t.D[j*nx+i]
	}
	return (1-fx)*(1-fy)*at(i, j) + fx*(1-fy)*at(i+1, j) + (1-fx)*fy*at(i, j+1) + fx*fy*at(i+1, j+1)
}

// Quote writes s (a file name, a column name) as the one-line syntax
// reads it back: bare when it is a plain word or path that starts with a
// letter, '/' or '_' (data.csv, /tmp/x.csv, amount), else quoted
// ("./data.csv", "-", "1", "my file.csv").
func Quote(s string) string {
	if s == "" {
		return `""`
	}
	if c := s[0]; !(c == '/' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return strconv.Quote(s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '.' || c == '/' || c == '-' || c == '~' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return strconv.Quote(s)
		}
	}
	return s
}
