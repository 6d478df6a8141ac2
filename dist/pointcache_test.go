package dist_test

import (
	"math"
	"testing"

	"github.com/klfit/klfit/dist"
)

// TestEvalCachedMatchesEval checks, for every registered family that
// caches functions of the points, that EvalCached gives Eval's numbers to
// the bit, with and without scores, on the whole cache and on a part of
// it, at the score cases' parameters and points (which include points
// outside the support).
func TestEvalCachedMatchesEval(t *testing.T) {
	cases := map[string]scoreCase{}
	for _, c := range scoreCases(t) {
		cases[c.name] = c
	}
	tested := 0
	for _, name := range dist.Names() {
		f, err := dist.Lookup(name)
		if err != nil {
			continue // built from settings: not a point cacher
		}
		pc, ok := f.(dist.PointCacher)
		if !ok {
			continue
		}
		c, ok := cases[name]
		if !ok {
			t.Errorf("%s caches point functions but has no score case to check them at", name)
			continue
		}
		tested++
		x := append([]float64{-1, 0}, c.x...) // outside the support too
		cache := pc.PointCache(x, nil)
		k := len(f.Params())
		for _, theta := range c.thetas {
			for _, lo := range []int{0, 2} {
				xs := x[lo:]
				part := make([][]float64, len(cache))
				for j := range cache {
					part[j] = cache[j][lo:]
				}
				for _, withScore := range []bool{false, true} {
					want, got := make([]float64, len(xs)), make([]float64, len(xs))
					var ws, gs [][]float64
					if withScore {
						ws, gs = make([][]float64, k), make([][]float64, k)
						for j := range k {
							ws[j], gs[j] = make([]float64, len(xs)), make([]float64, len(xs))
						}
					}
					f.Eval(theta, xs, nil, want, ws)
					pc.EvalCached(theta, xs, nil, part, got, gs)
					for i := range xs {
						if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
							t.Errorf("%s %v at x=%v: cached %v, Eval %v", name, theta, xs[i], got[i], want[i])
						}
						for j := range gs {
							if math.Float64bits(gs[j][i]) != math.Float64bits(ws[j][i]) {
								t.Errorf("%s %v at x=%v: score %d cached %v, Eval %v", name, theta, xs[i], j, gs[j][i], ws[j][i])
							}
						}
					}
				}
			}
		}
	}
	if tested == 0 {
		t.Fatal("no registered family caches point functions")
	}
}
