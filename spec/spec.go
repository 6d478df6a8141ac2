// Package spec defines klfit's fit specification: the YAML (or JSON) file
// that says what to fit to what, how, and for how long. Every front door
// (the command line, the web playground, library users) goes through it:
// Parse decodes a file strictly, with errors naming the key and the line;
// Build validates a spec and turns it into a fit.Problem ready to run.
//
// A spec, in full:
//
//	grid: {start: -10, stop: 10, step: 0.1}
//	target:
//	  family: normal
//	  params: {mean: 0, variance: 7}
//	target_weights: density       # or normalized (the default)
//	divergence: kl
//	model:
//	  family: normal
//	  init: {mean: 5, variance: 1}
//	  parameterization: raw       # or unconstrained (the default)
//	optimizer: {name: gd, learning_rate: 0.01}   # default: lbfgs
//	epochs: 1000                  # short for stop: {max_epochs: 1000}
//	stop: {tolerance: 1e-12, gradient_tolerance: 1e-9, patience: 50, max_time: 60}
//	on_divergence: backtrack      # or stop (the default)
//	max_backtracks: 10
//
// A spec without a grid whose target has more than two dimensions, or is
// a log-density, or samples in several columns, is a fit by Monte Carlo
// (see Estimator and MonteCarlo): a normal model in any dimension, with no
// grid:
//
//	target: {log_density: "-x1^2/2 - (x2 - x1^2)^2", dims: 2}
//	model: {family: mvnormal}     # or mvnormal_diag (mean-field)
//	estimator: {name: monte_carlo, samples: 256, seed: 0}
package spec

import (
	"fmt"
	"strings"
)

// Spec is a fit specification. The zero values of optional fields mean
// their defaults; Build fills them in.
type Spec struct {
	Grid   Grid
	Target Target
	// TargetWeights is "normalized" (default) or "density".
	TargetWeights string
	// Divergence is what is minimized; default "kl".
	Divergence Divergence
	Model      Model
	// Optimizer moves the parameters; default gd.
	Optimizer Optimizer
	// Epochs is the number of optimizer steps (stop.max_epochs).
	Epochs int
	// Report lists divergences recorded alongside the one minimized, as
	// extra history columns.
	Report []Divergence
	// Estimator says how the divergence is estimated: on a grid (the
	// default wherever there is one) or by Monte Carlo (see
	// Spec.MonteCarlo).
	Estimator Estimator

	// Stop holds the other stopping rules.
	Stop Stop
	// OnDivergence is "stop" (default) or "backtrack".
	OnDivergence string
	// MaxBacktracks bounds backtracking; 0 means the default, 10.
	MaxBacktracks int

	// env is where the build in progress reads files from (see Env).
	env Env

	// lines maps key paths ("model.init.variance") to the line they were
	// read from, for error messages.
	lines map[string]int
}

// IsZero reports whether no grid is given: Build then chooses one from
// the target (see AutoGrid).
func (g Grid) IsZero() bool {
	return !g.given && g.Start == 0 && g.Stop == 0 && g.Step == 0 && g.X == nil && g.Y == nil && !g.Circular && g.Points == 0
}

// Grid is a uniform 1-D grid (Start, Stop, Step, following NumPy's arange)
// or, when X and Y are set, a 2-D product grid, or, when Circular is set,
// Points angles evenly spaced on the circle [-pi, pi).
type Grid struct {
	Start, Stop, Step float64
	X, Y              *Axis
	Circular          bool
	Points            int

	// given is set for a grid read from a spec's text, even one of zeros.
	given bool
}

// Axis is one axis of a 2-D grid.
type Axis struct {
	Start, Stop, Step float64
}

// Target says what to fit: a member of a named family (Family and Params),
// a mixture, a formula, a tabulated density, samples, binned counts or a
// query. Exactly one kind is set; Kind tells which.
type Target struct {
	Family string
	Params Params
	// Component names the component family of a mixture target; the
	// number of components is the length of its weights.
	Component string
	// Mixture holds the weighted components of a mixture of families.
	Mixture []Component
	// Expression is an unnormalized density written as a formula of x
	// (and y).
	Expression string
	// Table is a CSV file of x,density (or x,y,density).
	Table string
	// Samples is a file of samples; Column, Estimator, Bandwidth and
	// SkipInvalid say how to read and estimate it.
	Samples     string
	Column      string
	Estimator   string
	Bandwidth   string
	SkipInvalid bool
	// Histogram is a CSV file of lo,hi,count bins.
	Histogram string
	// SQL is a query whose single column holds the samples.
	SQL string
	// Postgres is a query run in PostgreSQL whose first column holds the
	// samples; DSN says where (libpq's environment fills in what it
	// leaves out) and StatementTimeout bounds each query, in seconds (0:
	// target.DefaultStatementTimeout). A DSN's password is never written
	// back: YAML, JSON and OneLine leave it out.
	Postgres         string
	DSN              string
	StatementTimeout float64
	// LogDensity is an unnormalized log-density written as a formula of
	// x1 ... xd, with d = Dims (see vi.NewFormula): a target fitted by
	// Monte Carlo, in any dimension.
	LogDensity string
	Dims       int
	// Columns names the columns of a samples file in d dimensions (the
	// target is then fitted by Monte Carlo from the samples' mean and
	// covariance); Column names the one column of a 1-D samples target.
	Columns []string
}

