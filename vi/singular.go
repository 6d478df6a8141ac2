package vi

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// SingularError is samples on which a normal model has no
// maximum-likelihood fit: their covariance is singular, or so near it
// that rounding decides their least variance. They lie on (or within
// rounding of) a subspace of fewer dimensions, and the forward KL's loss
// falls without end as the model's variance across it shrinks (a
// mean-field model only needs every coordinate to vary).
type SingularError struct {
	// Dim is the dimension of the samples.
	Dim int
	// Column is the coordinate found dependent (from 0): constant, or a
	// linear combination of the coordinates Of, to rounding.
	Column int
	// Of are the coordinates before Column that it is a combination of,
	// and Coef and Intercept the combination: x[Column] = Intercept +
	// sum Coef[k] x[Of[k]] (Intercept 0 when it is within 10^-9 of the
	// terms' size, rounding's). Of is empty when Column is constant.
	Of        []int
	Coef      []float64
	Intercept float64
	// Unexplained is the share of Column's variance that the coordinates
	// before it leave unexplained, 1 - R² (0 for a constant column), and
	// Bound the least share that rounding does not decide.
	Unexplained, Bound float64
	// MinEigen is an estimate of the least eigenvalue of the samples'
	// correlation matrix (NaN when Column is constant), and Cond the
	// condition number it comes from (+Inf when not positive definite).
	MinEigen, Cond float64
	// SD and Mean are Column's standard deviation and mean when it is
	// constant (to rounding): SD 0, or too small next to Mean to be told
	// from the values' rounding.
	SD, Mean float64
}

// Error implements error, naming the coordinates x1 ... xd.
func (e *SingularError) Error() string { return e.Describe(nil) }

// Describe says what is wrong in one line, naming the coordinates by
// names (x1 ... xd when names is nil).
func (e *SingularError) Describe(names []string) string {
	name := func(i int) string {
		if i < len(names) {
			return names[i]
		}
		return "x" + strconv.Itoa(i+1)
	}
	if len(e.Of) == 0 && e.SD > 0 {
		return fmt.Sprintf("%s varies too little next to its mean for rounding to tell its variance (standard deviation %.3g against a mean of %.3g; its values are rounded to about %.2g), so a normal model's best fit is decided by rounding; subtract a constant near its mean from the column, or drop it",
			name(e.Column), e.SD, e.Mean, eps*math.Abs(e.Mean))
	}
	if len(e.Of) == 0 {
		return fmt.Sprintf("%s is constant, so its variance is 0 and a normal model has no best fit (the loss falls without end as the variance shrinks); drop the column", name(e.Column))
	}
	var rel strings.Builder
	rel.WriteString(name(e.Column) + " =")
	term := func(first bool, c float64, what string) {
		switch {
		case first && c < 0:
			rel.WriteString(" -")
		case c < 0:
			rel.WriteString(" - ")
		case !first:
			rel.WriteString(" + ")
		default:
			rel.WriteString(" ")
		}
		if math.Abs(c) == 1 && what != "" {
			rel.WriteString(what[1:])
			return
		}
		rel.WriteString(strconv.FormatFloat(math.Abs(c), 'g', 4, 64) + what)
	}
	for k, j := range e.Of {
		if k == 4 {
			fmt.Fprintf(&rel, " + ... (%d more)", len(e.Of)-k)
			break
		}
		term(k == 0, e.Coef[k], " "+name(j))
	}
	if e.Intercept != 0 {
		term(false, e.Intercept, "")
	}
	how := fmt.Sprintf("to rounding: it leaves 1 - R² = %.2g of %s's variance unexplained, below the %.2g that rounding does not decide", e.Unexplained, name(e.Column), e.Bound)
	if e.Unexplained >= e.Bound {
		how = fmt.Sprintf("nearly: the smallest eigenvalue of the samples' correlation matrix is about %.2g (condition number %.2g), below the %.2g that rounding does not decide", e.MinEigen, e.Cond, e.Bound)
	}
	return fmt.Sprintf("the samples lie on a subspace of fewer than %d dimensions: %s (%s), so their covariance is singular and a full-rank normal has no best fit (the loss falls without end as its variance across the subspace shrinks); drop %s, or fit mvnormal_diag",
		e.Dim, rel.String(), how, name(e.Column))
}

// rankFactor is how many times the rounding error of the correlation
// matrix's entries its least eigenvalue must exceed: 10^4, for the least
// variance to have a relative error below 10^-4.
const rankFactor = 1e4

