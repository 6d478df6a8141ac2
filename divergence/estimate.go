package divergence

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/target"
)

// Methods of estimating a divergence between two densities.
const (
	MethodAuto       = "auto"
	MethodClosedForm = "closed_form"
	MethodGrid       = "grid"
	MethodMC         = "mc"
)

// Density is a distribution as the estimators see it: a log-density known
// at any point, where its mass lies, and (when it can) a sampler.
type Density struct {
	// Label names it for messages, in the one-line syntax.
	Label string
	Dim   int
	// LogDensity fills dst[i] with the log-density at (x[i], y[i]) (y is
	// nil in 1-D), normalized or not.
	LogDensity func(dst, x, y []float64) error
	// Normalized says the log-density integrates to 1.
	Normalized bool
	// Lo and Hi bound the support on each axis (-Inf and +Inf when
	// unbounded).
	Lo, Hi [2]float64
	// Center and Scale say where the mass lies on each axis (Scale 0 when
	// unknown).
	Center, Scale [2]float64
	// Sample fills x (and y in 2-D) with independent draws; nil when the
	// density has no sampler of its own, in which case Monte Carlo draws
	// from the converged quadrature grid.
	Sample func(rng *rand.Rand, x, y []float64)
	// Family and Theta are set for a member of a family, for closed forms.
	Family string
	Theta  []float64
	// Tails are the lower and upper tails of a 1-D density (see
	// dist.Tailer); the zero Tail where they are not known.
	Tails [2]dist.Tail
	// Breaks are points inside the support where the density may jump or
	// grow without bound (a mixture component's support bounds): the
	// quadrature puts a cell edge on each.
	Breaks []float64
	// Kinks are points where the density is continuous but not smooth
	// (dist.Kinker): the quadrature puts a cell edge on each.
	Kinks []float64
	// positive reports whether the density is known to be positive at
	// (x, y): inside a family's open support, or a mixture component's.
	// Nil when not known (formulas, tables). Monte Carlo tells by it a
	// log-density that underflowed to -Inf from a point outside the
	// support.
	positive func(x, y float64) bool
}

// ParseSupport reads a family's support as written by dist.Family.Support,
// e.g. "(-inf, inf)", "[0, inf)", "[0, 1]", into its bounds.
func ParseSupport(s string) (lo, hi float64, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) < 5 {
		return 0, 0, false
	}
	parts := strings.Split(s[1:len(s)-1], ",")
	if len(parts) != 2 {
		return 0, 0, false
	}
	parse := func(v string) (float64, bool) {
		v = strings.TrimSpace(v)
		switch v {
		case "inf", "+inf":
			return math.Inf(1), true
		case "-inf":
			return math.Inf(-1), true
		}
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil
	}
	lo, ok1 := parse(parts[0])
	hi, ok2 := parse(parts[1])
	return lo, hi, ok1 && ok2 && lo < hi
}

