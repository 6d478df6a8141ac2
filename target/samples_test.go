package target_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/klfit/klfit/target"
)

func normalDraws(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()*1.5 + 0.5
	}
	return x
}

func csvColumn(header string, xs []float64, other string) string {
	var b strings.Builder
	if header != "" {
		b.WriteString(header + "\n")
	}
	for i, x := range xs {
		if other != "" {
			fmt.Fprintf(&b, "%d,%s,%v\n", i, other, x)
		} else {
			fmt.Fprintf(&b, "%v\n", x)
		}
	}
	return b.String()
}

// TestSamplesHistogram checks the default estimator: samples counted in
// cells centred on the grid points, counted here independently by rounding
// to the nearest grid point.
func TestSamplesHistogram(t *testing.T) {
	xs := normalDraws(2000, 1)
	g := grid1(t, -4, 5, 0.25)
	for _, c := range []struct {
		name, content, column string
	}{
		{"one number per line", csvColumn("", xs, ""), ""},
		{"header, one column", csvColumn("value", xs, ""), ""},
		{"header, named column", csvColumn("id,label,x", xs, "a"), "x"},
	} {
		s := &target.Samples{Path: write(t, "s.csv", c.content), Column: c.column}
		d := density(t, s, g)
		want := make([]float64, g.Len())
		out := 0
		for _, x := range xs {
			k := int(math.Round((x + 4) / 0.25))
			if k < 0 || k >= g.Len() {
				out++
				continue
			}
			want[k]++
		}
		for i := range want {
			// Counts are whole numbers; the density times n times the
			// cell width gives them back up to a few roundings.
			if got := d[i] * 2000 * 0.25; math.Abs(got-want[i]) > 1e-9 {
				t.Errorf("%s: cell %d count %v, want %v", c.name, i, got, want[i])
			}
		}
		if s.Stats.N != 2000 || s.Stats.Below+s.Stats.Above != out {
			t.Errorf("%s: stats %+v, %d outside", c.name, s.Stats, out)
		}
		if out > 0 && (len(s.Warnings()) != 1 || !strings.Contains(s.Warnings()[0], fmt.Sprintf("%d of 2000 samples", out))) {
			t.Errorf("%s: warnings %q", c.name, s.Warnings())
		}
	}
}

// TestSamplesKDE checks the binned KDE against the exact Gaussian KDE
// summed over every sample, and the bandwidth rules against their
// formulas with a two-pass standard deviation. Linear binning moves each
// sample's kernel by a second-order amount: the error is bounded by about
// (step/h)^2 / 2 times the peak density, which is the tolerance used.
func TestSamplesKDE(t *testing.T) {
	xs := normalDraws(500, 2)
	var mean, ss float64
	for _, x := range xs {
		mean += x
	}
	mean /= 500
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	sigma := math.Sqrt(ss / 499)
	g := grid1(t, -10, 11, 0.02)
	p := write(t, "s.csv", csvColumn("x", xs, ""))
	for _, c := range []struct {
		bw string
		h  float64
	}{
		{"", sigma * math.Pow(500, -0.2)},
		{"silverman", sigma * math.Pow(500*3.0/4, -0.2)},
		{"0.4", 0.4},
	} {
		s := &target.Samples{Path: p, Estimator: "kde", Bandwidth: c.bw}
		d := density(t, s, g)
		if math.Abs(s.Stats.Bandwidth-c.h) > 1e-12 {
			t.Errorf("bandwidth %q: %v, want %v", c.bw, s.Stats.Bandwidth, c.h)
		}
		h := c.h
		var worst, peak float64
		for i, x := range g.X {
			var f float64
			for _, xi := range xs {
				u := (x - xi) / h
				f += math.Exp(-u*u/2) / (math.Sqrt(2*math.Pi) * h * 500)
			}
			worst = max(worst, math.Abs(d[i]-f))
			peak = max(peak, f)
		}
		if tol := 0.5 * (0.02 / h) * (0.02 / h) * peak; worst > tol {
			t.Errorf("bandwidth %q: binned KDE differs by %v from the exact one (tolerance %v)", c.bw, worst, tol)
		}
	}
}

