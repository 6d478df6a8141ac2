package dist

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distmv"
)

// MVNormal is the bivariate normal family on the plane. Users write its
// parameters as mean: [mx, my] and covariance: [[a, b], [b, d]]; its
// parameter vector is theta = (mx, my, a, b, d), named mean[0], mean[1],
// covariance[0][0], covariance[0][1], covariance[1][1]. With
// D = ad - b^2 the determinant, P = [[d, -b], [-b, a]]/D the precision,
// r = (x-mx, y-my) and u = P r,
//
//	log q(x, y) = -log(2 pi) - log(D)/2 - r.u/2
//	d/dmean     = u
//	d/da        = (u_x^2 - d/D)/2
//	d/db        = u_x u_y + b/D        (b stands for both off-diagonal entries)
//	d/dd        = (u_y^2 - a/D)/2
//
// The covariance must be symmetric positive definite: a > 0, d > 0, D > 0.
// Its unconstrained parameterization is the Cholesky factor
// [[exp(l1), 0], [l2, exp(l3)]] of the covariance.
type MVNormal struct{}

func init() { Register(MVNormal{}) }

// Name returns "mvnormal".
func (MVNormal) Name() string { return "mvnormal" }

// Description returns a one-line description.
func (MVNormal) Description() string {
	return "bivariate normal on a 2-D grid: a mean vector and a 2x2 covariance"
}

// Dim returns 2.
func (MVNormal) Dim() int { return 2 }

var mvnormalParams = []Param{
	{"mean[0]", Real}, {"mean[1]", Real},
	{"covariance[0][0]", Positive}, {"covariance[0][1]", Real}, {"covariance[1][1]", Positive},
}

// Params returns the five entries of theta. The slice is shared: do not
// modify it.
func (MVNormal) Params() []Param { return mvnormalParams }

var mvnormalBlocks = []Block{{"mean", []int{2}, Real}, {"covariance", []int{2, 2}, SPD}}

// Blocks returns mean (a list of 2 numbers) and covariance (a 2x2
// symmetric positive definite matrix). The slice is shared: do not modify
// it.
func (MVNormal) Blocks() []Block { return mvnormalBlocks }

// Support returns "R^2".
func (MVNormal) Support() string { return "R^2" }

// Validate checks that the entries are finite and the covariance positive
// definite.
func (MVNormal) Validate(theta []float64) error {
	for k, p := range mvnormalParams {
		if ok, why := p.Constraint.Check(theta[k]); !ok {
			return &ParamError{Param: p.Name, Value: theta[k], Msg: why}
		}
	}
	if det := theta[2]*theta[4] - theta[3]*theta[3]; !(det > 0) {
		return &ConstraintError{Param: "covariance", Msg: fmt.Sprintf("must be symmetric positive definite, its determinant is %v", det)}
	}
	return nil
}

// Eval implements Family.
func (MVNormal) Eval(theta, x, y, logp []float64, score [][]float64) {
	mx, my, a, b, d := theta[0], theta[1], theta[2], theta[3], theta[4]
	det := a*d - b*b
	inv := 1 / det
	pxx, pxy, pyy := d*inv, -b*inv, a*inv
	c := -log2Pi - 0.5*math.Log(det)
	logp = logp[:len(x)]
	y = y[:len(x)]
	if score == nil {
		for i, xi := range x {
			rx, ry := xi-mx, y[i]-my
			ux, uy := pxx*rx+pxy*ry, pxy*rx+pyy*ry
			logp[i] = c - 0.5*(rx*ux+ry*uy)
		}
		return
	}
	s0, s1, s2, s3, s4 := score[0][:len(x)], score[1][:len(x)], score[2][:len(x)], score[3][:len(x)], score[4][:len(x)]
	for i, xi := range x {
		rx, ry := xi-mx, y[i]-my
		ux, uy := pxx*rx+pxy*ry, pxy*rx+pyy*ry
		logp[i] = c - 0.5*(rx*ux+ry*uy)
		s0[i], s1[i] = ux, uy
		s2[i] = 0.5 * (ux*ux - pxx)
		s3[i] = ux*uy - pxy
		s4[i] = 0.5 * (uy*uy - pyy)
	}
}

