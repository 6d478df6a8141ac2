package fit

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/target"
)

// Problem is what a fit minimizes: the divergence from the target masses P
// to the model family on the grid, over the unconstrained vector u with
// theta = Transform.Theta(u).
type Problem struct {
	Grid *grid.Grid
	// P holds the target masses, one per grid point (see target.Masses).
	P          []float64
	Family     dist.Family
	Divergence divergence.Divergence
	// Transform maps the optimizer's vector to the family's parameters:
	// dist.Identity{} for raw parameters, dist.Unconstrained(Family) for
	// unconstrained ones.
	Transform dist.Transform
	// Init holds the initial parameters theta.
	Init []float64
}

// Engine tunes how an objective is evaluated. The zero value is the
// default: the fastest path, on up to GOMAXPROCS threads for large grids.
// Results do not depend on Threads: they are identical to the bit.
type Engine struct {
	// Threads bounds the goroutines one evaluation uses; 0 means
	// runtime.GOMAXPROCS(0).
	Threads int
	// Plain disables the specialized passes (a normal or bivariate normal
	// model by recurrence, forward KL's passes for a mixture of normals
	// and a skew-normal, functions of the points cached per fit), for
	// checking them against the general one.
	Plain bool
}

// Objective evaluates a Problem's loss and gradient. It owns the buffers a
// fit needs, so that an evaluation allocates nothing. An Objective is not
// safe for concurrent use; Close releases its worker goroutines.
//
// The general pass works on fixed chunks of chunkSize grid points: chunk
// results (maxima, sums, gradient terms) are combined in chunk order, so
// results are identical to the bit whatever the number of threads.
type Objective struct {
	prob     *Problem
	validate func(theta []float64) error // dist.Validator of the family
	quad     *quadPass                   // the specialized 1-D pass, when one applies
	quad2    *quad2Pass                  // the specialized 2-D pass, when one applies
	// kl is the pass of a divergence and family that have one of their
	// own beyond forward KL's for the normal (a mixture of normals or a
	// skew-normal under forward KL, a normal under reverse KL, Rényi of
	// order below 1 or Hellinger); general, the general pass it hands an
	// evaluation it cannot do, made when first needed with eng.
	kl      klPass
	general *Objective
	eng     Engine
	theta   []float64
	gradT   []float64

	// The general pass's buffers. h is whole for divergences that are not
	// additive; additive ones use hWork, a chunk's worth per worker.
	logp, logq, q, h []float64
	hWork            [][]float64
	score            [][]float64
	chunks           []chunk
	pool             *pool
	phase            int       // which phase the workers run
	wantScore        bool      // whether this evaluation needs scores
	m, lz, hsum      float64   // global maximum, log-normalizer, sum of h
	gradParts        []float64 // per chunk, per parameter: sum h s (or (h - H q) s)
	qsParts          []float64 // per chunk, per parameter: sum q s
	additive         divergence.Additive
	logSum           divergence.LogSum
	logS, slope      float64 // a LogSum divergence's log S and F'(log S)

	// For a dist.Quadratic family on a 1-D grid, the general pass takes
	// the log-density b x + c x^2 = c d^2 + const, d = x - v with v the
	// vertex -b/(2c) (the form that keeps its precision for a narrow
	// model far from 0), from the line and its exponentials from the
	// recurrence (see line.fill), and in place of the family's scores the
	// terms d and d^2, whose gradient terms are mapped to the parameters'
	// through the derivatives of b and c: no exp and no family evaluation
	// per point.
	lfam    dist.Quadratic
	pcache  dist.PointCacher // the family, when it caches functions of the points
	lstart  float64          // the grid's first point
	lvert   float64          // v
	ldb     []float64
	ldc     []float64
	ln      line
	gradRaw []float64 // the gradient with respect to the score terms
	// mix, for a mixture of dist.Quadratic components on a 1-D grid, makes
	// the log-density by the components' recurrences and in place of the
	// scores the responsibilities, whose gradient terms it maps to the
	// parameters (see mixLine).
	mix *mixLine
	// gridLogSum is the log of the model's normalized density summed
	// over the grid at the last evaluation: times the cell size, its mass
	// on the grid (see checkGridMass). When gridHalfLogOf is not 0, the
	// log-sum is gridLogSum - log(gridHalfLogOf)/2, a log left to
	// checkGridMass, which rarely needs it (see gridLog).
	gridLogSum    float64
	gridHalfLogOf float64
	logWeight     float64 // log of the grid's cell size
}

