package divergence

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// mvParams splits a mvnormal parameter vector into its mean and full
// covariance (row-major).
func mvParams(theta []float64) (mean, cov []float64, d int, err error) {
	for d = 1; d <= 8; d++ {
		full, tri := d+d*d, d+d*(d+1)/2
		switch len(theta) {
		case full:
			return theta[:d], theta[d:], d, nil
		case tri:
			cov = make([]float64, d*d)
			k := d
			for i := 0; i < d; i++ {
				for j := i; j < d; j++ {
					cov[i*d+j], cov[j*d+i] = theta[k], theta[k]
					k++
				}
			}
			return theta[:d], cov, d, nil
		}
	}
	return nil, nil, 0, fmt.Errorf("mvnormal: %d parameters is not a mean and a covariance", len(theta))
}

// klMVNormal is (tr(S2^-1 S1) + (m2-m1)' S2^-1 (m2-m1) - d + log(det S2/det S1))/2.
// The covariance part is sum g(lambda_i) over the eigenvalues lambda_i
// of S2^-1 S1, g(r) = r - 1 - log r, computed as sum (beta - log1p(beta))
// over the eigenvalues beta of L2^-1 (S1 - S2) L2^-T when they all lie
// within 1/2 of 0 (nearly equal covariances, whose difference is exact),
// and otherwise as sum_i g(p1_i/p2_i) + sum_{i>j} A_ij^2 with
// A = L2^-1 L1, L the Cholesky factors and p their pivots (the squared
// diagonals): terms >= 0 in either case, and no ratio formed where it
// would under- or overflow. The factors and solves are carried in
// double-double arithmetic: the Schur complements of a nearly singular
// covariance (1 - r^2 for a correlation r near 1) cancel, and in float64
// would cost as many digits as the covariance's condition number has.
func klMVNormal(p, q []float64) (float64, error) {
	m1, s1, d, err := mvParams(p)
	if err != nil {
		return 0, err
	}
	m2, s2, d2, err := mvParams(q)
	if err != nil {
		return 0, err
	}
	if d != d2 {
		return 0, fmt.Errorf("mvnormal: dimensions %d and %d", d, d2)
	}
	l1, piv1, ok1 := cholesky(s1, d)
	l2, piv2, ok2 := cholesky(s2, d)
	if !ok1 || !ok2 {
		return 0, fmt.Errorf("mvnormal: a covariance is not symmetric positive definite")
	}
	// quad = ||L2^-1 (m2-m1)||^2; the differences are exact.
	col := make([]dd, d)
	for i := range col {
		col[i] = ddOf(m2[i]).add(ddOf(-m1[i]))
	}
	solveLower(l2, d, col)
	var quad dd
	for _, v := range col {
		quad = quad.add(v.mul(v))
	}
	cov, near := mvNear(s1, s2, l2, d)
	if !near {
		cov = 0
		for i := 0; i < d; i++ {
			cov += gapRatio(piv1[i], piv2[i])
		}
		var off dd
		for j := 0; j < d; j++ {
			for i := range col {
				col[i] = l1[i*d+j]
			}
			solveLower(l2, d, col)
			for i := j + 1; i < d; i++ {
				off = off.add(col[i].mul(col[i]))
			}
		}
		cov += off.float()
	}
	return 0.5*cov + 0.5*quad.float(), nil
}

