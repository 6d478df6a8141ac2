package vi

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Gaussian is a multivariate normal model q = N(mean, covariance) in d
// dimensions, full rank ([NewMVNormal]) or mean-field ([NewMVNormalDiag]).
//
// A fit moves an unconstrained vector u of Len() numbers. The full-rank
// model writes the covariance through its Cholesky factor L (lower
// triangular, covariance = L L^T) with a log diagonal: u holds the d
// means, then the rows of L's lower triangle, log L[i][i] on the
// diagonal and L[i][j] below it (i = 0 ... d-1, j = 0 ... i). The
// mean-field model holds the d means, then the log standard deviations
// log sigma[i] (variance[i] = sigma[i]^2). Every u is a valid model.
//
// Draws are reparameterized: x = mean + L z with z standard normal.
type Gaussian struct {
	d    int
	diag bool
}

// NewMVNormal returns the full-rank normal model in d dimensions.
func NewMVNormal(d int) (*Gaussian, error) { return newGaussian(d, false) }

// NewMVNormalDiag returns the mean-field normal model in d dimensions: the
// coordinates are independent, each with its own mean and variance.
func NewMVNormalDiag(d int) (*Gaussian, error) { return newGaussian(d, true) }

// MaxFullRankDims and MaxMeanFieldDims bound a model's dimension. The
// full-rank model has d + d(d+1)/2 parameters, 2,003,000 at 2000 (16 MB
// a vector of them, and a fit holds dozens, with a row of its history
// per epoch), and its parameters cost d^3/3 operations an epoch (the
// covariance L L^T): seconds at 2000, minutes at 10,000. The mean-field
// model has 2d.
const (
	MaxFullRankDims  = 2000
	MaxMeanFieldDims = 10000
)

func newGaussian(d int, diag bool) (*Gaussian, error) {
	switch {
	case d < 1:
		return nil, fmt.Errorf("normal model: dimension %d, must be at least 1", d)
	case diag && d > MaxMeanFieldDims:
		return nil, fmt.Errorf("normal model: dimension %d: a mean-field model goes up to %d", d, MaxMeanFieldDims)
	case !diag && d > MaxFullRankDims:
		return nil, fmt.Errorf("normal model: dimension %d: a full-rank model goes up to %d (it has d + d(d+1)/2 parameters, %d here, and an epoch costs d^3/3 operations); a mean-field model (mvnormal_diag) goes up to %d", d, MaxFullRankDims, d+d*(d+1)/2, MaxMeanFieldDims)
	}
	return &Gaussian{d: d, diag: diag}, nil
}

// Name returns the model's name in specs: "mvnormal" or "mvnormal_diag".
func (g *Gaussian) Name() string {
	if g.diag {
		return "mvnormal_diag"
	}
	return "mvnormal"
}

// Dim returns the model's dimension d.
func (g *Gaussian) Dim() int { return g.d }

// Diagonal reports whether the model is mean-field.
func (g *Gaussian) Diagonal() bool { return g.diag }

// Len returns the length of the unconstrained vector u, and of the
// parameters theta: 2d for the mean-field model, d + d(d+1)/2 for the
// full-rank one.
func (g *Gaussian) Len() int {
	if g.diag {
		return 2 * g.d
	}
	return g.d + g.d*(g.d+1)/2
}

// Names returns the names of the parameters theta that Theta computes:
// mean[i], then covariance[i][j] for i <= j (row by row), or variance[i]
// for the mean-field model; indices start at 0.
func (g *Gaussian) Names() []string {
	out := make([]string, 0, g.Len())
	for i := range g.d {
		out = append(out, fmt.Sprintf("mean[%d]", i))
	}
	for i := range g.d {
		if g.diag {
			out = append(out, fmt.Sprintf("variance[%d]", i))
			continue
		}
		for j := i; j < g.d; j++ {
			out = append(out, fmt.Sprintf("covariance[%d][%d]", i, j))
		}
	}
	return out
}

// Init sets u to the standard normal: mean 0, covariance the identity.
func (g *Gaussian) Init(u []float64) { clear(u[:g.Len()]) }

