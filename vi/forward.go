package vi

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/klfit/klfit/internal/plural"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Moments accumulates the mean and covariance of d-dimensional samples in
// one pass, with memory independent of their number (Welford's updates,
// which keep their accuracy when the mean is large against the spread).
type Moments struct {
	d    int
	n    int
	mean []float64
	m2   []float64 // d x d, upper triangle: sum of (x - mean)(x - mean)^T
	dx   []float64
}

// NewMoments returns empty moments in d dimensions.
func NewMoments(d int) *Moments {
	return &Moments{d: d, mean: make([]float64, d), m2: make([]float64, d*d), dx: make([]float64, d)}
}

// Dim returns the dimension.
func (m *Moments) Dim() int { return m.d }

// N returns the number of samples added.
func (m *Moments) N() int { return m.n }

// Add adds the sample x, of length Dim. A coordinate that is NaN or
// infinite is an error naming it, and so is a mean or variance that
// overflows (values near 1e154 and beyond); the moments are then no
// longer usable.
func (m *Moments) Add(x []float64) error {
	for i, v := range x[:m.d] {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("sample %d: coordinate %d is %v, must be finite", m.n+1, i+1, v)
		}
	}
	m.n++
	// delta = x - mean_old; mean += delta/n; M2 += (n-1)/n delta delta^T.
	for i, v := range x[:m.d] {
		m.dx[i] = v - m.mean[i]
		m.mean[i] += m.dx[i] / float64(m.n)
	}
	blas64.Syr(float64(m.n-1)/float64(m.n), blas64.Vector{N: m.d, Inc: 1, Data: m.dx},
		blas64.Symmetric{Uplo: blas.Upper, N: m.d, Stride: m.d, Data: m.m2})
	for i := range m.d {
		if math.IsInf(m.mean[i], 0) || math.IsInf(m.m2[i*m.d+i], 0) {
			return fmt.Errorf("sample %d: the mean or variance of coordinate %d overflows float64: the values are too large", m.n, i+1)
		}
	}
	return nil
}

// Mean returns the samples' mean.
func (m *Moments) Mean() []float64 { return append([]float64(nil), m.mean...) }

// Covariance returns the samples' covariance with divisor N (the maximum
// likelihood estimate, which a forward-KL fit of a normal reaches).
func (m *Moments) Covariance() *mat.SymDense {
	c := mat.NewSymDense(m.d, nil)
	for i := range m.d {
		for j := i; j < m.d; j++ {
			c.SetSym(i, j, m.m2[i*m.d+j]/float64(m.n))
		}
	}
	return c
}

// OptimumLoss returns the least loss a forward-KL fit of a normal to
// these samples can reach, at their own mean and covariance C (divisor
// N), or its diagonal for a mean-field (diag) model: the average of
// -log q there, (d log(2 pi e) + log det C)/2. ok is false when C (or a
// variance) is singular: the loss has no minimum.
func (m *Moments) OptimumLoss(diag bool) (loss float64, ok bool) {
	c := m.Covariance()
	var logDet float64
	if diag {
		for i := range m.d {
			if !(c.At(i, i) > 0) {
				return math.NaN(), false
			}
			logDet += math.Log(c.At(i, i))
		}
	} else {
		var ch mat.Cholesky
		if !ch.Factorize(c) {
			return math.NaN(), false
		}
		logDet = ch.LogDet()
	}
	return 0.5 * (float64(m.d)*math.Log(2*math.Pi*math.E) + logDet), true
}

// Sampler is a target that can draw from itself, such as [NormalTarget]:
// a forward-KL fit to it needs only its draws.
type Sampler interface {
	// Dim returns the dimension.
	Dim() int
	// Sample sets x, of length Dim, to a draw of the target, taking its
	// randomness from rng alone.
	Sample(x []float64, rng *rand.Rand)
}

// SampleMoments returns the moments of n draws of t. The draws come from
// a stream of seed that no other objective and no diagnostic uses, one
// after the other on the calling goroutine: the same seed gives the same
// moments to the bit on any machine and number of threads. It stops when
// ctx is done, with an error wrapping ctx.Err().
func SampleMoments(ctx context.Context, t Sampler, n int, seed uint64) (*Moments, error) {
	if n < 1 {
		return nil, fmt.Errorf("target draws: %d draws, need at least 1", n)
	}
	rng := drawStream(seed, targetStream)
	m := NewMoments(t.Dim())
	x := make([]float64, t.Dim())
	for k := range n {
		if k%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("target draws: stopped at draw %d of %d: %w", k, n, err)
			}
		}
		t.Sample(x, rng)
		if err := m.Add(x); err != nil {
			return nil, fmt.Errorf("target draws: %w", err)
		}
	}
	return m, nil
}

