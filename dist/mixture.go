package dist

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"gonum.org/v1/gonum/stat/distuv"
)

// MaxComponents bounds the number of components of a mixture.
const MaxComponents = 100

// Mixture is a finite mixture of K members of one component family:
//
//	q(x) = sum_c w_c q_c(x; theta_c),  w on the simplex
//
// Users write its parameters as weights: [w_1, ..., w_K] and, for each of
// the component's parameters, a list of K values (mean: [-3, 3],
// covariance: [[[1, 0], [0, 1]], [[2, 0], [0, 2]]]). Its parameter vector
// is the weights, then each component parameter for every component in
// turn, named weights[c], mean[c], covariance[c][0][1], and so on. With
// r_c(x) = w_c q_c(x)/q(x) the responsibility of component c,
//
//	d log q / d w_c     = q_c(x)/q(x)
//	d log q / d theta_c = r_c(x) s_c(x)
//
// where s_c is the component's own score. The weights' derivatives are
// those of the unconstrained function of w: the softmax of the
// unconstrained parameterization keeps them on the simplex. The
// log-density is a log-sum-exp, so a point far in a tail does not
// underflow while any component has mass there.
//
// A Mixture is safe for concurrent use.
type Mixture struct {
	comp   Family
	k, m   int
	params []Param
	blocks []Block
	idx    [][]int // idx[c][t]: index in theta of component c's parameter t
	pool   sync.Pool
}

// mixScratch holds an evaluation's buffers.
type mixScratch struct {
	ct  [][]float64 // each component's parameters
	cs  [][]float64 // the score slices of one component
	buf []float64
}

// NewMixture returns the mixture of k members of the component family.
// Errors are *ConfigError values.
func NewMixture(component Family, k int) (*Mixture, error) {
	if k < 1 || k > MaxComponents {
		return nil, &ConfigError{Key: "components", Msg: fmt.Sprintf("must be between 1 and %d, got %d", MaxComponents, k)}
	}
	switch component.(type) {
	case *Mixture, *Categorical:
		return nil, &ConfigError{Key: "component", Msg: fmt.Sprintf("a mixture's components cannot be %s: choose a parametric family", component.Name())}
	}
	cp := component.Params()
	mx := &Mixture{comp: component, k: k, m: len(cp)}
	mx.blocks = []Block{{Name: "weights", Shape: []int{k}, Constraint: Simplex}}
	for c := 0; c < k; c++ {
		mx.params = append(mx.params, Param{Name: fmt.Sprintf("weights[%d]", c), Constraint: Simplex})
	}
	mx.idx = make([][]int, k)
	for c := range mx.idx {
		mx.idx[c] = make([]int, len(cp))
	}
	off := 0 // offset of the block in the component's theta
	for _, b := range Blocks(component) {
		mx.blocks = append(mx.blocks, Block{Name: b.Name, Shape: append([]int{k}, b.Shape...), Constraint: b.Constraint})
		e := b.Entries()
		for c := 0; c < k; c++ {
			for t := 0; t < e; t++ {
				mx.idx[c][off+t] = len(mx.params)
				p := cp[off+t]
				mx.params = append(mx.params, Param{Name: indexed(p.Name, c), Constraint: p.Constraint})
			}
		}
		off += e
	}
	if off != len(cp) {
		panic(fmt.Sprintf("dist: the blocks of %s cover %d of its %d parameters", component.Name(), off, len(cp)))
	}
	mx.pool.New = func() any {
		s := &mixScratch{ct: make([][]float64, k), cs: make([][]float64, mx.m)}
		for c := range s.ct {
			s.ct[c] = make([]float64, mx.m)
		}
		return s
	}
	return mx, nil
}

func init() {
	RegisterMaker(Maker{
		Name:        "mixture",
		Description: "K weighted components of one family (keys components and component); each component parameter becomes a list of K values",
		Support:     "the component's",
		Params:      []Block{{Name: "weights", Constraint: Simplex}},
		New: func(c Config) (Family, error) {
			if c.Component == "" {
				return nil, &ConfigError{Key: "component", Msg: "required: the family of the components, e.g. normal"}
			}
			if IsMade(c.Component) {
				return nil, &ConfigError{Key: "component", Msg: fmt.Sprintf("a mixture's components cannot be %s: choose a parametric family", c.Component)}
			}
			comp, err := Lookup(c.Component)
			if err != nil {
				return nil, &ConfigError{Key: "component", Msg: err.Error(), Err: err}
			}
			return NewMixture(comp, c.Components)
		},
	})
}

