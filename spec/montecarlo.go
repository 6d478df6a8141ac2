package spec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/internal/plural"
	"github.com/klfit/klfit/internal/psis"
	"github.com/klfit/klfit/target"
	"github.com/klfit/klfit/vi"
)

// Estimator says how a fit estimates its divergence: "grid" (a sum over
// the grid's points, the default wherever a grid is given or chosen) or
// "monte_carlo" (an average over draws, in any dimension; see package
// vi):
//
//	estimator: {name: monte_carlo, samples: 256, seed: 0, resample: false, qmc: false}
//
// Samples is the number of draws S (default vi.DefaultSamples), Seed
// seeds them (default 0, a seed like any other: the same seed gives the
// same fit to the bit, on any number of threads), Resample draws afresh
// at each epoch, for a stochastic optimizer such as Adam (by default the
// draws are fixed for the whole fit, so L-BFGS converges to a definite
// optimum), and QMC makes the draws randomized quasi-Monte Carlo points.
// A fit from a samples file (target columns) makes no draws: its loss is
// exact given the samples' mean and covariance, and it takes none of
// these settings. A forward KL fit (divergence kl) to a target that can
// draw from itself (an mvnormal) draws Samples points of the target once,
// from Seed, and fits their mean and covariance: it needs more draws than
// dimensions, and takes neither resample nor qmc.
type Estimator struct {
	Name     string
	Samples  int
	Seed     int
	Resample bool
	QMC      bool
}

// Estimator names.
const (
	GridEstimator       = "grid"
	MonteCarloEstimator = "monte_carlo"
)

// settings reports whether any estimator setting is given.
func (e Estimator) settings() bool { return e.Samples != 0 || e.Seed != 0 || e.Resample || e.QMC }

// MonteCarlo reports whether the spec describes a fit by Monte Carlo, and
// the key that makes it one: estimator.name monte_carlo, a log_density
// target, a samples target with columns, or a target in more than two
// dimensions in a spec without a grid. It looks at the spec's text only.
func (s *Spec) MonteCarlo() (key string, ok bool) {
	t := s.Target
	switch {
	case s.Estimator.Name != "" && s.Estimator.Name != MonteCarloEstimator:
		return "", false
	case t.Kind() == "log_density":
		return "target.log_density", true
	case t.Kind() == "samples" && len(t.Columns) > 0:
		return "target.columns", true
	case s.Grid.IsZero() && t.Kind() == "family" && t.Family == "mvnormal":
		if m, ok := t.Params.Get("mean"); ok && len(m.Shape) == 1 && m.Shape[0] > 2 {
			return "target.params.mean", true
		}
	case s.Grid.IsZero() && t.Kind() == "family" && t.Family == "mixture" && t.Component == "mvnormal":
		if m, ok := t.Params.Get("mean"); ok && len(m.Shape) == 2 && m.Shape[1] > 2 {
			return "target.params.mean", true
		}
	}
	if s.Estimator.Name == MonteCarloEstimator {
		return "estimator.name", true
	}
	return "", false
}

// MonteCarlo is a fit without a grid, by Monte Carlo in any dimension: a
// normal model (vi.Gaussian) fitted by the reverse KL to a log-density
// (Target) or by the forward KL to samples (Moments). It is immutable: the
// objective a run minimizes, with its draws and buffers, is made afresh by
// Objective, so a Built runs any number of times, concurrently too, with
// identical results.
type MonteCarlo struct {
	// Model is the normal model, full rank or mean-field.
	Model *vi.Gaussian
	// Target is the target's log-density (up to a constant) for a reverse
	// KL fit, nil for a fit from samples.
	Target vi.LogDensity
	// Moments are the samples' mean and covariance for a forward KL fit,
	// nil otherwise.
	Moments *vi.Moments
	// TargetDraws is the number of draws of the target that Moments
	// summarize when the target drew them itself (an mvnormal target
	// fitted by the forward KL), 0 when they come from a file.
	TargetDraws int
	// Options are the estimator's settings (Threads 0: see Objective).
	Options vi.Options
	// DiagnosticDraws is the number of fresh draws Diagnose takes.
	DiagnosticDraws int

	init    []float64 // the initial unconstrained vector; nil: the model's own
	div     divergence.Divergence
	sampler vi.Sampler // the target that draws Moments; nil: a file
}

// Divergence returns the divergence minimized: reverse_kl or kl.
func (m *MonteCarlo) Divergence() divergence.Divergence { return m.div }

// Names returns the names of the model's parameters, the history's
// columns: mean[i], then covariance[i][j] for i <= j or variance[i].
func (m *MonteCarlo) Names() []string { return m.Model.Names() }

