package fmath

import "math"

// logTable holds, for the 256 intervals of [1, 2) that the 8 leading bits
// of a mantissa select, the interval's midpoint c (9 significant bits), 1/c
// rounded and log c.
var logTable [256][3]float64

func init() {
	for j := range logTable {
		c := 1 + (float64(j)+0.5)/256
		logTable[j] = [3]float64{c, 1 / c, math.Log(c)}
	}
}

// Log returns the natural logarithm of x, within 2^-52 of math.Log(x)
// plus 2^-52 of its size (see TestLog), at about half its cost for
// positive normal x; other x (0, subnormal, negative, Inf, NaN) get
// math.Log.
func Log(x float64) float64 {
	if x >= 0x1p-1022 && x <= math.MaxFloat64 {
		return logNormal(x)
	}
	return math.Log(x)
}

// AddLogs stores a + log x[i] in dst[i] for positive normal x[i]
// (x >= 2^-1022, finite), as Log does; other x give nonsense. It works on
// a slice, with logNormal's body written out in its loop (logNormal is
// too large for the compiler to inline; a call a point took twice the
// time), so that the iterations overlap. TestLog checks that the two
// agree to the bit.
func AddLogs(dst, x []float64, a float64) {
	dst = dst[:len(x)]
	n := addLogsVector(dst, x, a)
	addLogsScalar(dst[n:], x[n:], a)
}

// addLogsScalar is AddLogs a point at a time.
func addLogsScalar(dst, x []float64, a float64) {
	dst = dst[:len(x)]
	for i, v := range x {
		b := math.Float64bits(v)
		t := &logTable[(b>>44)&255]
		r := float64((math.Float64frombits(b&(1<<52-1)|1023<<52) - t[0]) * t[1])
		k := float64(int(b>>52) - 1023)
		u := 0.25 - float64(r*0.2)
		u = 1.0/3 - float64(r*u)
		u = 0.5 - float64(r*u)
		p := r - float64(float64(r*r)*u)
		dst[i] = a + (float64(k*ln2Hi) + (t[2] + p + float64(k*ln2Lo)))
	}
}

// logNormal returns log x for positive normal x: with x = 2^k m,
// m in [1, 2), and c the midpoint of m's interval in logTable,
// log x = k log 2 + log c + log1p(r) with r = (m - c)/c, |r| <= 2^-9
// (m - c is exact; the product with 1/c is off by an ulp of r, below
// 2^-61), whose series is cut after r^5 (the rest is below 2^-56). The
// conversions float64(x*y) keep a compiler from fusing a product with the
// next sum (the language allows it: gc does so on arm64, and on amd64
// from GOAMD64=v3), so that the result is the same on every processor
// and build, and the same as addLogsAVX2's.
func logNormal(x float64) float64 {
	b := math.Float64bits(x)
	t := &logTable[(b>>44)&255]
	r := float64((math.Float64frombits(b&(1<<52-1)|1023<<52) - t[0]) * t[1])
	k := float64(int(b>>52) - 1023)
	u := 0.25 - float64(r*0.2)
	u = 1.0/3 - float64(r*u)
	u = 0.5 - float64(r*u)
	p := r - float64(float64(r*r)*u)
	return float64(k*ln2Hi) + (t[2] + p + float64(k*ln2Lo))
}
