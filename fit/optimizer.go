package fit

import (
	"fmt"
	"sort"
	"strings"

	"github.com/klfit/klfit/internal/suggest"
)

// Evaluator returns the loss at u and stores its gradient in grad. Its
// errors (*DomainError, *SupportError, *NonFiniteError, ...) mean that u
// is not a usable state.
type Evaluator func(u, grad []float64) (float64, error)

// State is an optimizer's current iterate: the unconstrained vector U, its
// loss and its gradient.
type State struct {
	U    []float64
	Loss float64
	Grad []float64
}

// Optimizer moves a fit from one accepted iterate to the next.
//
// An Optimizer value given to Run holds settings only and is never
// changed: Run steps a Fresh copy, which carries the run's state (moment
// estimates, a curvature memory, a learning rate halved by backtracking).
// So one value can be run any number of times, concurrently too, with
// identical results, as gonum's optimize.Method is initialized per run.
type Optimizer interface {
	// Name is the optimizer's name in specs and checkpoints, e.g. "adam".
	Name() string
	// Fresh returns an optimizer with the receiver's settings (zero
	// settings replaced by their defaults where zero is not a valid value,
	// such as a learning rate) and no state: what one run steps.
	Fresh() Optimizer
	// Step moves s to the next iterate. On entry s holds an evaluated
	// iterate; on return s holds the next one with its loss and gradient.
	// Step may call eval as often as it needs (a line search does); it
	// returns eval's error when the new iterate is not usable, in which
	// case s is undefined.
	Step(s *State, eval Evaluator) error
}

// GD is plain gradient descent, the notebook's optimizer:
//
//	u <- u - LearningRate * grad
type GD struct {
	LearningRate float64
}

// Name returns "gd", the optimizer's name in specs.
func (*GD) Name() string { return "gd" }

// Step implements Optimizer.
func (o *GD) Step(s *State, eval Evaluator) error {
	for i, g := range s.Grad {
		s.U[i] -= o.LearningRate * g
	}
	var err error
	s.Loss, err = eval(s.U, s.Grad)
	return err
}

// ScaleLearningRate implements LearningRateScaler.
func (o *GD) ScaleLearningRate(f float64) float64 {
	o.LearningRate *= f
	return o.LearningRate
}

// Setting is one tunable of an optimizer.
type Setting struct {
	Name        string
	Default     float64
	Description string
	// Check validates a value; nil accepts any finite value.
	Check func(v float64) error
	// Kind is the type of the value: a number (the zero value) or a
	// boolean, stored as 0 (false) or 1 (true).
	Kind SettingKind
}

// SettingKind is the type of a setting's value.
type SettingKind int

// The kinds of settings.
const (
	// Number settings take any number Check accepts.
	Number SettingKind = iota
	// Bool settings are true or false, stored as 1 or 0.
	Bool
)

// OptimizerInfo describes a registered optimizer: its settings and how to
// build it from them.
type OptimizerInfo struct {
	Name        string
	Description string
	Settings    []Setting
	// New builds the optimizer from a complete set of settings.
	New func(settings map[string]float64) Optimizer
	// CheckAll validates settings that constrain each other (PyTorch's
	// Nesterov momentum needs momentum > 0 and no dampening); it returns
	// the setting to blame and why. Nil accepts every combination.
	CheckAll func(settings map[string]float64) (setting string, err error)
}

var optimizers = map[string]OptimizerInfo{}

// RegisterOptimizer makes an optimizer available by name. It panics on a
// duplicate name.
func RegisterOptimizer(info OptimizerInfo) {
	if _, dup := optimizers[info.Name]; dup {
		panic("fit: optimizer " + info.Name + " registered twice")
	}
	optimizers[info.Name] = info
}

// LookupOptimizer returns the registered optimizer of the given name; the
// error lists the known ones.
func LookupOptimizer(name string) (OptimizerInfo, error) {
	if o, ok := optimizers[name]; ok {
		return o, nil
	}
	return OptimizerInfo{}, fmt.Errorf("unknown optimizer %q%s (known: %s)", name, suggest.Hint(name, OptimizerNames()), strings.Join(OptimizerNames(), ", "))
}

// OptimizerNames returns the registered optimizers' names, sorted.
func OptimizerNames() []string {
	names := make([]string, 0, len(optimizers))
	for n := range optimizers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func positive(v float64) error {
	if v <= 0 {
		return fmt.Errorf("must be > 0, got %v", v)
	}
	return nil
}

func init() {
	RegisterOptimizer(OptimizerInfo{
		Name:        "gd",
		Description: "plain gradient descent: u <- u - learning_rate * grad",
		Settings: []Setting{
			{Name: "learning_rate", Default: 0.01, Description: "step size", Check: positive},
		},
		New: func(s map[string]float64) Optimizer { return &GD{LearningRate: s["learning_rate"]} },
	})
}