// FullHistoryDims is the largest dimension in which a Monte Carlo fit's
// history.csv holds every parameter. Beyond it, a full-rank model's
// history.csv holds the means and the variances (covariance[i][i]) only,
// 2d columns instead of d(d+3)/2; every covariance is in summary.json and
// in the checkpoint, which keep the full state. A mean-field model has 2d
// parameters in any dimension, all written.
const FullHistoryDims = 8

// CSVParams returns the indices of the parameters that history.csv holds
// (fit.History.CSVParams): nil, all of them, up to FullHistoryDims
// dimensions, and beyond them the means and variances.
func (m *MonteCarlo) CSVParams() []int {
	d := m.Model.Dim()
	if d <= FullHistoryDims || m.Model.Diagonal() {
		return nil
	}
	cols := make([]int, 0, 2*d)
	for i := range d {
		cols = append(cols, i)
	}
	k := d // covariance[i][j], i <= j, row by row: [i][i] opens row i
	for i := range d {
		cols = append(cols, k)
		k += d - i
	}
	return cols
}

// Symbol returns what the loss is, in symbols: the divergence up to the
// constant it omits.
func (m *MonteCarlo) Symbol() string {
	if normalizedTarget(m.Target) {
		return "KL(Q||P)"
	}
	if m.Target != nil {
		return "KL(Q||P) - log Z"
	}
	return "KL(P||Q) + H(P)"
}

// LossMeaning says in words what the loss is.
func (m *MonteCarlo) LossMeaning() string {
	if normalizedTarget(m.Target) {
		return "the loss is the reverse KL(Q||P) itself: the target's density is normalized (log Z = 0); it is estimated on the fit's draws, whose Monte Carlo standard error history.csv gives"
	}
	if m.Target != nil {
		return "the loss is KL(Q||P) - log Z: the reverse KL up to the constant log Z, the target's unknown log normalizing constant (so it can be negative); diagnostics.log_z estimates log Z"
	}
	if m.TargetDraws > 0 {
		return fmt.Sprintf("the loss is the average of -log Q over %d draws of the target, the cross-entropy: the forward KL(P||Q) up to the constant entropy of P; it is exact given the draws' mean and covariance, made once from the seed (their own Monte Carlo error, of order 1/sqrt(%d), is not estimated)", m.TargetDraws, m.TargetDraws)
	}
	return "the loss is the samples' average of -log Q, the cross-entropy: the forward KL(P||Q) up to the constant entropy of P; it is exact given the samples' mean and covariance (no draws are made)"
}

// Direction describes the divergence's direction in words.
func (m *MonteCarlo) Direction() string {
	if m.Target != nil {
		return "reverse KL(Q||P) = E_Q[log Q - log P], P the target, Q the model: mode-seeking; estimated by Monte Carlo"
	}
	if m.TargetDraws > 0 {
		return "forward KL(P||Q) = E_P[log P - log Q], P the target, Q the model: mass-covering (maximum likelihood on draws of P)"
	}
	return "forward KL(P||Q) = E_P[log P - log Q], P the samples' distribution, Q the model: mass-covering (maximum likelihood)"
}

// Objective makes a fresh objective for one run, evaluating the target
// on up to threads goroutines (results do not depend on it). Its loss is
// reported as the divergence's name; a reverse KL objective also reports
// its Monte Carlo standard error (fit.StdErrer).
func (m *MonteCarlo) Objective(threads int) (fit.Evaluable, error) {
	if m.Moments != nil {
		f, err := vi.NewForwardKL(m.Model, m.Moments)
		if err != nil {
			return nil, err
		}
		return &exactObjective{f: f, init: m.init}, nil
	}
	opt := m.Options
	opt.Threads = threads
	r, err := vi.NewReverseKL(m.Model, m.Target, opt)
	if err != nil {
		return nil, err
	}
	if m.init == nil {
		return r, nil
	}
	return &startAt{ReverseKL: r, init: m.init}, nil
}

// startAt is a reverse KL objective that starts from the spec's initial
// model.
type startAt struct {
	*vi.ReverseKL
	init []float64
}

func (s *startAt) Init(u []float64) { copy(u, s.init) }

// exactObjective is the forward KL from samples: its loss has no Monte
// Carlo error, so it reports none (the history gets no loss_stderr
// column).
type exactObjective struct {
	f    *vi.ForwardKL
	init []float64
}

func (e *exactObjective) Names() []string                         { return e.f.Names() }
func (e *exactObjective) Theta(theta, u []float64)                { e.f.Theta(theta, u) }
func (e *exactObjective) Eval(u, grad []float64) (float64, error) { return e.f.Eval(u, grad) }
func (e *exactObjective) Init(u []float64) {
	if e.init != nil {
		copy(u, e.init)
		return
	}
	e.f.Init(u)
}

