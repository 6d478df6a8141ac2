package vi

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
	"gonum.org/v1/gonum/stat/samplemv"
)

// stdNormal maps points of the unit cube to N(0, I) coordinate by
// coordinate.
type stdNormal struct{}

// Quantile implements distmv.Quantiler.
func (stdNormal) Quantile(x, p []float64) []float64 {
	for i, v := range p {
		x[i] = distuv.UnitNormal.Quantile(v)
	}
	return x
}

// Options sets up a Monte Carlo objective.
type Options struct {
	// Samples is the number S of draws z ~ N(0, I) the loss averages
	// over; 0 means DefaultSamples.
	Samples int
	// Seed seeds the draws: the same seed gives the same draws, and the
	// same results to the bit, on any machine and number of threads.
	Seed uint64
	// Resample draws afresh at each epoch (see StartEpoch), for
	// stochastic optimizers such as Adam. By default the draws are fixed
	// for the whole fit, so the loss is a deterministic function that a
	// quasi-Newton method minimizes to a definite optimum.
	Resample bool
	// QMC makes the draws randomized quasi-Monte Carlo points: a Halton
	// sequence scrambled by Owen's method from the seed (gonum's
	// samplemv.Halton), mapped to N(0, I), in at most 1000 dimensions.
	// They cover the space more evenly than independent draws, so for a
	// smooth target the loss's error shrinks faster than 1/sqrt(S); the
	// standard error StdErr reports, computed as for independent draws,
	// then overstates it.
	QMC bool
	// Threads bounds the goroutines that evaluate the target's
	// log-density at the draws; 0 or 1 means one (the calling
	// goroutine). Results do not depend on it.
	Threads int
}

// DefaultSamples is the number of draws when Options.Samples is 0.
const DefaultSamples = 256

// ReverseKL is the sample-average estimate of the reverse divergence
// KL(q || p) from a [Gaussian] model q to a target p known up to a
// constant, over draws z_1 ... z_S fixed for the whole fit (or redrawn at
// each epoch with Options.Resample):
//
//	loss(u) = (1/S) sum_s [log q(x_s) - log p~(x_s)],  x_s = mean + L z_s,
//
// an unbiased estimate of KL(q || p) - log Z, Z being the target's
// unknown normalizing constant: the loss is KL up to a constant, and it
// can be negative. Its gradient is the exact gradient of that average
// (the reparameterization gradient), from the target's gradient at the
// draws. [ReverseKL.StdErr] is the Monte Carlo standard error of the
// loss, the standard deviation of the S terms over sqrt(S); it vanishes
// when q equals p.
//
// A ReverseKL is not safe for concurrent use: a fit evaluates it from
// one goroutine (it may use Options.Threads goroutines inside).
type ReverseKL struct {
	model  *Gaussian
	target LogDensity
	opt    Options
	s, d   int

	z, x, g []float64 // S x d, row-major: draws, points, target gradients
	zz      []float64 // |z_s|^2 / 2
	l       []float64 // d x d Cholesky factor; its d diagonal numbers for a mean-field model
	gl      []float64 // d x d gradient with respect to L; none for a mean-field model
	lp      []float64 // log p~(x_s)
	epoch   int
	stderr  float64
	errs    []error // one per worker
}

// NewReverseKL returns the reverse-KL objective of model to target, with
// its draws made from opt.Seed.
func NewReverseKL(model *Gaussian, target LogDensity, opt Options) (*ReverseKL, error) {
	if target.Dim() != model.Dim() {
		return nil, fmt.Errorf("reverse KL: a %d-D model for a %d-D target", model.Dim(), target.Dim())
	}
	if opt.Samples == 0 {
		opt.Samples = DefaultSamples
	}
	if opt.Samples < 2 {
		return nil, fmt.Errorf("reverse KL: samples is %d, must be at least 2", opt.Samples)
	}
	if opt.QMC && model.Dim() > maxQMCDims {
		return nil, fmt.Errorf("reverse KL: quasi-Monte Carlo draws go up to %d dimensions, not %d", maxQMCDims, model.Dim())
	}
	s, d := opt.Samples, model.Dim()
	l, gl := make([]float64, d), []float64(nil) // a mean-field model's standard deviations: no d x d matrix
	if !model.diag {
		l, gl = make([]float64, d*d), make([]float64, d*d)
	}
	r := &ReverseKL{
		model: model, target: target, opt: opt, s: s, d: d,
		z: make([]float64, s*d), x: make([]float64, s*d), g: make([]float64, s*d),
		zz: make([]float64, s), lp: make([]float64, s),
		l: l, gl: gl,
		stderr: math.NaN(),
		errs:   make([]error, max(opt.Threads, 1)),
	}
	r.draw(0)
	return r, nil
}

// drawStream returns the generator of the draws of epoch e.
func drawStream(seed uint64, e int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(e)))
}

// maxQMCDims is the largest dimension of gonum's scrambled Halton points.
const maxQMCDims = 1000