// FromTarget describes a target for the estimators: families, mixtures,
// expressions and tables, whose density is known at any point. Samples,
// histograms and queries are known only on a grid's cells and are refused.
func FromTarget(t target.Target) (*Density, error) {
	d := &Density{Label: t.String(), Dim: t.Dim()}
	inf := math.Inf(1)
	d.Lo, d.Hi = [2]float64{-inf, -inf}, [2]float64{inf, inf}
	switch tt := t.(type) {
	case target.Family:
		familyDensity(d, tt)
	case *target.Mixture:
		d.LogDensity = tt.LogDensity
		d.Normalized = true
		lo, hi := [2]float64{inf, inf}, [2]float64{-inf, -inf}
		var mean, second, wsum float64
		allMoments := true
		var samplers []func(*rand.Rand, []float64, []float64)
		var bounds []float64
		tailsKnown := true
		var positives []func(x, y float64) bool
		for i, c := range tt.Components {
			var cd Density
			cd.Lo, cd.Hi = [2]float64{-inf, -inf}, [2]float64{inf, inf}
			familyDensity(&cd, c.Family)
			for k := 0; k < 2; k++ {
				lo[k], hi[k] = math.Min(lo[k], cd.Lo[k]), math.Max(hi[k], cd.Hi[k])
			}
			bounds = append(bounds, cd.Lo[0], cd.Hi[0])
			d.Kinks = append(d.Kinks, cd.Kinks...)
			// The heaviest component's tail is the mixture's on each
			// side where it reaches farthest.
			tailsKnown = tailsKnown && cd.tailsKnown()
			for s := 0; s < 2; s++ {
				if i == 0 || dist.Heavier(cd.Tails[s], d.Tails[s]) {
					d.Tails[s] = cd.Tails[s]
				}
			}
			if cd.Scale[0] > 0 && d.Dim == 1 {
				m, v := cd.Center[0], cd.Scale[0]*cd.Scale[0]
				mean += c.Weight * m
				second += c.Weight * (v + m*m)
				wsum += c.Weight
			} else {
				allMoments = false
			}
			samplers = append(samplers, cd.Sample)
			if cd.positive != nil && c.Weight > 0 {
				positives = append(positives, cd.positive)
			}
		}
		if len(positives) > 0 {
			// Positive wherever one component is: the mixture's density
			// is at least that component's weight times its density.
			d.positive = func(x, y float64) bool {
				return slices.ContainsFunc(positives, func(f func(x, y float64) bool) bool { return f(x, y) })
			}
		}
		d.Lo, d.Hi = lo, hi
		if !tailsKnown || d.Dim != 1 {
			d.Tails = [2]dist.Tail{}
		}
		for _, b := range bounds {
			if b > lo[0] && b < hi[0] {
				d.Breaks = append(d.Breaks, b)
			}
		}
		if allMoments && wsum > 0 {
			d.Center[0] = mean
			d.Scale[0] = math.Sqrt(math.Max(second-mean*mean, 0))
		}
		if !hasNil(samplers) {
			weights := make([]float64, len(tt.Components))
			for i, c := range tt.Components {
				weights[i] = c.Weight
			}
			d.Sample = mixtureSampler(weights, samplers)
		}
	case *target.Expression:
		d.LogDensity = logOf(tt.DensityAt)
	case *target.Table:
		d.LogDensity = logOf(tt.DensityAt)
		d.Lo[0], d.Hi[0] = tt.X[0], tt.X[len(tt.X)-1]
		if tt.Y != nil {
			d.Lo[1], d.Hi[1] = tt.Y[0], tt.Y[len(tt.Y)-1]
		}
	default:
		return nil, fmt.Errorf("%s is known only on a grid's cells; divergences between distributions need a family, a mixture, an expression or a table", t)
	}
	return d, nil
}

func hasNil(fs []func(*rand.Rand, []float64, []float64)) bool {
	for _, f := range fs {
		if f == nil {
			return true
		}
	}
	return false
}

func familyDensity(d *Density, t target.Family) {
	f := t.Family
	d.Dim = f.Dim()
	d.Family, d.Theta = f.Name(), t.Theta
	d.Normalized = true
	d.LogDensity = t.LogDensity
	if lo, hi, ok := ParseSupport(f.Support()); ok && d.Dim == 1 {
		d.Lo[0], d.Hi[0] = lo, hi
		d.positive = func(x, _ float64) bool { return lo < x && x < hi }
	} else if f.Support() == "R^2" {
		d.positive = func(_, _ float64) bool { return true }
	}
	setTails(d, f, t.Theta)
	if k, ok := f.(dist.Kinker); ok && d.Dim == 1 {
		d.Kinks = k.Kinks(t.Theta)
	}
	if m, ok := f.(dist.Moments); ok && d.Dim == 1 {
		mean, v := m.Mean(t.Theta), m.Variance(t.Theta)
		if !math.IsNaN(mean) && !math.IsInf(mean, 0) && v > 0 && !math.IsInf(v, 0) {
			d.Center[0], d.Scale[0] = mean, math.Sqrt(v)
		}
	}
	if s, ok := f.(dist.Sampler); ok {
		theta := t.Theta
		d.Sample = func(rng *rand.Rand, x, y []float64) { s.Sample(theta, rng, x, y) }
	}
}

