package divergence

import (
	"fmt"
	"math"

	"github.com/klfit/klfit/dist"
)

// MethodTails is the method of an estimate decided from the two
// densities' tail classes (see dist.Tailer) before any sampling: an
// integral that defines the divergence diverges in a tail, or near a
// bound where a density grows without bound.
const MethodTails = "tails"

// tailVerdict is what the tail classes say of an integral: it converges,
// it diverges, or they cannot tell (a tie to leading order, or a tail
// not known).
type tailVerdict int

const (
	tailsUnknown tailVerdict = iota
	tailsFinite
	tailsInfinite
)

// InfiniteByTails reports whether D(P, Q) is +Inf because one of the
// integrals that define it diverges in a tail of P and Q or near a bound
// of their supports, as their tail classes tell (only 1-D densities whose
// tails are known; support mismatches are left to the estimators, which
// report them with the point). It returns the reason, or "" when the
// tails do not make D infinite or cannot tell.
//
// Forward KL(P||Q) is infinite when E_P[-log q] is (P's tail too heavy
// for Q's: a power law of index a against a tail exp(-r t^k) with k >= a,
// or any tail lighter than a power against a doubly exponential one
// unless P's falls faster); reverse KL the other way round. The Rényi and
// alpha divergences of order alpha > 1 are infinite when the integral of
// p^alpha q^(1-alpha) is, that is when P's tails are too heavy for Q's
// (alpha (index_P + 1) - (alpha - 1)(index_Q + 1) <= 1 for two power
// laws, or P heavier to leading order), and the alpha-divergence of order
// alpha < 0 when Q's tails are too heavy for P's, the same integral with
// the roles swapped. JS, Hellinger and total variation are never
// infinite.
func InfiniteByTails(d Divergence, p, q *Density) string {
	if p.Dim != 1 || q.Dim != 1 || !p.tailsKnown() || !q.tailsKnown() {
		return ""
	}
	switch dd := d.(type) {
	case ForwardKL:
		return klTails(p, q, "P", "Q")
	case ReverseKL:
		return klTails(q, p, "Q", "P")
	case Renyi:
		if dd.Alpha > 1 {
			return powerTails(p, q, dd.Alpha, "P", "Q", fmt.Sprintf("the integral of p^%v q^%v", dd.Alpha, 1-dd.Alpha))
		}
	case Alpha:
		a := dd.Alpha
		switch {
		case a > 1:
			return powerTails(p, q, a, "P", "Q", fmt.Sprintf("the integral of p^%v q^%v", a, 1-a))
		case a < 0:
			return powerTails(q, p, 1-a, "Q", "P", fmt.Sprintf("the integral of p^%v q^%v", a, 1-a))
		}
	}
	return ""
}

func (d *Density) tailsKnown() bool {
	return d.Tails[0].Kind != dist.TailUnknown && d.Tails[1].Kind != dist.TailUnknown
}

var sideName = [2]string{"lower", "upper"}

// klTails decides whether E_X[-log y] diverges in a tail, X and Y named
// nx and ny.
func klTails(x, y *Density, nx, ny string) string {
	for s := 0; s < 2; s++ {
		tx, ty := x.Tails[s], y.Tails[s]
		if tx.Kind == dist.TailBound || ty.Kind == dist.TailBound {
			continue // near a bound, E_X[-log y] is finite; mismatches are the estimators'
		}
		if logMomentVerdict(tx, ty) == tailsInfinite {
			return fmt.Sprintf("%s's %s tail is too heavy for %s: %s has %v, %s has %v, so E_%s[-log %s] diverges",
				nx, sideName[s], ny, nx, tx, ny, ty, nx, lower(ny))
		}
	}
	return ""
}

// logMomentVerdict says whether the integral of exp(-L_x) L_y diverges
// in a tail, where L = -log density.
func logMomentVerdict(tx, ty dist.Tail) tailVerdict {
	switch ty.Kind {
	case dist.TailPower, dist.TailLogSquare:
		return tailsFinite // -log y grows like a power of log t
	case dist.TailExp:
		// -log y ~ r t^k: the k-th moment of X.
		if tx.Kind == dist.TailPower {
			if tx.Index > ty.Power {
				return tailsFinite
			}
			return tailsInfinite
		}
		return tailsFinite
	case dist.TailDoubleExp:
		// -log y ~ exp(r t).
		switch tx.Kind {
		case dist.TailPower, dist.TailLogSquare:
			return tailsInfinite
		case dist.TailExp:
			switch {
			case tx.Power > 1:
				return tailsFinite
			case tx.Power < 1:
				return tailsInfinite
			case tx.Rate > ty.Rate:
				return tailsFinite
			case tx.Rate < ty.Rate:
				return tailsInfinite
			}
			return tailsUnknown
		case dist.TailDoubleExp:
			return tailsFinite
		}
	}
	return tailsUnknown
}