// Diagnose says whether the model with parameters theta (as the history
// records them) can be trusted as an approximation of the target: see
// vi.Diagnose, over DiagnosticDraws fresh draws from a stream of the seed
// that the fit did not use. A fit from samples has no target density to
// compare with: Diagnose returns nil and no error.
func (m *MonteCarlo) Diagnose(theta []float64) (*vi.Diagnostics, error) {
	if m.Target == nil {
		return nil, nil
	}
	u, err := m.unconstrain(theta)
	if err != nil {
		return nil, err
	}
	d, err := vi.Diagnose(m.Model, m.Target, u, m.DiagnosticDraws, m.Options.Seed)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// Unconstrained returns the model's unconstrained vector u (see
// vi.Gaussian) at the parameters theta, as the history records them.
func (m *MonteCarlo) Unconstrained(theta []float64) ([]float64, error) { return m.unconstrain(theta) }

// unconstrain returns the unconstrained vector of the model whose
// parameters (Names) are theta.
func (m *MonteCarlo) unconstrain(theta []float64) ([]float64, error) {
	d := m.Model.Dim()
	if len(theta) != m.Model.Len() {
		return nil, fmt.Errorf("%d parameters for a model of %d", len(theta), m.Model.Len())
	}
	cov := mat.NewSymDense(d, nil)
	if m.Model.Diagonal() {
		for i := range d {
			cov.SetSym(i, i, theta[d+i])
		}
	} else {
		k := d
		for i := range d {
			for j := i; j < d; j++ {
				cov.SetSym(i, j, theta[k])
				k++
			}
		}
	}
	u := make([]float64, m.Model.Len())
	return u, m.Model.Unconstrain(u, theta[:d], cov)
}

// checkMonteCarlo is Check for a Monte Carlo spec.
func (s *Spec) checkMonteCarlo() error {
	if _, err := s.monteCarlo(); err != nil {
		return err
	}
	return s.checkRest(nil)
}

// checkRest checks the optimizer, the epochs and the stop rules, and
// records them in b when it is not nil.
func (s *Spec) checkRest(b *Built) error {
	opt, err := s.buildOptimizer()
	if err != nil {
		return err
	}
	if _, ok := opt.Fresh().(fit.Binder); ok {
		return s.errorf("optimizer.name", "the %s optimizer needs a grid problem (its Fisher information); a Monte Carlo fit has none", s.Optimizer.Name)
	}
	e := s.Estimator
	if e.Resample && s.Optimizer.Name == "lbfgs" {
		return s.errorf("estimator.resample", "draws made afresh at each epoch change the objective under L-BFGS's line search; use a stochastic optimizer such as adam, or fixed draws (resample: false)")
	}
	if s.Epochs < 0 {
		return s.errorf(s.epochsKey(), "must be >= 0, got %d", s.Epochs)
	}
	if b == nil {
		b = &Built{}
	}
	b.Optimizer = opt
	return s.buildStop(b)
}

// buildMonteCarlo is Build for a Monte Carlo spec (n has its defaults).
func (n *Spec) buildMonteCarlo(ctx context.Context) (*Built, error) {
	mc, err := n.monteCarlo()
	if err != nil {
		return nil, err
	}
	b := &Built{Spec: n, Epochs: n.Epochs, MonteCarlo: mc, memLimit: n.env.MemoryLimit}
	if err := n.checkRest(b); err != nil {
		return nil, err
	}
	// Refuse what would not fit in memory before reading or allocating
	// anything that grows with the dimension.
	if err := n.checkMemory(mc, b.Optimizer, b.memLimit, false); err != nil {
		return nil, err
	}
	if err := n.monteCarloData(ctx, mc); err != nil {
		return nil, err
	}
	// Make one objective, to refuse here what the estimator cannot do.
	if _, err := mc.Objective(1); err != nil {
		return nil, n.wrap("estimator", err)
	}
	n.env = Env{}
	return b, nil
}

// monteCarlo checks a Monte Carlo spec and builds its problem, without
// its data (Moments is nil: see monteCarloData).
func (s *Spec) monteCarlo() (*MonteCarlo, error) {
	why, _ := s.MonteCarlo()
	e := s.Estimator
	switch {
	case e.Name != MonteCarloEstimator:
		return nil, s.errorf("estimator.name", "%s needs the monte_carlo estimator, not %q", why, e.Name)
	case !s.Grid.IsZero() && why == "target.log_density":
		return nil, s.errorf("grid", "a log_density target is fitted by Monte Carlo, with no grid: leave grid out (to fit on this grid, give the density as target: {expression: ...})")
	case !s.Grid.IsZero() && why == "target.columns":
		return nil, s.errorf("grid", "samples in columns are fitted by Monte Carlo, with no grid: leave grid out (to fit on this grid, read one column: target: {samples: ..., column: ...})")
	case !s.Grid.IsZero():
		return nil, s.errorf("grid", "a Monte Carlo fit (%s) has no grid: leave grid out, or fit on the grid with estimator: grid", why)
	case len(s.Report) > 0:
		return nil, s.errorf("report", "reported divergences are computed on a grid; a Monte Carlo fit has none")
	case s.TargetWeights != "" || s.has("target_weights"):
		return nil, s.errorf("target_weights", "target weights apply to a grid; a Monte Carlo fit has none")
	}
	mc := &MonteCarlo{}
	d, err := s.monteCarloTarget(mc)
	if err != nil {
		return nil, err
	}
	if err := s.monteCarloDivergence(mc); err != nil {
		return nil, err
	}
	if err := s.monteCarloModel(mc, d); err != nil {
		return nil, err
	}
	switch {
	case s.Target.Kind() == "samples":
		if e.settings() {
			return nil, s.errorf("estimator", "a fit from samples makes no draws: its loss is exact given the samples' mean and covariance; give the estimator no samples, seed, resample or qmc")
		}
	case mc.sampler != nil && e.Samples <= d:
		return nil, s.errorf("estimator.samples", "a forward kl fit draws the target's samples, and fits their covariance: it needs more draws than the %d dimensions, got %d", d, e.Samples)
	case mc.sampler != nil && e.Resample:
		return nil, s.errorf("estimator.resample", "a forward kl fit draws the target's samples once and fits their mean and covariance exactly; there is nothing to draw afresh")
	case mc.sampler != nil && e.QMC:
		return nil, s.errorf("estimator.qmc", "a forward kl fit draws the target's samples independently; quasi-Monte Carlo draws apply to the reverse kl")
	case e.Samples < 2:
		return nil, s.errorf("estimator.samples", "must be at least 2, got %d", e.Samples)
	case e.Seed < 0:
		return nil, s.errorf("estimator.seed", "must be >= 0, got %d", e.Seed)
	case e.QMC && d > 1000:
		return nil, s.errorf("estimator.qmc", "quasi-Monte Carlo draws go up to 1000 dimensions, and the target has %d", d)
	}
	mc.Options = vi.Options{Samples: e.Samples, Seed: uint64(e.Seed), Resample: e.Resample, QMC: e.QMC}
	mc.DiagnosticDraws = vi.DefaultDiagnosticDraws
	return mc, nil
}

// monteCarloData reads the samples of a forward KL fit, or draws them
// from the target, into mc.Moments, and refuses samples the model has no
// best fit on.
func (s *Spec) monteCarloData(ctx context.Context, mc *MonteCarlo) error {
	switch {
	case s.Target.Kind() == "samples":
		mom, err := s.readMoments(ctx)
		if err != nil {
			return err
		}
		mc.Moments = mom
	case mc.sampler != nil:
		e := s.Estimator
		mom, err := vi.SampleMoments(ctx, mc.sampler, e.Samples, uint64(e.Seed))
		if err != nil {
			return s.wrap("target", err)
		}
		mc.Moments, mc.TargetDraws = mom, e.Samples
	}
	return s.checkMoments(mc)
}

// checkMoments refuses samples (or draws of the target) on which the
// model has no best fit: a constant column, or, for a full-rank model,
// columns that are (to rounding) linearly dependent (see
// vi.Moments.Check).
func (s *Spec) checkMoments(mc *MonteCarlo) error {
	if mc.Moments == nil {
		return nil
	}
	err := mc.Moments.Check(mc.Model.Diagonal())
	var se *vi.SingularError
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &se):
		return s.wrap(s.targetKey(), err)
	case mc.TargetDraws > 0:
		return s.errorf("target.params.covariance", "the target's %d draws: %s", mc.TargetDraws, se.Describe(nil))
	}
	return s.errorf("target.columns", "%s: %s", s.path(s.Target.Samples), se.Describe(s.Target.Columns))
}

