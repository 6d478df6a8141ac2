package target_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/target"
)

func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func grid1(t *testing.T, start, stop, step float64) *grid.Grid {
	t.Helper()
	a, err := grid.Arange(start, stop, step)
	if err != nil {
		t.Fatal(err)
	}
	return grid.New1D(a)
}

func density(t *testing.T, tg target.Target, g *grid.Grid) []float64 {
	t.Helper()
	d := make([]float64, g.Len())
	if err := tg.Density(d, g); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestTable1D checks that linear interpolation reproduces a piecewise
// linear function exactly (to rounding), whatever the order of the rows,
// that the table is zero outside its range, and that the grid's overhang
// is reported.
func TestTable1D(t *testing.T) {
	p := write(t, "t.csv", "x,density\n2,1\n0,0\n1,3\n# a comment\n3,0\n")
	tb, err := target.LoadTable(p)
	if err != nil {
		t.Fatal(err)
	}
	g := grid1(t, -1, 4, 0.25)
	d := density(t, tb, g)
	f := func(x float64) float64 {
		switch {
		case x < 0 || x > 3:
			return 0
		case x <= 1:
			return 3 * x
		case x <= 2:
			return 3 - 2*(x-1)
		}
		return 1 - (x - 2)
	}
	for i, x := range g.X {
		if math.Abs(d[i]-f(x)) > 1e-15 {
			t.Errorf("at x=%v: %v, want %v", x, d[i], f(x))
		}
	}
	if w := tb.Warnings(); len(w) != 1 || !strings.Contains(w[0], "covers x in [0, 3] but the grid spans [-1, 3.75]") {
		t.Errorf("warnings %q", w)
	}
	if d := density(t, tb, grid1(t, 0, 3, 0.5)); len(tb.Warnings()) != 0 || d[0] != 0 || d[2] != 3 {
		t.Errorf("inside the table: %v, warnings %q", d, tb.Warnings())
	}
	// Without a header, by position.
	p2 := write(t, "t2.csv", "0,0\n1,3\n2,1\n3,0\n")
	tb2, err := target.LoadTable(p2)
	if err != nil || tb2.Dim() != 1 || len(tb2.X) != 4 {
		t.Fatalf("headerless table: %v, %v", tb2, err)
	}
}

// TestTable2D checks bilinear interpolation, exact on a bilinear function.
func TestTable2D(t *testing.T) {
	var b strings.Builder
	b.WriteString("y,x,density\n")
	f := func(x, y float64) float64 { return 1 + x + 2*y + x*y }
	for _, y := range []float64{0, 1, 3} {
		for _, x := range []float64{2, 0, 1} {
			b.WriteString(strings.Join([]string{ftoa(y), ftoa(x), ftoa(f(x, y))}, ",") + "\n")
		}
	}
	tb, err := target.LoadTable(write(t, "t.csv", b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if tb.Dim() != 2 {
		t.Fatalf("dim %d", tb.Dim())
	}
	ax, _ := grid.Arange(-0.5, 2.5, 0.25)
	ay, _ := grid.Arange(0, 4, 0.5)
	g, _ := grid.New2D(ax, ay)
	d := density(t, tb, g)
	for i := range d {
		x, y := g.X[i], g.Y[i]
		want := 0.0
		if x >= 0 && x <= 2 && y <= 3 {
			want = f(x, y)
		}
		if math.Abs(d[i]-want) > 1e-14 {
			t.Errorf("at %v,%v: %v, want %v", x, y, d[i], want)
		}
	}
	if len(tb.Warnings()) != 2 {
		t.Errorf("warnings %q", tb.Warnings())
	}
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// TestFileErrors checks the one-line errors for bad files: each names the
// file and, where it is about one record, the line.
func TestFileErrors(t *testing.T) {
	for _, c := range []struct {
		name, content string
		load          func(string) error
		want          string
	}{
		{"empty table", "", loadTable, "t.csv: the file is empty"},
		{"header only", "x,density\n", loadTable, "t.csv: the file has no numeric data"},
		{"not a number", "x,density\n0,1\n1,abc\n", loadTable, `t.csv line 3: column density: "abc" is not a number`},
		{"negative", "x,density\n0,1\n1,-2\n", loadTable, "t.csv line 3: density is -2 at x=1: it must be >= 0"},
		{"duplicate x", "0,1\n1,2\n0,3\n", loadTable, "t.csv line 3: x=0 appears twice (lines 1 and 3)"},
		{"missing column", "x,dens\n0,1\n", loadTable, `t.csv line 1: has no column "density" (columns: x, dens)`},
		{"field count", "x,density\n0,1\n1,2,3\n", loadTable, "t.csv line 3: has 3 fields"},
		{"not utf-8", "x,density\n0,1\n1,\xff\xfe\n", loadTable, "t.csv line 3: not UTF-8 text"},
		{"binary", "\x00\x01\x02\xff\xfe", loadTable, "t.csv line 1: not UTF-8 text"},
		{"one row", "0,1\n", loadTable, "at least two rows"},
		{"lattice", "x,y,density\n0,0,1\n1,0,1\n0,1,1\n", loadTable, "not a full lattice: x=1, y=1 is missing"},
		{"hist lo >= hi", "lo,hi,count\n0,1,5\n2,2,1\n", loadHist, "t.csv line 3: bin [2, 2): lo must be less than hi"},
		{"hist negative", "0,1,5\n1,2,-1\n", loadHist, "t.csv line 2: count is -1: it must be >= 0"},
		{"hist NaN", "0,1,5\n1,2,NaN\n", loadHist, "t.csv line 2: count is NaN: it must be finite"},
		{"hist inf", "0,1,5\n1,+Inf,3\n", loadHist, "t.csv line 2: hi is +Inf: it must be finite"},
		{"hist columns", "a,b,c\n0,1,5\n", loadHist, `has no column "lo"`},
	} {
		p := write(t, "t.csv", c.content)
		err := c.load(p)
		if err == nil || !strings.HasSuffix(err.Error(), c.want) && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error is not one line: %q", c.name, err)
		}
		var fe *target.FileError
		if err != nil && !errors.As(err, &fe) {
			t.Errorf("%s: %T is not a *FileError", c.name, err)
		}
	}
	if _, err := target.LoadTable(filepath.Join(t.TempDir(), "missing.csv")); err == nil || !strings.Contains(err.Error(), "missing.csv: cannot open: no such file") {
		t.Errorf("missing file: %v", err)
	}
}

func loadTable(p string) error { _, err := target.LoadTable(p); return err }
func loadHist(p string) error  { _, err := target.LoadHistogram(p); return err }

// TestHistogramSpread checks that unequal, sparse, unsorted bins are
// spread over the grid cells they overlap in proportion to the overlap:
// the cell masses are computed here by hand.
func TestHistogramSpread(t *testing.T) {
	// Grid points 0, 1, 2, 3: cells [-0.5,0.5), [0.5,1.5), [1.5,2.5), [2.5,3.5).
	g := grid1(t, 0, 4, 1)
	p := write(t, "h.csv", "lo,hi,count\n1.5,3.5,40\n-0.5,0,10\n0,1,20\n4,5,30\n")
	h, err := target.LoadHistogram(p)
	if err != nil {
		t.Fatal(err)
	}
	d := density(t, h, g)
	// [-0.5,0): 10 in cell 0. [0,1): 10 in cell 0, 10 in cell 1.
	// [1.5,3.5): 20 in cell 2, 20 in cell 3. [4,5): outside (30).
	want := []float64{20, 10, 20, 20}
	for i := range want {
		if got := d[i] * 100; math.Abs(got-want[i]) > 1e-12 {
			t.Errorf("cell %d: mass %v, want %v", i, got, want[i])
		}
	}
	if w := h.Warnings(); len(w) != 1 || !strings.HasPrefix(w[0], "30% of the histogram's count lies outside the grid [-0.5, 3.5]") {
		t.Errorf("warnings %q", w)
	}
	// A bin inside the grid gives no warning, even with rounding.
	h2 := &target.Histogram{Bins: []target.Bin{{Lo: 0.1, Hi: 2.7, Count: 3}}}
	d = density(t, h2, g)
	if len(h2.Warnings()) != 0 {
		t.Errorf("warnings %q", h2.Warnings())
	}
	var total float64
	for _, v := range d {
		total += v
	}
	if math.Abs(total-1) > 1e-15 {
		t.Errorf("masses sum to %v", total)
	}
	if err := (&target.Histogram{Bins: []target.Bin{{0, 1, 0}}}).Density(d, g); err == nil || !strings.Contains(err.Error(), "every count is zero") {
		t.Errorf("zero counts: %v", err)
	}
}

// TestScatteredTable checks that a 2-D table of scattered points (every
// row a new x and a new y) is refused as not a lattice before its
// would-be lattice (here 4e8 points, 3.2 GB) is allocated.
func TestScatteredTable(t *testing.T) {
	var b strings.Builder
	b.WriteString("x,y,density\n")
	for i := range 20_000 {
		fmt.Fprintf(&b, "%d.5,%d.25,1\n", i, 7*i)
	}
	path := filepath.Join(t.TempDir(), "scattered.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	err := loadTable(path)
	if err == nil || !strings.Contains(err.Error(), "not a full lattice") {
		t.Fatalf("error %v", err)
	}
}
