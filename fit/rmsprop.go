package fit

import "math"

// RMSprop is the RMSprop optimizer exactly as PyTorch's
// torch.optim.RMSprop with its defaults (no momentum, not centered, no
// weight decay). With g the gradient, a Alpha and eps Epsilon, each step
// does
//
//	v <- a*v + (1-a)*g*g
//	u <- u - LearningRate * g / (sqrt(v) + eps)
//
// with v starting at zero (no bias correction). v is the optimizer's
// state (see Stateful). A gradient whose square overflows float64 (above
// about 1e154) does not freeze the fit: v is then kept scaled by a power
// of two, and the step g/sqrt(v) with it (see momentScale).
type RMSprop struct {
	LearningRate float64
	Alpha        float64
	Epsilon      float64

	v []float64
	// sc keeps v representable under gradients whose square overflows
	// (see momentScale); v is stored scaled.
	sc momentScale
}

// Name returns "rmsprop", the optimizer's name in specs.
func (*RMSprop) Name() string { return "rmsprop" }

// Step implements Optimizer.
func (o *RMSprop) Step(s *State, eval Evaluator) error {
	if len(o.v) != len(s.U) {
		o.v, o.sc = make([]float64, len(s.U)), momentScale{}
	}
	a, c := o.Alpha, 1-o.Alpha
	lr := o.LearningRate
	for i, g := range s.Grad {
		g = o.sc.scaled(i, g, nil, o.v)
		v := o.v[i] * a // square_avg.mul_(alpha).addcmul_(grad, grad, value=1-alpha)
		v += c * g * g
		o.v[i] = v
		o.sc.settle(i, nil, o.v)
		avg := math.Sqrt(o.v[i]) + o.sc.epsilon(i, o.Epsilon)
		s.U[i] += -lr * g / avg // param.addcdiv_(grad, avg, value=-lr)
	}
	var err error
	s.Loss, err = eval(s.U, s.Grad)
	return err
}

// ScaleLearningRate implements LearningRateScaler.
func (o *RMSprop) ScaleLearningRate(f float64) float64 {
	o.LearningRate *= f
	return o.LearningRate
}

// AppendState implements Stateful: v, as stored (divided by its scales),
// then the scales' exponents when any is not 0.
func (o *RMSprop) AppendState(dst []float64) []float64 { return o.sc.appendState(append(dst, o.v...)) }

// SetState implements Stateful.
func (o *RMSprop) SetState(state []float64, k int) error {
	if len(state) == 0 { // saved before the first step
		o.v, o.sc = make([]float64, k), momentScale{}
		return nil
	}
	if len(state) != 2*k {
		if err := stateLen("rmsprop", state, k); err != nil {
			return err
		}
	}
	if err := o.sc.setState("rmsprop", state[k:]); err != nil {
		return err
	}
	o.v = append(o.v[:0], state[:k]...)
	return nil
}

func init() {
	RegisterOptimizer(OptimizerInfo{
		Name:        "rmsprop",
		Description: "PyTorch's RMSprop: the gradient divided by a running root mean square",
		Settings: []Setting{
			{Name: "learning_rate", Default: 0.01, Description: "step size", Check: positive},
			{Name: "alpha", Default: 0.99, Description: "decay of the running mean of squared gradients", Check: unitInterval},
			{Name: "epsilon", Default: 1e-8, Description: "added to the denominator after the square root", Check: nonNegative},
		},
		New: func(s map[string]float64) Optimizer {
			return &RMSprop{LearningRate: s["learning_rate"], Alpha: s["alpha"], Epsilon: s["epsilon"]}
		},
	})
}
