package fit

import "math"

// Adam is the Adam optimizer exactly as PyTorch's torch.optim.Adam
// (without weight decay or AMSGrad). With g the gradient, t the step
// count (1 at the first step), b1 Beta1, b2 Beta2 and eps Epsilon, each
// step does
//
//	m <- b1*m + (1-b1)*g
//	v <- b2*v + (1-b2)*g*g
//	u <- u - (LearningRate/(1-b1^t)) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
//
// with m and v starting at zero: the moments are bias-corrected, and eps
// is added after the square root. m, v and t are the optimizer's state
// (see Stateful). A gradient whose square overflows float64 (above about
// 1e154) does not freeze the fit: m and v are then kept scaled by a power
// of two, which the step m/sqrt(v) does not see (see momentScale).
type Adam struct {
	LearningRate float64
	Beta1, Beta2 float64
	Epsilon      float64

	t    int
	m, v []float64
	// sc keeps m and v representable under gradients whose square
	// overflows (see momentScale); m and v are stored scaled.
	sc momentScale
}

// Name returns "adam", the optimizer's name in specs.
func (*Adam) Name() string { return "adam" }

// Step implements Optimizer.
func (o *Adam) Step(s *State, eval Evaluator) error {
	if len(o.m) != len(s.U) {
		o.m, o.v, o.sc = make([]float64, len(s.U)), make([]float64, len(s.U)), momentScale{}
	}
	o.t++
	b1, b2 := o.Beta1, o.Beta2
	c1, c2 := 1-b1, 1-b2
	for i, g := range s.Grad {
		g = o.sc.scaled(i, g, o.m, o.v)
		m := o.m[i] * b1 // exp_avg.mul_(beta1).add_(grad, alpha=1-beta1)
		o.m[i] = m + c1*g
		v := o.v[i] * b2 // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1-beta2)
		o.v[i] = v + c2*g*g
		o.sc.settle(i, o.m, o.v)
	}
	step := float64(o.t)
	stepSize := o.LearningRate / (1 - math.Pow(b1, step))
	bc2 := math.Sqrt(1 - math.Pow(b2, step))
	for i := range s.U {
		denom := math.Sqrt(o.v[i])/bc2 + o.sc.epsilon(i, o.Epsilon)
		s.U[i] += -stepSize * o.m[i] / denom // param.addcdiv_(exp_avg, denom, value=-step_size)
	}
	var err error
	s.Loss, err = eval(s.U, s.Grad)
	return err
}

// ScaleLearningRate implements LearningRateScaler.
func (o *Adam) ScaleLearningRate(f float64) float64 {
	o.LearningRate *= f
	return o.LearningRate
}

// AppendState implements Stateful: t, then m, then v, as stored (divided
// by their scales), then the scales' exponents when any is not 0.
func (o *Adam) AppendState(dst []float64) []float64 {
	dst = append(dst, float64(o.t))
	return o.sc.appendState(append(append(dst, o.m...), o.v...))
}

// SetState implements Stateful.
func (o *Adam) SetState(state []float64, k int) error {
	if len(state) == 1 && state[0] == 0 { // saved before the first step
		o.t, o.m, o.v, o.sc = 0, make([]float64, k), make([]float64, k), momentScale{}
		return nil
	}
	if len(state) != 1+3*k {
		if err := stateLen("adam", state, 1+2*k); err != nil {
			return err
		}
	}
	if err := o.sc.setState("adam", state[1+2*k:]); err != nil {
		return err
	}
	o.t = int(state[0])
	o.m = append(o.m[:0], state[1:1+k]...)
	o.v = append(o.v[:0], state[1+k:1+2*k]...)
	return nil
}

func init() {
	RegisterOptimizer(OptimizerInfo{
		Name:        "adam",
		Description: "PyTorch's Adam: bias-corrected moment estimates, epsilon after the square root",
		Settings: []Setting{
			{Name: "learning_rate", Default: 0.001, Description: "step size", Check: positive},
			{Name: "beta1", Default: 0.9, Description: "decay of the first moment estimate", Check: unitInterval},
			{Name: "beta2", Default: 0.999, Description: "decay of the second moment estimate", Check: unitInterval},
			{Name: "epsilon", Default: 1e-8, Description: "added to the denominator after the square root", Check: nonNegative},
		},
		New: func(s map[string]float64) Optimizer {
			return &Adam{LearningRate: s["learning_rate"], Beta1: s["beta1"], Beta2: s["beta2"], Epsilon: s["epsilon"]}
		},
	})
}
