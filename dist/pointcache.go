package dist

import "math"

// PointCacher is implemented by families whose log-density takes
// functions of the points alone, such as log x, which a fit's grid never
// changes: the fit engine calls PointCache once per fit and EvalCached
// every epoch, saving a logarithm (two for the beta) a point.
type PointCacher interface {
	Family
	// PointCache returns the functions of the points that EvalCached
	// takes, one slice per function, each as long as x.
	PointCache(x, y []float64) [][]float64
	// EvalCached is Eval with cache = PointCache(x, y), or the same
	// part of it as x is of the points: the same numbers to the bit.
	EvalCached(theta, x, y []float64, cache [][]float64, logp []float64, score [][]float64)
}

// logs returns log x (outside x > 0, -Inf or NaN: never read).
func logs(x []float64) []float64 {
	lx := make([]float64, len(x))
	for i, v := range x {
		lx[i] = math.Log(v)
	}
	return lx
}

// PointCache implements PointCacher: log x.
func (Gamma) PointCache(x, _ []float64) [][]float64 { return [][]float64{logs(x)} }

// EvalCached implements PointCacher.
func (Gamma) EvalCached(theta, x, _ []float64, cache [][]float64, logp []float64, score [][]float64) {
	gammaEval(theta, x, cache[0], logp, score)
}

// PointCache implements PointCacher: log x.
func (LogNormal) PointCache(x, _ []float64) [][]float64 { return [][]float64{logs(x)} }

// EvalCached implements PointCacher.
func (LogNormal) EvalCached(theta, x, _ []float64, cache [][]float64, logp []float64, score [][]float64) {
	lognormalEval(theta, x, cache[0], logp, score)
}

// PointCache implements PointCacher: log x.
func (Weibull) PointCache(x, _ []float64) [][]float64 { return [][]float64{logs(x)} }

// EvalCached implements PointCacher.
func (Weibull) EvalCached(theta, x, _ []float64, cache [][]float64, logp []float64, score [][]float64) {
	weibullEval(theta, x, cache[0], logp, score)
}

// PointCache implements PointCacher: log x and log(1 - x).
func (Beta) PointCache(x, _ []float64) [][]float64 {
	l1x := make([]float64, len(x))
	for i, v := range x {
		l1x[i] = math.Log1p(-v)
	}
	return [][]float64{logs(x), l1x}
}

// EvalCached implements PointCacher.
func (Beta) EvalCached(theta, x, _ []float64, cache [][]float64, logp []float64, score [][]float64) {
	betaEval(theta, x, cache[0], cache[1], logp, score)
}

// logOf returns logx[i], or log x[i] when logx is nil.
func logOf(logx, x []float64, i int) float64 {
	if logx != nil {
		return logx[i]
	}
	return math.Log(x[i])
}
