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
// and logp are at least as long as s.
func KLTerms(acc *[2][4]float64, t, s, p, logp []float64, a, tiny float64, i int) int {
	t, p, logp = t[:len(s)], p[:len(s)], logp[:len(s)]
	for i < len(s) {
		if i%4 == 0 {
			if i += klTermsVector(acc, t[i:], s[i:], p[i:], logp[i:], a, tiny); i == len(s) {
				break
			}
		}
		si := s[i]
		if !(si >= tiny) {
			return i
		}
		v := p[i] * (logp[i] - (a + logNormal(si)))
		if !(p[i] > 0) {
			v = 0 // the vector loop's +0
		}
		acc[0][i%4] += v
		acc[1][i%4] += si
		t[i] = p[i] / si
		i++
	}
	return len(s)
}