// has reports whether key was read from the spec's text.
func (s *Spec) has(key string) bool {
	_, ok := s.lines[key]
	return ok
}

// monteCarloTarget builds the target of a Monte Carlo fit into mc and
// returns its dimension; samples are read later (monteCarloData).
func (s *Spec) monteCarloTarget(mc *MonteCarlo) (int, error) {
	t := s.Target
	switch t.Kind() {
	case "log_density":
		if t.Dims < 1 {
			return 0, s.errorf("target.dims", "must be at least 1, got %d", t.Dims)
		}
		f, err := vi.NewFormula(t.LogDensity, t.Dims)
		if err != nil {
			if strings.Contains(err.Error(), "dims is") {
				return 0, s.wrap("target.dims", err)
			}
			return 0, s.wrap("target.log_density", err)
		}
		mc.Target = f
		return t.Dims, nil
	case "family":
		if t.Family == "mixture" && t.Component == "mvnormal" {
			mt, d, err := s.mixtureTarget()
			if err != nil {
				return 0, err
			}
			mc.Target = mt
			return d, nil
		}
		if t.Family != "mvnormal" {
			return 0, s.errorf("target.family", "a Monte Carlo fit takes a log_density, an mvnormal (or a mixture of them) or a samples target with columns; a %s target is fitted on a grid", t.Family)
		}
		if t.Component != "" {
			return 0, s.errorf("target.component", "only a mixture takes a component family")
		}
		nt, d, err := s.normalTarget()
		if err != nil {
			return 0, err
		}
		mc.Target = nt
		return d, nil
	case "samples":
		switch {
		case len(t.Columns) == 0:
			return 0, s.errorf("target.samples", "a Monte Carlo fit from samples names their columns: columns: [a, b, c]")
		case t.Column != "":
			return 0, s.errorf("target.column", "give column (1-D samples, fitted on a grid) or columns (d-D samples), not both")
		case t.Estimator != "":
			return 0, s.errorf("target.estimator", "samples in columns are fitted from their mean and covariance; they take no density estimator")
		case t.Bandwidth != "":
			return 0, s.errorf("target.bandwidth", "samples in columns are fitted from their mean and covariance; they take no bandwidth")
		case t.SkipInvalid:
			return 0, s.errorf("target.skip_invalid", "samples in columns are read strictly: a field that is not a number is an error")
		}
		seen := map[string]bool{}
		for i, c := range t.Columns {
			if seen[c] {
				return 0, s.errorf(fmt.Sprintf("target.columns[%d]", i), "column %q is named twice", c)
			}
			seen[c] = true
		}
		return len(t.Columns), nil
	}
	return 0, s.errorf(s.targetKey(), "a Monte Carlo fit takes a log_density, an mvnormal or a samples target with columns; a %s target is fitted on a grid", t.Kind())
}

