package spec

import (
	"strings"
	"testing"
)

// TestTargetFamilyWithoutGrid checks that a target family can be built on
// its own, without a grid, except the categorical one, which has a mass
// per grid point.
func TestTargetFamilyWithoutGrid(t *testing.T) {
	s := &Spec{Target: Target{Family: "mixture", Component: "gamma",
		Params: Params{{Name: "weights", Shape: []int{2}, Value: []float64{0.5, 0.5}}}}}
	f, err := s.targetFamily(nil)
	if err != nil || len(f.Params()) != 6 {
		t.Fatalf("mixture of gammas: %v, %v", f, err)
	}
	s = &Spec{Target: Target{Family: "categorical"}}
	if _, err := s.targetFamily(nil); err == nil || !strings.Contains(err.Error(), "target.family: a categorical family needs a 1-D or 2-D grid") {
		t.Errorf("categorical without a grid: %v", err)
	}
}
