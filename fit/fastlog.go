package fit

import "math"

// logTable holds, for the 128 intervals of [1, 2) that the 7 leading bits
// of a mantissa select, inv = 1/c rounded (c the interval's midpoint) and
// -log(inv), the log of the number inv is the exact inverse of.
var logTable [128][2]float64

func init() {
	for j := range logTable {
		inv := 1 / (1 + (float64(j)+0.5)/128)
		logTable[j] = [2]float64{inv, -math.Log(inv)}
	}
}

// The natural logarithm of 2 in two parts, as math.Log has it: the first
// has 32 significant bits, so that its product with an exponent is exact.
const (
	ln2Hi = 6.93147180369123816490e-01
	ln2Lo = 1.90821492927058770002e-10
)

// posLog returns log x for a positive normal x (x >= 2^-1022, finite),
// within 2^-52 of math.Log(x) plus 2^-52 of its size (see TestPosLog),
// in a third of its time: with x = 2^k m, m in [1, 2), and inv from
// logTable for m's interval, log x = k log 2 - log inv + log1p(r) with
// r = m inv - 1 (one fused multiply-add, |r| <= 2^-8), whose series is cut
// after r^7 (the rest is below 2^-67). Other x give nonsense.
func posLog(x float64) float64 {
	b := math.Float64bits(x)
	k := float64(int(b>>52) - 1023)
	t := &logTable[(b>>45)&127]
	m := math.Float64frombits(b&(1<<52-1) | 1023<<52)
	r := math.FMA(m, t[0], -1)
	p := r - r*r*(0.5-r*(1.0/3-r*(0.25-r*(0.2-r*(1.0/6-r*(1.0/7))))))
	return k*ln2Hi + (t[1] + p + k*ln2Lo)
}