// mixtureTarget builds a mixture of mvnormal components in any dimension
// from its weights, means (a list of K lists of d numbers) and
// covariances (a list of K d x d matrices).
func (s *Spec) mixtureTarget() (*vi.MixtureTarget, int, error) {
	const takes = "a mixture of mvnormal takes weights, mean, covariance: one weight, mean and covariance per component"
	for _, p := range s.Target.Params {
		if p.Name != "weights" && p.Name != "mean" && p.Name != "covariance" {
			return nil, 0, s.errorf("target.params."+p.Name, "unknown parameter (%s)", takes)
		}
	}
	get := func(name string) (Param, error) {
		p, ok := s.Target.Params.Get(name)
		if !ok {
			return p, s.errorf("target.params", "missing parameter %s (%s)", name, takes)
		}
		return p, nil
	}
	w, err := get("weights")
	if err != nil {
		return nil, 0, err
	}
	m, err := get("mean")
	if err != nil {
		return nil, 0, err
	}
	c, err := get("covariance")
	if err != nil {
		return nil, 0, err
	}
	if len(w.Shape) != 1 {
		return nil, 0, s.errorf("target.params.weights", "must be a list of numbers, one per component")
	}
	k := w.Shape[0]
	if len(m.Shape) != 2 || m.Shape[0] != k {
		return nil, 0, s.errorf("target.params.mean", "must be a list of %d lists of d numbers, one per component", k)
	}
	d := m.Shape[1]
	if len(c.Shape) != 3 || c.Shape[0] != k || c.Shape[1] != d || c.Shape[2] != d {
		return nil, 0, s.errorf("target.params.covariance", "must be a list of %d matrices of %d x %d numbers, one per component", k, d, d)
	}
	comps := make([]*vi.NormalTarget, k)
	for i := range k {
		key := fmt.Sprintf("target.params.covariance[%d]", i)
		cov, err := symmetric(c.Value[i*d*d:(i+1)*d*d], d)
		if err != nil {
			return nil, 0, s.wrap(key, err)
		}
		if comps[i], err = vi.NewNormalTarget(m.Value[i*d:(i+1)*d], cov); err != nil {
			return nil, 0, s.wrap(key, err)
		}
	}
	mt, err := vi.NewMixtureTarget(w.Value, comps)
	if err != nil {
		return nil, 0, s.wrap("target.params.weights", err)
	}
	return mt, d, nil
}

