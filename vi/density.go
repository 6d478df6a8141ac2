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
