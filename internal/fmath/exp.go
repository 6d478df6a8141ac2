// Package fmath holds functions for the fit engine's passes and the
// families' log-densities: a table exp faster than the standard library's
// and at least as accurate, and the error function and its scaled
// complement by rational approximations that take no exp (within a few
// units of 2^-52, where math.Erf is within one).
package fmath

import "math"

// The natural logarithm of 2 in two parts, as math.Log has it: the first
// has 32 significant bits, so that its product with an exponent is exact.
const (
	ln2Hi = 6.93147180369123816490e-01
	ln2Lo = 1.90821492927058770002e-10
)

// expTable[j] is 2^(j/64) as a sum hi + lo of two float64s, good to about
// 2^-100 relative.
var expTable [64][2]float64

func init() {
	for j := range expTable {
		hi := math.Exp2(float64(j) / 64)
		// hi^64 in double-double by six squarings, then one Newton step
		// on y^64 = 2^j gives the correction lo.
		h, l := hi, 0.0
		for range 6 {
			p := h * h
			e := math.FMA(h, h, -p) + 2*h*l
			h = p + e
			l = e - (h - p)
		}
		pj := math.Ldexp(1, j)
		rel := ((pj - h) - l) / pj
		expTable[j] = [2]float64{hi, hi * rel / 64}
	}
}

// ln2/64 in two parts: the first has 32 significant bits (math.Log's
// ln2Hi over 64), so that its product with k (|k| < 2^17) is exact.
const (
	ln2by64Hi  = ln2Hi / 64
	ln2by64Lo  = ln2Lo / 64
	roundMagic = 0x1.8p52 // adding and taking it away rounds to an integer
)

// Exp returns exp x within about
// 0.55 ulp (one rounding and the series' rest) where math.Exp is within
// 1 (see TestAnchorExp in package fit), at less than half its cost: with
// x = (64 e + j) ln2/64 + r, |r| <= ln2/128, exp x = 2^e 2^(j/64) exp r,
// 2^(j/64) = hi + lo from expTable and exp r - 1 = q from its series cut
// after r^6 (the rest is below 2^-65), summed as hi + (lo + hi q).
// Outside (-700, 700), and for NaN, it is math.Exp.
func Exp(x float64) float64 {
	if !(x > -700 && x < 700) {
		return math.Exp(x)
	}
	kf := x*(64/math.Ln2) + roundMagic
	kf -= roundMagic
	k := int64(kf)
	r := (x - kf*ln2by64Hi) - kf*ln2by64Lo
	// The series by Estrin's scheme: its terms in three independent
	// pairs, so that the multiplications wait on each other three deep
	// where Horner's rule waits six; |q| < 2^-7, so its own rounding
	// is below 2^-60 of the result.
	r2 := r * r
	q := r * ((1 + r*0.5) + r2*((1.0/6+r*(1.0/24))+r2*(1.0/120+r*(1.0/720))))
	t := &expTable[k&63]
	return math.Float64frombits(math.Float64bits(t[0]+(t[1]+t[0]*q)) + uint64(k>>6)<<52)
}