func mixtureSampler(weights []float64, comps []func(*rand.Rand, []float64, []float64)) func(*rand.Rand, []float64, []float64) {
	cum := make([]float64, len(weights))
	var s float64
	for i, w := range weights {
		s += w
		cum[i] = s
	}
	return func(rng *rand.Rand, x, y []float64) {
		one := make([]float64, 1)
		var oneY []float64
		if y != nil {
			oneY = make([]float64, 1)
		}
		for i := range x {
			k := sort.SearchFloat64s(cum, rng.Float64()*s)
			k = min(k, len(comps)-1)
			comps[k](rng, one, oneY)
			x[i] = one[0]
			if y != nil {
				y[i] = oneY[0]
			}
		}
	}
}

func logOf(density func(dst, x, y []float64) error) func(dst, x, y []float64) error {
	return func(dst, x, y []float64) error {
		if err := density(dst, x, y); err != nil {
			return err
		}
		for i, v := range dst[:len(x)] {
			if math.IsNaN(v) || v < 0 || math.IsInf(v, 0) {
				return fmt.Errorf("the density is %v at x=%v: it must be finite and >= 0", v, x[i])
			}
			dst[i] = math.Log(v)
		}
		return nil
	}
}

// Options controls Estimate.
type Options struct {
	// Method is MethodAuto (the default when ""), MethodClosedForm,
	// MethodGrid or MethodMC.
	Method string
	// Tolerance is how closely two successive quadrature grids must agree,
	// relative to max(1, |D|); 0 means 1e-6.
	Tolerance float64
	// Samples is the number of Monte Carlo draws; 0 means 100000.
	Samples int
	// Seed seeds the Monte Carlo draws.
	Seed uint64
	// MaxPoints caps the quadrature grid; 0 means 1<<22 points.
	MaxPoints int
}

// Estimate is a divergence's value with how it was obtained.
type Estimate struct {
	Value float64
	// Method is closed_form, grid, mc or tails (+Inf decided from the
	// tail classes before any sampling).
	Method string
	// Error is the estimate's uncertainty: 1e-12 |Value| for a closed
	// form (the tests hold them to 1e-14 against mpmath, see
	// closedFormError), 0 for a verdict of the tails or a +Inf; for grid,
	// the difference between the last two grids (see Quadrature); for
	// mc, the standard error.
	Error float64
	// Tolerance is the agreement the grid refinement asked for (grid only).
	Tolerance float64
	// Converged is false when the grid refinement stopped at MaxPoints
	// before three grids agreed at an order above 1, when the value moves
	// with the window, when Monte Carlo's draws have a heavy tail (see
	// ParetoK), and for a value that is NaN or a +Inf that overflowed.
	Converged bool
	// Points is the number of points of the finest grid; Samples the
	// number of Monte Carlo draws.
	Points, Samples int
	// Lo and Hi are the grid's window on each axis (grid and mc).
	Lo, Hi [2]float64
	// Reason says why the value is +Inf: why the divergence is infinite,
	// or that a finite one is above float64's range, or that a sum
	// overflowed (then Converged is false).
	Reason string
	// Note says why an estimate is not trusted (a grid whose value moves
	// with the window, Monte Carlo draws with a heavy tail), or how it was
	// obtained when the method asked for failed.
	Note string
	// ParetoK is, for Monte Carlo, the Pareto shape k̂ of the heavier tail
	// of the draws' terms (psis.TailsK): above 0.5 their variance is likely
	// infinite and the estimate is not converged. -Inf for terms with no
	// tail at all; NaN for JS, Hellinger and total variation, whose terms
	// always have a finite variance, for a value of +Inf, and for the
	// others when there were too few draws to estimate it (Converged is
	// then false, and Note says so); 0 for other methods.
	ParetoK float64
}

// EstimateDivergence estimates D(P, Q) by the method opts asks for: auto
// takes the closed form when one is known and the grid otherwise. An
// estimate of +Inf always has a Reason; it is Converged only when the
// divergence is known to be infinite (not when a finite value overflowed
// float64), and a NaN never is.
func EstimateDivergence(ctx context.Context, d Divergence, p, q *Density, opts Options) (*Estimate, error) {
	e, err := estimate(ctx, d, p, q, opts)
	if e != nil {
		vetValue(e)
	}
	return e, err
}

// reasonOverflow is the Reason of a +Inf that no method explained: a sum
// that overflowed float64.
const reasonOverflow = "the computation overflowed float64 (above 1.8e308): whether the divergence is finite is not known"

