package plot

import (
	"math"
	"strconv"
	"strings"

	gplot "gonum.org/v1/plot"
)

// niceSteps are the tick steps, per power of ten, in order of preference:
// 1, 2 and 5 first, 2.5 only when they give too few or too many ticks.
var niceSteps = [][]float64{{1, 2, 5}, {2.5}}

// Tick counts a nice axis aims for.
const (
	minTicks = 5
	maxTicks = 9
)

// NiceTicks places the major ticks of a linear axis at multiples of a
// "nice" step (1, 2, 2.5 or 5 times a power of ten) giving 5 to 9 ticks in
// the axis's range, the way matplotlib's default locator does, and labels
// them all with one format: the same number of decimals, or scientific
// notation with the same number of mantissa digits when the values are
// very large or very small.
type NiceTicks struct {
	// Integer keeps to whole-number steps, for an axis of counts such as
	// epochs: no 2.5, no 0.5; a short range may then get 3 or 4 ticks.
	Integer bool
}

// Ticks implements gonum/plot's Ticker.
func (n NiceTicks) Ticks(lo, hi float64) []gplot.Tick {
	vals, step := niceValues(lo, hi, n.Integer)
	labels := formatTicks(vals, step)
	ticks := make([]gplot.Tick, len(vals))
	for i, v := range vals {
		ticks[i] = gplot.Tick{Value: v, Label: labels[i]}
	}
	return ticks
}

// niceValues returns the tick values in [lo, hi] and their step (whole
// numbers only when integer is set). A range too narrow for float64 to
// step through (lo = hi, or hi - lo below a few ulps of the values) gets
// its two ends as ticks, or one tick, and step 0.
func niceValues(lo, hi float64, integer bool) ([]float64, float64) {
	if !(lo <= hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return nil, 0
	}
	span := hi - lo
	mag := math.Max(math.Abs(lo), math.Abs(hi))
	if span <= mag*1e-12 || span == 0 {
		if lo == hi {
			return []float64{lo}, 0
		}
		return []float64{lo, hi}, 0
	}
	e := math.Floor(math.Log10(span / minTicks))
	for _, mults := range niceSteps {
		// The largest step of these multiples that gives at least
		// minTicks ticks; accept it when it gives at most maxTicks.
		for k := e + 1; k >= e-1; k-- {
			p := math.Pow(10, k)
			for i := len(mults) - 1; i >= 0; i-- {
				step := mults[i] * p
				if integer && step != math.Trunc(step) {
					continue
				}
				if vals := stepValues(lo, hi, step); len(vals) >= minTicks && len(vals) <= maxTicks {
					return vals, step
				}
			}
		}
	}
	// Whole-number steps where none gives 5 to 9 ticks (a short range,
	// or one between a step's 4 ticks and half that step's 10): the
	// smallest of 1, 2, 5, 10, 20... that gives at most maxTicks.
	for p := 1.0; p <= 10*span; p *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if vals := stepValues(lo, hi, m*p); len(vals) > 0 && len(vals) <= maxTicks {
				return vals, m * p
			}
		}
	}
	return []float64{lo, hi}, 0
}

// stepValues returns the multiples of step in [lo, hi] (within rounding),
// at most 2*maxTicks of them.
func stepValues(lo, hi, step float64) []float64 {
	first, last := math.Ceil(lo/step-1e-9), math.Floor(hi/step+1e-9)
	if last-first+1 > 2*maxTicks || last < first {
		return nil
	}
	vals := make([]float64, 0, int(last-first)+1)
	for k := first; k <= last; k++ {
		v := k * step
		if v == 0 {
			v = 0 // no -0
		}
		vals = append(vals, v)
	}
	return vals
}

