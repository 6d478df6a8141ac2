package fmath

// KLTerms runs the mixture pass's loop over a chunk's points from i on.
// For a point whose sum of terms s is at least tiny it stores t = P/s,
// takes its log-density L = a + log s (as AddLogs does) and adds
// P (log P - L) (where P > 0) and s to acc[0] and acc[1]: each in four
// partial sums, point j going to the (j mod 4)-th. It returns the index
// of the first point whose s is not at least tiny (NaN included), which
// the caller takes its own way before it goes on from the next, or
// len(s). On amd64 with AVX2 it takes four points at a time, with the
// operations below in their order, so that the sums are the same to the
// bit with it or without. logp is log P (anything where P is 0); t, p
// and logp are at least as long as s; tiny is at least 2^-1022, so that
// the log is taken of positive normal numbers only.
func KLTerms(acc *[2][4]float64, t, s, p, logp []float64, a, tiny float64, i int) int {
	t, p, logp = t[:len(s)], p[:len(s)], logp[:len(s)]
	var l [64]float64
	for i < len(s) {
		if i%4 == 0 {
			if i += klTermsVector(acc, t[i:], s[i:], p[i:], logp[i:], a, tiny); i == len(s) {
				break
			}
		}
		// The Go loop: up to the next group of four the vector loop can
		// take, or 64 points where there is none, their logs first (a call
		// to logNormal a point took 20% longer).
		n := min(len(s)-i, len(l))
		if hasAVX2 {
			n = min(n, 4-i%4)
		}
		addLogsScalar(l[:n], s[i:i+n], a)
		for j, lj := range l[:n] {
			si := s[i+j]
			if !(si >= tiny) {
				return i + j
			}
			v := float64(p[i+j] * (logp[i+j] - lj)) // no fused multiply-add (see logNormal)
			if !(p[i+j] > 0) {
				v = 0 // the vector loop's +0
			}
			acc[0][(i+j)%4] += v
			acc[1][(i+j)%4] += si
			t[i+j] = p[i+j] / si
		}
		i += n
	}
	return len(s)
}
