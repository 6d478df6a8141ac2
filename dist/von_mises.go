package dist

import (
	"math"
	"math/rand/v2"
)

// VonMises is the von Mises family of angles with theta = (mu, kappa), the
// circle's analogue of the normal:
//
//	log q(x) = kappa cos(x-mu) - log(2 pi I0(kappa))
//	d/dmu    = kappa sin(x-mu)
//	d/dkappa = cos(x-mu) - I1(kappa)/I0(kappa)
//
// with I0 and I1 modified Bessel functions of the first kind. The density
// is periodic in x and mu with period 2 pi; it lives on circular grids
// ([-pi, pi)). Its mean is the circular mean mu (wrapped into [-pi, pi))
// and its variance the circular variance 1 - I1(kappa)/I0(kappa).
type VonMises struct{}

func init() { Register(VonMises{}) }

// Name returns "von_mises".
func (VonMises) Name() string { return "von_mises" }

// Description returns a one-line description.
func (VonMises) Description() string {
	return "angles on the circle: a bell around mu sharpening with kappa"
}

// Dim returns 1.
func (VonMises) Dim() int { return 1 }

// Circular returns true: the family lives on the circle.
func (VonMises) Circular() bool { return true }

var vonMisesParams = []Param{{"mu", Real}, {"kappa", Positive}}

// Params returns mu (real, an angle) and kappa (positive). The slice is
// shared: do not modify it.
func (VonMises) Params() []Param { return vonMisesParams }

// Support returns "[-pi, pi) (circular)".
func (VonMises) Support() string { return "[-pi, pi) (circular)" }

// Eval implements Family.
func (VonMises) Eval(theta, x, _, logp []float64, score [][]float64) {
	mu, k := theta[0], theta[1]
	li0, ratio := logBesselI0(k)
	c := -log2Pi - li0
	logp = logp[:len(x)]
	if score == nil {
		for i, xi := range x {
			logp[i] = c + k*math.Cos(xi-mu)
		}
		return
	}
	sm, sk := score[0][:len(x)], score[1][:len(x)]
	for i, xi := range x {
		s, co := math.Sincos(xi - mu)
		logp[i] = c + k*co
		sm[i] = k * s
		sk[i] = co - ratio
	}
}

// wrap returns the angle a in [-pi, pi).
func wrap(a float64) float64 {
	a = math.Mod(a+math.Pi, 2*math.Pi)
	if a < 0 {
		a += 2 * math.Pi
	}
	return a - math.Pi
}

// Mean returns the circular mean, mu wrapped into [-pi, pi).
func (VonMises) Mean(theta []float64) float64 { return wrap(theta[0]) }

// Variance returns the circular variance 1 - I1(kappa)/I0(kappa).
func (VonMises) Variance(theta []float64) float64 {
	_, r := logBesselI0(theta[1])
	return 1 - r
}

// Sample draws by Best and Fisher's (1979) rejection method (gonum has no
// von Mises), into [-pi, pi).
func (VonMises) Sample(theta []float64, src rand.Source, x, _ []float64) {
	mu, k := theta[0], theta[1]
	rng := rand.New(src)
	if k < 1e-6 { // uniform on the circle to float64 precision
		for i := range x {
			x[i] = wrap(mu + math.Pi*(2*rng.Float64()-1))
		}
		return
	}
	tau := 1 + math.Sqrt(1+4*k*k)
	rho := (tau - math.Sqrt(2*tau)) / (2 * k)
	r := (1 + rho*rho) / (2 * rho)
	for i := range x {
		var f float64
		for {
			u1, u2 := rng.Float64(), rng.Float64()
			z := math.Cos(math.Pi * u1)
			f = (1 + r*z) / (r + z)
			c := k * (r - f)
			if c*(2-c)-u2 > 0 || math.Log(c/u2)+1-c >= 0 {
				break
			}
		}
		a := math.Acos(math.Max(-1, math.Min(1, f)))
		if rng.Float64() < 0.5 {
			a = -a
		}
		x[i] = wrap(mu + a)
	}
}

// MatchMoments takes the circular mean and the circular variance 1 - R and
// returns mu = the mean and the kappa whose mean resultant length is
// about R.
func (VonMises) MatchMoments(mean, cov []float64) ([]float64, error) {
	if err := checkMoments(mean, cov); err != nil {
		return nil, err
	}
	return []float64{mean[0], math.Max(a1inv(1-cov[0]), 1e-3)}, nil
}