// Theta computes the parameters named by Names from u: the means and the
// covariance's upper triangle (or the variances).
func (g *Gaussian) Theta(theta, u []float64) {
	d := g.d
	copy(theta[:d], u[:d])
	if g.diag {
		for i := range d {
			theta[d+i] = math.Exp(2 * u[d+i])
		}
		return
	}
	l := make([]float64, d*d)
	g.cholesky(l, u)
	k := d
	for i := range d {
		for j := i; j < d; j++ {
			// (L L^T)[i][j] = sum over c <= i of L[i][c] L[j][c], for i <= j.
			var s float64
			for c := 0; c <= i; c++ {
				s += l[i*d+c] * l[j*d+c]
			}
			theta[k] = s
			k++
		}
	}
}

// Mean stores the model's mean at u in dst.
func (g *Gaussian) Mean(dst, u []float64) { copy(dst[:g.d], u[:g.d]) }

// Cholesky returns the Cholesky factor L of the covariance at u (diagonal
// for the mean-field model).
func (g *Gaussian) Cholesky(u []float64) *mat.TriDense {
	l := make([]float64, g.d*g.d)
	g.cholesky(l, u)
	return mat.NewTriDense(g.d, mat.Lower, l)
}

// cholesky stores L, row-major d x d with zeros above the diagonal, in l.
func (g *Gaussian) cholesky(l, u []float64) {
	d := g.d
	clear(l)
	if g.diag {
		for i := range d {
			l[i*d+i] = math.Exp(u[d+i])
		}
		return
	}
	k := d
	for i := range d {
		for j := 0; j <= i; j++ {
			if i == j {
				l[i*d+i] = math.Exp(u[k])
			} else {
				l[i*d+j] = u[k]
			}
			k++
		}
	}
}

// logDetL returns log det L = sum of log L[i][i].
func (g *Gaussian) logDetL(u []float64) float64 {
	d := g.d
	var s float64
	if g.diag {
		for i := range d {
			s += u[d+i]
		}
		return s
	}
	k := d
	for i := range d {
		s += u[k+i]
		k += i + 1
	}
	return s
}

// Unconstrain sets u to the model with the given mean and covariance. The
// mean-field model takes only the covariance's diagonal. An error says
// which entry is wrong when the covariance is not symmetric positive
// definite (or, for the mean-field model, has a variance <= 0).
func (g *Gaussian) Unconstrain(u, mean []float64, cov mat.Symmetric) error {
	d := g.d
	if len(mean) != d || cov.SymmetricDim() != d {
		return fmt.Errorf("normal model: mean of length %d and a %d x %d covariance for a %d-D model", len(mean), cov.SymmetricDim(), cov.SymmetricDim(), d)
	}
	for i, v := range mean {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("normal model: mean[%d] is %v, must be finite", i, v)
		}
	}
	copy(u[:d], mean)
	if g.diag {
		for i := range d {
			v := cov.At(i, i)
			if !(v > 0) || math.IsInf(v, 1) {
				return fmt.Errorf("normal model: variance[%d] is %v, must be finite and > 0", i, v)
			}
			u[d+i] = 0.5 * math.Log(v)
		}
		return nil
	}
	var ch mat.Cholesky
	if !ch.Factorize(cov) {
		return fmt.Errorf("normal model: the %d x %d covariance is not positive definite", d, d)
	}
	var l mat.TriDense
	ch.LTo(&l)
	k := d
	for i := range d {
		for j := 0; j <= i; j++ {
			if i == j {
				u[k] = math.Log(l.At(i, i))
			} else {
				u[k] = l.At(i, j)
			}
			k++
		}
	}
	return nil
}

// Sample stores the draw x = mean + L z of the model at u in x, for z
// standard normal of length d.
func (g *Gaussian) Sample(x, u, z []float64) {
	d := g.d
	l := make([]float64, d*d)
	g.cholesky(l, u)
	for i := range d {
		s := u[i]
		for j := 0; j <= i; j++ {
			s += l[i*d+j] * z[j]
		}
		x[i] = s
	}
}

// LogDensity returns log q(x) for the model at u.
func (g *Gaussian) LogDensity(u, x []float64) float64 {
	d := g.d
	l := make([]float64, d*d)
	g.cholesky(l, u)
	// Solve L z = x - mean by forward substitution.
	z := make([]float64, d)
	var q float64
	for i := range d {
		s := x[i] - u[i]
		for j := range i {
			s -= l[i*d+j] * z[j]
		}
		z[i] = s / l[i*d+i]
		q += z[i] * z[i]
	}
	return -0.5*q - g.logDetL(u) - 0.5*float64(d)*log2Pi
}

var log2Pi = math.Log(2 * math.Pi)
