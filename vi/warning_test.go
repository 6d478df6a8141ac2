package vi

import (
	"strings"
	"testing"
)

// TestWarningShowsKAbove checks that the warning's comparison is true as
// printed: a k̂ of 0.701 against 0.7 was "0.70 > 0.70".
func TestWarningShowsKAbove(t *testing.T) {
	m, err := NewMVNormal(2)
	if err != nil {
		t.Fatal(err)
	}
	w := warning(m, Diagnostics{ParetoK: 0.701, KThreshold: 0.7, Draws: 4000})
	if !strings.Contains(w, "Pareto k̂ = 0.701 > 0.7 over 4000 draws") {
		t.Errorf("warning %q", w)
	}
}