// draw fills z with the draws of epoch e.
func (r *ReverseKL) draw(e int) {
	rng := drawStream(r.opt.Seed, e)
	if r.opt.QMC {
		clear(r.z) // Halton adds the scrambled digits to the batch
		samplemv.Halton{Kind: samplemv.Owen, Q: stdNormal{}, Src: rng}.Sample(mat.NewDense(r.s, r.d, r.z))
		for s := range r.s {
			var q float64
			for _, v := range r.z[s*r.d : (s+1)*r.d] {
				q += v * v
			}
			r.zz[s] = q / 2
		}
		r.epoch = e
		return
	}
	for s := range r.s {
		row := r.z[s*r.d : (s+1)*r.d]
		var q float64
		for i := range row {
			row[i] = rng.NormFloat64()
			q += row[i] * row[i]
		}
		r.zz[s] = q / 2
	}
	r.epoch = e
}

// StartEpoch prepares epoch n (0 is the first). With Options.Resample it
// draws afresh, from the seed and n alone, so a fit resumed at epoch n
// sees the draws an uninterrupted one would; otherwise it does nothing.
// A fit loop calls it before each epoch's first evaluation.
func (r *ReverseKL) StartEpoch(n int) {
	if r.opt.Resample && n != r.epoch {
		r.draw(n)
	}
}

// Draws returns the current draws z, S rows of d standard normal numbers,
// row-major. The slice is owned by the objective.
func (r *ReverseKL) Draws() []float64 { return r.z }

// Samples returns the number S of draws.
func (r *ReverseKL) Samples() int { return r.s }

// Len returns the length of the unconstrained vector u.
func (r *ReverseKL) Len() int { return r.model.Len() }

// Names returns the names of the parameters (see Gaussian.Names).
func (r *ReverseKL) Names() []string { return r.model.Names() }

// Init sets u to the model's starting point (see Gaussian.Init).
func (r *ReverseKL) Init(u []float64) { r.model.Init(u) }

// Theta computes the model's parameters at u (see Gaussian.Theta).
func (r *ReverseKL) Theta(theta, u []float64) { r.model.Theta(theta, u) }

// Model returns the model.
func (r *ReverseKL) Model() *Gaussian { return r.model }

// StdErr returns the Monte Carlo standard error of the loss of the last
// evaluation (NaN before the first): the standard deviation of the
// per-draw terms log q(x_s) - log p~(x_s) over sqrt(S).
func (r *ReverseKL) StdErr() float64 { return r.stderr }

// DrawError is a draw at which the target's log-density cannot be used:
// NaN or +Inf, or -Inf (the target has no mass where the model puts
// some, and the reverse KL is +Inf).
type DrawError struct {
	// Draw is the index of the draw, X the point.
	Draw int
	X    []float64
	// Value is the log-density there.
	Value float64
}

// Error implements error.
func (e *DrawError) Error() string {
	var b strings.Builder
	for i, v := range e.X {
		if i > 0 {
			b.WriteString(", ")
		}
		if i == 8 && len(e.X) > 10 {
			fmt.Fprintf(&b, "... (%d more)", len(e.X)-i)
			break
		}
		b.WriteString(strconv.FormatFloat(v, 'g', 6, 64))
	}
	why := "must be a finite number"
	if math.IsInf(e.Value, -1) {
		why = "the target has no mass where the model draws, so the reverse KL is +Inf"
	}
	return fmt.Sprintf("the log-density is %v at draw %d, x = (%s): %s", e.Value, e.Draw, b.String(), why)
}