// targetStream is the stream of a seed that the target's draws use: the
// epochs use streams 0, 1, 2, ... and Diagnose uses -1.
const targetStream = -2

// ReadMoments reads CSV samples from r, with a header row naming the
// columns, and returns the mean and covariance of the named columns, in
// that order. It reads one row at a time: memory does not grow with the
// rows. Errors name the line and the column. It stops when ctx is done,
// with an error wrapping ctx.Err() that names the line reached.
func ReadMoments(ctx context.Context, r io.Reader, columns []string) (*Moments, error) {
	if len(columns) == 0 {
		return nil, errors.New("samples: no columns named")
	}
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		if err == io.EOF {
			return nil, errors.New("samples: the file is empty")
		}
		return nil, fmt.Errorf("samples: %w", err)
	}
	at := map[string]int{}
	for i, h := range header {
		if _, dup := at[strings.TrimSpace(h)]; !dup {
			at[strings.TrimSpace(h)] = i
		}
	}
	idx := make([]int, len(columns))
	for k, c := range columns {
		i, ok := at[c]
		if !ok {
			return nil, fmt.Errorf("samples: line 1: no column %q (the columns are %s)", c, strings.Join(header, ", "))
		}
		idx[k] = i
	}
	m := NewMoments(len(columns))
	x := make([]float64, len(columns))
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("samples: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if m.N()%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("samples: stopped at line %d: %w", line, err)
			}
		}
		for k, i := range idx {
			v, err := strconv.ParseFloat(strings.TrimSpace(rec[i]), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("samples: line %d, column %s: %q is not a finite number", line, columns[k], rec[i])
			}
			x[k] = v
		}
		if err := m.Add(x); err != nil {
			return nil, fmt.Errorf("samples: line %d: %w", line, err)
		}
	}
	if m.N() == 0 {
		return nil, errors.New("samples: the file has a header and no rows")
	}
	return m, nil
}

// ForwardKL is the forward divergence KL(p || q) from samples of p to a
// [Gaussian] model q, as maximum likelihood: its loss is the samples'
// average of -log q(x), the cross-entropy, which is KL(p || q) plus the
// entropy of p (a constant). For a normal model the average depends on
// the samples through their mean and covariance alone, so the loss and
// gradient are exact given the [Moments], in O(d^3) whatever the number
// of samples; the optimum is the samples' mean and covariance (or
// variances, for the mean-field model), which Optimum gives in closed
// form.
//
// The loss has no Monte Carlo error given the samples: StdErr returns NaN
// (the error that comes from the samples themselves being a finite draw
// of p is not estimated).
type ForwardKL struct {
	model *Gaussian
	mom   *Moments
	cov   []float64 // d x d, full
	l     []float64 // d x d Cholesky factor
	w     []float64 // d x d workspace
	dm    []float64
}

// NewForwardKL returns the forward-KL objective of model to the samples
// summarized by mom. Samples on which the model has no best fit (see
// Moments.Check) are an error wrapping a *SingularError.
func NewForwardKL(model *Gaussian, mom *Moments) (*ForwardKL, error) {
	if mom.Dim() != model.Dim() {
		return nil, fmt.Errorf("forward KL: a %d-D model for %d-D samples", model.Dim(), mom.Dim())
	}
	if mom.N() == 0 {
		return nil, errors.New("forward KL: no samples")
	}
	if err := mom.Check(model.Diagonal()); err != nil {
		return nil, fmt.Errorf("forward KL: %w", err)
	}
	d := model.Dim()
	f := &ForwardKL{model: model, mom: mom, cov: make([]float64, d*d), l: make([]float64, d*d), w: make([]float64, d*d), dm: make([]float64, d)}
	c := mom.Covariance()
	for i := range d {
		for j := range d {
			f.cov[i*d+j] = c.At(i, j)
		}
	}
	return f, nil
}

// Len returns the length of the unconstrained vector u.
func (f *ForwardKL) Len() int { return f.model.Len() }

// Names returns the names of the parameters (see Gaussian.Names).
func (f *ForwardKL) Names() []string { return f.model.Names() }

