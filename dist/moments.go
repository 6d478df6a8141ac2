package dist

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Moments is implemented by 1-D families whose mean and variance are known
// in closed form.
type Moments interface {
	// Mean returns the mean; NaN when it does not exist.
	Mean(theta []float64) float64
	// Variance returns the variance; +Inf when it is infinite, NaN when it
	// does not exist.
	Variance(theta []float64) float64
}

// VectorMoments is implemented by 2-D families whose mean vector and
// covariance matrix are known in closed form.
type VectorMoments interface {
	// MeanVector returns the mean (x, y).
	MeanVector(theta []float64) []float64
	// Covariance returns the 2x2 covariance matrix, row-major.
	Covariance(theta []float64) []float64
}

// Sampler is implemented by families that draw random points.
type Sampler interface {
	// Sample fills x (and y, for 2-D families; nil in 1-D) with
	// independent draws from the member theta, using src: the same src
	// state gives the same draws.
	Sample(theta []float64, src rand.Source, x, y []float64)
}

// Circular is implemented by families of angles, whose density is periodic
// with period 2 pi and which live on circular grids ([-pi, pi)).
type Circular interface {
	// Circular reports whether the family lives on the circle.
	Circular() bool
}

// IsCircular reports whether f lives on the circle.
func IsCircular(f Family) bool {
	c, ok := f.(Circular)
	return ok && c.Circular()
}

// MomentMatcher is implemented by families that can pick a member from a
// mean and a covariance: the member with those moments, or one close to it
// when the family cannot match them exactly. It gives fits a starting
// point.
type MomentMatcher interface {
	// MatchMoments returns the parameters of the member with the given
	// mean and covariance: in 1-D, one mean and one variance; in 2-D, the
	// mean (x, y) and the 2x2 covariance, row-major. Circular families take
	// the circular mean and the circular variance 1 - R, where R is the
	// mean resultant length.
	MatchMoments(mean, cov []float64) ([]float64, error)
}

// Guesser is implemented by families that choose their own starting point
// from a target, such as mixtures, whose components are spread over it.
type Guesser interface {
	// Guess returns a starting point for fitting the family to the masses
	// p (non-negative, not all zero) at the points (x, y); y is nil in 1-D.
	Guess(x, y, p []float64) ([]float64, error)
}

// Guess returns a starting point for fitting f to the masses p at the
// points (x, y) (y nil in 1-D): the family's own guess if it is a Guesser,
// else the member matching p's mean and (co)variance, circular ones on the
// circle. It is how a fit starts when no initial parameters are given.
func Guess(f Family, x, y, p []float64) ([]float64, error) {
	if g, ok := f.(Guesser); ok {
		return g.Guess(x, y, p)
	}
	mm, ok := f.(MomentMatcher)
	if !ok {
		return nil, fmt.Errorf("the %s family cannot choose its own starting point", f.Name())
	}
	mean, cov, err := weightedMoments(x, y, p, nil, IsCircular(f))
	if err != nil {
		return nil, err
	}
	theta, err := mm.MatchMoments(mean, cov)
	if err != nil {
		return nil, fmt.Errorf("no %s member matches the target's moments: %w", f.Name(), err)
	}
	if err := Validate(f, theta); err != nil {
		return nil, fmt.Errorf("no %s member matches the target's moments: %w", f.Name(), err)
	}
	return theta, nil
}

// weightedMoments returns the mean and covariance of the points (x, y)
// weighted by p, over the indices in idx (all points when idx is nil). On
// the circle it returns the circular mean and the circular variance 1 - R.
func weightedMoments(x, y, p []float64, idx []int, circular bool) (mean, cov []float64, err error) {
	n := len(x)
	if idx != nil {
		n = len(idx)
	}
	at := func(j int) int {
		if idx != nil {
			return idx[j]
		}
		return j
	}
	var w, sx, sy float64
	for j := 0; j < n; j++ {
		i := at(j)
		if circular {
			sx += p[i] * math.Cos(x[i])
			sy += p[i] * math.Sin(x[i])
		} else {
			sx += p[i] * x[i]
			if y != nil {
				sy += p[i] * y[i]
			}
		}
		w += p[i]
	}
	if !(w > 0) || math.IsInf(w, 1) {
		return nil, nil, errors.New("the target has no mass")
	}
	if circular {
		r := math.Hypot(sx, sy) / w
		return []float64{math.Atan2(sy, sx)}, []float64{1 - r}, nil
	}
	mx, my := sx/w, sy/w
	var vxx, vxy, vyy float64
	for j := 0; j < n; j++ {
		i := at(j)
		dx := x[i] - mx
		vxx += p[i] * dx * dx
		if y != nil {
			dy := y[i] - my
			vxy += p[i] * dx * dy
			vyy += p[i] * dy * dy
		}
	}
	if y == nil {
		return []float64{mx}, []float64{vxx / w}, nil
	}
	return []float64{mx, my}, []float64{vxx / w, vxy / w, vxy / w, vyy / w}, nil
}

// slices splits the points (x, y) with masses p into k groups of about
// equal mass along the target's main axis (x in 1-D, the leading principal
// axis of the covariance in 2-D) and returns the indices of each group's
// points with positive mass.
func slices(x, y, p []float64, k int) ([][]int, error) {
	var idx []int
	for i, v := range p {
		if v > 0 {
			idx = append(idx, i)
		}
	}
	if len(idx) < k {
		return nil, fmt.Errorf("the target has mass at %d points, too few to spread %d components over", len(idx), k)
	}
	key := x
	if y != nil {
		_, cov, err := weightedMoments(x, y, p, idx, false)
		if err != nil {
			return nil, err
		}
		// The leading eigenvector of [[a, b], [b, d]].
		a, b, d := cov[0], cov[1], cov[3]
		ang := 0.5 * math.Atan2(2*b, a-d)
		c, s := math.Cos(ang), math.Sin(ang)
		key = make([]float64, len(x))
		for _, i := range idx {
			key[i] = c*x[i] + s*y[i]
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return key[idx[a]] < key[idx[b]] })
	var total float64
	for _, i := range idx {
		total += p[i]
	}
	groups := make([][]int, k)
	var cum float64
	for _, i := range idx {
		mid := (cum + 0.5*p[i]) / total // where the point's mass sits
		cum += p[i]
		g := min(int(mid*float64(k)), k-1)
		groups[g] = append(groups[g], i)
	}
	for g := range groups {
		if len(groups[g]) == 0 {
			// A few points hold most of the mass: split by count instead.
			for g := range groups {
				groups[g] = idx[g*len(idx)/k : (g+1)*len(idx)/k]
			}
			break
		}
	}
	return groups, nil
}