// Name returns "mixture".
func (mx *Mixture) Name() string { return "mixture" }

// Description returns a one-line description.
func (mx *Mixture) Description() string {
	return fmt.Sprintf("mixture of %d %s components", mx.k, mx.comp.Name())
}

// Dim returns the component family's dimension.
func (mx *Mixture) Dim() int { return mx.comp.Dim() }

// Params returns the weights and the components' parameters. The slice is
// shared: do not modify it.
func (mx *Mixture) Params() []Param { return mx.params }

// Blocks returns weights (a list of K numbers on the simplex) and each
// component parameter with a leading dimension of K. The slice is shared:
// do not modify it.
func (mx *Mixture) Blocks() []Block { return mx.blocks }

// Support returns the component family's support.
func (mx *Mixture) Support() string { return mx.comp.Support() }

// Circular reports whether the components live on the circle.
func (mx *Mixture) Circular() bool { return IsCircular(mx.comp) }

// Component returns the component family.
func (mx *Mixture) Component() Family { return mx.comp }

// Components returns the number of components K.
func (mx *Mixture) Components() int { return mx.k }

// ComponentTheta stores component c's parameters, taken from the mixture's
// theta, in dst (allocated if nil) and returns it.
func (mx *Mixture) ComponentTheta(dst, theta []float64, c int) []float64 {
	if dst == nil {
		dst = make([]float64, mx.m)
	}
	for t, i := range mx.idx[c] {
		dst[t] = theta[i]
	}
	return dst
}

// ParamIndex returns the index in the mixture's theta of component c's
// parameter t (t indexes the component family's Params).
func (mx *Mixture) ParamIndex(c, t int) int { return mx.idx[c][t] }

// Theta returns the mixture's parameter vector made of the weights and each
// component's parameters.
func (mx *Mixture) Theta(weights []float64, components [][]float64) []float64 {
	theta := make([]float64, len(mx.params))
	copy(theta, weights)
	for c, ct := range components {
		for t, i := range mx.idx[c] {
			theta[i] = ct[t]
		}
	}
	return theta
}

// Validate checks that the weights are on the simplex and every component's
// parameters in its domain. Component errors name the component:
// variance[2] must be > 0.
func (mx *Mixture) Validate(theta []float64) error {
	if err := checkSimplex("weights", theta[:mx.k]); err != nil {
		return err
	}
	s := mx.pool.Get().(*mixScratch)
	defer mx.pool.Put(s)
	for c := 0; c < mx.k; c++ {
		ct := mx.ComponentTheta(s.ct[c], theta, c)
		if err := Validate(mx.comp, ct); err != nil {
			var pe *ParamError
			var ce *ConstraintError
			switch {
			case errors.As(err, &pe):
				return &ParamError{Param: indexed(pe.Param, c), Value: pe.Value, Msg: pe.Msg}
			case errors.As(err, &ce):
				return &ConstraintError{Param: indexed(ce.Param, c), Msg: ce.Msg}
			}
			return fmt.Errorf("component %d: %w", c, err)
		}
	}
	return nil
}