// gridLog returns the log of the model's normalized density summed over
// the grid at the last evaluation.
func (o *Objective) gridLog() float64 {
	if o.gridHalfLogOf != 0 {
		return o.gridLogSum - 0.5*math.Log(o.gridHalfLogOf)
	}
	return o.gridLogSum
}

// chunk is one chunk's share of an evaluation.
type chunk struct {
	lo, hi int
	x, y   []float64   // the chunk's coordinates (y nil in 1-D)
	score  [][]float64 // the chunk's part of every score buffer
	cache  [][]float64 // the chunk's part of the family's point cache
	max    float64     // maximum of the family's log-density in the chunk
	sum    float64     // sum of exp(logq - max) in the chunk
	val    float64     // the chunk's share of an additive divergence
	hsum   float64     // the chunk's sum of h
	umax   float64     // a LogSum divergence's largest u_i in the chunk
	usum   float64     // and its sum of exp(u_i - umax)
	err    error       // the chunk's divergence error
}

// chunkSize is the number of grid points of a chunk.
const chunkSize = 4096

// parallelMin is the grid size from which the general pass uses more than
// one thread. Below it the cost of handing work to other goroutines (a few
// microseconds) exceeds the gain.
const parallelMin = 2 * chunkSize

// The phases of the general pass the workers run.
const (
	phaseEval       = iota // family log-density and scores, chunk max and sum
	phaseNormalize         // log Q and Q
	phaseGradient          // per-chunk gradient terms
	phaseAdditive          // log Q, Q, an additive divergence and gradient terms
	phaseTerms             // log Q, Q, a LogSum divergence's terms and chunk sums
	phaseLogSumGrad        // its h and the gradient terms
)

// NewObjective returns an Objective for prob with the default Engine.
func NewObjective(prob *Problem) *Objective { return NewObjectiveWith(prob, Engine{}) }

// NewObjectiveWith returns an Objective for prob evaluated as eng says,
// with its buffers allocated.
func NewObjectiveWith(prob *Problem, eng Engine) *Objective { return newObjective(prob, eng, true) }

