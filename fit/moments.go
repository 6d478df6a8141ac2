package fit

import (
	"fmt"
	"math"
)

// momentScale keeps Adam's and RMSprop's moment estimates representable
// whatever the size of a finite gradient. Their step divides a running
// mean of the gradient (or the gradient) by the root of a running mean
// of its square, a ratio that does not change when every gradient of a
// coordinate is multiplied by the same number; but a gradient of 1e230
// (an alpha-divergence of order 3 from a far start) is finite and its
// square is not, so the second moment would be +Inf, the step 0 and the
// fit frozen, every epoch the same state. So each coordinate's first
// moment is kept divided by a power of two 2^e, and its second moment by
// 2^(2e): e is 0, and the numbers exactly PyTorch's, until a gradient
// above 2^500 comes (its square near float64's largest, 2^1024); e then
// grows so that the scaled gradient is near 2^450, and falls back, to 0
// as soon as it can, once the unscaled second moment would be below 2^800
// again. Multiplying by a power of two is exact (short of underflow), and
// Epsilon, added to the root of the second moment, is divided by 2^e too.
type momentScale struct {
	// e holds each coordinate's exponent; nil while all are 0, as they
	// are in every ordinary fit.
	e []float64
}

const (
	// scaleAbove is the scaled gradient above which e grows, so that it
	// falls to about 2^scaledExp.
	scaleAbove = 0x1p500
	scaledExp  = 450
	// unscaledBelow is the unscaled second moment below which e falls.
	unscaledBelowExp = 800
)

// scaled returns coordinate i's gradient g divided by 2^e, after raising
// e (and scaling the moments m, which may be nil, and v accordingly) when
// the result would be above scaleAbove.
func (sc *momentScale) scaled(i int, g float64, m, v []float64) float64 {
	if sc.e != nil && sc.e[i] != 0 {
		g = math.Ldexp(g, -int(sc.e[i]))
	}
	if math.Abs(g) <= scaleAbove {
		return g
	}
	_, x := math.Frexp(g) // 2^(x-1) <= |g| < 2^x
	d := x - scaledExp
	if sc.e == nil {
		sc.e = make([]float64, len(v))
	}
	sc.e[i] += float64(d)
	if m != nil {
		m[i] = math.Ldexp(m[i], -d)
	}
	v[i] = math.Ldexp(v[i], -2*d)
	return math.Ldexp(g, -d)
}

// settle lowers coordinate i's exponent as far as the second moment v
// allows, to 0 when the unscaled one is below 2^unscaledBelowExp.
func (sc *momentScale) settle(i int, m, v []float64) {
	if sc.e == nil || sc.e[i] == 0 {
		return
	}
	e := int(sc.e[i])
	ne := 0
	if v[i] != 0 {
		_, x := math.Frexp(v[i]) // v < 2^x: unscaled with e', v*2^(2(e-e')) < 2^(x+2(e-e'))
		if over := x + 2*e - unscaledBelowExp; over > 0 {
			ne = (over + 1) / 2
		}
	}
	if ne >= e {
		return
	}
	d := e - ne
	if m != nil {
		m[i] = math.Ldexp(m[i], d)
	}
	v[i] = math.Ldexp(v[i], 2*d)
	sc.e[i] = float64(ne)
	if ne == 0 {
		for _, x := range sc.e {
			if x != 0 {
				return
			}
		}
		sc.e = nil
	}
}

// epsilon returns eps divided by coordinate i's scale.
func (sc *momentScale) epsilon(i int, eps float64) float64 {
	if sc.e == nil || sc.e[i] == 0 {
		return eps
	}
	return math.Ldexp(eps, -int(sc.e[i]))
}

// appendState appends the exponents when any is not 0.
func (sc *momentScale) appendState(dst []float64) []float64 {
	return append(dst, sc.e...)
}

// setState restores the exponents: e, k of them, or none (all 0).
func (sc *momentScale) setState(name string, e []float64) error {
	sc.e = nil
	if len(e) == 0 {
		return nil
	}
	for _, x := range e {
		if x != math.Trunc(x) || x < 0 || x > 1100 {
			return fmt.Errorf("%s: the saved optimizer state has a moment scale of 2^%v", name, x)
		}
	}
	sc.e = append([]float64(nil), e...)
	return nil
}
