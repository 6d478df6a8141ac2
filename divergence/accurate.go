package divergence

import "math"

// The closed forms are built from the few functions below, each accurate
// to a few ulps of its own value whatever the scales of its arguments:
// ratios and logs of ratios are never formed where they would under- or
// overflow, nor differences where they would cancel. Every closed form is
// then a sum of terms >= 0, so it keeps the accuracy of its terms.

// minNormal is the smallest positive normal float64.
const minNormal = 0x1p-1022

// logPos returns log x for x > 0, also right for subnormal x, where
// math.Log on amd64 is not (it returns -709.09 for every x below
// 2.2e-308: golang.org/issue/56600).
func logPos(x float64) float64 {
	if x < minNormal {
		f, e := math.Frexp(x)
		return math.Log(f) + float64(e)*math.Ln2
	}
	return math.Log(x)
}

// logRatio returns log(a/b) for a, b > 0 (subnormal ones included) to a
// few ulps of itself: from the relative difference (a-b)/b, exact in its
// numerator, when a/b is near 1, where log(a/b) would keep only the
// digits a/b has after its rounding; from the exponents when a/b under-
// or overflows.
func logRatio(a, b float64) float64 { return logRatioDiff(a, b, a-b) }

// logRatioDiff is logRatio with a - b given (computed without the
// rounding of a and b, when they are sums).
func logRatioDiff(a, b, diff float64) float64 {
	r := a / b
	switch {
	case r > 0.5 && r < 2:
		return math.Log1p(diff / b)
	case r >= minNormal && r <= math.MaxFloat64:
		return math.Log(r)
	}
	fa, ea := math.Frexp(a)
	fb, eb := math.Frexp(b)
	return math.Log(fa/fb) + float64(ea-eb)*math.Ln2
}

// expm1MinusX returns e^x - 1 - x >= 0, by its series where the
// difference would cancel.
func expm1MinusX(x float64) float64 {
	if math.Abs(x) > 1 {
		// Cancels at most 2.7 times (x = -1).
		return math.Expm1(x) - x
	}
	// sum_{k>=2} x^k/k! = x^2/2 (1 + x/3 (1 + x/4 (1 + ...))), each
	// factor within 1/3 of 1: a few roundings in all. 1/20! is 4e-19.
	s := 1.0
	for k := 20; k >= 3; k-- {
		s = 1 + x/float64(k)*s
	}
	return x * x / 2 * s
}

// gap returns w (r - 1 - log r) >= 0 for r > 0 and w > 0, from
// wt = w (r - 1) and l = log r, given to a few ulps (wt in absolute terms
// when r is small). Near r = 1 it is w (e^l - 1 - l), which keeps every
// digit l has; elsewhere the subtraction cancels at most 2.7 times.
func gap(wt, l, w float64) float64 {
	if math.Abs(l) <= 1 {
		return w * expm1MinusX(l)
	}
	return wt - w*l
}

// gapRatio returns r - 1 - log r for r = a/b (a, b > 0), also where r
// under- or overflows (+Inf when r - 1 - log r does).
func gapRatio(a, b float64) float64 { return gap((a-b)/b, logRatio(a, b), 1) }

// halfGapRatio returns (r - 1 - log r)/2 for r = a/b, finite wherever the
// half is.
func halfGapRatio(a, b float64) float64 { return gap(0.5*(a-b)/b, logRatio(a, b), 0.5) }

// overScale returns (m1 - m2)/s, also where m1 - m2 overflows.
func overScale(m1, m2, s float64) float64 {
	d := m1 - m2
	if math.IsInf(d, 0) {
		return (0.5*m1 - 0.5*m2) / s * 2
	}
	return d / s
}

// mulDiv returns x y / z for positive x, y, z without an intermediate
// under- or overflow.
func mulDiv(x, y, z float64) float64 {
	fx, ex := math.Frexp(x)
	fy, ey := math.Frexp(y)
	fz, ez := math.Frexp(z)
	return math.Ldexp(fx*fy/fz, ex+ey-ez)
}

// diffProd returns x1 x2 - y1 y2 (all positive) as n 2^k, n accurate to
// a few ulps of itself however much the products cancel (Kahan's
// algorithm with fused multiply-adds), and without overflow.
func diffProd(x1, x2, y1, y2 float64) (n float64, k int) {
	f1, e1 := math.Frexp(x1)
	f2, e2 := math.Frexp(x2)
	h1, k1 := math.Frexp(y1)
	h2, k2 := math.Frexp(y2)
	k = max(e1+e2, k1+k2)
	// One factor of each product rescaled: exact, or underflowing only
	// when its product is negligible beside the other.
	u := math.Ldexp(f2, e1+e2-k)
	v := math.Ldexp(h2, k1+k2-k)
	p := h1 * v
	perr := math.FMA(h1, v, -p)
	return math.FMA(f1, u, -p) - perr, k
}

// productGap returns w (r - 1 - log r) >= 0 for r = x1 x2/(w y) (all
// positive), given r - 1 = n 2^k/(w y) with n 2^k accurate (see
// diffProd): near r = 1 its log comes from r - 1, which keeps the digits
// the products share; elsewhere w r = x1 x2/y is formed without under- or
// overflow, so the result is finite wherever it is.
func productGap(x1, x2, w, y, n float64, k int) float64 {
	f1, e1 := math.Frexp(x1)
	f2, e2 := math.Frexp(x2)
	g1, j1 := math.Frexp(w)
	g2, j2 := math.Frexp(y)
	l := math.Log(f1*f2/(g1*g2)) + float64(e1+e2-j1-j2)*math.Ln2
	if math.Abs(l) <= 1 {
		t := math.Ldexp(n/(g1*g2), k-j1-j2)
		return w * expm1MinusX(math.Log1p(t))
	}
	return mulDiv(x1, x2, y) - w - w*l
}