// newObjective is NewObjectiveWith; without whole, the divergences that
// have passes of their own (forward KL, Rényi, Hellinger) take the
// general pass.
func newObjective(prob *Problem, eng Engine, whole bool) *Objective {
	threads := eng.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	n, k := prob.Grid.Len(), len(prob.Family.Params())
	o := &Objective{prob: prob, validate: dist.Validator(prob.Family), theta: make([]float64, k), gradT: make([]float64, k), logWeight: math.Log(prob.Grid.Weight)}
	if !eng.Plain && whole && isForwardKL(prob.Divergence) {
		if mx, ok := prob.Family.(*dist.Mixture); ok && prob.Grid.Dim() == 1 {
			if q, ok := mx.Component().(dist.Quadratic); ok {
				a := prob.Grid.Axes[0]
				o.kl = newMixKLPass(prob, newMixLine(mx, q, a.Start, a.Delta, a.N), threads)
				o.eng = eng
				return o
			}
		}
		if _, ok := prob.Family.(dist.SkewNormal); ok && prob.Grid.Dim() == 1 {
			o.kl = newSkewKLPass(prob, threads)
			o.eng = eng
			return o
		}
		if q, ok := prob.Family.(dist.Quadratic); ok && prob.Grid.Dim() == 1 {
			o.quad = newQuadPass(prob, q, threads)
			return o
		}
		if q, ok := prob.Family.(dist.Quadratic2D); ok && prob.Grid.Dim() == 2 {
			o.quad2 = newQuad2Pass(prob, q, threads)
			return o
		}
	}
	if _, rkl := prob.Divergence.(divergence.ReverseKL); rkl && !eng.Plain && whole && prob.Grid.Dim() == 1 {
		if q, ok := prob.Family.(dist.Quadratic); ok {
			o.kl = newRevPass(prob, q, threads)
			o.eng = eng
			return o
		}
	}
	if alpha, hell, ok := powerOrder(prob.Divergence); ok && !eng.Plain && whole && prob.Grid.Dim() == 1 {
		if q, ok := prob.Family.(dist.Quadratic); ok {
			o.kl = newRenyiPass(prob, q, alpha, hell, threads)
			o.eng = eng
			return o
		}
	}
	o.logp = make([]float64, n)
	for i, p := range prob.P {
		o.logp[i] = math.Log(p) // -Inf where p is 0: never read by 0 log 0 terms
	}
	o.logq, o.q = make([]float64, n), make([]float64, n)
	g := prob.Grid
	if q, ok := prob.Family.(dist.Quadratic); ok && !eng.Plain && g.Dim() == 1 {
		o.lfam, o.ldb, o.ldc = q, make([]float64, k), make([]float64, k)
		a := g.Axes[0]
		o.lstart = a.Start
		o.ln = line{step: a.Delta, n: a.N}
		k = 2
	}
	nraw := k
	if mx, ok := prob.Family.(*dist.Mixture); ok && !eng.Plain && g.Dim() == 1 {
		if q, ok := mx.Component().(dist.Quadratic); ok {
			a := g.Axes[0]
			o.mix = newMixLine(mx, q, a.Start, a.Delta, a.N)
			k = mx.Components() // the responsibilities
			nraw = 3 * k        // for each component, sums of g r, g r d, g r d^2
		}
	}
	if o.lfam != nil {
		nraw = 2
	}
	o.score = make([][]float64, k)
	for j := range o.score {
		if o.lfam == nil { // the line pass makes its terms on the way
			o.score[j] = make([]float64, n)
		}
	}
	o.gradRaw = make([]float64, nraw)
	for lo := 0; lo < n; lo += chunkSize {
		c := chunk{lo: lo, hi: min(lo+chunkSize, n)}
		c.x = g.X[c.lo:c.hi]
		if g.Y != nil {
			c.y = g.Y[c.lo:c.hi]
		}
		for _, sc := range o.score {
			if sc == nil {
				break
			}
			c.score = append(c.score, sc[c.lo:c.hi])
		}
		o.chunks = append(o.chunks, c)
	}
	if pc, ok := prob.Family.(dist.PointCacher); ok && o.lfam == nil && o.mix == nil && !eng.Plain {
		o.pcache = pc
		cache := pc.PointCache(g.X, g.Y)
		for i := range o.chunks {
			c := &o.chunks[i]
			for _, cs := range cache {
				c.cache = append(c.cache, cs[c.lo:c.hi])
			}
		}
	}
	o.gradParts = make([]float64, len(o.chunks)*nraw)
	workers := 1
	if threads > 1 && n >= parallelMin {
		workers = min(threads, len(o.chunks))
	}
	o.pool = newPool(workers, len(o.chunks), o.work)
	if a, ok := prob.Divergence.(divergence.Additive); ok {
		// h is used chunk by chunk: one chunk's worth a worker.
		o.additive = a
		o.qsParts = make([]float64, len(o.chunks)*nraw)
		o.hWork = make([][]float64, workers)
		for w := range o.hWork {
			o.hWork[w] = make([]float64, chunkSize)
		}
	} else {
		o.h = make([]float64, n)
		if ls, ok := prob.Divergence.(divergence.LogSum); ok {
			o.logSum = ls
			o.qsParts = make([]float64, len(o.chunks)*nraw)
		}
	}
	return o
}

func isForwardKL(d divergence.Divergence) bool {
	_, ok := d.(divergence.ForwardKL)
	return ok
}

// Close releases the objective's worker goroutines, if any.
func (o *Objective) Close() {
	if o.quad != nil {
		o.quad.close()
	}
	if o.quad2 != nil {
		o.quad2.close()
	}
	if o.kl != nil {
		o.kl.close()
	}
	if o.general != nil {
		o.general.Close()
	}
	if o.pool != nil {
		o.pool.close()
	}
}

// Workers returns the number of goroutines an evaluation runs on: 1 when
// one thread was asked for or the grid is too small to split.
func (o *Objective) Workers() int {
	if p := o.thePool(); p != nil {
		return len(p.workers)
	}
	return 1
}

