package fmath

// Moments stores in s, for the points 0 <= i < len(e) at
// d = start + float64(off+i)*step, the sums of e, e d, e d^2, t e, t e d
// and t e d^2 (t at least as long as e): the mixture pass's sums of a component's
// terms and of its share of the target, for the gradient. Each sum is
// made in four partial sums, point i going to the (i mod 4)-th, added as
// (s0 + s1) + (s2 + s3); on amd64 with AVX2 the four run side by side in
// one vector register, with the operations of the loop below in the same
// order, so that the result is the same to the bit with it or without
// (and the Go loop keeps a compiler from fusing multiply-adds).
func Moments(s *[6]float64, e, t []float64, start, step float64, off int) {
	t = t[:len(e)]
	var acc [6][4]float64
	n := momentsVector(&acc, e, t, start, step, off)
	for l := range 4 {
		e0, e1, e2 := acc[0][l], acc[1][l], acc[2][l]
		t0, t1, t2 := acc[3][l], acc[4][l], acc[5][l]
		for i := n + l; i < len(e); i += 4 {
			d := start + float64(float64(off+i)*step)
			v := e[i]
			tv := float64(t[i] * v)
			e0 += v
			t0 += tv
			v = float64(v * d)
			tv = float64(tv * d)
			e1 += v
			t1 += tv
			e2 += float64(v * d) // no fused multiply-add (see logNormal)
			t2 += float64(tv * d)
		}
		acc[0][l], acc[1][l], acc[2][l] = e0, e1, e2
		acc[3][l], acc[4][l], acc[5][l] = t0, t1, t2
	}
	for q, a := range acc {
		s[q] = (a[0] + a[1]) + (a[2] + a[3])
	}
}