// formatTicks labels values on a step with one format: fixed decimals
// enough to tell the step, or, for values of magnitude >= 1e5 or steps
// below 1e-4, scientific notation with one number of mantissa digits, the
// fewest that write every value exactly.
// Values of no step (the ends of a range too narrow to step through) get
// the shortest digits that tell them apart.
func formatTicks(vals []float64, step float64) []string {
	labels := make([]string, len(vals))
	if len(vals) == 0 {
		return labels
	}
	var mag float64
	for _, v := range vals {
		mag = math.Max(mag, math.Abs(v))
	}
	if step == 0 {
		for i, v := range vals {
			labels[i] = strconv.FormatFloat(v, 'g', -1, 64)
			if m, e, ok := strings.Cut(labels[i], "e"); ok {
				exp, _ := strconv.Atoi(e)
				labels[i] = m + "e" + strconv.Itoa(exp)
			}
		}
		return labels
	}
	if mag >= 1e5 || step > 0 && step < 1e-4 {
		// The fewest mantissa digits that write every tick exactly
		// (1.25e6, not 1.2e6) and keep the labels apart.
		for digits := 0; digits <= 16; digits++ {
			seen := map[string]bool{}
			ok := true
			for i, v := range vals {
				labels[i] = sciLabel(v, digits)
				back, _ := strconv.ParseFloat(labels[i], 64)
				ok = ok && !seen[labels[i]] && math.Abs(back-v) <= 1e-9*math.Max(math.Abs(v), step)
				seen[labels[i]] = true
			}
			if ok {
				break
			}
		}
		return labels
	}
	decimals := 0
	if step > 0 {
		decimals = max(0, -int(math.Floor(math.Log10(step)+1e-9)))
		if m := step / math.Pow(10, -float64(decimals)); math.Abs(m-math.Round(m)) > 1e-6 {
			decimals++ // 2.5 x 10^k needs one digit more
		}
	}
	for i, v := range vals {
		labels[i] = strconv.FormatFloat(v, 'f', decimals, 64)
	}
	return labels
}

// sciLabel writes v as 1.5e-16 or 2e+05 with the given mantissa decimals,
// the exponent without leading zeros ("1e-8", "1e5").
func sciLabel(v float64, decimals int) string {
	if v == 0 {
		return "0"
	}
	s := strconv.FormatFloat(v, 'e', decimals, 64)
	m, e, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(e)
	return m + "e" + strconv.Itoa(exp)
}

// LogTicks ticks an axis of base-10 exponents (a log axis drawn as a
// linear one): at powers of ten (every second, third... power when the
// range spans more than 9 decades), all labelled as 1e-16, 1e-8, 1e0; at
// 1, 2 and 5 times them (1e-4, 2e-4, 5e-4) when that gives fewer than 3
// ticks; a range within less than two powers gets nice values (NiceTicks
// on the values themselves) at their exponents.
type LogTicks struct{}

// Ticks implements gonum/plot's Ticker; lo and hi are exponents.
func (LogTicks) Ticks(lo, hi float64) []gplot.Tick {
	a, b := math.Ceil(lo-1e-9), math.Floor(hi+1e-9)
	if b-a < 1 {
		vals, step := niceValues(math.Pow(10, lo), math.Pow(10, hi), false)
		labels := formatTicks(vals, step)
		var ticks []gplot.Tick
		for i, v := range vals {
			if v > 0 {
				ticks = append(ticks, gplot.Tick{Value: math.Log10(v), Label: labels[i]})
			}
		}
		return ticks
	}
	every := math.Ceil((b - a + 1) / maxTicks)
	a = math.Ceil(a/every) * every
	var ticks []gplot.Tick
	for k := a; k <= b; k += every {
		ticks = append(ticks, gplot.Tick{Value: k, Label: "1e" + strconv.Itoa(int(k))})
	}
	if len(ticks) < 3 { // two decades or less: 2 and 5 times the powers too
		ticks = ticks[:0]
		for k := math.Floor(lo); k <= hi; k++ {
			for _, m := range []float64{1, 2, 5} {
				if v := k + math.Log10(m); v >= lo-1e-9 && v <= hi+1e-9 {
					ticks = append(ticks, gplot.Tick{Value: v, Label: strconv.Itoa(int(m)) + "e" + strconv.Itoa(int(k))})
				}
			}
		}
	}
	return ticks
}