// Quadratic2D returns the coefficients (b1, b2, c11, c12, c22) of the
// log-density written as b1 x + b2 y + c11 x^2 + c12 x y + c22 y^2 plus a
// term free of (x, y), and stores their derivatives with respect to
// theta_k in d[k].
func (MVNormal) Quadratic2D(theta []float64, rx, ry float64, d [][5]float64) [5]float64 {
	mx, my, a, b, dd := theta[0]-rx, theta[1]-ry, theta[2], theta[3], theta[4]
	det := a*dd - b*b
	d2 := det * det
	c11, c12, c22 := -dd/(2*det), b/det, -a/(2*det)
	// Derivatives of c11, c12, c22 with respect to (a, b, d).
	dc11 := [3]float64{dd * dd / (2 * d2), -b * dd / d2, b * b / (2 * d2)}
	dc12 := [3]float64{-b * dd / d2, (det + 2*b*b) / d2, -a * b / d2}
	dc22 := [3]float64{b * b / (2 * d2), -a * b / d2, a * a / (2 * d2)}
	if len(d) >= 5 {
		d[0] = [5]float64{-2 * c11, -c12, 0, 0, 0}
		d[1] = [5]float64{-c12, -2 * c22, 0, 0, 0}
		for j := range 3 {
			d[2+j] = [5]float64{-(2*mx*dc11[j] + my*dc12[j]), -(2*my*dc22[j] + mx*dc12[j]), dc11[j], dc12[j], dc22[j]}
		}
	}
	return [5]float64{-(2*c11*mx + c12*my), -(2*c22*my + c12*mx), c11, c12, c22}
}

// Unconstrained returns the transform that moves the means as they are and
// the covariance through its Cholesky factor with a log diagonal.
func (MVNormal) Unconstrained() Transform { return choleskyTransform{} }

// MeanVector returns (mx, my).
func (MVNormal) MeanVector(theta []float64) []float64 { return []float64{theta[0], theta[1]} }

// Covariance returns [a, b, b, d].
func (MVNormal) Covariance(theta []float64) []float64 {
	return []float64{theta[2], theta[3], theta[3], theta[4]}
}

// Sample draws with gonum's distmv.Normal.
func (MVNormal) Sample(theta []float64, src rand.Source, x, y []float64) {
	cov := mat.NewSymDense(2, []float64{theta[2], theta[3], theta[3], theta[4]})
	d, ok := distmv.NewNormal([]float64{theta[0], theta[1]}, cov, src)
	if !ok {
		panic("dist: MVNormal.Sample: covariance not positive definite")
	}
	var p [2]float64
	for i := range x {
		d.Rand(p[:])
		x[i], y[i] = p[0], p[1]
	}
}

// MatchMoments returns the member with the given mean and covariance,
// widening a singular covariance's diagonal by a millionth of its trace.
func (MVNormal) MatchMoments(mean, cov []float64) ([]float64, error) {
	if len(mean) != 2 || len(cov) != 4 {
		return nil, fmt.Errorf("2-D moments expected, got a mean of %d values", len(mean))
	}
	a, b, d := cov[0], 0.5*(cov[1]+cov[2]), cov[3]
	for _, v := range []float64{mean[0], mean[1], a, b, d} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("the moments must be finite, got mean %v and covariance %v", mean, cov)
		}
	}
	if !(a > 0 && d > 0) {
		return nil, fmt.Errorf("the variances %v and %v must be > 0", a, d)
	}
	if a*d-b*b <= 1e-12*a*d {
		e := 1e-6 * (a + d)
		a, d = a+e, d+e
	}
	return []float64{mean[0], mean[1], a, b, d}, nil
}

// choleskyTransform maps (mx, my, l1, l2, l3) to (mx, my, a, b, d) with
// [[a, b], [b, d]] = L L^T, L = [[exp(l1), 0], [l2, exp(l3)]].
type choleskyTransform struct{}

func (choleskyTransform) Theta(theta, u []float64) {
	theta[0], theta[1] = u[0], u[1]
	e1, l2, e3 := math.Exp(u[2]), u[3], math.Exp(u[4])
	theta[2] = e1 * e1
	theta[3] = e1 * l2
	theta[4] = l2*l2 + e3*e3
}

func (choleskyTransform) U(u, theta []float64) {
	u[0], u[1] = theta[0], theta[1]
	e1 := math.Sqrt(theta[2])
	l2 := theta[3] / e1
	u[2] = math.Log(e1)
	u[3] = l2
	u[4] = 0.5 * math.Log(theta[4]-l2*l2)
}

func (choleskyTransform) PullBack(gradU, u, _, gradTheta []float64) {
	gradU[0], gradU[1] = gradTheta[0], gradTheta[1]
	e1, l2, e3 := math.Exp(u[2]), u[3], math.Exp(u[4])
	ga, gb, gd := gradTheta[2], gradTheta[3], gradTheta[4]
	gradU[2] = 2*e1*e1*ga + e1*l2*gb
	gradU[3] = e1*gb + 2*l2*gd
	gradU[4] = 2 * e3 * e3 * gd
}
