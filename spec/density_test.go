package spec_test

import (
	"math"
	"strings"
	"testing"
)

// TestDensityMeaning checks what a loss on raw density values is said to
// be: for forward KL, the KL it amounts to, loss/c - log c, with its
// bound, and 0 within the bound where the KL is below it; nothing for
// normalized weights.
func TestDensityMeaning(t *testing.T) {
	const head = "grid: {start: -10, stop: 10, step: 0.1}\ntarget: {family: normal, params: {mean: 0, variance: 7}}\nmodel: {family: normal}\n"
	b := build(t, head+"target_weights: density\n")
	var c float64
	for _, p := range b.Problem.P {
		c += p
	}
	for _, tc := range []struct {
		loss float64
		want string
	}{
		{c*math.Log(c) + 0.5*c, "so KL(P||Q) = 0.5 (± "},
		{c * math.Log(c), "so KL(P||Q) = 0 within "},
		{c*math.Log(c) - 1e-14, "so KL(P||Q) = 0 within "},
		{c*math.Log(c) - 1e-3*c, "so KL(P||Q) = -0.001 (± "},
	} {
		if got := b.DensityMeaning(tc.loss); !strings.Contains(got, tc.want) || !strings.Contains(got, "not KL(P||Q)") {
			t.Errorf("loss %v: %q, want %q", tc.loss, got, tc.want)
		}
	}
	if got := build(t, head).DensityMeaning(1); got != "" {
		t.Errorf("normalized weights: %q", got)
	}
}