// Check says whether a normal model, full rank or mean-field (diag), has
// a best fit to these samples that rounding does not decide: nil, or a
// *SingularError. A mean-field model needs every coordinate to vary by
// more than rounding: a standard deviation above 10^4 ε |mean| (ε = 2^-52,
// the relative rounding error of the values). A full-rank one needs, as
// well, the least eigenvalue of the samples' correlation matrix R to
// exceed 10^4 d ε (1 + max |mean_i| / sd_i), 10^4 times the rounding error
// its entries carry (that of a value magnified by its distance from the
// mean over the spread), so that the least variance has a relative error
// below 10^-4; the eigenvalue is estimated from below as ||R||_1 / κ_1(R),
// with gonum's estimate of the condition number κ_1. It takes O(d^3)
// time, as one evaluation of the forward KL does.
func (m *Moments) Check(diag bool) error {
	d := m.d
	sd := make([]float64, d)
	worst := 0.0 // max |mean_i| / sd_i
	for i := range d {
		sd[i] = math.Sqrt(m.m2[i*d+i] / float64(m.n))
		if !(sd[i] > rankFactor*eps*math.Abs(m.mean[i])) || m.n < 2 {
			return &SingularError{Dim: d, Column: i, MinEigen: math.NaN(), Cond: math.Inf(1), Bound: rankFactor * eps, SD: sd[i], Mean: m.mean[i]}
		}
		worst = math.Max(worst, math.Abs(m.mean[i])/sd[i])
	}
	if diag {
		return nil
	}
	bound := rankFactor * float64(d) * eps * (1 + worst)
	r := mat.NewSymDense(d, nil)
	for i := range d {
		r.SetSym(i, i, 1)
		for j := i + 1; j < d; j++ {
			r.SetSym(i, j, m.m2[i*d+j]/float64(m.n)/(sd[i]*sd[j]))
		}
	}
	var ch mat.Cholesky
	minEigen, cond := 0.0, math.Inf(1)
	if ch.Factorize(r) {
		cond = ch.Cond()
		minEigen = mat.Norm(r, 1) / cond
		if minEigen > bound {
			return nil
		}
	}
	e := dependent(r, bound)
	e.Dim, e.Bound, e.MinEigen, e.Cond = d, bound, minEigen, cond
	for k, j := range e.Of { // standardized coefficients to the values'
		e.Coef[k] *= sd[e.Column] / sd[j]
	}
	e.Intercept = m.mean[e.Column]
	scale := math.Abs(e.Intercept) + sd[e.Column]
	for k, j := range e.Of {
		e.Intercept -= e.Coef[k] * m.mean[j]
		scale += math.Abs(e.Coef[k] * m.mean[j])
	}
	if math.Abs(e.Intercept) < 1e-9*scale {
		e.Intercept = 0 // rounding's
	}
	return e
}

// eps is the relative rounding error of a float64, 2^-52.
const eps = 0x1p-52

// dependent finds the coordinate of the correlation matrix r that the
// ones before it explain best: the first whose unexplained share 1 - R²
// is below bound, or else the least such share. It factors r in order as
// Cholesky does, leaving out each coordinate found dependent, and returns
// the coordinate with its standardized coefficients (Coef, in standard
// deviations) on the coordinates kept before it that matter (those with a
// coefficient above 10^-3 of the largest).
func dependent(r *mat.SymDense, bound float64) *SingularError {
	d := r.SymmetricDim()
	l := make([]float64, d*d) // rows of the kept coordinates' factor
	var kept []int
	best, bestShare := -1, math.Inf(1)
	var bestKept []int
	for k := range d {
		// Row k of the factor against the kept coordinates.
		var explained float64
		for a, j := range kept {
			v := r.At(k, j)
			for b := range a {
				v -= l[k*d+kept[b]] * l[j*d+kept[b]]
			}
			v /= l[j*d+j]
			l[k*d+j] = v
			explained += v * v
		}
		share := 1 - explained
		if share < bestShare {
			best, bestShare, bestKept = k, share, append([]int(nil), kept...)
		}
		if share < bound {
			break
		}
		l[k*d+k] = math.Sqrt(share)
		kept = append(kept, k)
	}
	// The coefficients b of x_best on the kept coordinates before it:
	// L L^T b = r[kept, best], L the kept coordinates' factor.
	n := len(bestKept)
	b := make([]float64, n)
	for a, j := range bestKept {
		v := r.At(best, j)
		for c := range a {
			v -= l[j*d+bestKept[c]] * b[c]
		}
		b[a] = v / l[j*d+j]
	}
	for a := n - 1; a >= 0; a-- {
		j := bestKept[a]
		v := b[a]
		for c := a + 1; c < n; c++ {
			v -= l[bestKept[c]*d+j] * b[c]
		}
		b[a] = v / l[j*d+j]
	}
	top := 0.0
	for _, v := range b {
		top = math.Max(top, math.Abs(v))
	}
	e := &SingularError{Column: best, Unexplained: math.Max(bestShare, 0)}
	for a, v := range b {
		if math.Abs(v) >= 1e-3*top && top > 0 {
			e.Of, e.Coef = append(e.Of, bestKept[a]), append(e.Coef, v)
		}
	}
	return e
}
