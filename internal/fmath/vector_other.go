//go:build !amd64 || purego

package fmath

// hasAVX2 is false where there is no vector loop.
var hasAVX2 = false

// addLogsVector takes no points where there is no vector loop.
func addLogsVector(dst, x []float64, a float64) int { return 0 }

// momentsVector takes no points where there is no vector loop.
func momentsVector(acc *[6][4]float64, e, t []float64, start, step float64, off int) int {
	return 0
}

// klTermsVector takes no points where there is no vector loop.
func klTermsVector(acc *[2][4]float64, t, s, p, logp []float64, a, tiny float64) int {
	return 0
}
