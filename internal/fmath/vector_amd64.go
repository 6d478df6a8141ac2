//go:build !purego

package fmath

import "golang.org/x/sys/cpu"

// hasAVX2 says whether AddLogs, KLTerms and Moments may take their
// vector loops.
var hasAVX2 = cpu.X86.HasAVX2

// addLogsAVX2 is AddLogs on n points, n a multiple of 4 (log_amd64.s).
//
//go:noescape
func addLogsAVX2(dst, x *float64, n int, a float64)

// addLogsVector does AddLogs' work on the longest prefix of x it can take
// four points at a time, when the processor has AVX2, and returns its
// length.
func addLogsVector(dst, x []float64, a float64) int {
	n := len(x) &^ 3
	if !hasAVX2 || n == 0 {
		return 0
	}
	addLogsAVX2(&dst[0], &x[0], n, a)
	return n
}

// momentsAVX2 is Moments' loop on n points, n a multiple of 4
// (moments_amd64.s).
//
//go:noescape
func momentsAVX2(acc *[6][4]float64, e, t *float64, n int, start, step, off float64)

// momentsVector runs Moments' loop on the longest prefix of e it can take
// four points at a time, when the processor has AVX2, and returns its
// length.
func momentsVector(acc *[6][4]float64, e, t []float64, start, step float64, off int) int {
	n := len(e) &^ 3
	if !hasAVX2 || n == 0 {
		return 0
	}
	momentsAVX2(acc, &e[0], &t[0], n, start, step, float64(off))
	return n
}

// klTermsAVX2 is KLTerms' loop on up to n points, n a multiple of 4,
// which returns how many it took (log_amd64.s).
//
//go:noescape
func klTermsAVX2(acc *[2][4]float64, t, s, p, logp *float64, n int, a, tiny float64) int

// klTermsVector runs KLTerms' loop four points at a time, when the
// processor has AVX2, up to the first four that hold a point it does not
// take, and returns how many points it took.
func klTermsVector(acc *[2][4]float64, t, s, p, logp []float64, a, tiny float64) int {
	n := len(s) &^ 3
	if !hasAVX2 || n == 0 {
		return 0
	}
	return klTermsAVX2(acc, &t[0], &s[0], &p[0], &logp[0], n, a, tiny)
}