// mvNear returns sum (beta - log1p(beta)) over the eigenvalues beta of
// B = L2^-1 (S1 - S2) L2^-T, and whether they all lie in [-1/2, 1/2],
// where that sum holds the digits the nearly equal covariances share.
func mvNear(s1, s2 []float64, l2 []dd, d int) (float64, bool) {
	b := make([]dd, d*d)
	for i := range b {
		b[i] = ddOf(s1[i]).add(ddOf(-s2[i]))
		if math.IsInf(b[i].hi, 0) {
			return 0, false
		}
	}
	// X = L2^-1 D column by column, then B = L2^-1 X' (D symmetric).
	col := make([]dd, d)
	for pass := 0; pass < 2; pass++ {
		for j := 0; j < d; j++ {
			for i := range col {
				col[i] = b[i*d+j]
			}
			solveLower(l2, d, col)
			for i := range col {
				b[i*d+j] = col[i]
			}
		}
		for i := 0; i < d; i++ {
			for j := i + 1; j < d; j++ {
				b[i*d+j], b[j*d+i] = b[j*d+i], b[i*d+j]
			}
		}
	}
	sym := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			sym.SetSym(i, j, 0.5*(b[i*d+j].float()+b[j*d+i].float()))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, false) {
		return 0, false
	}
	var sum float64
	for _, beta := range eig.Values(nil) {
		if !(math.Abs(beta) <= 0.5) {
			return 0, false
		}
		sum += gap(beta, math.Log1p(beta), 1)
	}
	return sum, true
}

// cholesky returns the lower factor L of a symmetric positive definite
// d x d matrix (row-major) and its pivots L_ii^2, or ok = false.
func cholesky(a []float64, d int) (l []dd, piv []float64, ok bool) {
	l = make([]dd, d*d)
	piv = make([]float64, d)
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			if a[i*d+j] != a[j*d+i] {
				return nil, nil, false
			}
			s := ddOf(a[i*d+j])
			for k := 0; k < j; k++ {
				s = s.sub(l[i*d+k].mul(l[j*d+k]))
			}
			if i == j {
				if !(s.hi > 0) || math.IsInf(s.hi, 1) {
					return nil, nil, false
				}
				piv[i] = s.float()
				l[i*d+i] = s.sqrt()
			} else {
				l[i*d+j] = s.div(l[j*d+j])
			}
		}
	}
	return l, piv, true
}

// solveLower overwrites b with L^-1 b.
func solveLower(l []dd, d int, b []dd) {
	for i := 0; i < d; i++ {
		s := b[i]
		for k := 0; k < i; k++ {
			s = s.sub(l[i*d+k].mul(b[k]))
		}
		b[i] = s.div(l[i*d+i])
	}
}

// dd is a double-double number hi + lo, |lo| <= ulp(hi)/2: about 106
// bits. Its operations carry an infinite or NaN hi with lo = 0.
type dd struct{ hi, lo float64 }

func ddOf(x float64) dd { return dd{x, 0} }

func (a dd) float() float64 { return a.hi + a.lo }

// norm returns s + e renormalized, for |e| small beside |s|.
func norm(s, e float64) dd {
	if math.IsInf(s, 0) || math.IsNaN(s) {
		return dd{s, 0}
	}
	hi := s + e
	return dd{hi, e - (hi - s)}
}

func (a dd) add(b dd) dd {
	s, e := twoSum(a.hi, b.hi)
	return norm(s, e+a.lo+b.lo)
}

func (a dd) sub(b dd) dd { return a.add(dd{-b.hi, -b.lo}) }

func (a dd) mul(b dd) dd {
	p := a.hi * b.hi
	if math.IsInf(p, 0) || p == 0 {
		return dd{p, 0}
	}
	return norm(p, math.FMA(a.hi, b.hi, -p)+a.hi*b.lo+a.lo*b.hi)
}

func (a dd) div(b dd) dd {
	q1 := a.hi / b.hi
	if math.IsInf(q1, 0) || q1 == 0 || math.IsNaN(q1) {
		return dd{q1, 0}
	}
	r := a.sub(b.mul(ddOf(q1)))
	return norm(q1, r.hi/b.hi)
}

func (a dd) sqrt() dd {
	x := math.Sqrt(a.hi)
	if x == 0 || math.IsInf(x, 0) {
		return dd{x, 0}
	}
	r := a.sub(ddOf(x).mul(ddOf(x)))
	return norm(x, r.hi/(2*x))
}
