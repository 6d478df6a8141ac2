package vi

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// NormalTarget is the multivariate normal N(mean, covariance) as a
// [LogDensity], normalized (log Z = 0). It is safe for concurrent use.
type NormalTarget struct {
	d       int
	mean    []float64
	prec    blas64.General // the precision matrix, both triangles
	chol    []float64      // d x d lower Cholesky factor of the covariance
	logNorm float64        // -log((2 pi)^(d/2) sqrt(det covariance))
	ws      sync.Pool      // *[]float64 scratch: x - mean, then P (x - mean)
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
	prec := blas64.General{Rows: d, Cols: d, Stride: d, Data: make([]float64, d*d)}
	for i := range d {
		for j := range d {
			prec.Data[i*d+j] = p.At(i, j)
		}
	}
	var l mat.TriDense
	ch.LTo(&l)
	chol := make([]float64, d*d)
	for i := range d {
		for j := 0; j <= i; j++ {
			chol[i*d+j] = l.At(i, j)
		}
	}
	t := &NormalTarget{
		d:       d,
		chol:    chol,
		mean:    append([]float64(nil), mean...),
		prec:    prec,
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

// Sample implements [Sampler]: it sets x to mean + L z, L the lower
// Cholesky factor of the covariance and z d standard normal numbers drawn
// from rng in order.
func (t *NormalTarget) Sample(x []float64, rng *rand.Rand) {
	z := x[:t.d]
	for i := range z {
		z[i] = rng.NormFloat64()
	}
	// x_i = mean_i + sum_{j<=i} L_ij z_j, from the last row up, so z_j is
	// still in place when row i reads it.
	for i := t.d - 1; i >= 0; i-- {
		s := t.mean[i]
		for j := 0; j <= i; j++ {
			s += t.chol[i*t.d+j] * z[j]
		}
		x[i] = s
	}
}

// scratch returns a buffer of at least n numbers from the pool.
func (t *NormalTarget) scratch(n int) *[]float64 {
	ws := t.ws.Get().(*[]float64)
	if cap(*ws) < n {
		*ws = make([]float64, n)
	}
	*ws = (*ws)[:n]
	return ws
}

// LogDensity implements [LogDensity]: the normalized log-density at x
// and, when grad is not nil, its gradient -P (x - mean).
func (t *NormalTarget) LogDensity(x, grad []float64) float64 {
	ws := t.scratch(2 * t.d)
	dx, py := (*ws)[:t.d], (*ws)[t.d:]
	for i, m := range t.mean {
		dx[i] = x[i] - m
	}
	blas64.Gemv(blas.NoTrans, 1, t.prec, blas64.Vector{N: t.d, Inc: 1, Data: dx}, 0, blas64.Vector{N: t.d, Inc: 1, Data: py})
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

// LogDensities implements [BatchLogDensity]: the log-densities of the
// rows of x, and their gradients when grad is not nil, with one matrix
// product for all rows.
func (t *NormalTarget) LogDensities(logp, grad, x []float64) {
	n, d := len(logp), t.d
	ws := t.scratch(2 * n * d)
	r, pr := (*ws)[:n*d], (*ws)[n*d:]
	for k := range n {
		for i, m := range t.mean {
			r[k*d+i] = x[k*d+i] - m
		}
	}
	// The rows of R P are P (x_k - mean), P being symmetric.
	blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, blas64.General{Rows: n, Cols: d, Stride: d, Data: r}, t.prec,
		0, blas64.General{Rows: n, Cols: d, Stride: d, Data: pr})
	for k := range n {
		var q float64
		for i, v := range r[k*d : (k+1)*d] {
			q += v * pr[k*d+i]
		}
		logp[k] = t.logNorm - 0.5*q
	}
	if grad != nil {
		for i, v := range pr {
			grad[i] = -v
		}
	}
	t.ws.Put(ws)
}