// powerTails decides whether the integral of x^a y^(1-a) (a > 1)
// diverges in a tail or near a bound, X and Y named nx and ny.
func powerTails(x, y *Density, a float64, nx, ny, integral string) string {
	c := a - 1
	for s := 0; s < 2; s++ {
		tx, ty := x.Tails[s], y.Tails[s]
		if tx.Kind == dist.TailBound || ty.Kind == dist.TailBound {
			continue
		}
		if powerVerdict(tx, ty, a, c) == tailsInfinite {
			return fmt.Sprintf("%s's %s tail is too heavy for %s: %s has %v, %s has %v, so %s diverges",
				nx, sideName[s], ny, nx, tx, ny, ty, integral)
		}
	}
	// Near a finite bound b of X's support, where X behaves like
	// |x-b|^sx and Y like |x-b|^sy (sy = 0 where b is inside Y's
	// support), x^a y^-c behaves like |x-b|^(a sx - c sy).
	for s := 0; s < 2; s++ {
		tx := x.Tails[s]
		if tx.Kind != dist.TailBound {
			continue
		}
		b := x.Lo[0]
		if s == 1 {
			b = x.Hi[0]
		}
		var sy float64
		switch {
		case y.Tails[s].Kind == dist.TailBound && (s == 0 && y.Lo[0] == b || s == 1 && y.Hi[0] == b):
			sy = y.Tails[s].Power
		case y.Lo[0] < b && b < y.Hi[0]:
			sy = 0
		default:
			continue // Y has no mass there: a support question
		}
		sx := tx.Power
		var v tailVerdict
		switch {
		case math.IsInf(sx, 1) && math.IsInf(sy, 1):
			v = tailsUnknown
		case math.IsInf(sx, 1):
			v = tailsFinite
		case math.IsInf(sy, 1):
			v = tailsInfinite
		case a*sx-c*sy > -1:
			v = tailsFinite
		default:
			v = tailsInfinite
		}
		if v == tailsInfinite {
			return fmt.Sprintf("%s grows too fast for %s at its %s bound x=%v: %s has %v, %s %v, so %s diverges",
				nx, ny, sideName[s], b, nx, tx, ny, dist.BoundTail(sy), integral)
		}
	}
	return ""
}

// powerVerdict says whether the integral of exp(-(a L_x - c L_y))
// diverges in a tail, where L = -log density, a > 1 and c = a - 1.
func powerVerdict(tx, ty dist.Tail, a, c float64) tailVerdict {
	if tx.Kind != ty.Kind {
		if tx.Kind > ty.Kind {
			return tailsFinite // X lighter: a L_x dominates and grows at least like log^2 t
		}
		return tailsInfinite // Y lighter: the integrand grows
	}
	// The leading coefficient of a L_x - c L_y, when the leading
	// functions agree.
	var lead float64
	switch tx.Kind {
	case dist.TailPower:
		// t^-(a (ix+1) - c (iy+1)): integrable when the power exceeds 1.
		if a*(tx.Index+1)-c*(ty.Index+1) > 1 {
			return tailsFinite
		}
		return tailsInfinite
	case dist.TailExp:
		if tx.Power != ty.Power {
			if tx.Power > ty.Power {
				return tailsFinite
			}
			return tailsInfinite
		}
		lead = a*tx.Rate - c*ty.Rate
	case dist.TailLogSquare:
		lead = a*tx.Rate - c*ty.Rate
	case dist.TailDoubleExp:
		if tx.Rate != ty.Rate {
			if tx.Rate > ty.Rate {
				return tailsFinite
			}
			return tailsInfinite
		}
		return tailsUnknown
	default:
		return tailsUnknown
	}
	// A tie to leading order depends on lower-order terms (locations,
	// powers of t in front): the tails cannot tell.
	switch {
	case lead > 1e-12*a*tx.Rate:
		return tailsFinite
	case lead < -1e-12*a*tx.Rate:
		return tailsInfinite
	}
	return tailsUnknown
}

func lower(s string) string {
	switch s {
	case "P":
		return "p"
	case "Q":
		return "q"
	}
	return s
}

// setTails sets d's tails from its family when the family states them
// and they agree with d's support bounds (a circular family's are not
// bounds on the line).
func setTails(d *Density, f dist.Family, theta []float64) {
	tl, ok := f.(dist.Tailer)
	if !ok || f.Dim() != 1 {
		return
	}
	lo, hi := tl.Tails(theta)
	if (lo.Kind == dist.TailBound) != !math.IsInf(d.Lo[0], 0) || (hi.Kind == dist.TailBound) != !math.IsInf(d.Hi[0], 0) {
		return
	}
	d.Tails = [2]dist.Tail{lo, hi}
}