// TeamShare returns the share of the evaluations so far that ran on more
// than one goroutine: the others ran on the calling one alone, because
// it was faster (another process holding a core; see pool). It is 0 when
// the evaluations are not split (Workers is 1).
func (o *Objective) TeamShare() float64 {
	if p := o.thePool(); p != nil {
		return p.teamShare()
	}
	return 0
}

// thePool returns the pool of the pass an evaluation takes, or nil.
func (o *Objective) thePool() *pool {
	switch {
	case o.quad != nil:
		return o.quad.pool
	case o.quad2 != nil:
		return o.quad2.pool
	case o.kl != nil:
		return o.kl.workers()
	}
	return o.pool
}

// Theta returns the parameters of the last evaluation. The slice is owned
// by the Objective and overwritten by the next evaluation.
func (o *Objective) Theta() []float64 { return o.theta }

// Eval returns the divergence at u and, when grad is not nil, stores its
// gradient with respect to u in grad.
//
// Special cases: a u whose parameters leave the family's domain returns a
// *DomainError; a model with no mass on the grid, or an infinite density,
// returns an error; an infinite divergence (the target has mass where the
// model has none) returns +Inf and a *SupportError naming the point.
func (o *Objective) Eval(u, grad []float64) (float64, error) {
	pr := o.prob
	pr.Transform.Theta(o.theta, u)
	if err := o.validate(o.theta); err != nil {
		return math.NaN(), &DomainError{Err: err}
	}
	if o.kl != nil {
		return o.evalKL(u, grad)
	}
	if o.quad != nil || o.quad2 != nil {
		var gradT []float64
		if grad != nil {
			gradT = o.gradT
		}
		var val float64
		if o.quad != nil {
			val = o.quad.eval(o.theta, gradT)
			o.gridLogSum, o.gridHalfLogOf = o.quad.logSum, o.quad.halfLogOf
		} else {
			val = o.quad2.eval(o.theta, gradT)
			o.gridLogSum, o.gridHalfLogOf = o.quad2.logSum, 0
		}
		if grad != nil {
			pr.Transform.PullBack(grad, u, o.theta, o.gradT)
		}
		return val, nil
	}
	if err := o.logNormalizer(grad != nil); err != nil {
		return math.NaN(), err
	}
	if o.additive != nil {
		return o.evalAdditive(u, grad)
	}
	if o.logSum != nil {
		return o.evalLogSum(u, grad)
	}
	o.runPhase(phaseNormalize)

	var h []float64
	if grad != nil {
		h = o.h
	}
	val, err := pr.Divergence.Eval(pr.P, o.logp, o.q, o.logq, h)
	if err != nil {
		return val, o.supportError(err, 0)
	}
	if grad == nil {
		return val, nil
	}
	// dD/dtheta_k = sum_i h_i (s_ki - sbar_k) = sum_i (h_i - H q_i) s_ki,
	// with H = sum_i h_i and sbar_k = sum_i q_i s_ki.
	o.hsum = 0
	for _, v := range h {
		o.hsum += v
	}
	o.runPhase(phaseGradient)
	k := len(o.gradRaw)
	clear(o.gradRaw)
	for c := range o.chunks {
		for j := range k {
			o.gradRaw[j] += o.gradParts[c*k+j]
		}
	}
	o.toParams()
	pr.Transform.PullBack(grad, u, o.theta, o.gradT)
	return val, nil
}

// klPass is the pass of a divergence and family that have one of their
// own: it evaluates what it can and says when it cannot.
type klPass interface {
	// eval returns the loss at theta and stores dKL/dtheta in gradT
	// (when not nil); ok is false when the pass cannot tell.
	eval(theta, gradT []float64) (loss float64, ok bool)
	// gridLog returns the log of the model's density summed over the
	// grid at the last evaluation that succeeded, as sum - log(halfLogOf)/2
	// (halfLogOf 0: the log is sum; see Objective.gridLog).
	gridLog() (sum, halfLogOf float64)
	workers() *pool
	close()
}

