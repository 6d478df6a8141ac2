package dist

// FisherInformer is implemented by families whose Fisher information has a
// closed form. The natural gradient uses it; for other families it
// computes the Fisher information of the model on the fit's grid.
type FisherInformer interface {
	// Fisher fills dst, a k×k matrix stored row-major (k the number of
	// parameters), with the Fisher information E[s s^T] at theta, s the
	// score with respect to theta.
	Fisher(dst, theta []float64)
}

// Fisher implements FisherInformer: for theta = (mean, variance) the
// information is diagonal,
//
//	I = diag(1/variance, 1/(2 variance^2)).
func (Normal) Fisher(dst, theta []float64) {
	v := theta[1]
	dst[0], dst[1] = 1/v, 0
	dst[2], dst[3] = 0, 1/(2*v*v)
}

// Fisher implements FisherInformer: I = 1/rate^2.
func (Exponential) Fisher(dst, theta []float64) {
	dst[0] = 1 / (theta[0] * theta[0])
}

// Fisher implements FisherInformer: for theta = (shape k, rate r),
//
//	I = [[psi'(k), -1/r], [-1/r, k/r^2]].
func (Gamma) Fisher(dst, theta []float64) {
	k, r := theta[0], theta[1]
	dst[0], dst[1] = trigamma(k), -1/r
	dst[2], dst[3] = -1/r, k/(r*r)
}

// Fisher implements FisherInformer: for theta = (alpha a, beta b), with
// t = psi'(a+b),
//
//	I = [[psi'(a) - t, -t], [-t, psi'(b) - t]].
func (Beta) Fisher(dst, theta []float64) {
	a, b := theta[0], theta[1]
	t := trigamma(a + b)
	dst[0], dst[1] = trigamma(a)-t, -t
	dst[2], dst[3] = -t, trigamma(b)-t
}

// Fisher implements FisherInformer: for theta = (mu, sigma),
//
//	I = diag(1/sigma^2, 2/sigma^2).
func (LogNormal) Fisher(dst, theta []float64) {
	s2 := theta[1] * theta[1]
	dst[0], dst[1] = 1/s2, 0
	dst[2], dst[3] = 0, 2/s2
}
