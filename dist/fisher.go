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