// evalKL evaluates the divergence by the pass of its own, or by the
// general one when that pass cannot.
func (o *Objective) evalKL(u, grad []float64) (float64, error) {
	var gradT []float64
	if grad != nil {
		gradT = o.gradT
	}
	if val, ok := o.kl.eval(o.theta, gradT); ok {
		o.gridLogSum, o.gridHalfLogOf = o.kl.gridLog()
		if grad != nil {
			o.prob.Transform.PullBack(grad, u, o.theta, o.gradT)
		}
		return val, nil
	}
	return o.evalGeneral(u, grad)
}

// evalGeneral evaluates by the general pass what a pass of its own
// could not.
func (o *Objective) evalGeneral(u, grad []float64) (float64, error) {
	if o.general == nil {
		o.general = newObjective(o.prob, o.eng, false)
	}
	val, err := o.general.Eval(u, grad)
	o.gridLogSum, o.gridHalfLogOf = o.general.gridLogSum, o.general.gridHalfLogOf
	return val, err
}

// logNormalizer evaluates the family (and its scores when wantScore is
// set) on every chunk at o.theta and sets the log-normalizer o.lz of
// log Q_i = l_i - logsumexp(l), with each chunk's maximum and sum combined
// in chunk order. The uniform grid weight cancels.
func (o *Objective) logNormalizer(wantScore bool) error {
	o.wantScore = wantScore
	var lnorm float64 // the log-density's log normalizing constant, when it is left out
	if o.lfam != nil {
		b, c := o.lfam.Quadratic(o.theta, 0, o.ldb, o.ldc)
		lnorm = 0.5 * math.Log(math.Pi/-c) // the integral of exp(c d^2)
		o.lvert = -b / (2 * c)
		o.ln.set(0, c, o.lstart-o.lvert, o.ln.step, o.ln.n)
	}
	if o.mix != nil {
		o.mix.set(o.theta)
	}
	o.runPhase(phaseEval)
	m := math.Inf(-1)
	for _, c := range o.chunks {
		if c.max > m || c.max != c.max {
			m = c.max
		}
	}
	if math.IsInf(m, -1) {
		return errors.New("the model has no mass on the grid")
	}
	if math.IsInf(m, 1) || math.IsNaN(m) {
		i := firstNotFinite(o.logq)
		return fmt.Errorf("the model's log-density is %v at %s", o.logq[i], target.PointString(o.prob.Grid, i))
	}
	var z float64
	for _, c := range o.chunks {
		z += c.sum * math.Exp(c.max-m)
	}
	o.m, o.lz = m, m+math.Log(z)
	o.gridLogSum, o.gridHalfLogOf = o.lz-lnorm, 0
	return nil
}

// evalAdditive finishes an evaluation for an additive divergence: one
// parallel pass normalizes each chunk, evaluates the divergence on it and
// sums the gradient terms sum h s and sum q s, and
// dD/dtheta_k = sum_i h_i s_ki - H sum_i q_i s_ki.
func (o *Objective) evalAdditive(u, grad []float64) (float64, error) {
	o.wantScore = grad != nil
	o.runPhase(phaseAdditive)
	var val float64
	o.hsum = 0
	for _, c := range o.chunks {
		if c.err != nil {
			return math.Inf(1), o.supportError(c.err, c.lo)
		}
		val += c.val
		o.hsum += c.hsum
	}
	if grad == nil {
		return val, nil
	}
	o.combineSums()
	o.prob.Transform.PullBack(grad, u, o.theta, o.gradT)
	return val, nil
}

// combineSums sets the gradient with respect to theta from the chunks'
// sums of h s and q s, combined in chunk order, and o.hsum:
// dD/dtheta_k = sum_i h_i s_ki - H sum_i q_i s_ki.
func (o *Objective) combineSums() {
	k := len(o.gradRaw)
	for j := range k {
		var hs, qs float64
		for c := range o.chunks {
			hs += o.gradParts[c*k+j]
			qs += o.qsParts[c*k+j]
		}
		o.gradRaw[j] = hs - o.hsum*qs
	}
	o.toParams()
}

