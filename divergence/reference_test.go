package divergence_test

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/target"
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

// TestClosedFormsReference checks every closed form against mpmath
// (testdata/reference.py, at 50 digits) on ordinary and nearly equal
// pairs, where the textbook formulas lose up to half of their digits to
// cancellation, to the tolerance closedTolerance explains.
func TestClosedFormsReference(t *testing.T) {
	checkClosedForms(t, "closedforms.csv")
}

// TestClosedFormsExtreme checks every closed form against mpmath
// (testdata/extreme.py, 45 digits or more) at extreme parameters: scale
// ratios from 1e-300 to 1e300 (subnormal and overflowing ratios
// included), tiny and huge variances, far means, huge and tiny shapes,
// and nearly equal members of each kind. It is driven by the registry:
// every pair ClosedForms lists must have at least four rows, so a new
// closed form cannot go unchecked. A value above the largest float64 must
// come back as +Inf with ErrOverflow, an infinite one as +Inf with a
// *SupportError.
func TestClosedFormsExtreme(t *testing.T) {
	rows := checkClosedForms(t, "closedforms_extreme.csv")
	count := map[string]int{}
	for _, r := range rows {
		count[r[0]+": "+r[2]]++
	}
	for _, name := range divergence.ClosedForms() {
		if count[name] < 4 {
			t.Errorf("%s: %d rows in closedforms_extreme.csv, want at least 4 (add its cases to testdata/extreme.py)", name, count[name])
		}
	}
}

// closedTolerance is the relative error a closed form is held to: 1e-14,
// about 45 float64 roundings. Every form is written as a sum of terms
// that are each >= 0 and computed to a few ulps from ratios and logs that
// are themselves good to a few ulps (including across under- and
// overflow), so the sum is too; 1e-14 leaves room for the longest chains
// (mvnormal's Cholesky factors, gamma's and beta's Binet terms) and still
// fails any cancellation, which costs digits by the dozen. The alpha
// divergence is (1 - S)/(a(1-a)) with S = exp(log S): the exponential
// turns the few ulps of |log S| that log S is known to into that much
// relative error in S, so it is held to 1e-14 max(1, |log S|) (at most
// 7e-12 before S overflows).
func closedTolerance(d divergence.Divergence, want float64) float64 {
	if a, ok := d.(divergence.Alpha); ok {
		logS := math.Log(math.Abs(1 - a.Alpha*(1-a.Alpha)*want))
		return 1e-14 * math.Max(1, math.Abs(logS))
	}
	return 1e-14
}

// checkClosedForms checks the closed forms of a reference table and
// returns its rows.
func checkClosedForms(t *testing.T, file string) [][]string {
	t.Helper()
	rows := readCSV(t, file)
	worst, worstRel, worstWhat := 0.0, 0.0, "" // worst: the largest share of its tolerance
	defer func() {
		t.Logf("%s: largest error %.3g of its tolerance, relative error %.3g (%s)", file, worst, worstRel, worstWhat)
	}()
	for _, r := range rows {
		d := newDivergence(t, r[0], r[1])
		p, q := parseFloats(t, r[3]), parseFloats(t, r[4])
		what := fmt.Sprintf("%s %s %v || %v", divergence.Label(d), r[2], p, q)
		want, perr := strconv.ParseFloat(r[5], 64)
		overflow := errors.Is(perr, strconv.ErrRange) && math.IsInf(want, 1)
		if perr != nil && !overflow {
			t.Fatal(perr)
		}
		got, ok, err := divergence.ClosedForm(d, r[2], p, q)
		switch {
		case !ok:
			t.Errorf("%s: no closed form", what)
		case overflow:
			if !math.IsInf(got, 1) || !errors.Is(err, divergence.ErrOverflow) {
				t.Errorf("%s: %v (%v), want +Inf with ErrOverflow (mpmath %s)", what, got, err, r[5])
			}
		case math.IsInf(want, 1):
			var se *divergence.SupportError
			if !math.IsInf(got, 1) || !errors.As(err, &se) || se.Reason == "" {
				t.Errorf("%s: %v (%v), want +Inf with a reason", what, got, err)
			}
		case err != nil:
			t.Errorf("%s: %v", what, err)
		default:
			rel := math.Abs(got-want) / math.Abs(want)
			if share := rel / closedTolerance(d, want); share > worst {
				worst, worstRel, worstWhat = share, rel, what
			}
			if !(rel <= closedTolerance(d, want)) {
				t.Errorf("%s: %.17g, mpmath %.17g (relative error %.2g)", what, got, want, rel)
			}
		}
	}
	return rows
}