// normalTarget builds an mvnormal target in any dimension from its mean
// and covariance.
func (s *Spec) normalTarget() (*vi.NormalTarget, int, error) {
	const takes = "the mvnormal family takes mean, covariance"
	for _, p := range s.Target.Params {
		if p.Name != "mean" && p.Name != "covariance" {
			return nil, 0, s.errorf("target.params."+p.Name, "unknown parameter (%s)", takes)
		}
	}
	m, ok := s.Target.Params.Get("mean")
	if !ok {
		return nil, 0, s.errorf("target.params", "missing parameter mean (%s)", takes)
	}
	if len(m.Shape) != 1 {
		return nil, 0, s.errorf("target.params.mean", "must be a list of d numbers, one per dimension")
	}
	d := m.Shape[0]
	c, ok := s.Target.Params.Get("covariance")
	if !ok {
		return nil, 0, s.errorf("target.params", "missing parameter covariance (%s)", takes)
	}
	if len(c.Shape) != 2 || c.Shape[0] != d || c.Shape[1] != d {
		return nil, 0, s.errorf("target.params.covariance", "must be a %d x %d matrix (a list of %d lists of %d numbers), like the mean's %d values", d, d, d, d, d)
	}
	cov, err := symmetric(c.Value, d)
	if err != nil {
		return nil, 0, s.wrap("target.params.covariance", err)
	}
	nt, err := vi.NewNormalTarget(m.Value, cov)
	if err != nil {
		return nil, 0, s.wrap("target.params.covariance", err)
	}
	return nt, d, nil
}

// symmetric returns the d x d matrix of values (row-major), which must be
// symmetric.
func symmetric(values []float64, d int) (*mat.SymDense, error) {
	for i := range d {
		for j := i + 1; j < d; j++ {
			if a, b := values[i*d+j], values[j*d+i]; a != b {
				return nil, fmt.Errorf("not symmetric: [%d][%d] is %v and [%d][%d] is %v", i, j, a, j, i, b)
			}
		}
	}
	return mat.NewSymDense(d, append([]float64(nil), values...)), nil
}

// readMoments reads the samples' mean and covariance in one pass.
func (s *Spec) readMoments(ctx context.Context) (*vi.Moments, error) {
	name := s.path(s.Target.Samples)
	f, err := target.Open(s.env.FS, name)
	if err != nil {
		return nil, s.wrap("target.samples", fmt.Errorf("%s: cannot open: %w", name, err))
	}
	defer f.Close()
	var r io.Reader = f
	if s.env.Progress != nil {
		var total int64
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			total = st.Size()
		}
		r = &progressReader{r: f, path: name, total: total, progress: s.env.Progress}
	}
	mom, err := vi.ReadMoments(ctx, r, s.Target.Columns)
	if p, ok := r.(*progressReader); ok {
		p.progress(name, p.n, p.total)
	}
	switch {
	case err != nil && strings.Contains(err.Error(), ": no column "):
		return nil, s.wrap("target.columns", fmt.Errorf("%s %s", name, strings.TrimPrefix(err.Error(), "samples: ")))
	case err != nil:
		return nil, s.wrap("target.samples", fmt.Errorf("%s %s", name, strings.TrimPrefix(err.Error(), "samples: ")))
	case mom.N() <= len(s.Target.Columns):
		return nil, s.errorf("target.samples", "%s: %s in %s: a normal fit needs more samples than dimensions", name, plural.Count(mom.N(), "sample", "samples"), plural.Count(len(s.Target.Columns), "dimension", "dimensions"))
	}
	return mom, nil
}

