package plot_test

import (
	"math"
	"strings"
	"testing"

	"github.com/klfit/klfit/plot"
)

// TestNiceTicks checks the tick values and labels of linear axes against
// what matplotlib's default locator gives, and the rules for any range:
// 5 to 9 ticks at multiples of 1, 2, 2.5 or 5 times a power of ten, all
// labels of one format.
func TestNiceTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		want   string
	}{
		{-11, 11, "-10 -5 0 5 10"},
		{0, 0.41, "0.0 0.1 0.2 0.3 0.4"},
		{-50, 1050, "0 200 400 600 800 1000"},
		{0, 0.0021, "0.0000 0.0005 0.0010 0.0015 0.0020"},
		{0, 19.9, "0.0 2.5 5.0 7.5 10.0 12.5 15.0 17.5"},
		{1e5, 5.2e5, "1e5 2e5 3e5 4e5 5e5"},
		{-2e-5, 2e-5, "-2e-5 -1e-5 0 1e-5 2e-5"},
		{8.7e16, 8.7e16, "8.7e16"},
		{1, 1 + 1e-14, "1 1.00000000000001"},
	} {
		var got []string
		for _, tk := range (plot.NiceTicks{}).Ticks(c.lo, c.hi) {
			got = append(got, tk.Label)
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("[%v, %v]: %s, want %s", c.lo, c.hi, g, c.want)
		}
	}
	for k := -20; k <= 20; k++ {
		for _, span := range []float64{1, 1.3, 1.9, 2.7, 3.3, 4.4, 5.5, 7.1, 8.9} {
			lo := -0.37 * span * math.Pow(10, float64(k))
			hi := lo + span*math.Pow(10, float64(k))
			ticks := (plot.NiceTicks{}).Ticks(lo, hi)
			if len(ticks) < 5 || len(ticks) > 9 {
				t.Fatalf("[%g, %g]: %d ticks", lo, hi, len(ticks))
			}
			step := ticks[1].Value - ticks[0].Value
			m := step / math.Pow(10, math.Floor(math.Log10(step)))
			if !near(m, 1) && !near(m, 2) && !near(m, 2.5) && !near(m, 5) && !near(m, 10) {
				t.Errorf("[%g, %g]: step %g", lo, hi, step)
			}
			if ticks[0].Value < lo-1e-9*step || ticks[len(ticks)-1].Value > hi+1e-9*step {
				t.Errorf("[%g, %g]: ticks beyond the range", lo, hi)
			}
			seen := map[string]bool{}
			decimals := -1
			for _, tk := range ticks {
				if seen[tk.Label] {
					t.Errorf("[%g, %g]: label %s twice", lo, hi, tk.Label)
				}
				seen[tk.Label] = true
				if strings.Contains(tk.Label, "e") || tk.Label == "0" {
					continue
				}
				d := 0
				if i := strings.IndexByte(tk.Label, '.'); i >= 0 {
					d = len(tk.Label) - i - 1
				}
				if decimals >= 0 && d != decimals {
					t.Errorf("[%g, %g]: labels with %d and %d decimals", lo, hi, decimals, d)
				}
				decimals = d
			}
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9*b }

// TestIntegerTicks checks the ticks of an axis of counts (epochs): whole
// numbers only, 5 to 9 of them when a whole-number step gives that.
func TestIntegerTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		want   string
	}{
		{-0.9, 18.9, "0 5 10 15"},
		{-0.1, 2.1, "0 1 2"},
		{-1, 21, "0 5 10 15 20"},
		{-50, 1050, "0 200 400 600 800 1000"},
		{-5, 105, "0 20 40 60 80 100"},
		{0, 0.5, "0"},
	} {
		var got []string
		for _, tk := range (plot.NiceTicks{Integer: true}).Ticks(c.lo, c.hi) {
			got = append(got, tk.Label)
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("[%v, %v]: %s, want %s", c.lo, c.hi, g, c.want)
		}
	}
}

// TestLogTicks checks the ticks of a log axis, given as exponents: powers
// of ten labelled in one format, every few decades on a long range, nice
// values within a short one.
func TestLogTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		want   string
	}{
		{-16.2, 2.1, "1e-15 1e-12 1e-9 1e-6 1e-3 1e0"},
		{-8.2, 0.1, "1e-8 1e-7 1e-6 1e-5 1e-4 1e-3 1e-2 1e-1 1e0"},
		{-3.1, 0.2, "1e-3 1e-2 1e-1 1e0"},
		{-4.5, -2.6, "5e-5 1e-4 2e-4 5e-4 1e-3 2e-3"},
		{0.1, 0.9, "2 3 4 5 6 7"},
	} {
		var got []string
		for _, tk := range (plot.LogTicks{}).Ticks(c.lo, c.hi) {
			got = append(got, tk.Label)
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("[%v, %v]: %s, want %s", c.lo, c.hi, g, c.want)
		}
	}
}