// Init sets u to the starting point: the samples' mean, with the model's
// own starting spread (see Gaussian.Init). From the model's own start,
// mean 0, samples far from 0 (10^6 away, their spread 1) left L-BFGS
// stalled a million units off, with a covariance of 10^12.
func (f *ForwardKL) Init(u []float64) {
	f.model.Init(u)
	copy(u[:f.model.Dim()], f.mom.mean)
}

// Theta computes the model's parameters at u (see Gaussian.Theta).
func (f *ForwardKL) Theta(theta, u []float64) { f.model.Theta(theta, u) }

// Model returns the model.
func (f *ForwardKL) Model() *Gaussian { return f.model }

// StdErr returns NaN: see ForwardKL.
func (f *ForwardKL) StdErr() float64 { return math.NaN() }

// StartEpoch does nothing: the loss does not depend on the epoch.
func (f *ForwardKL) StartEpoch(int) {}

// Optimum sets u to the minimizer: the samples' mean and covariance (with
// divisor N), or their variances for the mean-field model. It fails when
// the covariance is singular (fewer samples than dimensions, or a column
// that is constant or a combination of others).
func (f *ForwardKL) Optimum(u []float64) error {
	if err := f.model.Unconstrain(u, f.mom.Mean(), f.mom.Covariance()); err != nil {
		return fmt.Errorf("forward KL: the samples' covariance is singular (%s in %s): %w", plural.Count(f.mom.N(), "sample", "samples"), plural.Count(f.mom.Dim(), "dimension", "dimensions"), err)
	}
	return nil
}

// Eval returns the loss at u, the average of -log q over the samples,
//
//	d/2 log 2 pi + log det L + 1/2 tr(Sigma^-1 (C + delta delta^T)),
//
// with Sigma = L L^T, C the samples' covariance and delta their mean
// minus the model's, and stores its gradient in grad when grad is not
// nil. It has the signature of fit.Evaluator and never fails.
func (f *ForwardKL) Eval(u, grad []float64) (float64, error) {
	d := f.model.Dim()
	mean := f.mom.mean
	for i := range d {
		f.dm[i] = mean[i] - u[i]
	}
	if f.model.diag {
		var loss float64
		for i := range d {
			v := math.Exp(2 * u[d+i])
			a := f.cov[i*d+i] + f.dm[i]*f.dm[i]
			loss += u[d+i] + 0.5*a/v
			if grad != nil {
				grad[i] = -f.dm[i] / v
				grad[d+i] = 1 - a/v
			}
		}
		return loss + 0.5*float64(d)*log2Pi, nil
	}
	f.model.cholesky(f.l, u)
	tri := blas64.Triangular{Uplo: blas.Lower, Diag: blas.NonUnit, N: d, Stride: d, Data: f.l}
	// W = L^-1 (C + delta delta^T) L^-T; the loss's trace term is tr W / 2.
	copy(f.w, f.cov)
	w := blas64.General{Rows: d, Cols: d, Stride: d, Data: f.w}
	blas64.Ger(1, blas64.Vector{N: d, Inc: 1, Data: f.dm}, blas64.Vector{N: d, Inc: 1, Data: f.dm}, w)
	blas64.Trsm(blas.Left, blas.NoTrans, 1, tri, w)
	blas64.Trsm(blas.Right, blas.Trans, 1, tri, w)
	var tr float64
	for i := range d {
		tr += f.w[i*d+i]
	}
	loss := 0.5*float64(d)*log2Pi + f.model.logDetL(u) + 0.5*tr
	if grad == nil {
		return loss, nil
	}
	// d/dL = L^-1 diagonal - L^-T W (lower triangle); d/dm = -Sigma^-1 delta.
	blas64.Trsm(blas.Left, blas.Trans, 1, tri, w)
	gm := blas64.Vector{N: d, Inc: 1, Data: grad[:d]}
	copy(grad[:d], f.dm)
	blas64.Trsv(blas.NoTrans, tri, gm)
	blas64.Trsv(blas.Trans, tri, gm)
	for i := range d {
		grad[i] = -grad[i]
	}
	k := d
	for i := range d {
		for j := 0; j <= i; j++ {
			if i == j {
				// log L_ii: L_ii (1/L_ii - (L^-T W)_ii) = 1 - L_ii (L^-T W)_ii.
				grad[k] = 1 - f.l[i*d+i]*f.w[i*d+i]
			} else {
				grad[k] = -f.w[i*d+j]
			}
			k++
		}
	}
	return loss, nil
}
