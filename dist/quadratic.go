package dist

// Quadratic is implemented by 1-D families whose log-density is, up to a
// term that does not depend on x, the quadratic b*x + c*x^2 with c < 0 on
// the whole real line: the normal family. On a uniform grid such a density
// follows a two-multiplication recurrence from point to point, and forward
// KL to it needs the target only through its mass, mean and second moment,
// so the fit engine evaluates it without an exp per point.
type Quadratic interface {
	// Quadratic returns the coefficients b and c at theta of the
	// log-density as a function of x - ref, and stores their derivatives
	// with respect to each parameter in db and dc. Taking the centre here
	// rather than shifting b afterwards (b + 2 c ref) keeps b accurate:
	// far from 0 that shift is a difference of two large numbers (for a
	// standard deviation of 0.001 at x = 300, 2.5e8 each, their
	// difference about 100, 7 digits lost).
	Quadratic(theta []float64, ref float64, db, dc []float64) (b, c float64)
}

// Quadratic implements Quadratic: b = (mean - ref)/variance,
// c = -1/(2 variance).
func (Normal) Quadratic(theta []float64, ref float64, db, dc []float64) (b, c float64) {
	d, v := theta[0]-ref, theta[1]
	inv := 1 / v
	db[0], db[1] = inv, -d*inv*inv
	dc[0], dc[1] = 0, 0.5*inv*inv
	return d * inv, -0.5 * inv
}

// Quadratic2D is implemented by 2-D families whose log-density is, up to a
// term that does not depend on (x, y), the negative definite quadratic
//
//	b1 x + b2 y + c11 x^2 + c12 x y + c22 y^2
//
// on the whole plane: the bivariate normal. Along each row of a 2-D grid it
// is a 1-D quadratic in x, which the fit engine sums by recurrence.
type Quadratic2D interface {
	// Quadratic2D returns the coefficients (b1, b2, c11, c12, c22) at theta
	// of the log-density as a function of (x - rx, y - ry) (see
	// Quadratic on why the centre is taken here) and stores their
	// derivatives with respect to parameter k in d[k].
	Quadratic2D(theta []float64, rx, ry float64, d [][5]float64) [5]float64
}
