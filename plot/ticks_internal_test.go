package plot

import (
	"strconv"
	"testing"
)

// TestFormatTicksExact labels ticks of 2.5e5 up to 1.75e6: every label
// must read back as its value (1.25e6 is not 1.2e6).
func TestFormatTicksExact(t *testing.T) {
	vals := []float64{0, 2.5e5, 5e5, 7.5e5, 1e6, 1.25e6, 1.5e6, 1.75e6}
	for i, l := range formatTicks(vals, 2.5e5) {
		if v, err := strconv.ParseFloat(l, 64); err != nil || v != vals[i] {
			t.Errorf("tick %v labelled %q", vals[i], l)
		}
	}
}
