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