// vetValue keeps an estimate from claiming what it does not know.
func vetValue(e *Estimate) {
	if e.Value == 0 {
		e.Value = 0 // not -0, as a Renyi divergence's log 1 / (alpha - 1) is
	}
	switch {
	case math.IsNaN(e.Value):
		e.Converged = false
		if e.Note == "" {
			e.Note = "the estimate is NaN"
		}
	case math.IsInf(e.Value, 1) && e.Reason == "":
		e.Converged, e.Reason, e.Error = false, reasonOverflow, 0
	}
}

func estimate(ctx context.Context, d Divergence, p, q *Density, opts Options) (*Estimate, error) {
	if p.Dim != q.Dim {
		return nil, fmt.Errorf("P is %d-D but Q is %d-D", p.Dim, q.Dim)
	}
	method := opts.Method
	if method == "" {
		method = MethodAuto
	}
	switch method {
	case MethodAuto, MethodClosedForm:
		if p.Family != "" && p.Family == q.Family {
			v, ok, err := ClosedForm(d, p.Family, p.Theta, q.Theta)
			if ok {
				e := &Estimate{Value: v, Method: MethodClosedForm, Converged: true, Error: closedFormError * math.Abs(v)}
				var se *SupportError
				switch {
				case errors.As(err, &se):
					e.Value, e.Reason, e.Error = math.Inf(1), pqReason(se.Reason), 0
				case errors.Is(err, ErrOverflow):
					// Finite, but not a number float64 holds.
					e.Value, e.Reason, e.Error, e.Converged = math.Inf(1), err.Error(), 0, false
				case err != nil:
					return nil, err
				}
				return e, nil
			}
		}
		if method == MethodClosedForm {
			return nil, fmt.Errorf("no closed form is known for %s between %s and %s (known: %s)", d.Name(), p.Label, q.Label, strings.Join(ClosedForms(), "; "))
		}
		if e := byTails(d, p, q); e != nil {
			return e, nil
		}
		e, err := Quadrature(ctx, d, p, q, opts)
		if err == nil || ctx.Err() != nil {
			return e, err
		}
		// Heavy tails (a Cauchy's mass reaches past any window a grid can
		// afford) defeat quadrature; Monte Carlo needs no window.
		mc, merr := MonteCarlo(ctx, d, p, q, opts)
		if merr != nil {
			return nil, err
		}
		note := "grid quadrature failed (" + err.Error() + "); estimated by Monte Carlo instead"
		if mc.Note != "" {
			note += "; " + mc.Note
		}
		mc.Note = note
		return mc, nil
	case MethodGrid, MethodMC:
		if e := byTails(d, p, q); e != nil {
			return e, nil
		}
		if method == MethodGrid {
			return Quadrature(ctx, d, p, q, opts)
		}
		return MonteCarlo(ctx, d, p, q, opts)
	}
	return nil, fmt.Errorf("unknown method %q (known: auto, closed, grid, mc)", method)
}

// closedFormError is the relative error a closed form states. The
// tests hold them to 1e-14 against mpmath (1.5e-15 at worst, scale ratios
// from 1e-300 to 1e300, nearly equal and nearly singular members
// included), and the alpha-divergence, whose exp(log S) turns the few
// ulps of |log S| <= 709 into as much relative error, to 1e-14 |log S|.
const closedFormError = 1e-12

// byTails returns the +Inf estimate the tail classes decide, or nil.
func byTails(d Divergence, p, q *Density) *Estimate {
	if r := InfiniteByTails(d, p, q); r != "" {
		return &Estimate{Value: math.Inf(1), Method: MethodTails, Converged: true, Reason: r}
	}
	return nil
}

func pqReason(r string) string {
	switch r {
	case reasonTargetMass:
		return "P has mass where Q has none"
	case reasonModelMass:
		return "Q has mass where P has none"
	}
	return strings.NewReplacer("the target", "P", "the model", "Q").Replace(r)
}

// Window returns a box holding the mass of d: its support where bounded,
// widened from its center and scale (or from [-10, 10]) until the density
// at the edges is below 1e-15 times its peak.
func Window(d *Density) (lo, hi [2]float64, err error) { return window(d, d) }
