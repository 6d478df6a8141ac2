package vi

// LogDensity is a target distribution in Dim() dimensions, known through
// its log-density up to an additive constant: log p~(x) = log p(x) + log Z
// for some unknown Z > 0.
//
// LogDensity returns log p~(x) for x of length Dim() and, when grad is
// not nil, stores its gradient with respect to x in grad (of length
// Dim()). It returns -Inf where the density is zero. It must not keep x
// or grad. When an objective is evaluated on more than one thread
// (Options.Threads), LogDensity is called from several goroutines at
// once and must be safe for that.
type LogDensity interface {
	Dim() int
	LogDensity(x, grad []float64) float64
}

// BatchLogDensity is a LogDensity that can also evaluate many points at
// once, faster when the work is matrix products (a normal target, a
// linear model). The objectives use LogDensities when a target has it.
type BatchLogDensity interface {
	LogDensity
	// LogDensities stores log p~ at the n = len(logp) rows of x (n x
	// Dim(), row-major) in logp and, when grad is not nil, the gradients
	// in the rows of grad, as LogDensity would (to rounding). The
	// objectives call it on fixed chunks of rows, the same on any number
	// of threads.
	LogDensities(logp, grad, x []float64)
}

// Objective is what a fit loop needs of a Monte Carlo objective; both
// [ReverseKL] and [ForwardKL] implement it. Eval has the signature of
// fit.Evaluator, so package fit's optimizers drive it through their Step
// method.
type Objective interface {
	// Eval returns the loss at the unconstrained vector u and, when grad
	// is not nil, stores its gradient in grad.
	Eval(u, grad []float64) (float64, error)
	// Len returns the length of u.
	Len() int
	// Names returns the names of the parameters Theta computes.
	Names() []string
	// Init sets u to the starting point.
	Init(u []float64)
	// Theta computes the parameters at u.
	Theta(theta, u []float64)
	// StdErr returns the Monte Carlo standard error of the last loss, or
	// NaN when there is none to report.
	StdErr() float64
	// StartEpoch prepares epoch n (0 is the first); a loop calls it
	// before the epoch's first evaluation.
	StartEpoch(n int)
}

var (
	_ Objective = (*ReverseKL)(nil)
	_ Objective = (*ForwardKL)(nil)
)