// Eval implements Family. Each component is evaluated once, with its
// scores when they are wanted, into its own buffer; then one pass per
// point takes the log-sum-exp of log w_c + log q_c (K exponentials and one
// logarithm) and turns the same exponentials into the responsibilities
// r_c = w_c q_c / q that weigh the components' scores.
func (mx *Mixture) Eval(theta, x, y, logp []float64, score [][]float64) {
	n, k := len(x), mx.k
	logp = logp[:n]
	s := mx.pool.Get().(*mixScratch)
	defer mx.pool.Put(s)
	if cap(s.buf) < k*n {
		s.buf = make([]float64, k*n)
	}
	comp := func(c int) []float64 { return s.buf[c*n : (c+1)*n] }
	for c := range k {
		mx.ComponentTheta(s.ct[c], theta, c)
		var cs [][]float64
		if score != nil {
			for t, i := range mx.idx[c] {
				s.cs[t] = score[i][:n]
			}
			cs = s.cs
		}
		mx.comp.Eval(s.ct[c], x, y, comp(c), cs)
		lw := math.Log(theta[c])
		for i, l := range comp(c) {
			comp(c)[i] = lw + l
		}
	}
	clear(s.cs)
	for i := range logp {
		m, cm := math.Inf(-1), 0
		for c := range k {
			if v := s.buf[c*n+i]; v > m {
				m, cm = v, c
			}
		}
		if math.IsInf(m, -1) { // no component has mass here
			logp[i] = m
			for c := range k {
				s.buf[c*n+i] = 0
			}
			continue
		}
		// The largest term is exp(0) = 1: K-1 exponentials.
		var sum float64
		for c := range k {
			e := 1.0
			if c != cm {
				e = math.Exp(s.buf[c*n+i] - m)
			}
			s.buf[c*n+i] = e
			sum += e
		}
		logp[i] = m + math.Log(sum)
		inv := 1 / sum
		for c := range k {
			s.buf[c*n+i] *= inv // the responsibility r_c
		}
	}
	if score == nil {
		return
	}
	for c := range k {
		r := comp(c)
		w := theta[c]
		// d log q/d w_c = q_c/q = r_c/w_c; d log q/d theta_c = r_c s_c.
		sw := score[c][:n]
		for i, v := range r {
			sw[i] = v / w
		}
		for _, j := range mx.idx[c] {
			sc := score[j][:n]
			for i, v := range r {
				sc[i] *= v
			}
		}
	}
}

// Unconstrained returns the softmax of K unconstrained numbers for the
// weights and the component's own unconstrained transform for each
// component. The transform keeps buffers: it is not safe for concurrent
// use.
func (mx *Mixture) Unconstrained() Transform {
	return &mixtureTransform{mx: mx, comp: Unconstrained(mx.comp),
		a: make([]float64, mx.m), b: make([]float64, mx.m), c: make([]float64, mx.m), d: make([]float64, mx.m)}
}

// Clone implements Cloner: the transform keeps scratch buffers.
func (t *mixtureTransform) Clone() Transform {
	comp := t.comp
	if c, ok := comp.(Cloner); ok {
		comp = c.Clone()
	}
	m := t.mx.m
	return &mixtureTransform{mx: t.mx, comp: comp, a: make([]float64, m), b: make([]float64, m), c: make([]float64, m), d: make([]float64, m)}
}

type mixtureTransform struct {
	mx         *Mixture
	comp       Transform
	a, b, c, d []float64
}

func (t *mixtureTransform) gather(dst, src []float64, c int) {
	for j, i := range t.mx.idx[c] {
		dst[j] = src[i]
	}
}

func (t *mixtureTransform) scatter(dst, src []float64, c int) {
	for j, i := range t.mx.idx[c] {
		dst[i] = src[j]
	}
}

func (t *mixtureTransform) Theta(theta, u []float64) {
	k := t.mx.k
	softmax(theta[:k], u[:k])
	for c := 0; c < k; c++ {
		t.gather(t.a, u, c)
		t.comp.Theta(t.b, t.a)
		t.scatter(theta, t.b, c)
	}
}

func (t *mixtureTransform) U(u, theta []float64) {
	k := t.mx.k
	softmaxInverse(u[:k], theta[:k])
	for c := 0; c < k; c++ {
		t.gather(t.a, theta, c)
		t.comp.U(t.b, t.a)
		t.scatter(u, t.b, c)
	}
}

func (t *mixtureTransform) PullBack(gradU, u, theta, gradTheta []float64) {
	k := t.mx.k
	softmaxPullBack(gradU[:k], theta[:k], gradTheta[:k])
	for c := 0; c < k; c++ {
		t.gather(t.a, u, c)
		t.gather(t.b, theta, c)
		t.gather(t.c, gradTheta, c)
		t.comp.PullBack(t.d, t.a, t.b, t.c)
		t.scatter(gradU, t.d, c)
	}
}

// Mean returns sum_c w_c mean_c for 1-D components with a mean (NaN
// otherwise, and for circular components).
func (mx *Mixture) Mean(theta []float64) float64 {
	m, _ := mx.moments(theta)
	return m
}

// Variance returns sum_c w_c (var_c + mean_c^2) - mean^2 for 1-D components
// with a variance (NaN otherwise, and for circular components).
func (mx *Mixture) Variance(theta []float64) float64 {
	_, v := mx.moments(theta)
	return v
}