// familyDensity builds a density from "family(name=value, ...)", the
// values in the family's parameter order.
func familyDensity(t testing.TB, s string) *divergence.Density {
	t.Helper()
	name, rest, ok := strings.Cut(s, "(")
	if !ok {
		t.Fatalf("bad family %q", s)
	}
	f, err := dist.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	var theta []float64
	for i, kv := range strings.Split(strings.TrimSuffix(rest, ")"), ",") {
		k, v, _ := strings.Cut(kv, "=")
		if strings.TrimSpace(k) != f.Params()[i].Name {
			t.Fatalf("%s: parameter %d is %s, not %s", s, i, f.Params()[i].Name, k)
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			t.Fatal(err)
		}
		theta = append(theta, x)
	}
	d, err := divergence.FromTarget(target.Family{Family: f, Theta: theta})
	if err != nil {
		t.Fatal(err)
	}
	d.Label = s
	return d
}

// TestPairsReference checks the estimates between members of different
// families against mpmath quadrature at 40 digits (testdata/reference.py),
// by every method that applies: an infinite divergence must be +Inf (by
// the tails, the supports, or the grid), or at least not claimed
// converged; a finite one converged must hold the truth within its stated
// error (five standard errors for Monte Carlo, a seeded draw). The test
// also counts how many estimates converged, and fails when fewer than
// the ones known to converge do.
func TestPairsReference(t *testing.T) {
	if testing.Short() {
		t.Skip("grid refinements up to 4M points")
	}
	rows := readCSV(t, "pairs.csv")
	converged := map[string]int{}
	for _, r := range rows {
		p, q := familyDensity(t, r[0]), familyDensity(t, r[1])
		d := newDivergence(t, r[2], r[3])
		truth := math.Inf(1)
		if r[4] != "inf" {
			v, err := strconv.ParseFloat(r[4], 64)
			if err != nil {
				t.Fatal(err)
			}
			truth = v
		}
		for _, method := range []string{divergence.MethodAuto, divergence.MethodMC} {
			e, err := divergence.EstimateDivergence(context.Background(), d, p, q, divergence.Options{Method: method, Seed: 7})
			if err != nil {
				t.Errorf("%s(%s || %s) by %s: %v", divergence.Label(d), r[0], r[1], method, err)
				continue
			}
			what := fmt.Sprintf("%s(%s || %s) by %s (%s)", divergence.Label(d), r[0], r[1], method, e.Method)
			switch {
			case math.IsInf(truth, 1):
				if !math.IsInf(e.Value, 1) && e.Converged {
					t.Errorf("%s = %.10g ± %.3g, converged, but the divergence is infinite", what, e.Value, e.Error)
				}
				if math.IsInf(e.Value, 1) && e.Reason == "" {
					t.Errorf("%s = +Inf without a reason", what)
				}
			case math.IsInf(e.Value, 0) || math.IsNaN(e.Value):
				t.Errorf("%s = %v (%s), true value %.10g", what, e.Value, e.Reason, truth)
			case e.Converged:
				bound := e.Error
				if e.Method == divergence.MethodMC {
					bound = 5 * e.Error
				}
				if !(math.Abs(e.Value-truth) <= bound) {
					t.Errorf("%s = %.12g, stated error %.3g, true value %.12g (off by %.3g)", what, e.Value, e.Error, truth, math.Abs(e.Value-truth))
				}
			}
			if e.Converged {
				converged[method]++
			}
			t.Logf("%s = %.12g (error %.3g, converged %v) true %.12g %s", what, e.Value, e.Error, e.Converged, truth, e.Note)
		}
	}
	t.Logf("%d pairs and divergences; converged: %v", len(rows), converged)
}