// evalLogSum finishes an evaluation for a LogSum divergence in two
// parallel passes: the first normalizes each chunk and stores
// exp(u_i - the chunk's largest u) in h, with its sum; log S combines
// the chunks in order; the second scales h to F'(log S) exp(u_i - log S)
// and sums the gradient terms.
func (o *Objective) evalLogSum(u, grad []float64) (float64, error) {
	o.runPhase(phaseTerms)
	m := math.Inf(-1)
	for _, c := range o.chunks {
		if c.err != nil {
			return math.Inf(1), o.supportError(c.err, c.lo)
		}
		m = max(m, c.umax)
	}
	if math.IsInf(m, -1) || math.IsNaN(m) {
		// No common support, or a bad term: the divergence says which.
		val, err := o.prob.Divergence.Eval(o.prob.P, o.logp, o.q, o.logq, nil)
		if err != nil {
			return val, o.supportError(err, 0)
		}
		return val, nil
	}
	var s float64
	for _, c := range o.chunks {
		if !math.IsInf(c.umax, -1) {
			s += c.usum * math.Exp(c.umax-m)
		}
	}
	o.logS = m + math.Log(s)
	val, slope := o.logSum.Finish(o.logS)
	if grad == nil {
		return val, nil
	}
	o.slope = slope
	o.runPhase(phaseLogSumGrad)
	o.hsum = 0
	for _, c := range o.chunks {
		o.hsum += c.hsum
	}
	o.combineSums()
	o.prob.Transform.PullBack(grad, u, o.theta, o.gradT)
	return val, nil
}

// toParams sets the gradient with respect to theta from gradRaw: a copy,
// or for a quadratic family, whose log-density is b2 d + c d^2 plus a
// constant with d = x - v (v = lvert, held fixed) and b2 = b + 2 c v
// (0 at theta, not its derivative), dD/dtheta_k = gradRaw[0] db2/dtheta_k
// + gradRaw[1] dc/dtheta_k (the constant's derivative multiplies
// sum (h - H q) = 0).
func (o *Objective) toParams() {
	if o.mix != nil {
		o.mix.gradient(o.gradT, o.gradRaw)
		return
	}
	if o.lfam == nil {
		copy(o.gradT, o.gradRaw)
		return
	}
	v := o.lvert
	for k := range o.gradT {
		o.gradT[k] = o.gradRaw[0]*(o.ldb[k]+2*v*o.ldc[k]) + o.gradRaw[1]*o.ldc[k]
	}
}

// supportError turns a divergence's error into the engine's, naming the
// grid point of a *divergence.SupportError whose index is relative to
// offset.
func (o *Objective) supportError(err error, offset int) error {
	var se *divergence.SupportError
	if errors.As(err, &se) {
		return &SupportError{Point: target.PointString(o.prob.Grid, offset+se.Index), Reason: se.Reason}
	}
	return err
}

// runPhase runs one phase of the general pass over every chunk, on the
// worker pool.
func (o *Objective) runPhase(phase int) {
	o.phase = phase
	o.pool.run(phase)
}

