package divergence_test

import (
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/klfit/klfit/divergence"
)

// readCSV reads a reference table from testdata, header first.
func readCSV(t *testing.T, name string) [][]string {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(rows) < 2 {
		t.Fatalf("%s: no rows", name)
	}
	return rows[1:]
}

func parseFloats(t *testing.T, s string) []float64 {
	t.Helper()
	var out []float64
	for _, f := range strings.Fields(s) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// newDivergence builds a divergence from a reference row's name and
// alpha ("" when it takes none).
func newDivergence(t *testing.T, name, alpha string) divergence.Divergence {
	t.Helper()
	opts := map[string]float64{}
	if alpha != "" {
		a, err := strconv.ParseFloat(alpha, 64)
		if err != nil {
			t.Fatal(err)
		}
		opts["alpha"] = a
	}
	d, err := divergence.New(name, opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestClosedFormsReference checks every closed form against mpmath at 50
// digits (testdata/reference.py), nearly equal pairs included, to 1e-12
// relative: the forms are written so that no digit is lost to
// cancellation between members that differ by 1e-6 to 1e-10, where the
// textbook formulas lose up to half of them.
func TestClosedFormsReference(t *testing.T) {
	rows := readCSV(t, "closedforms.csv")
	for _, r := range rows {
		d := newDivergence(t, r[0], r[1])
		p, q := parseFloats(t, r[3]), parseFloats(t, r[4])
		want, err := strconv.ParseFloat(r[5], 64)
		if err != nil {
			t.Fatal(err)
		}
		got, ok, err := divergence.ClosedForm(d, r[2], p, q)
		if !ok {
			t.Errorf("%s %s: no closed form", divergence.Label(d), r[2])
			continue
		}
		if math.IsInf(want, 1) {
			if !math.IsInf(got, 1) || err == nil {
				t.Errorf("%s %s %v || %v: %v (%v), want +Inf with a reason", divergence.Label(d), r[2], p, q, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %s %v || %v: %v", divergence.Label(d), r[2], p, q, err)
			continue
		}
		if rel := math.Abs(got-want) / math.Abs(want); !(rel <= 1e-12) {
			t.Errorf("%s %s %v || %v: %.17g, mpmath %.17g (relative error %.2g)", divergence.Label(d), r[2], p, q, got, want, rel)
		}
	}
}