// progressReader tells progress how far a file has been read, about
// every megabyte.
type progressReader struct {
	r        io.Reader
	path     string
	n, next  int64
	total    int64
	progress func(path string, done, total int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if p.n >= p.next {
		p.progress(p.path, p.n, p.total)
		p.next = p.n + 1<<20
	}
	return n, err
}

// monteCarloDivergence checks the divergence of a Monte Carlo fit: the
// reverse KL to a density, the forward KL to samples, either to a target
// that draws from itself (a vi.Sampler), whose draws the forward KL then
// fits.
func (s *Spec) monteCarloDivergence(mc *MonteCarlo) error {
	want, other := "reverse_kl", "a log-density is fitted by reverse_kl (the forward kl needs samples of the target: a samples file with columns, or an mvnormal target, which can draw from itself)"
	var div divergence.Divergence = divergence.ReverseKL{}
	sampler, canSample := mc.Target.(vi.Sampler)
	switch {
	case s.Target.Kind() == "samples":
		want, other = "kl", "samples are fitted by kl, the forward KL (the reverse KL needs the target's density)"
		div = divergence.ForwardKL{}
	case canSample && s.Divergence.Name == "kl":
		want, div = "kl", divergence.ForwardKL{}
		mc.sampler, mc.Target = sampler, nil
	case canSample:
		other = "an mvnormal target is fitted by reverse_kl, or by kl on draws of the target"
	}
	if s.Divergence.Name != want {
		return s.errorf("divergence", "%s is not available for the monte_carlo estimator: %s", s.Divergence.Name, other)
	}
	if len(s.Divergence.Options) > 0 {
		return s.errorf("divergence."+s.Divergence.Options[0].Name, "%s takes no options", want)
	}
	mc.div = div
	return nil
}

// monteCarloModel builds the model of a Monte Carlo fit in d dimensions,
// and its initial state when model.init gives one.
func (s *Spec) monteCarloModel(mc *MonteCarlo, d int) error {
	m := s.Model
	var err error
	switch m.Family {
	case "mvnormal":
		mc.Model, err = vi.NewMVNormal(d)
	case "mvnormal_diag":
		mc.Model, err = vi.NewMVNormalDiag(d)
	default:
		return s.errorf("model.family", "a Monte Carlo fit's model is mvnormal (full rank) or mvnormal_diag (mean-field), in any dimension, not %s", m.Family)
	}
	if err != nil {
		return s.wrap("model.family", err)
	}
	switch {
	case m.Components != 0:
		return s.errorf("model.components", "only a mixture model takes components, not %s", m.Family)
	case m.Component != "":
		return s.errorf("model.component", "only a mixture model takes a component family, not %s", m.Family)
	case m.Parameterization != "":
		return s.errorf("model.parameterization", "a Monte Carlo model moves its mean and the log-diagonal Cholesky factor of its covariance (log standard deviations for mvnormal_diag); it takes no parameterization")
	}
	if len(m.Init) == 0 {
		return nil
	}
	return s.monteCarloInit(mc, d)
}

// monteCarloInit reads model.init: mean (default 0) and covariance or,
// for mvnormal_diag, variance (default the identity).
func (s *Spec) monteCarloInit(mc *MonteCarlo, d int) error {
	diag := mc.Model.Diagonal()
	spread, takes := "covariance", "mvnormal takes mean, covariance"
	if diag {
		spread, takes = "variance", "mvnormal_diag takes mean, variance"
	}
	mean := make([]float64, d)
	cov := mat.NewSymDense(d, nil)
	for i := range d {
		cov.SetSym(i, i, 1)
	}
	for _, p := range s.Model.Init {
		key := "model.init." + p.Name
		switch {
		case p.Name == "mean":
			if len(p.Shape) != 1 || p.Shape[0] != d {
				return s.errorf(key, "must be a list of %d numbers, one per dimension of the target", d)
			}
			copy(mean, p.Value)
		case p.Name == spread && diag:
			if len(p.Shape) != 1 || p.Shape[0] != d {
				return s.errorf(key, "must be a list of %d numbers, one per dimension of the target", d)
			}
			for i, v := range p.Value {
				if !(v > 0) {
					return s.errorf(key, "variance[%d] must be > 0, got %v", i, v)
				}
				cov.SetSym(i, i, v)
			}
		case p.Name == spread:
			if len(p.Shape) != 2 || p.Shape[0] != d || p.Shape[1] != d {
				return s.errorf(key, "must be a %d x %d matrix, the target being %d-D", d, d, d)
			}
			c, err := symmetric(p.Value, d)
			if err != nil {
				return s.wrap(key, err)
			}
			cov = c
		default:
			return s.errorf(key, "unknown parameter (%s)", takes)
		}
	}
	u := make([]float64, mc.Model.Len())
	if err := mc.Model.Unconstrain(u, mean, cov); err != nil {
		return s.wrap("model.init."+spread, err)
	}
	for _, v := range u {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return s.errorf("model.init", "the initial model is not usable")
		}
	}
	mc.init = u
	return nil
}

// checkGridEstimator checks the estimator of a spec fitted on a grid.
func (s *Spec) checkGridEstimator() error {
	e := s.Estimator
	switch {
	case e.Name != "" && e.Name != GridEstimator:
		return s.errorf("estimator.name", "unknown estimator %q (known: grid, monte_carlo)", e.Name)
	case s.Target.Kind() == "log_density":
		return s.errorf("estimator.name", "a log_density target is fitted by Monte Carlo: use estimator monte_carlo, or an expression target on a grid")
	case s.Target.Kind() == "samples" && len(s.Target.Columns) > 0:
		return s.errorf("estimator.name", "samples in columns are fitted by Monte Carlo: use estimator monte_carlo, or one column on a grid")
	case e.settings():
		return s.errorf("estimator", "samples, seed, resample and qmc are settings of the monte_carlo estimator, not of the grid")
	}
	return nil
}

// monteCarloDefaults fills in the defaults of a Monte Carlo spec.
func (n *Spec) monteCarloDefaults() {
	n.Estimator.Name = MonteCarloEstimator
	samples := n.Target.Kind() == "samples"
	if n.Divergence.Name == "" {
		n.Divergence.Name = "reverse_kl"
		if samples {
			n.Divergence.Name = "kl"
		}
	}
	if n.Estimator.Samples == 0 && !samples {
		n.Estimator.Samples = vi.DefaultSamples
	}
}