func TestSamplesErrors(t *testing.T) {
	g := grid1(t, -3, 3, 0.5)
	for _, c := range []struct {
		name, content string
		s             target.Samples
		want          string
	}{
		{"bad line", "1\n2\nabc\n4\n", target.Samples{}, `s.csv line 3: "abc" is not a number (skip_invalid: true skips such lines)`},
		{"empty", "", target.Samples{}, "s.csv: the file is empty"},
		{"blank lines", "\n\n\n", target.Samples{}, "s.csv: the file is empty"},
		{"only header", "x\n", target.Samples{}, "s.csv: the file has no numeric data"},
		{"all invalid skipped", "x\na\nb\n", target.Samples{SkipInvalid: true}, "no numeric data (2 lines skipped as invalid, the first at line 2"},
		{"which column", "a,b\n1,2\n", target.Samples{}, "s.csv line 1: has columns a, b: say which holds the samples with column:"},
		{"no such column", "a,b\n1,2\n", target.Samples{Column: "c"}, `has no column "c" (columns: a, b)`},
		{"lines that end in CR", "x\r" + strings.Repeat("0.123456\r", 200_000), target.Samples{Column: "x"}, "s.csv line 1: the line is longer than 1 MiB: not a CSV of numbers (or its lines end in a lone CR"},
		{"columns listed, not all", strings.Repeat("c,", 30) + "d\n", target.Samples{Column: "x"}, `has no column "x" (columns: c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, ... (31 in all))`},
		{"column without header", "1,2\n", target.Samples{Column: "c"}, `has no header, so column "c" cannot be found`},
		{"infinite", "1\n+Inf\n", target.Samples{}, "s.csv line 2: sample +Inf is not finite"},
		{"not utf-8", "1\n\xff\n", target.Samples{}, "s.csv line 2: not UTF-8 text"},
		{"estimator", "1\n", target.Samples{Estimator: "spline"}, `estimator: unknown estimator "spline" (known: histogram, kde)`},
		{"bandwidth", "1\n", target.Samples{Estimator: "kde", Bandwidth: "-1"}, "bandwidth: must be scott, silverman or a number > 0"},
		{"bandwidth for histogram", "1\n", target.Samples{Bandwidth: "0.1"}, "bandwidth: a bandwidth is for estimator: kde only"},
		{"no spread", "1\n1\n", target.Samples{Estimator: "kde"}, "no spread"},
	} {
		s := c.s
		s.Path = write(t, "s.csv", c.content)
		err := s.Density(make([]float64, g.Len()), g)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	// skip_invalid: the bad lines are counted and reported.
	s := &target.Samples{Path: write(t, "s.csv", "x\n1\nNA\n2\n\n,\n1.5\n"), SkipInvalid: true}
	if err := s.Density(make([]float64, g.Len()), g); err != nil {
		t.Fatal(err)
	}
	if s.Stats.N != 3 || s.Stats.Skipped != 2 || len(s.Warnings()) != 1 || !strings.Contains(s.Warnings()[0], "skipped 2 invalid lines (the first at line 3") {
		t.Errorf("stats %+v, warnings %q", s.Stats, s.Warnings())
	}
	// NaN and infinities too: they parse, but are not samples.
	s = &target.Samples{Path: write(t, "s.csv", "x\n1\nnan\n2\n-inf\n+Inf\n1.5\n"), SkipInvalid: true}
	if err := s.Density(make([]float64, g.Len()), g); err != nil {
		t.Fatal(err)
	}
	if s.Stats.N != 3 || s.Stats.Skipped != 3 || len(s.Warnings()) != 1 || !strings.Contains(s.Warnings()[0], "skipped 3 invalid lines (the first at line 3: sample NaN is not finite)") {
		t.Errorf("non-finite: stats %+v, warnings %q", s.Stats, s.Warnings())
	}
}
