package vi

import (
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// NormalTarget is the multivariate normal N(mean, covariance) as a
// [LogDensity], normalized (log Z = 0). It is safe for concurrent use.
type NormalTarget struct {
	d       int
	mean    []float64
	prec    blas64.Symmetric // the precision matrix, upper triangle
	logNorm float64          // -log((2 pi)^(d/2) sqrt(det covariance))
	ws      sync.Pool        // *[]float64 of 2d: x - mean, then P (x - mean)
}

// NewNormalTarget returns N(mean, cov). It fails, saying so, when cov is
// not symmetric positive definite or does not match the mean's length.
func NewNormalTarget(mean []float64, cov mat.Symmetric) (*NormalTarget, error) {
	d := len(mean)
	if d == 0 || cov.SymmetricDim() != d {
		return nil, fmt.Errorf("normal target: mean of length %d and a %d x %d covariance", d, cov.SymmetricDim(), cov.SymmetricDim())
	}
	for i, v := range mean {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("normal target: mean[%d] is %v, must be finite", i, v)
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(cov) {
		return nil, fmt.Errorf("normal target: the %d x %d covariance is not positive definite", d, d)
	}
	var p mat.SymDense
	if err := ch.InverseTo(&p); err != nil {
		return nil, fmt.Errorf("normal target: the covariance cannot be inverted: %w", err)
	}
	t := &NormalTarget{
		d:       d,
		mean:    append([]float64(nil), mean...),
		prec:    p.RawSymmetric(),
		logNorm: -0.5*float64(d)*log2Pi - 0.5*ch.LogDet(),
	}
	t.ws.New = func() any { s := make([]float64, 2*d); return &s }
	return t, nil
}

// Dim returns the dimension.
func (t *NormalTarget) Dim() int { return t.d }

// Precision returns the precision matrix, the inverse of the covariance.
func (t *NormalTarget) Precision() *mat.SymDense {
	return mat.NewSymDense(t.d, append([]float64(nil), t.prec.Data...))
}

// LogDensity implements [LogDensity]: the normalized log-density at x
// and, when grad is not nil, its gradient -P (x - mean).
func (t *NormalTarget) LogDensity(x, grad []float64) float64 {
	ws := t.ws.Get().(*[]float64)
	dx, py := (*ws)[:t.d], (*ws)[t.d:]
	for i, m := range t.mean {
		dx[i] = x[i] - m
	}
	blas64.Symv(1, t.prec, blas64.Vector{N: t.d, Inc: 1, Data: dx}, 0, blas64.Vector{N: t.d, Inc: 1, Data: py})
	var q float64
	for i, v := range dx {
		q += v * py[i]
	}
	if grad != nil {
		for i, v := range py {
			grad[i] = -v
		}
	}
	t.ws.Put(ws)
	return t.logNorm - 0.5*q
}