// Divergence returns the divergence the fit minimizes.
func (b *Built) Divergence() divergence.Divergence {
	if b.MonteCarlo != nil {
		return b.MonteCarlo.div
	}
	return b.Problem.Divergence
}

// CSVParams returns the indices of the parameters that history.csv holds,
// nil for all (see MonteCarlo.CSVParams; a fit on a grid writes all).
func (b *Built) CSVParams() []int {
	if b.MonteCarlo != nil {
		return b.MonteCarlo.CSVParams()
	}
	return nil
}

// ParamNames returns the names of the fitted parameters: the history's
// columns.
func (b *Built) ParamNames() []string {
	if b.MonteCarlo != nil {
		return b.MonteCarlo.Names()
	}
	return dist.ParamNames(b.Problem.Family)
}

// DiagnosticsInfo is vi.Diagnostics in summary.json: whether a Monte Carlo
// fit by the reverse KL can be trusted, from fresh draws of the fitted
// model.
type DiagnosticsInfo struct {
	// Draws is the number of fresh draws from the fitted model.
	Draws int `json:"draws"`
	// ELBO = log Z - KL(Q||P), estimated, and its standard error.
	ELBO       Float `json:"elbo"`
	ELBOStdErr Float `json:"elbo_stderr"`
	// LogZ is the importance-sampling estimate of the target's log
	// normalizing constant, meaningful when ParetoK <= KThreshold, and
	// LogZStdErr its standard error, null when ParetoK > 0.5 or unknown
	// (as vi.Diagnostics has it): the ratios'
	// variance is then infinite, and a standard error computed from them
	// means nothing (LogZNote says so).
	LogZ       Float  `json:"log_z"`
	LogZStdErr Float  `json:"log_z_stderr"`
	LogZNote   string `json:"log_z_note,omitempty"`
	// ParetoK is the Pareto k̂ of the importance ratios P~/Q, and
	// KThreshold the value above which the fit is unreliable.
	ParetoK    Float `json:"pareto_k"`
	KThreshold Float `json:"k_threshold"`
	// Warning says why the fit is unreliable; empty when it is not.
	Warning string `json:"warning"`
	// Error says why the diagnostics could not be computed.
	Error string `json:"error,omitempty"`
}

// AddDiagnostics computes the diagnostics of a Monte Carlo fit by the
// reverse KL at the last state of r (see MonteCarlo.Diagnose) into
// s.Diagnostics, and returns them; nil for other fits, and for a fit
// without a state.
func (s *Summary) AddDiagnostics(b *Built, r *fit.Result) *DiagnosticsInfo {
	mc := b.MonteCarlo
	if mc == nil || mc.Target == nil || r.History.Len() == 0 {
		return nil
	}
	info := &DiagnosticsInfo{ELBO: Float(math.NaN()), ELBOStdErr: Float(math.NaN()), LogZ: Float(math.NaN()),
		LogZStdErr: Float(math.NaN()), ParetoK: Float(math.NaN()), KThreshold: Float(math.NaN()), Draws: mc.DiagnosticDraws}
	d, err := mc.Diagnose(r.Theta())
	if err != nil {
		info.Error = err.Error()
	} else {
		info.Draws, info.ELBO, info.ELBOStdErr, info.LogZ, info.LogZStdErr = d.Draws, Float(d.ELBO), Float(d.ELBOStdErr), Float(d.LogZ), Float(d.LogZStdErr)
		info.ParetoK, info.KThreshold, info.Warning = Float(d.ParetoK), Float(d.KThreshold), d.Warning
		switch {
		case !math.IsNaN(d.LogZStdErr):
		case math.IsNaN(d.ParetoK):
			info.LogZNote = "the Pareto k̂ of the ratios p~/q cannot be estimated, so neither can log Z's standard error"
		default:
			info.LogZNote = fmt.Sprintf("Pareto k̂ = %s: the ratios p~/q have an infinite variance, so log Z's standard error is unknown (and the estimate converges slowly)", psis.Above(d.ParetoK, 0.5))
		}
	}
	s.Diagnostics = info
	return info
}

// KeyLine returns the line key (or its nearest enclosing key) was read
// from, 0 when unknown.
func (s *Spec) KeyLine(key string) int { return s.line(key) }

// normalizedTarget reports whether t is a density that integrates to 1
// (an mvnormal or a mixture of them): its log Z is 0.
func normalizedTarget(t vi.LogDensity) bool {
	switch t.(type) {
	case *vi.NormalTarget, *vi.MixtureTarget:
		return true
	}
	return false
}
