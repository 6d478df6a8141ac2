package fit

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"

	"github.com/klfit/klfit/dist"
)

// NaturalGradient is gradient descent preconditioned by the model's
// Fisher information: with F(u) the Fisher information of the family in
// the optimizer's parameterization and g the gradient,
//
//	u <- u - LearningRate * F(u)^-1 g.
//
// F(u) = J^T I(theta) J, with J the Jacobian of theta = T(u) and I(theta)
// the information in the family's own parameters: the closed form of a
// family that implements dist.FisherInformer (normal, exponential, gamma,
// beta and log-normal do), and otherwise the Fisher information of the
// model restricted to the fit's grid,
//
//	I_jk = sum_i Q_i (s_ij - sbar_j)(s_ik - sbar_k),  sbar = sum_i Q_i s_i,
//
// which approaches the continuous information as the grid covers the
// model finely. For forward KL to an exponential family a learning rate
// of 1 moves the model close to the moment match in one step.
//
// Special cases: a Fisher information that is not positive definite (a
// model all of whose grid mass is on one point) stops the fit as diverged.
type NaturalGradient struct {
	LearningRate float64

	prob   *Problem
	closed dist.FisherInformer
	k      int
	theta  []float64
	info   []float64 // I(theta), k×k
	a      []float64 // J^T I, k×k, column-major scratch
	col    []float64
	out    []float64
	f      blas64.Symmetric // F(u), factorized in place
	rhs    blas64.General   // the gradient, solved in place
	// grid Fisher buffers
	logq  []float64
	score [][]float64
}

// Name returns "natural_gradient", the optimizer's name in specs.
func (*NaturalGradient) Name() string { return "natural_gradient" }

// Bind implements Binder. It refuses families with weights or masses on
// the simplex (mixture, categorical): their unconstrained softmax has one
// direction that changes nothing, so their Fisher information is singular
// and there is no natural gradient.
func (o *NaturalGradient) Bind(prob *Problem) error {
	for _, p := range prob.Family.Params() {
		if p.Constraint == dist.Simplex {
			return fmt.Errorf("natural_gradient cannot fit the %s family: its %s are on the simplex, where the Fisher information is singular (use lbfgs or adam)", prob.Family.Name(), strings.TrimSuffix(p.Name, "[0]"))
		}
	}
	k := len(prob.Family.Params())
	o.prob, o.k = prob, k
	o.closed, _ = prob.Family.(dist.FisherInformer)
	o.theta = make([]float64, k)
	o.info = make([]float64, k*k)
	o.a = make([]float64, k*k)
	o.col = make([]float64, k)
	o.out = make([]float64, k)
	o.f = blas64.Symmetric{N: k, Stride: k, Data: make([]float64, k*k), Uplo: blas.Upper}
	o.rhs = blas64.General{Rows: k, Cols: 1, Stride: 1, Data: make([]float64, k)}
	if o.closed == nil {
		n := prob.Grid.Len()
		o.logq = make([]float64, n)
		o.score = make([][]float64, k)
		for j := range o.score {
			o.score[j] = make([]float64, n)
		}
	}
	return nil
}

// Step implements Optimizer.
func (o *NaturalGradient) Step(s *State, eval Evaluator) error {
	if o.prob == nil {
		return fmt.Errorf("natural_gradient: Bind was not called")
	}
	if err := o.Direction(o.out, s.U, s.Grad); err != nil {
		return err
	}
	for i, d := range o.out {
		s.U[i] -= o.LearningRate * d
	}
	var err error
	s.Loss, err = eval(s.U, s.Grad)
	return err
}

// Direction sets dst = F(u)^-1 grad, the natural gradient at u.
func (o *NaturalGradient) Direction(dst, u, grad []float64) error {
	k := o.k
	tr := o.prob.Transform
	tr.Theta(o.theta, u)
	o.FisherTheta(o.info, o.theta)
	// A = J^T I, one column at a time (I is symmetric: its columns are
	// its rows); then F = J^T A^T, whose column i is J^T (row i of A).
	for j := range k {
		tr.PullBack(o.out, u, o.theta, o.info[j*k:(j+1)*k])
		for i := range k {
			o.a[i*k+j] = o.out[i]
		}
	}
	for i := range k {
		tr.PullBack(o.col, u, o.theta, o.a[i*k:(i+1)*k])
		for j := i; j < k; j++ {
			o.f.Data[i*k+j] = o.col[j] // upper triangle; the rounding asymmetry is dropped
		}
	}
	// Cholesky factorization and solve in place (LAPACK's dpotrf and
	// dpotrs through gonum), allocating nothing.
	t, ok := lapack64.Potrf(o.f)
	if !ok {
		return fmt.Errorf("the Fisher information is not positive definite at %s", formatParams(dist.ParamNames(o.prob.Family), o.theta))
	}
	copy(o.rhs.Data, grad)
	lapack64.Potrs(t, o.rhs)
	copy(dst, o.rhs.Data)
	return nil
}

// FisherTheta fills dst (k×k, row-major) with the Fisher information in
// the family's parameters at theta: the closed form when the family has
// one, else the information of the model on the grid.
func (o *NaturalGradient) FisherTheta(dst, theta []float64) {
	if o.closed != nil {
		o.closed.Fisher(dst, theta)
		return
	}
	p := o.prob
	p.Family.Eval(theta, p.Grid.X, p.Grid.Y, o.logq, o.score)
	m := math.Inf(-1)
	for _, l := range o.logq {
		m = math.Max(m, l)
	}
	var z float64
	for i, l := range o.logq {
		e := math.Exp(l - m)
		o.logq[i] = e // now the unnormalized mass
		z += e
	}
	k := o.k
	for j := range k {
		var sb float64
		for i, q := range o.logq {
			sb += q * o.score[j][i]
		}
		o.col[j] = sb / z
	}
	for a := range k {
		for b := a; b < k; b++ {
			var acc float64
			sa, sbv := o.score[a], o.score[b]
			for i, q := range o.logq {
				if q != 0 {
					acc += q * (sa[i] - o.col[a]) * (sbv[i] - o.col[b])
				}
			}
			dst[a*k+b], dst[b*k+a] = acc/z, acc/z
		}
	}
}

// ScaleLearningRate implements LearningRateScaler.
func (o *NaturalGradient) ScaleLearningRate(f float64) float64 {
	o.LearningRate *= f
	return o.LearningRate
}

func init() {
	RegisterOptimizer(OptimizerInfo{
		Name:        "natural_gradient",
		Description: "gradient descent preconditioned by the model's Fisher information",
		Settings: []Setting{
			{Name: "learning_rate", Default: 0.1, Description: "step size", Check: positive},
		},
		New: func(s map[string]float64) Optimizer { return &NaturalGradient{LearningRate: s["learning_rate"]} },
	})
}
