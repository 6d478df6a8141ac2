package fit

import (
	"fmt"
	"strconv"
)

// Stateful is implemented by optimizers that carry state from one step to
// the next (a velocity, moment estimates, a curvature memory). The loop
// saves that state to restore the last good iterate (on_divergence:
// backtrack) and to write checkpoints from which a fit resumes exactly.
type Stateful interface {
	// AppendState appends the optimizer's state, as numbers, to dst and
	// returns the extended slice. It allocates only when dst is too small.
	AppendState(dst []float64) []float64
	// SetState restores a state that AppendState returned for a problem
	// of k parameters; the optimizer keeps no reference to state.
	SetState(state []float64, k int) error
}

// LearningRateScaler is implemented by optimizers with a learning rate.
// Backtracking halves it after a divergence.
type LearningRateScaler interface {
	// ScaleLearningRate multiplies the learning rate by f and returns the
	// new rate.
	ScaleLearningRate(f float64) float64
}

// Binder is implemented by optimizers that need the problem itself, not
// only its loss and gradient (the natural gradient needs the family's
// Fisher information). Run calls Bind once, before the first step.
type Binder interface {
	// Bind prepares the optimizer for prob, or says why it cannot fit it.
	Bind(prob *Problem) error
}

// StopError is returned by an optimizer's Step to end the fit without a
// new iterate: its own convergence test passed (L-BFGS's gradient
// threshold), or it can make no further progress. The state passed to
// Step is left unchanged, and the fit ends with Status, Rule and Value as
// its result says.
type StopError struct {
	Status Status
	// Rule names the test that ended the fit, e.g. "gradient_threshold".
	Rule string
	// Value is the value that triggered it.
	Value float64
	// Err is the underlying reason, if any.
	Err error
}

// Error implements error.
func (e *StopError) Error() string {
	msg := e.Rule + " (" + strconv.FormatFloat(e.Value, 'g', -1, 64) + ")"
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *StopError) Unwrap() error { return e.Err }

// stateLen checks the length of a saved state.
func stateLen(name string, state []float64, want int) error {
	if len(state) != want {
		return fmt.Errorf("%s: the saved optimizer state has %d numbers, want %d", name, len(state), want)
	}
	return nil
}