// work runs the current phase on chunk ci with worker w's buffers.
func (o *Objective) work(w, ci int) {
	pr := o.prob
	k := len(o.gradRaw)
	c := &o.chunks[ci]
	lo, hi := c.lo, c.hi
	switch o.phase {
	case phaseEval:
		if o.lfam != nil {
			c.max, c.sum = o.ln.fill(o.logq[lo:hi], o.q[lo:hi], lo)
			return
		}
		if o.mix != nil {
			c.max, c.sum = o.mix.fill(o.logq[lo:hi], o.q[lo:hi], c.score, lo)
			return
		}
		var score [][]float64
		if o.wantScore {
			score = c.score
		}
		if o.pcache != nil {
			o.pcache.EvalCached(o.theta, c.x, c.y, c.cache, o.logq[lo:hi], score)
		} else {
			pr.Family.Eval(o.theta, c.x, c.y, o.logq[lo:hi], score)
		}
		mx := math.Inf(-1)
		for _, l := range o.logq[lo:hi] {
			if l > mx || l != l { // NaN wins, to be reported
				mx = l
			}
		}
		c.max = mx
		if math.IsInf(mx, 0) || math.IsNaN(mx) {
			c.sum = 0
			return
		}
		var sum float64
		for i, l := range o.logq[lo:hi] {
			e := anchorExp(l - mx) // the table exp: within 0.55 ulp, half math.Exp's cost
			o.q[lo+i] = e
			sum += e
		}
		c.sum = sum
	case phaseNormalize:
		scale := math.Exp(c.max - o.lz)
		if math.IsInf(c.max, -1) {
			scale = 0
		}
		for i := lo; i < hi; i++ {
			o.logq[i] -= o.lz
			o.q[i] *= scale
		}
	case phaseGradient:
		parts := o.gradParts[ci*k : (ci+1)*k]
		if o.lfam != nil {
			var a, b float64
			for i := lo; i < hi; i++ {
				d := o.ln.start + float64(i)*o.ln.step
				t := (o.h[i] - o.hsum*o.q[i]) * d
				a += t
				b += t * d
			}
			parts[0], parts[1] = a, b
			return
		}
		if o.mix != nil {
			for j, r := range c.score {
				l := &o.mix.lines[j]
				var a, b, e float64
				for i := lo; i < hi; i++ {
					d := l.start + float64(i)*l.step
					t := (o.h[i] - o.hsum*o.q[i]) * r[i-lo]
					a += t
					t *= d
					b += t
					e += t * d
				}
				parts[3*j], parts[3*j+1], parts[3*j+2] = a, b, e
			}
			return
		}
		for j, s := range o.score {
			var acc float64
			for i := lo; i < hi; i++ {
				acc += (o.h[i] - o.hsum*o.q[i]) * s[i]
			}
			parts[j] = acc
		}
	case phaseAdditive:
		logq, q := o.logq[lo:hi], o.q[lo:hi]
		o.normalizeChunk(c, logq, q)
		var h []float64
		if o.wantScore {
			h = o.hWork[w][:hi-lo]
		}
		c.val, c.err = o.additive.Eval(pr.P[lo:hi], o.logp[lo:hi], q, logq, h)
		if !o.wantScore || c.err != nil {
			return
		}
		o.gradSums(ci, h, q)
	case phaseTerms:
		logq, q := o.logq[lo:hi], o.q[lo:hi]
		o.normalizeChunk(c, logq, q)
		u := o.h[lo:hi]
		if c.err = o.logSum.Terms(pr.P[lo:hi], o.logp[lo:hi], q, logq, u); c.err != nil {
			return
		}
		mx := math.Inf(-1)
		for _, v := range u {
			if v > mx || v != v {
				mx = v
			}
		}
		c.umax, c.usum = mx, 0
		if math.IsInf(mx, -1) {
			clear(u) // no term: h is 0 here
			return
		}
		if math.IsInf(mx, 1) || math.IsNaN(mx) {
			return
		}
		var sum float64
		for i, v := range u {
			e := anchorExp(v - mx)
			u[i] = e
			sum += e
		}
		c.usum = sum
	case phaseLogSumGrad:
		h := o.h[lo:hi]
		f := 0.0
		if !math.IsInf(c.umax, -1) {
			f = o.slope * math.Exp(c.umax-o.logS)
		}
		for i := range h {
			h[i] *= f
		}
		o.gradSums(ci, h, o.q[lo:hi])
	}
}

// normalizeChunk turns the chunk's log-density and exp(l - chunk max)
// into log Q and Q.
func (o *Objective) normalizeChunk(c *chunk, logq, q []float64) {
	scale := math.Exp(c.max - o.lz)
	if math.IsInf(c.max, -1) {
		scale = 0
	}
	for i := range logq {
		logq[i] -= o.lz
		q[i] *= scale
	}
}

// gradSums stores chunk ci's sum of h, and its sums of h s and q s for
// every score s.
func (o *Objective) gradSums(ci int, h, q []float64) {
	c := &o.chunks[ci]
	k := len(o.gradRaw)
	hs, qs := o.gradParts[ci*k:(ci+1)*k], o.qsParts[ci*k:(ci+1)*k]
	lo := c.lo
	if o.lfam != nil {
		// The score terms d and d^2, d = x - v, made on the way.
		var hsum, h1, h2, q1, q2 float64
		for i, v := range h {
			d := o.ln.start + float64(lo+i)*o.ln.step
			hsum += v
			hd, qd := v*d, q[i]*d
			h1 += hd
			h2 += hd * d
			q1 += qd
			q2 += qd * d
		}
		c.hsum, hs[0], hs[1], qs[0], qs[1] = hsum, h1, h2, q1, q2
		return
	}
	var hsum float64
	for _, v := range h {
		hsum += v
	}
	c.hsum = hsum
	if o.mix != nil {
		o.mix.gradSums(hs, qs, lo, h, q, c.score)
		return
	}
	for j, s := range c.score {
		var a, b float64
		for i, v := range h {
			a += v * s[i]
			b += q[i] * s[i]
		}
		hs[j], qs[j] = a, b
	}
}