// Component is one weighted family member of a mixture target.
type Component struct {
	Weight float64
	Family string
	Params Params
}

// Kind returns which kind of target t is: "family", "mixture",
// "expression", "log_density", "table", "samples", "histogram", "sql" or
// "postgres" ("" if none is set).
func (t Target) Kind() string {
	switch {
	case t.Mixture != nil:
		return "mixture"
	case t.LogDensity != "":
		return "log_density"
	case t.Expression != "":
		return "expression"
	case t.Table != "":
		return "table"
	case t.Samples != "":
		return "samples"
	case t.Histogram != "":
		return "histogram"
	case t.SQL != "":
		return "sql"
	case t.Postgres != "":
		return "postgres"
	case t.Family != "":
		return "family"
	}
	return ""
}

// Model is the family fitted, its initial parameters and the
// parameterization the optimizer moves in.
type Model struct {
	Family string
	// Init holds the initial parameters; when empty the fit starts from a
	// guess made from the target (see dist.Guess), which Build records
	// here.
	Init Params
	// Parameterization is "unconstrained" (default: log-variance and the
	// like, so every step stays in the domain) or "raw" (the parameters
	// themselves, as the notebook).
	Parameterization string
	// Components and Component make a mixture model: the number of
	// components and their family.
	Components int
	Component  string
}

// Divergence names a divergence and its options, if any.
type Divergence struct {
	Name    string
	Options Options
}

// Optimizer names an optimizer and its settings.
type Optimizer struct {
	Name     string
	Settings Options
}

// Params is an ordered list of named parameter values.
type Params []Param

// Param is one named parameter value: a number, or a list (Shape [n]) or a
// list of lists (Shape [n, m]) of numbers stored row-major in Value.
type Param struct {
	Name  string
	Shape []int
	Value []float64
}

// Scalars returns params holding one number each, in the given order.
func Scalars(names []string, values []float64) Params {
	ps := make(Params, len(names))
	for i, n := range names {
		ps[i] = Param{Name: n, Value: []float64{values[i]}}
	}
	return ps
}

// Get returns the parameter of the given name.
func (ps Params) Get(name string) (Param, bool) {
	for _, p := range ps {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// Options is an ordered list of named numeric settings.
type Options []Option

// Option is one named numeric setting.
type Option struct {
	Name  string
	Value float64
	// Bool marks a true/false setting, with Value 1 or 0.
	Bool bool
}

// Stop holds a spec's stopping rules besides max_epochs (which is
// Spec.Epochs); zero values are off.
type Stop struct {
	// Tolerance stops when the loss changes by at most this, relative to
	// max(|loss|, 1).
	Tolerance float64
	// GradientTolerance stops when the gradient's largest entry is at
	// most this in absolute value.
	GradientTolerance float64
	// Patience stops after this many epochs without a new best loss.
	Patience int
	// MaxTime stops after this many seconds of wall time.
	MaxTime float64
}

// IsZero reports whether no rule is set.
func (s Stop) IsZero() bool { return s == Stop{} }

// Error is a problem with a spec, naming the key and, when the spec was
// read from a file, its line.
type Error struct {
	// Line is the 1-based line of the key, or 0 when unknown.
	Line int
	// Key is the key's path, e.g. "model.init.variance".
	Key string
	Msg string
	// Err is the underlying error, if any.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("spec")
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	if e.Key != "" {
		b.WriteString(": " + e.Key)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// errorf returns an *Error for key, with the line the key (or its nearest
// enclosing key) was read from.
func (s *Spec) errorf(key, format string, args ...any) *Error {
	return &Error{Line: s.line(key), Key: key, Msg: fmt.Sprintf(format, args...)}
}

// wrap returns an *Error for key carrying err.
func (s *Spec) wrap(key string, err error) *Error {
	return &Error{Line: s.line(key), Key: key, Msg: err.Error(), Err: err}
}

func (s *Spec) line(key string) int {
	for key != "" {
		if l, ok := s.lines[key]; ok {
			return l
		}
		if j := strings.LastIndexByte(key, '['); j > strings.LastIndexByte(key, '.') {
			key = key[:j] // model.init.mean[1] is on the line of model.init.mean
			continue
		}
		i := strings.LastIndexByte(key, '.')
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 0
}
