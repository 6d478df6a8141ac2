package dist_test

import (
	"math"
	"testing"

	"github.com/klfit/klfit/dist"
)

// TestTails checks, for every family the registry knows, that it states
// its tail classes, and for the 1-D ones that the log-density behaves as
// stated far out in each tail (or near each finite bound): a stated
// exponential tail exp(-r t^k) has -log p / (r t^k) -> 1, a power law
// has -d log p / d log t -> index+1, a bound with exponent s has
// d log p / d log(x-b) -> s, a lognormal tail has -log p / (r log^2 t)
// -> 1, a doubly exponential one log(-log p)/t -> r. The points are far
// enough out that the lower-order terms are below the tolerances.
func TestTails(t *testing.T) {
	cases := map[string][]scoreCase{}
	for _, tc := range scoreCases(t) {
		cases[tc.f.Name()] = append(cases[tc.f.Name()], tc)
	}
	for _, name := range dist.Names() {
		if len(cases[name]) == 0 {
			t.Errorf("%s: no test case: add it to scoreCases", name)
			continue
		}
		for _, tc := range cases[name] {
			tl, ok := tc.f.(dist.Tailer)
			if !ok {
				t.Errorf("%s does not state its tails (dist.Tailer)", tc.name)
				continue
			}
			for _, theta := range tc.thetas {
				lo, hi := tl.Tails(theta)
				if lo.Kind == dist.TailUnknown || hi.Kind == dist.TailUnknown {
					t.Errorf("%s %v: unknown tails %v, %v", tc.name, theta, lo, hi)
				}
				if tc.f.Dim() != 1 || name == "categorical" {
					continue
				}
				slo, shi := supportOf(t, tc.f)
				checkTail(t, tc, theta, lo, slo, -1)
				checkTail(t, tc, theta, hi, shi, 1)
			}
		}
	}
}

func supportOf(t *testing.T, f dist.Family) (lo, hi float64) {
	switch f.Support() {
	case "(-inf, inf)":
		return math.Inf(-1), math.Inf(1)
	case "[0, inf)", "(0, inf)":
		return 0, math.Inf(1)
	case "(0, 1)":
		return 0, 1
	case "[-pi, pi) (circular)":
		return -math.Pi, math.Pi
	}
	t.Fatalf("%s: support %q not known to the test", f.Name(), f.Support())
	return 0, 0
}

// checkTail checks one end (side -1 lower, +1 upper, bound b).
func checkTail(t *testing.T, tc scoreCase, theta []float64, tail dist.Tail, b float64, side float64) {
	t.Helper()
	lp := func(x float64) float64 { return dist.LogProb(tc.f, theta, x) }
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s %v, %s tail (%v): "+format, append([]any{tc.name, theta, map[float64]string{-1: "lower", 1: "upper"}[side], tail}, args...)...)
	}
	if tail.Kind == dist.TailBound {
		if math.IsInf(b, 0) {
			fail("a bound stated on an unbounded side")
			return
		}
		// Distances from the bound small against every scale of the
		// family's test points (and its powers), large against the
		// rounding of b.
		t1, t2 := 1e-200, 1e-201
		if b != 0 {
			t1, t2 = 1e-9, 1e-10
		}
		slope := (lp(b-side*t1) - lp(b-side*t2)) / math.Log(t1/t2)
		if math.IsInf(tail.Power, 1) {
			// The slope grows without bound as the bound nears.
			near := (lp(b-side*1e-9) - lp(b-side*1e-10)) / math.Log(10)
			if !(slope > 10 && slope > 3*near) {
				fail("log-density slopes %v and %v near the bound, want a vanishing faster than any power", near, slope)
			}
			return
		}
		if math.Abs(slope-tail.Power) > 1e-3*math.Max(1, math.Abs(tail.Power)) {
			fail("log-density slope %.6g at the bound, stated %.6g", slope, tail.Power)
		}
		return
	}
	if !math.IsInf(b, 0) {
		fail("a tail stated on a side bounded at %v", b)
		return
	}
	switch tail.Kind {
	case dist.TailExp:
		// Far enough out that r t^k is 1e12: the location's shift and
		// the lower-order terms are then negligible.
		x := side * math.Pow(1e12/tail.Rate, 1/tail.Power)
		if r := -lp(x) / (tail.Rate * math.Pow(math.Abs(x), tail.Power)); math.Abs(r-1) > 1e-2 {
			fail("-log p / (rate |x|^power) = %.6g at x=%.3g", r, x)
		}
	case dist.TailPower:
		x1, x2 := side*1e12, side*1e13
		if s := -(lp(x2) - lp(x1)) / math.Log(x2/x1); math.Abs(s-(tail.Index+1)) > 1e-3*(tail.Index+1) {
			fail("log-log slope %.6g, want index+1 = %.6g", s, tail.Index+1)
		}
	case dist.TailLogSquare:
		x := side * math.Exp(700)
		// -log p = r (log x - mu)^2 + log x + ...: the log x term is
		// 1/(700 r) of the leading one, up to 3% for the test points.
		if r := -lp(x) / (tail.Rate * 700 * 700); math.Abs(r-1) > 5e-2 {
			fail("-log p / (rate log^2 x) = %.6g", r)
		}
	case dist.TailDoubleExp:
		// The slope of log(-log p) in |x|, which a shift does not change,
		// at the farthest points where p is still positive.
		x := side * 600 / tail.Rate
		for math.IsInf(lp(x), -1) {
			x /= 2
		}
		x2 := x - side*10/tail.Rate
		if r := (math.Log(-lp(x)) - math.Log(-lp(x2))) / (math.Abs(x-x2) * tail.Rate); math.Abs(r-1) > 2e-2 {
			fail("slope of log(-log p) / rate = %.6g at x=%.3g", r, x)
		}
	default:
		fail("unexpected kind")
	}
}