func firstNotFinite(v []float64) int {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return i
		}
	}
	return 0
}

// DomainError reports parameters outside the family's domain, as happens
// when a raw-parameter step takes a variance below zero.
type DomainError struct {
	Err error
}

// Error implements error.
func (e *DomainError) Error() string { return "parameters left their domain: " + e.Err.Error() }

// Unwrap returns the underlying *dist.ParamError.
func (e *DomainError) Unwrap() error { return e.Err }

// SupportError reports an infinite divergence caused by disjoint supports.
type SupportError struct {
	// Point names the first grid point where the supports disagree.
	Point  string
	Reason string
}

// Error implements error.
func (e *SupportError) Error() string {
	return "the divergence is +Inf: " + e.Reason + " (at " + e.Point + ")"
}

// The bounds of a model's mass on the grid outside which a state is not
// usable (see GridError): below MinGridMass the grid holds only a sliver
// of the model's tail, above MaxGridMass the model is so much narrower
// than a cell that the grid's sum no longer measures it. Between them the
// grid-normalized model the divergence compares is the model itself, up to
// what lies off the grid.
const (
	MinGridMass = 1e-3
	MaxGridMass = 10
)

// GridError reports a model that no longer lies on the grid: the
// divergence compares the grid-normalized model with the target, and with
// almost none of the model's mass on the grid (or a model narrower than
// the cells) that comparison says nothing about the model.
type GridError struct {
	// Mass is the model's density summed over the grid times the cell
	// size: its probability of the grid's range, when the grid resolves it.
	Mass float64
	// LogMass is the natural logarithm of Mass, which may be far below
	// the smallest float64.
	LogMass float64
	// Range describes the grid's range, e.g. "[-10, 9.9]".
	Range string
}

// Error implements error.
func (e *GridError) Error() string {
	if e.Mass > 1 {
		return fmt.Sprintf("the model is narrower than the grid's cells (its density sums to %.3g on the grid, not 1): use a finer grid, a smaller learning rate or on_divergence: backtrack", e.Mass)
	}
	mass := fmt.Sprintf("%.3g%%", 100*e.Mass)
	if e.Mass == 0 {
		mass = fmt.Sprintf("1e%.0f", e.LogMass/math.Ln10)
	}
	return fmt.Sprintf("the model has left the grid: only %s of its mass lies on %s; use a smaller learning rate, on_divergence: backtrack, or a wider grid", mass, e.Range)
}

// checkGridMass returns a *GridError when the last evaluation's model
// does not lie on the grid (see MinGridMass).
func (o *Objective) checkGridMass() error {
	if y := o.gridHalfLogOf; y != 0 {
		// log y lies in [(e-1) log 2, e log 2) for y = f 2^e, f in
		// [1/2, 1): when that range of the log-mass is inside the
		// bounds, the log is not needed.
		_, e := math.Frexp(y)
		base := o.gridLogSum + o.logWeight
		if base-0.5*float64(e)*math.Ln2 >= logMinGridMass && base-0.5*float64(e-1)*math.Ln2 <= logMaxGridMass {
			return nil
		}
	}
	logMass := o.gridLog() + o.logWeight
	if logMass >= logMinGridMass && logMass <= logMaxGridMass {
		return nil
	}
	return &GridError{Mass: math.Exp(logMass), LogMass: logMass, Range: gridRange(o.prob.Grid)}
}

// The logarithms of MinGridMass and MaxGridMass.
var logMinGridMass, logMaxGridMass = math.Log(MinGridMass), math.Log(MaxGridMass)

// gridRange describes a grid's range for messages.
func gridRange(g *grid.Grid) string {
	var parts []string
	for _, a := range g.Axes {
		parts = append(parts, fmt.Sprintf("[%.6g, %.6g]", a.Start, a.Start+float64(a.N-1)*a.Delta))
	}
	return strings.Join(parts, " x ")
}
