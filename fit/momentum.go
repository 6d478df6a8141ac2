package fit

import "fmt"

// Momentum is stochastic gradient descent with momentum, exactly as
// PyTorch's torch.optim.SGD (without weight decay), so that a PyTorch run
// can be reproduced step for step. With g the gradient, mu Momentum and d
// Dampening, each step does
//
//	b <- g                        at the first step
//	b <- mu*b + (1-d)*g           afterwards
//	u <- u - LearningRate*b       (Nesterov false)
//	u <- u - LearningRate*(g + mu*b)   (Nesterov true)
//
// With Momentum 0 the buffer is not used and the step is plain gradient
// descent. The buffer is the optimizer's state (see Stateful).
type Momentum struct {
	LearningRate float64
	Momentum     float64
	Dampening    float64
	Nesterov     bool

	buf     []float64
	started bool
}

// Name returns "momentum", the optimizer's name in specs.
func (*Momentum) Name() string { return "momentum" }

// Step implements Optimizer.
func (o *Momentum) Step(s *State, eval Evaluator) error {
	if len(o.buf) != len(s.U) {
		o.buf = make([]float64, len(s.U))
	}
	lr, mu := o.LearningRate, o.Momentum
	switch {
	case mu == 0:
		for i, g := range s.Grad {
			s.U[i] += -lr * g
		}
	default:
		if !o.started {
			copy(o.buf, s.Grad)
			o.started = true
		} else {
			damp := 1 - o.Dampening
			for i, g := range s.Grad {
				b := o.buf[i] * mu // buf.mul_(momentum)
				o.buf[i] = b + damp*g
			}
		}
		for i, g := range s.Grad {
			d := o.buf[i]
			if o.Nesterov {
				d = g + mu*o.buf[i]
			}
			s.U[i] += -lr * d
		}
	}
	var err error
	s.Loss, err = eval(s.U, s.Grad)
	return err
}

// ScaleLearningRate implements LearningRateScaler.
func (o *Momentum) ScaleLearningRate(f float64) float64 {
	o.LearningRate *= f
	return o.LearningRate
}

// AppendState implements Stateful: whether the buffer is started (0 or
// 1), then the buffer.
func (o *Momentum) AppendState(dst []float64) []float64 {
	started := 0.0
	if o.started {
		started = 1
	}
	return append(append(dst, started), o.buf...) // only the flag before the first step
}

// SetState implements Stateful.
func (o *Momentum) SetState(state []float64, k int) error {
	if len(state) == 1 && state[0] == 0 { // saved before the first step
		o.started, o.buf = false, make([]float64, k)
		return nil
	}
	if err := stateLen("momentum", state, 1+k); err != nil {
		return err
	}
	o.started = state[0] != 0
	o.buf = append(o.buf[:0], state[1:]...)
	return nil
}

func init() {
	RegisterOptimizer(OptimizerInfo{
		Name:        "momentum",
		Description: "PyTorch's SGD with momentum (and Nesterov's variant)",
		Settings: []Setting{
			{Name: "learning_rate", Default: 0.01, Description: "step size", Check: positive},
			{Name: "momentum", Default: 0.9, Description: "momentum factor mu", Check: nonNegative},
			{Name: "nesterov", Default: 0, Description: "Nesterov momentum", Kind: Bool},
			{Name: "dampening", Default: 0, Description: "dampening d of the gradient in the buffer", Check: nonNegative},
		},
		New: func(s map[string]float64) Optimizer {
			return &Momentum{LearningRate: s["learning_rate"], Momentum: s["momentum"], Nesterov: s["nesterov"] != 0, Dampening: s["dampening"]}
		},
		CheckAll: func(s map[string]float64) (string, error) {
			if s["nesterov"] != 0 && (s["momentum"] <= 0 || s["dampening"] != 0) {
				return "nesterov", fmt.Errorf("Nesterov momentum needs momentum > 0 and dampening 0 (as PyTorch), got momentum %v, dampening %v", s["momentum"], s["dampening"])
			}
			return "", nil
		},
	})
}

func nonNegative(v float64) error {
	if v < 0 {
		return fmt.Errorf("must be >= 0, got %v", v)
	}
	return nil
}

// unitInterval accepts [0, 1).
func unitInterval(v float64) error {
	if v < 0 || v >= 1 {
		return fmt.Errorf("must be in [0, 1), got %v", v)
	}
	return nil
}