// Eval returns the loss at u and, when grad is not nil, stores its
// gradient with respect to u in grad. It has the signature of
// fit.Evaluator. A draw where the target's log-density is not finite
// returns a *DrawError (the lowest such draw), with the loss +Inf when
// the log-density is -Inf there and NaN otherwise.
func (r *ReverseKL) Eval(u, grad []float64) (float64, error) {
	s, d := r.s, r.d
	m := u[:d]
	// x_s = m + L z_s: X = Z L^T, then add m to every row.
	if r.model.diag {
		for i := range d {
			r.l[i] = math.Exp(u[d+i])
		}
		for k := range s {
			for i := range d {
				r.x[k*d+i] = m[i] + r.l[i]*r.z[k*d+i]
			}
		}
	} else {
		r.model.cholesky(r.l, u)
		copy(r.x, r.z)
		blas64.Trmm(blas.Right, blas.Trans, 1,
			blas64.Triangular{Uplo: blas.Lower, Diag: blas.NonUnit, N: d, Stride: d, Data: r.l},
			blas64.General{Rows: s, Cols: d, Stride: d, Data: r.x})
		for k := range s {
			row := r.x[k*d : (k+1)*d]
			for i, v := range m {
				row[i] += v
			}
		}
	}
	if err := r.evalTarget(grad != nil); err != nil {
		var de *DrawError
		if errors.As(err, &de) && math.IsInf(de.Value, -1) {
			r.stderr = math.NaN()
			return math.Inf(1), err
		}
		r.stderr = math.NaN()
		return math.NaN(), err
	}
	// The terms log q(x_s) - log p~(x_s), with
	// log q(x_s) = -d/2 log 2 pi - log det L - |z_s|^2/2.
	c := -0.5*float64(d)*log2Pi - r.model.logDetL(u)
	var sum float64
	for k, lp := range r.lp {
		sum += c - r.zz[k] - lp
	}
	mean := sum / float64(s)
	var ss float64
	for k, lp := range r.lp {
		t := c - r.zz[k] - lp - mean
		ss += t * t
	}
	r.stderr = math.Sqrt(ss / float64(s-1) / float64(s))
	if grad == nil {
		return mean, nil
	}
	// d/dm = -(1/S) sum_s g_s; d/dL = -(1/S) G^T Z (lower triangle);
	// d/dlog L_ii = L_ii d/dL_ii - 1 from -log det L.
	inv := 1 / float64(s)
	gm := grad[:d]
	clear(gm)
	for k := range s {
		row := r.g[k*d : (k+1)*d]
		for i, v := range row {
			gm[i] += v
		}
	}
	for i := range gm {
		gm[i] *= -inv
	}
	if r.model.diag {
		for i := range d {
			var a float64
			for k := range s {
				a += r.g[k*d+i] * r.z[k*d+i]
			}
			grad[d+i] = -inv*a*r.l[i] - 1
		}
		return mean, nil
	}
	// Only the lower triangle of G^T Z is needed: row i of it is the sum
	// over the draws of g_si times the first i+1 numbers of z_s.
	clear(r.gl)
	for k := range s {
		zk := r.z[k*d : (k+1)*d]
		for i, gi := range r.g[k*d : (k+1)*d] {
			blas64.Axpy(-inv*gi, blas64.Vector{N: i + 1, Inc: 1, Data: zk}, blas64.Vector{N: i + 1, Inc: 1, Data: r.gl[i*d:]})
		}
	}
	k := d
	for i := range d {
		for j := 0; j <= i; j++ {
			if i == j {
				grad[k] = r.gl[i*d+i]*r.l[i*d+i] - 1
			} else {
				grad[k] = r.gl[i*d+j]
			}
			k++
		}
	}
	return mean, nil
}

// chunkRows is the number of draws the target is evaluated on at once:
// the chunks are the same whatever the number of threads, so the results
// are too.
const chunkRows = 32

// evalTarget evaluates the target at every row of x, into lp and (when
// wantGrad) g, chunk by chunk, on up to Options.Threads goroutines.
func (r *ReverseKL) evalTarget(wantGrad bool) error {
	chunks := (r.s + chunkRows - 1) / chunkRows
	workers := min(max(r.opt.Threads, 1), chunks)
	if workers == 1 {
		for c := range chunks {
			if err := r.evalChunk(c, wantGrad); err != nil {
				return err
			}
		}
		return nil
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r.errs[w] = nil
			// Worker w takes the chunks w, w + workers, ...; it stops at
			// its first error, which is its lowest draw's.
			for c := w; c < chunks; c += workers {
				if err := r.evalChunk(c, wantGrad); err != nil {
					r.errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	// The error of the lowest draw among the workers' first errors.
	var first *DrawError
	var other error
	for _, err := range r.errs[:workers] {
		var de *DrawError
		switch {
		case err == nil:
		case errors.As(err, &de):
			if first == nil || de.Draw < first.Draw {
				first = de
			}
		case other == nil:
			other = err
		}
	}
	if first != nil {
		return first
	}
	return other
}

// evalChunk evaluates the target on the rows of chunk c.
func (r *ReverseKL) evalChunk(c int, wantGrad bool) error {
	d := r.d
	lo, hi := c*chunkRows, min((c+1)*chunkRows, r.s)
	var g []float64
	if wantGrad {
		g = r.g[lo*d : hi*d]
	}
	if b, ok := r.target.(BatchLogDensity); ok {
		b.LogDensities(r.lp[lo:hi], g, r.x[lo*d:hi*d])
	} else {
		for k := lo; k < hi; k++ {
			var gk []float64
			if wantGrad {
				gk = r.g[k*d : (k+1)*d]
			}
			r.lp[k] = r.target.LogDensity(r.x[k*d:(k+1)*d], gk)
		}
	}
	for k := lo; k < hi; k++ {
		if v := r.lp[k]; math.IsNaN(v) || math.IsInf(v, 0) {
			return &DrawError{Draw: k, X: append([]float64(nil), r.x[k*d:(k+1)*d]...), Value: v}
		}
		if wantGrad {
			for i, gi := range r.g[k*d : (k+1)*d] {
				if math.IsNaN(gi) || math.IsInf(gi, 0) {
					return fmt.Errorf("the log-density's gradient is %v in x%d at draw %d: it must be finite", gi, i+1, k)
				}
			}
		}
	}
	return nil
}