func (mx *Mixture) moments(theta []float64) (mean, variance float64) {
	mo, ok := mx.comp.(Moments)
	if !ok || mx.Circular() || mx.Dim() != 1 {
		return math.NaN(), math.NaN()
	}
	var m1, m2 float64
	ct := make([]float64, mx.m)
	for c := 0; c < mx.k; c++ {
		mx.ComponentTheta(ct, theta, c)
		mc, vc := mo.Mean(ct), mo.Variance(ct)
		m1 += theta[c] * mc
		m2 += theta[c] * (vc + mc*mc)
	}
	return m1, m2 - m1*m1
}

// MeanVector returns sum_c w_c mean_c for 2-D components with moments (nil
// otherwise).
func (mx *Mixture) MeanVector(theta []float64) []float64 {
	m, _ := mx.vectorMoments(theta)
	return m
}

// Covariance returns sum_c w_c (cov_c + mean_c mean_c^T) - mean mean^T for
// 2-D components with moments (nil otherwise).
func (mx *Mixture) Covariance(theta []float64) []float64 {
	_, cv := mx.vectorMoments(theta)
	return cv
}

func (mx *Mixture) vectorMoments(theta []float64) (mean, cov []float64) {
	vm, ok := mx.comp.(VectorMoments)
	if !ok {
		return nil, nil
	}
	mean, cov = make([]float64, 2), make([]float64, 4)
	ct := make([]float64, mx.m)
	for c := 0; c < mx.k; c++ {
		mx.ComponentTheta(ct, theta, c)
		mc, cc := vm.MeanVector(ct), vm.Covariance(ct)
		w := theta[c]
		for i := range 2 {
			mean[i] += w * mc[i]
			for j := range 2 {
				cov[2*i+j] += w * (cc[2*i+j] + mc[i]*mc[j])
			}
		}
	}
	for i := range 2 {
		for j := range 2 {
			cov[2*i+j] -= mean[i] * mean[j]
		}
	}
	return mean, cov
}

// Sample draws a component by its weight (with gonum's
// distuv.Categorical), then a point from it, for every point. It panics
// if the component family is not a Sampler.
func (mx *Mixture) Sample(theta []float64, src rand.Source, x, y []float64) {
	smp, ok := mx.comp.(Sampler)
	if !ok {
		panic("dist: the " + mx.comp.Name() + " family cannot sample")
	}
	cat := distuv.NewCategorical(theta[:mx.k], src)
	ct := make([][]float64, mx.k)
	for c := range ct {
		ct[c] = mx.ComponentTheta(nil, theta, c)
	}
	for i := range x {
		c := int(cat.Rand())
		var yi []float64
		if y != nil {
			yi = y[i : i+1]
		}
		smp.Sample(ct[c], src, x[i:i+1], yi)
	}
}

// Guess spreads the components over the target: it splits the target's
// mass into K slices of equal mass along its main axis (x in 1-D, the
// leading principal axis in 2-D) and starts each component at the member
// matching its slice's moments, weighted by the slice's mass.
func (mx *Mixture) Guess(x, y, p []float64) ([]float64, error) {
	mm, ok := mx.comp.(MomentMatcher)
	if !ok {
		return nil, fmt.Errorf("the %s family cannot choose its own starting point", mx.comp.Name())
	}
	circ := mx.Circular()
	_, all, err := weightedMoments(x, y, p, nil, circ)
	if err != nil {
		return nil, err
	}
	groups, err := slices(x, y, p, mx.k)
	if err != nil {
		return nil, err
	}
	weights := make([]float64, mx.k)
	comps := make([][]float64, mx.k)
	var total float64
	for c, g := range groups {
		mean, cov, err := weightedMoments(x, y, p, g, circ)
		if err != nil {
			return nil, err
		}
		// A slice of a few points can have a (near) zero variance.
		if len(cov) == 1 {
			cov[0] = math.Max(cov[0], 1e-4*all[0])
		} else {
			cov[0] = math.Max(cov[0], 1e-4*all[0])
			cov[3] = math.Max(cov[3], 1e-4*all[3])
		}
		if comps[c], err = mm.MatchMoments(mean, cov); err != nil {
			return nil, fmt.Errorf("component %d: %w", c, err)
		}
		for _, i := range g {
			weights[c] += p[i]
		}
		total += weights[c]
	}
	for c := range weights {
		weights[c] /= total
	}
	theta := mx.Theta(weights, comps)
	if err := Validate(mx, theta); err != nil {
		return nil, err
	}
	return theta, nil
}
