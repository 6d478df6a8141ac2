package dist

import "math"

// softmax sets w = softmax(u): w_i = exp(u_i) / sum_j exp(u_j), computed
// with the largest u_j subtracted so that nothing overflows.
func softmax(w, u []float64) {
	m := math.Inf(-1)
	for _, v := range u {
		m = math.Max(m, v)
	}
	var sum float64
	for i, v := range u {
		w[i] = math.Exp(v - m)
		sum += w[i]
	}
	for i := range w {
		w[i] /= sum
	}
}

// softmaxInverse sets u = log w, one of the vectors softmax maps to w
// (softmax is unchanged by adding a constant to every u_i). A weight of 0
// gives u_i = -Inf and stays 0.
func softmaxInverse(u, w []float64) {
	for i, v := range w {
		u[i] = math.Log(v)
	}
}

// softmaxPullBack sets gu = J^T gw for w = softmax(u):
// gu_i = w_i (gw_i - sum_j w_j gw_j).
func softmaxPullBack(gu, w, gw []float64) {
	var dot float64
	for i, v := range w {
		dot += v * gw[i]
	}
	for i, v := range w {
		gu[i] = v * (gw[i] - dot)
	}
}

// simplexTransform is the unconstrained parameterization of a family whose
// whole parameter vector is one probability vector: softmax.
type simplexTransform struct{}

func (simplexTransform) Theta(theta, u []float64) { softmax(theta, u) }

func (simplexTransform) U(u, theta []float64) { softmaxInverse(u, theta) }

func (simplexTransform) PullBack(gradU, _, theta, gradTheta []float64) {
	softmaxPullBack(gradU, theta, gradTheta)
}
