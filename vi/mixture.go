package vi

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// MixtureTarget is a mixture of normal targets in d dimensions:
// p(x) = sum_k w_k N(x; m_k, S_k), normalized (log Z = 0).
type MixtureTarget struct {
	weights []float64 // normalized
	logW    []float64
	comps   []*NormalTarget
	d       int
	ws      sync.Pool // *[]float64 scratch: the components' gradients and log-densities
}

// NewMixtureTarget returns the mixture of comps with the given weights,
// which must be positive and sum to 1 (within 1e-9; they are then
// normalized), and comps all of one dimension.
func NewMixtureTarget(weights []float64, comps []*NormalTarget) (*MixtureTarget, error) {
	if len(weights) == 0 || len(weights) != len(comps) {
		return nil, fmt.Errorf("a mixture needs as many weights as components, got %d and %d", len(weights), len(comps))
	}
	var sum float64
	for i, w := range weights {
		if !(w > 0) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("weight %d is %v: weights must be > 0", i, w)
		}
		sum += w
	}
	if math.Abs(sum-1) > 1e-9 {
		return nil, fmt.Errorf("the weights sum to %v, not 1", sum)
	}
	t := &MixtureTarget{d: comps[0].Dim(), comps: comps}
	for i, c := range comps {
		if c.Dim() != t.d {
			return nil, errors.New("the components of a mixture must have one dimension")
		}
		t.weights = append(t.weights, weights[i]/sum)
		t.logW = append(t.logW, math.Log(weights[i]/sum))
	}
	t.ws.New = func() any { s := make([]float64, 0); return &s }
	return t, nil
}

// Dim returns the dimension.
func (t *MixtureTarget) Dim() int { return t.d }

// LogDensity implements [LogDensity]: log sum_k w_k N_k(x), by
// log-sum-exp, and, when grad is not nil, its gradient sum_k r_k g_k with
// r_k the components' responsibilities at x and g_k their gradients.
func (t *MixtureTarget) LogDensity(x, grad []float64) float64 {
	k := len(t.comps)
	ws := t.ws.Get().(*[]float64)
	if cap(*ws) < k*(t.d+1) {
		*ws = make([]float64, k*(t.d+1))
	}
	buf := (*ws)[:k*(t.d+1)]
	l, g := buf[:k], buf[k:]
	m := math.Inf(-1)
	for i, c := range t.comps {
		var gi []float64
		if grad != nil {
			gi = g[i*t.d : (i+1)*t.d]
		}
		l[i] = t.logW[i] + c.LogDensity(x, gi)
		m = math.Max(m, l[i])
	}
	var z float64
	for i := range l {
		l[i] = math.Exp(l[i] - m)
		z += l[i]
	}
	if grad != nil {
		clear(grad[:t.d])
		for i := range t.comps {
			r := l[i] / z
			for j, v := range g[i*t.d : (i+1)*t.d] {
				grad[j] += r * v
			}
		}
	}
	t.ws.Put(ws)
	return m + math.Log(z)
}

// Sample implements [Sampler]: a component drawn by its weight, then a
// draw of it, both from rng.
func (t *MixtureTarget) Sample(x []float64, rng *rand.Rand) {
	u, i := rng.Float64(), 0
	for ; i < len(t.weights)-1 && u >= t.weights[i]; i++ {
		u -= t.weights[i]
	}
	t.comps[i].Sample(x, rng)
}
