package vi_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/klfit/klfit/vi"
)

func mixture3D(t *testing.T) *vi.MixtureTarget {
	t.Helper()
	a, err := vi.NewNormalTarget([]float64{-2, 0, 1}, sym([][]float64{{1, 0.3, 0}, {0.3, 1, 0.2}, {0, 0.2, 0.5}}))
	if err != nil {
		t.Fatal(err)
	}
	b, err := vi.NewNormalTarget([]float64{2, 1, -1}, sym([][]float64{{0.5, 0, 0}, {0, 2, 0}, {0, 0, 1}}))
	if err != nil {
		t.Fatal(err)
	}
	m, err := vi.NewMixtureTarget([]float64{0.3, 0.7}, []*vi.NormalTarget{a, b})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMixtureTarget checks a mixture of normals against its definition
// (the log of the weighted sum of the components' densities, 1e-13), its
// gradient against finite differences, and its draws' mean against the
// weighted means (5 standard errors of 20000 draws).
func TestMixtureTarget(t *testing.T) {
	m := mixture3D(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		x := []float64{rng.NormFloat64() * 2, rng.NormFloat64() * 2, rng.NormFloat64() * 2}
		grad := make([]float64, 3)
		got := m.LogDensity(x, grad)
		fdCheck(t, "mixture", func(u, g []float64) (float64, error) { return m.LogDensity(u, g), nil }, x, 1e-6)
		a, _ := vi.NewNormalTarget([]float64{-2, 0, 1}, sym([][]float64{{1, 0.3, 0}, {0.3, 1, 0.2}, {0, 0.2, 0.5}}))
		b, _ := vi.NewNormalTarget([]float64{2, 1, -1}, sym([][]float64{{0.5, 0, 0}, {0, 2, 0}, {0, 0, 1}}))
		want := math.Log(0.3*math.Exp(a.LogDensity(x, nil)) + 0.7*math.Exp(b.LogDensity(x, nil)))
		if math.Abs(got-want) > 1e-13*math.Max(1, math.Abs(want)) {
			t.Errorf("log p(%v) = %v, want %v", x, got, want)
		}
	}
	const n = 20000
	var mean [3]float64
	x := make([]float64, 3)
	for range n {
		m.Sample(x, rng)
		for i := range mean {
			mean[i] += x[i] / n
		}
	}
	want := []float64{0.3*-2 + 0.7*2, 0.3*0 + 0.7*1, 0.3*1 + 0.7*-1}
	for i := range mean {
		// The variance of each coordinate is below 5 (within 1 plus the
		// spread of the means, 4 * 0.21): 5 standard errors of n draws.
		if math.Abs(mean[i]-want[i]) > 5*math.Sqrt(5.0/n) {
			t.Errorf("draws' mean %v, want %v", mean, want)
		}
	}
	if _, err := vi.NewMixtureTarget([]float64{0.5, 0.6}, nil); err == nil {
		t.Error("mismatched weights accepted")
	}
}
