package fit

import (
	"math"
	"math/big"
	"testing"
)

// bigF is a big.Float of 200 bits, which neither overflows nor rounds
// where float64 would.
func bigF(x float64) *big.Float { return new(big.Float).SetPrec(200).SetFloat64(x) }

// scriptedGradients is a run of gradients that rise to 2^1000 (squares
// of 2^2000, far beyond float64) in both signs, fall back to order 1 for
// long enough that the second moment forgets them, and so on.
func scriptedGradients() []float64 {
	var gs []float64
	for i := range 40 {
		gs = append(gs, math.Ldexp(1.3+0.01*float64(i), 10*i))
	}
	for i := range 60 {
		gs = append(gs, math.Ldexp(-0.9-0.01*float64(i), 1000-5*i))
	}
	for i := range 1400 { // with beta2 1/2, v halves at each: from 2^2000 below 2^800 in 1200
		gs = append(gs, 0.7-0.0004*float64(i))
	}
	return append(gs, 0x1p700, -0x1p690, 3, 2, 1)
}

// TestMomentScaleMatchesBigFloat steps Adam and RMSprop through
// scriptedGradients and checks every step against the same recursion in
// 200-bit arithmetic, which needs no scaling: the step agrees to 1e-13
// relative (a few float64 roundings of each of a few operations), also
// while the squares overflow float64, and the scales are back to none
// when the gradients are of order 1 again.
func TestMomentScaleMatchesBigFloat(t *testing.T) {
	gs := scriptedGradients()
	const lr, b1, b2, eps = 0.1, 0.3, 0.5, 1e-8
	for _, name := range []string{"adam", "rmsprop"} {
		var opt Optimizer = &Adam{LearningRate: lr, Beta1: b1, Beta2: b2, Epsilon: eps}
		if name == "rmsprop" {
			opt = &RMSprop{LearningRate: lr, Alpha: b2, Epsilon: eps}
		}
		m, v := bigF(0), bigF(0)
		s := State{U: []float64{0}, Grad: []float64{gs[0]}}
		scaledSeen, unscaledAfter := false, false
		for n := range len(gs) - 1 {
			g := bigF(gs[n])
			// m <- b1 m + (1-b1) g; v <- b2 v + (1-b2) g^2
			m.Add(new(big.Float).Mul(m, bigF(b1)), new(big.Float).Mul(g, bigF(1-b1)))
			v.Add(new(big.Float).Mul(v, bigF(b2)), new(big.Float).Mul(new(big.Float).Mul(g, g), bigF(1-b2)))
			var want *big.Float
			root := new(big.Float).Sqrt(v)
			if name == "adam" {
				tt := float64(n + 1)
				c1, c2 := 1-math.Pow(b1, tt), math.Sqrt(1-math.Pow(b2, tt))
				den := new(big.Float).Add(new(big.Float).Quo(root, bigF(c2)), bigF(eps))
				want = new(big.Float).Quo(new(big.Float).Mul(m, bigF(-lr/c1)), den)
			} else {
				want = new(big.Float).Quo(new(big.Float).Mul(g, bigF(-lr)), new(big.Float).Add(root, bigF(eps)))
			}
			w, _ := want.Float64()
			before := s.U[0]
			err := opt.Step(&s, func(u, grad []float64) (float64, error) {
				grad[0] = gs[n+1]
				return 0, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			got := s.U[0] - before
			if !(math.Abs(got-w) <= 1e-13*math.Abs(w)+1e-15*math.Abs(before)) {
				t.Fatalf("%s step %d (gradient %v): moved %v, want %v", name, n, gs[n], got, w)
			}
			var sc *momentScale
			switch o := opt.(type) {
			case *Adam:
				sc = &o.sc
			case *RMSprop:
				sc = &o.sc
			}
			scaledSeen = scaledSeen || sc.e != nil
			if n == len(gs)-7 {
				unscaledAfter = sc.e == nil
			}
		}
		if !scaledSeen || !unscaledAfter {
			t.Errorf("%s: scaled at some step %v, unscaled again after the long run of small gradients %v", name, scaledSeen, unscaledAfter)
		}
	}
}
