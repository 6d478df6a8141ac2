// Package dist describes the model families klfit fits: their parameters and
// constraints, log-densities and scores (derivatives of the log-density with
// respect to each parameter) evaluated on many points at once, and the
// transforms to unconstrained space that optimizers move in.
//
// A family is stateless: its parameters are a flat vector theta, in the order
// Params lists them. The hot path of a fit is Family.Eval, which fills
// caller-owned slices and allocates nothing.
package dist

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/klfit/klfit/internal/suggest"
)

// Constraint is the domain of one parameter.
type Constraint int

const (
	// Real parameters may take any finite value.
	Real Constraint = iota
	// Positive parameters must be > 0.
	Positive
	// Simplex parameters are the entries of a probability vector (mixture
	// weights, categorical masses): each must be >= 0 and, together, they
	// must sum to 1 (within SimplexTolerance).
	Simplex
	// SPD marks a matrix parameter (a Block) that must be symmetric
	// positive definite, such as a covariance. Its entries are checked
	// by the family as a whole; one on its own only needs to be finite.
	SPD
)

// String returns the constraint's name as shown to users: "real",
// "positive", "simplex" or "spd".
func (c Constraint) String() string {
	switch c {
	case Real:
		return "real"
	case Positive:
		return "positive"
	case Simplex:
		return "simplex"
	case SPD:
		return "spd"
	}
	return fmt.Sprintf("Constraint(%d)", int(c))
}

// Check reports whether v satisfies the constraint and, if not, why.
func (c Constraint) Check(v float64) (ok bool, why string) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return false, "must be finite"
	}
	if c == Positive && v <= 0 {
		return false, "must be > 0"
	}
	if c == Simplex && v < 0 {
		return false, "must be >= 0"
	}
	return true, ""
}

// Param describes one entry of a family's parameter vector.
type Param struct {
	Name       string
	Constraint Constraint
}

// Family is a parametric family of densities on the real line (Dim 1) or
// the plane (Dim 2).
type Family interface {
	// Name is the family's name in specs, e.g. "normal".
	Name() string
	// Description is a one-line description for users.
	Description() string
	// Dim is the dimension of the points the family is defined on: 1 or 2.
	Dim() int
	// Params lists the entries of the parameter vector theta, in order.
	Params() []Param
	// Support describes where the density is positive, e.g. "(-inf, inf)".
	Support() string
	// Eval fills logp[i] with the normalized log-density at point i
	// (x[i], and y[i] in 2-D; y is nil in 1-D) and, when score is not nil,
	// score[k][i] with the derivative of logp[i] with respect to theta[k].
	// Outside the support logp[i] is -Inf and every score is 0.
	// theta must satisfy the family's constraints (see Validate); the
	// lengths of x, logp and every score[k] must be equal.
	Eval(theta, x, y, logp []float64, score [][]float64)
}

// Validate checks theta against the family's parameter constraints and
// returns a *ParamError naming the first parameter that violates them.
func Validate(f Family, theta []float64) error {
	own, _ := f.(ownValidator)
	return validate(f, f.Params(), own, theta)
}

// Validator returns Validate for f as a function, with f's parameters
// and its own Validate method (when it has one) looked up once: a fit
// validates its parameters at every evaluation.
func Validator(f Family) func(theta []float64) error {
	ps := f.Params()
	if own, ok := f.(ownValidator); ok {
		return func(theta []float64) error { return validate(f, ps, own, theta) }
	}
	cons := make([]Constraint, len(ps))
	for k, p := range ps {
		cons[k] = p.Constraint
	}
	return func(theta []float64) error {
		if len(theta) == len(cons) {
			for k, c := range cons {
				// Check's test written out: v-v is 0 for finite v and
				// NaN for NaN and Inf.
				if v := theta[k]; v-v != 0 || (c == Positive && v <= 0) || (c == Simplex && v < 0) {
					return validate(f, ps, nil, theta) // says which, and why
				}
			}
			return nil
		}
		return validate(f, ps, nil, theta)
	}
}

// ownValidator is a family with constraints beyond its parameters' own.
type ownValidator interface{ Validate([]float64) error }

func validate(f Family, ps []Param, own ownValidator, theta []float64) error {
	if len(theta) != len(ps) {
		return fmt.Errorf("%s: %d parameters given, %d expected", f.Name(), len(theta), len(ps))
	}
	if own != nil {
		return own.Validate(theta)
	}
	for k, p := range ps {
		if ok, why := p.Constraint.Check(theta[k]); !ok {
			return &ParamError{Param: p.Name, Value: theta[k], Msg: why}
		}
	}
	return nil
}

// ParamError reports a parameter value outside its family's domain.
type ParamError struct {
	Param string
	Value float64
	Msg   string
}

// Error implements error.
func (e *ParamError) Error() string {
	return fmt.Sprintf("%s %s, got %v", e.Param, e.Msg, e.Value)
}

// ParamNames returns the names of f's parameters in order.
func ParamNames(f Family) []string {
	ps := f.Params()
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return names
}

// LogProb returns the log-density of f with parameters theta at the 1-D
// point x. It is a convenience for single points; use Family.Eval for many.
func LogProb(f Family, theta []float64, x float64) float64 {
	var lp [1]float64
	f.Eval(theta, []float64{x}, nil, lp[:], nil)
	return lp[0]
}

var registry = map[string]Family{}

// Register adds f to the families Lookup knows. It panics if a family of
// the same name is already registered.
func Register(f Family) {
	if _, dup := registry[f.Name()]; dup {
		panic("dist: family " + f.Name() + " registered twice")
	}
	registry[f.Name()] = f
}

// Lookup returns the registered family of the given name. The error lists
// the known families.
func Lookup(name string) (Family, error) {
	if f, ok := registry[name]; ok {
		return f, nil
	}
	if _, ok := makers[name]; ok {
		return nil, fmt.Errorf("the %s family is built from settings: use dist.New", name)
	}
	return nil, fmt.Errorf("unknown family %q%s (known: %s)", name, suggest.Hint(name, Names()), strings.Join(Names(), ", "))
}

// Names returns the names of the registered families, those built from
// settings (see New) included, sorted.
func Names() []string {
	names := make([]string, 0, len(registry)+len(makers))
	for n := range registry {
		names = append(names, n)
	}
	for n := range makers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
