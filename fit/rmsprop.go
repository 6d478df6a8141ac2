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
// state (see Stateful).
type RMSprop struct {
	LearningRate float64
	Alpha        float64
	Epsilon      float64

	v []float64
}

// Name returns "rmsprop", the optimizer's name in specs.
func (*RMSprop) Name() string { return "rmsprop" }

// Step implements Optimizer.
func (o *RMSprop) Step(s *State, eval Evaluator) error {
	if len(o.v) != len(s.U) {
		o.v = make([]float64, len(s.U))
	}
	a, c := o.Alpha, 1-o.Alpha
	lr := o.LearningRate
	for i, g := range s.Grad {
		v := o.v[i] * a // square_avg.mul_(alpha).addcmul_(grad, grad, value=1-alpha)
		v += c * g * g
		o.v[i] = v
		avg := math.Sqrt(v) + o.Epsilon
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

// AppendState implements Stateful: v.
func (o *RMSprop) AppendState(dst []float64) []float64 { return append(dst, o.v...) }

// SetState implements Stateful.
func (o *RMSprop) SetState(state []float64, k int) error {
	if len(state) == 0 { // saved before the first step
		o.v = make([]float64, k)
		return nil
	}
	if err := stateLen("rmsprop", state, k); err != nil {
		return err
	}
	o.v = append(o.v[:0], state...)
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
