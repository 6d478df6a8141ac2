package spec

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/floats"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/internal/suggest"
	"github.com/klfit/klfit/target"
)

// Built is a spec made ready to run.
type Built struct {
	// Spec is the spec with every default filled in: what runs, and what
	// a summary repeats.
	Spec *Spec
	// Problem is the fit on a grid; nil for a fit by Monte Carlo, which
	// MonteCarlo describes instead.
	Problem    *fit.Problem
	MonteCarlo *MonteCarlo
	Target     target.Target
	Weights    target.Weights
	Optimizer  fit.Optimizer
	Epochs     int
	// Report holds the divergences recorded alongside the loss.
	Report []divergence.Divergence
	// Warnings holds what building the target had to say (samples outside
	// the grid, a grid wider than a table), one line each.
	Warnings []string
	// Stop, OnDivergence and MaxBacktracks are the spec's stop rules and
	// divergence handling, as fit.Options takes them.
	Stop          fit.Stop
	OnDivergence  fit.DivergenceAction
	MaxBacktracks int

	memLimit int64 // Env.MemoryLimit (see CheckMemory)
}

// LossSymbol names a grid fit's loss in titles and in the final line. It
// is the divergence's symbol, but for target_weights: density (the
// notebook's; forward KL only): the sum is then taken on the target's raw
// density values p, and is not a KL: sum p log(p/Q) = c KL(P||Q) + c log c,
// c = sum p (see DensityMeaning), 23.04 for the notebook's fit where
// KL(P||Q) is 0.002.
func (b *Built) LossSymbol() string {
	if b.densityKL() {
		return "sum p log(p/Q)"
	}
	return b.Problem.Divergence.Symbol()
}

// densityKL reports whether b is a grid fit by forward KL under
// target_weights: density, whose loss is not the KL (see DensityKL).
func (b *Built) densityKL() bool {
	if b.Problem == nil || b.Weights != target.Density {
		return false
	}
	_, ok := b.Problem.Divergence.(divergence.ForwardKL)
	return ok
}

// DensityKL returns, for a forward KL fit under target_weights: density,
// c = sum p (the target's raw density values summed), KL(P||Q) of the
// normalized target, loss/c - log c, and a bound on its error, rounded up
// to one digit; ok is false for other fits. The bound adds the fast
// passes' 1e-12 of the loss (they are held to that against the plain
// pass) to the rounding of sums of n terms, n eps of what is summed, on
// loss/c, on c and so on log c, and on the terms' own scale (1, where the
// loss is 0 at a perfect fit): 1e-12 |loss/c| + n eps (1 + |loss/c| +
// |log c|). The subtraction keeps that in absolute terms; a KL below it is
// 0 within it (see DensityMeaning).
func (b *Built) DensityKL(loss float64) (c, kl, bound float64, ok bool) {
	if !b.densityKL() {
		return 0, 0, 0, false
	}
	c = floats.Sum(b.Problem.P)
	n := float64(len(b.Problem.P))
	bound = 1e-12*math.Abs(loss/c) + n*0x1p-52*(1+math.Abs(loss/c)+math.Abs(math.Log(c)))
	return c, loss/c - math.Log(c), roundUp1(bound), true
}

// roundUp1 rounds a positive v up to one significant digit, so that a
// bound printed with %.1g is the bound compared against.
func roundUp1(v float64) float64 {
	if !(v > 1e-300) || math.IsInf(v, 0) {
		return v // 0, NaN, Inf, or too small for the decimal below
	}
	e := int(math.Floor(math.Log10(v)))
	for d := math.Ceil(v / math.Pow(10, float64(e))); ; d++ {
		// The float64 nearest the decimal d·10^e, which %.1g prints back.
		if r, err := strconv.ParseFloat(fmt.Sprintf("%ge%d", d, e), 64); err == nil && r >= v {
			return r
		}
	}
}

// DensityMeaning says what a grid fit's loss is under target_weights:
// density, at the given loss ("" for other fits): not KL(P||Q) but its sum
// taken on the target's raw density values, with the KL it amounts to,
// or that it is unknown where the loss is not finite. lastGood says the
// loss is a diverged fit's last good state's.
func (b *Built) DensityMeaning(loss float64, lastGood bool) string {
	c, kl, bound, ok := b.DensityKL(loss)
	if !ok {
		return ""
	}
	v := fmt.Sprintf("%.6g (± %.1g)", kl, bound)
	switch {
	case math.IsNaN(kl) || math.IsInf(kl, 0):
		v = "unknown (the loss is not finite)"
	case math.Abs(kl) <= bound:
		v = fmt.Sprintf("0 within %.1g", bound)
	}
	if lastGood {
		v += ", at the last good state"
	}
	return fmt.Sprintf("the loss is sum p log(p/Q) over the target's raw density values p (target_weights: density), not KL(P||Q): with c = sum p = %.6g it is c KL(P||Q) + c log c, so KL(P||Q) = %s", c, v)
}

// dataRange reports whether t's automatic grid is its data's range
// (see AutoGrid): binned counts and a postgres query's samples.
// cutEdge is the share of its largest mass above which a target's mass
// at a grid's end point says the grid cuts the target there.
const cutEdge = 1e-6

// cutFormula returns a warning when a 1-D formula target's automatic grid
// (its mass's own range, with no margin) ends where the target's density
// has not fallen off, as it does at the edge of a bounded support (a
// uniform): the model, normalized on the grid, is then fitted as if cut
// there, and one whose support is wider than the grid's can tend to the
// target's own shape within it (a normal to a uniform, its variance
// growing without end), a fit that converges to nothing of the kind.
func cutFormula(g *grid.Grid, p []float64) string {
	if g.Dim() != 1 || len(p) < 2 {
		return ""
	}
	top := 0.0
	for _, v := range p {
		top = math.Max(top, v)
	}
	var ends []string
	for _, i := range []int{0, len(p) - 1} {
		if p[i] > cutEdge*top {
			ends = append(ends, fmt.Sprintf("at x = %v its mass is %.3g%% of the largest point's", g.X[i], 100*p[i]/top))
		}
	}
	if len(ends) == 0 {
		return ""
	}
	return fmt.Sprintf("the grid was chosen as the formula's own range, [%v, %v], and the target's mass has not fallen off at its end (%s): the model is fitted as if cut there, and a model of wider support can tend to the target's own shape on the grid (a normal's variance grows without end towards a uniform); give a grid with a margin beyond the target's support, where the model then pays for the mass it puts",
		g.X[0], g.X[len(g.X)-1], strings.Join(ends, "; "))
}

func dataRange(t target.Target) bool {
	switch t.(type) {
	case *target.Postgres, *target.Histogram:
		return true
	}
	return false
}

// DefaultOptimizer is the optimizer of a spec that names none: L-BFGS
// converges without tuning.
const DefaultOptimizer = "lbfgs"

// Options returns the fit options the spec asks for, with the given
// observers.
func (b *Built) Options(observers ...fit.Observer) fit.Options {
	return fit.Options{Optimizer: b.Optimizer, Epochs: b.Epochs, Observers: observers, Report: b.Report,
		Stop: b.Stop, OnDivergence: b.OnDivergence, MaxBacktracks: b.MaxBacktracks}
}

// Env is what a build reads from and reports to, apart from the spec's
// text: the front door's environment.
type Env struct {
	// Dir is the directory relative data file names are read from; ""
	// means the working directory. The command line sets it to the spec
	// file's directory. Ignored when FS is set.
	Dir string
	// FS, when set, is the only place data files are read from, by the
	// names the spec gives (the server offers a request's upload this
	// way, and nothing else).
	FS fs.FS
	// Progress, when set, is told how far the reading of a data file has
	// got.
	Progress func(path string, done, total int64)
	// DSN, when set, is the connection of a postgres target whose spec
	// gives none (klfit fit --dsn, klfit serve --postgres-dsn).
	DSN string
	// DatabaseProgress, when set, is told what the database is doing,
	// about every 200 ms while a query runs (see target.Postgres).
	DatabaseProgress func(stage string, elapsed time.Duration, done bool)
	// MemoryLimit is the memory, in bytes, that a Monte Carlo fit may
	// plan to use (see Spec.CheckMemory); 0 means the machine's budget,
	// sysmem.Budget.
	MemoryLimit int64
}

// Check finds the errors a user can make in the spec's text, with the key
// and the line, without reading a file or allocating a grid: unknown
// names, values out of range, parameters of the wrong shape, settings
// that do not go together. Build checks the same first, then what needs
// the data (a file that cannot be read, a target that is zero on the
// grid, an initial model that cannot be guessed).
func (s *Spec) Check() error {
	return s.withDefaults().check()
}

// check is Check on a spec with its defaults filled in.
func (s *Spec) check() error {
	if _, mc := s.MonteCarlo(); mc {
		return s.checkMonteCarlo() // see montecarlo.go
	}
	if err := s.checkGridEstimator(); err != nil {
		return err
	}
	var g *grid.Grid // the grid's shape, without its points
	if !s.Grid.IsZero() {
		var err error
		if g, err = s.gridShape(); err != nil {
			return err
		}
	}
	if s.Target.Kind() == "family" {
		f, err := s.targetFamily(g)
		if err != nil {
			return err
		}
		if _, err := s.theta(f, s.Target.Params, "target.params"); err != nil {
			return err
		}
	} else if _, err := s.buildOtherTarget(true); err != nil {
		return err
	}
	if _, err := target.ParseWeights(s.TargetWeights); err != nil {
		return s.wrap("target_weights", err)
	}
	if _, err := s.buildDivergence(); err != nil {
		return err
	}
	w, _ := target.ParseWeights(s.TargetWeights)
	if _, err := s.buildReport(w); err != nil {
		return err
	}
	if err := s.checkModel(g); err != nil {
		return err
	}
	if _, err := s.buildOptimizer(); err != nil {
		return err
	}
	if s.Epochs < 0 {
		return s.errorf(s.epochsKey(), "must be >= 0, got %d", s.Epochs)
	}
	return s.buildStop(&Built{})
}

// checkModel checks the model's family, parameterization and initial
// parameters; g holds the grid's shape, or is nil when the grid is to be
// chosen from the target.
func (s *Spec) checkModel(g *grid.Grid) error {
	var fam dist.Family
	var err error
	if g != nil {
		fam, err = s.modelFamily(g)
	} else if s.Model.Family != "categorical" { // a categorical model needs the grid
		fam, err = s.newFamily("model", s.Model.Family, dist.Config{Components: s.Model.Components, Component: s.Model.Component})
	}
	if err != nil || fam == nil {
		return err
	}
	switch s.Model.Parameterization {
	case "unconstrained":
	case "raw":
		if err := s.checkRaw(fam); err != nil {
			return err
		}
	default:
		return s.errorf("model.parameterization", "unknown parameterization %q (known: unconstrained, raw)", s.Model.Parameterization)
	}
	if len(s.Model.Init) > 0 {
		if _, err := s.theta(fam, s.Model.Init, "model.init"); err != nil {
			return err
		}
	}
	return nil
}

// Build checks the spec (see Check), reads its data through env and
// returns the fit it describes, with every default filled in (a grid
// chosen from the target where none is given, an initial model guessed
// from the target where none is given). It stops with an error wrapping
// ctx.Err() soon after ctx ends, however large the target. Errors are
// *Error values naming the key (and the line, for a spec read by Parse).
// The Built is immutable: it can be run any number of times, concurrently
// too.
func (s *Spec) Build(ctx context.Context, env Env) (*Built, error) {
	n := s.withDefaults()
	n.env = env
	if err := n.check(); err != nil {
		return nil, err
	}
	if _, mc := n.MonteCarlo(); mc {
		return n.buildMonteCarlo(ctx) // see montecarlo.go
	}
	b := &Built{Spec: n, Epochs: n.Epochs}
	var g *grid.Grid
	var err error
	auto := n.Grid.IsZero()
	if auto {
		if b.Target, err = n.buildTarget(nil, false); err != nil {
			return nil, err
		}
		if n.Grid, err = AutoGrid(ctx, b.Target); err != nil {
			if _, db := b.Target.(*target.Postgres); db || ctx.Err() != nil {
				return nil, n.wrap(n.targetKey(), err) // the query failed
			}
			return nil, n.wrap("grid", err)
		}
		if g, err = n.buildGrid(); err != nil {
			return nil, err
		}
		if n.Target.Kind() == "family" { // a family target checks its grid
			if _, err := n.targetFamily(g); err != nil {
				return nil, err
			}
		}
	} else {
		if g, err = n.buildGrid(); err != nil {
			return nil, err
		}
		if b.Target, err = n.buildTarget(g, false); err != nil {
			return nil, err
		}
	}
	if b.Weights, err = target.ParseWeights(n.TargetWeights); err != nil {
		return nil, n.wrap("target_weights", err)
	}
	p, err := target.MassesContext(ctx, b.Target, g, b.Weights)
	if err != nil {
		return nil, n.wrap(n.targetKey(), err)
	}
	if w, ok := b.Target.(target.Warner); ok {
		b.Warnings = append(b.Warnings, w.Warnings()...)
	}
	if w := resolution(g, p); w != "" {
		b.Warnings = append(b.Warnings, w)
	}
	if auto && dataRange(b.Target) {
		b.Warnings = append(b.Warnings, fmt.Sprintf("the grid was chosen as the data's own range, [%v, %v], with no margin: the model is fitted as if cut there (its mass beyond is not on the grid); give a wider grid to fit its tails", g.X[0], g.X[len(g.X)-1]))
	}
	if _, formula := b.Target.(*target.Expression); auto && formula {
		if w := cutFormula(g, p); w != "" {
			b.Warnings = append(b.Warnings, w)
		}
	}
	div, err := n.buildDivergence()
	if err != nil {
		return nil, err
	}
	if b.Report, err = n.buildReport(b.Weights); err != nil {
		return nil, err
	}
	fam, err := n.modelFamily(g)
	if err != nil {
		return nil, err
	}
	init, err := n.modelInit(fam, g, p)
	if err != nil {
		return nil, err
	}
	var tr dist.Transform = dist.Identity{}
	if n.Model.Parameterization == "unconstrained" {
		tr = dist.Unconstrained(fam)
	}
	b.Problem = &fit.Problem{Grid: g, P: p, Family: fam, Divergence: div, Transform: tr, Init: init}
	if b.Optimizer, err = n.buildOptimizer(); err != nil {
		return nil, err
	}
	// An optimizer that needs to know the problem (the natural gradient)
	// says here, with the spec's key, if it cannot fit it.
	if bd, ok := b.Optimizer.Fresh().(fit.Binder); ok {
		if err := bd.Bind(b.Problem); err != nil {
			return nil, n.wrap("optimizer.name", err)
		}
	}
	if err := n.buildStop(b); err != nil {
		return nil, err
	}
	n.env = Env{} // the Built keeps no reference to its environment
	return b, nil
}

// epochsKey is the key the epochs were given by.
func (s *Spec) epochsKey() string {
	if _, ok := s.lines["stop.max_epochs"]; ok {
		return "stop.max_epochs"
	}
	return "epochs"
}

// buildStop checks the stop rules and the divergence handling.
func (s *Spec) buildStop(b *Built) error {
	st := s.Stop
	switch {
	case st.Tolerance < 0:
		return s.errorf("stop.tolerance", "must be >= 0, got %v", st.Tolerance)
	case st.GradientTolerance < 0:
		return s.errorf("stop.gradient_tolerance", "must be >= 0, got %v", st.GradientTolerance)
	case st.Patience < 0:
		return s.errorf("stop.patience", "must be >= 0, got %d", st.Patience)
	case st.MaxTime < 0 || st.MaxTime > 1e9:
		return s.errorf("stop.max_time", "must be from 0 to 1e9 seconds, got %v", st.MaxTime)
	}
	b.Stop = fit.Stop{Tolerance: st.Tolerance, GradientTolerance: st.GradientTolerance, Patience: st.Patience,
		MaxTime: time.Duration(st.MaxTime * float64(time.Second))}
	switch s.OnDivergence {
	case "stop":
		if s.MaxBacktracks != 0 {
			return s.errorf("max_backtracks", "needs on_divergence: backtrack")
		}
	case "backtrack":
		if !hasSetting(s.Optimizer.Settings, "learning_rate") {
			return s.errorf("on_divergence", "backtracking halves the learning rate, and the %s optimizer has none", s.Optimizer.Name)
		}
		if s.MaxBacktracks < 0 {
			return s.errorf("max_backtracks", "must be >= 0, got %d", s.MaxBacktracks)
		}
		if s.MaxBacktracks == 0 {
			s.MaxBacktracks = fit.DefaultMaxBacktracks
		}
		b.OnDivergence, b.MaxBacktracks = fit.Backtrack, s.MaxBacktracks
	default:
		return s.errorf("on_divergence", "unknown action %q (known: stop, backtrack)", s.OnDivergence)
	}
	return nil
}

func hasSetting(opts Options, name string) bool {
	for _, o := range opts {
		if o.Name == name {
			return true
		}
	}
	return false
}

// withDefaults returns a copy of s with every default filled in.
func (s *Spec) withDefaults() *Spec {
	n := *s
	if _, mc := s.MonteCarlo(); mc {
		n.monteCarloDefaults()
	} else if n.TargetWeights == "" {
		n.TargetWeights = target.Normalized.String()
	}
	if n.Divergence.Name == "" {
		n.Divergence.Name = "kl"
	}
	if _, mc := s.MonteCarlo(); n.Model.Parameterization == "" && !mc {
		n.Model.Parameterization = "unconstrained"
	}
	if n.Optimizer.Name == "" {
		n.Optimizer.Name = DefaultOptimizer
	}
	n.Optimizer.Settings = append(Options(nil), n.Optimizer.Settings...)
	if n.OnDivergence == "" {
		n.OnDivergence = "stop"
	}
	return &n
}

// gridShape checks the spec's grid and returns its axes, without the
// points: what Check needs.
func (s *Spec) gridShape() (*grid.Grid, error) {
	axis := func(key string, a Axis) (grid.Axis, error) {
		ax, err := grid.Arange(a.Start, a.Stop, a.Step)
		var ge *grid.Error
		if errors.As(err, &ge) {
			return ax, s.errorf(key+"."+ge.Key, "%s", ge.Msg)
		}
		return ax, err
	}
	if s.Grid.Circular {
		ax, err := grid.Circle(s.Grid.Points)
		var ge *grid.Error
		if errors.As(err, &ge) {
			return nil, s.errorf("grid."+ge.Key, "%s", ge.Msg)
		}
		return &grid.Grid{Axes: []grid.Axis{ax}}, err
	}
	if s.Grid.X == nil && s.Grid.Y == nil {
		ax, err := axis("grid", Axis{s.Grid.Start, s.Grid.Stop, s.Grid.Step})
		if err != nil {
			return nil, err
		}
		return &grid.Grid{Axes: []grid.Axis{ax}}, nil
	}
	if s.Grid.X == nil || s.Grid.Y == nil {
		return nil, s.errorf("grid", "a 2-D grid needs both x and y")
	}
	ax, err := axis("grid.x", *s.Grid.X)
	if err != nil {
		return nil, err
	}
	ay, err := axis("grid.y", *s.Grid.Y)
	if err != nil {
		return nil, err
	}
	if float64(ax.N)*float64(ay.N) > grid.MaxPoints {
		return nil, s.errorf("grid.y", "the grid would have %d x %d points, more than the limit of %d", ax.N, ay.N, grid.MaxPoints)
	}
	return &grid.Grid{Axes: []grid.Axis{ax, ay}}, nil
}

// buildGrid builds the spec's grid, points and all.
func (s *Spec) buildGrid() (*grid.Grid, error) {
	shape, err := s.gridShape()
	if err != nil {
		return nil, err
	}
	if len(shape.Axes) == 1 {
		return grid.New1D(shape.Axes[0]), nil
	}
	g, err := grid.New2D(shape.Axes[0], shape.Axes[1])
	if err != nil {
		return nil, s.wrap("grid", err)
	}
	return g, nil
}

func (s *Spec) buildTarget(g *grid.Grid, checkOnly bool) (target.Target, error) {
	if s.Target.Kind() != "family" {
		return s.buildOtherTarget(checkOnly) // see build_target.go
	}
	f, err := s.targetFamily(g)
	if err != nil {
		return nil, err
	}
	theta, err := s.theta(f, s.Target.Params, "target.params")
	if err != nil {
		return nil, err
	}
	return target.Family{Family: f, Theta: theta}, nil
}

// theta checks params against family f's parameters (their names and
// shapes, then their values) and returns them as a parameter vector.
func (s *Spec) theta(f dist.Family, params Params, key string) ([]float64, error) {
	blocks := dist.Blocks(f)
	names := make([]string, len(blocks))
	for i, b := range blocks {
		names[i] = b.Name
	}
	takes := fmt.Sprintf("the %s family takes %s", f.Name(), strings.Join(names, ", "))
	for _, p := range params {
		if !contains(names, p.Name) {
			return nil, s.errorf(key+"."+p.Name, "unknown parameter (%s)", takes)
		}
	}
	values := make([][]float64, len(blocks))
	for i, b := range blocks {
		p, ok := params.Get(b.Name)
		if !ok {
			return nil, s.errorf(key, "missing parameter %s (%s)", b.Name, takes)
		}
		if !sameShape(p.Shape, b.Shape) {
			got := dist.Block{Shape: p.Shape}.ShapeString()
			if len(b.Shape) == 0 {
				got = "a list"
			}
			return nil, s.errorf(key+"."+b.Name, "must be %s%s, got %s", b.ShapeString(), shapeHint(f), got)
		}
		values[i] = p.Value
	}
	theta, err := dist.Pack(f, values)
	var pe *dist.ParamError
	var ce *dist.ConstraintError
	switch {
	case errors.As(err, &pe):
		return nil, s.errorf(key+"."+pe.Param, "%s, got %v", pe.Msg, pe.Value)
	case errors.As(err, &ce):
		return nil, s.errorf(key+"."+ce.Param, "%s", ce.Msg)
	case err != nil:
		return nil, s.wrap(key, err)
	}
	return theta, nil
}

func (s *Spec) buildDivergence() (divergence.Divergence, error) {
	d, err := s.divergenceAt(&s.Divergence, "divergence")
	if err != nil {
		return nil, err
	}
	if r, ok := d.(divergence.ReportOnly); ok {
		return nil, s.errorf("divergence", "%s", r.Why())
	}
	if d.Name() != "kl" && s.TargetWeights == target.Density.String() {
		return nil, s.errorf("target_weights", "density weights (raw density values, the notebook's objective) are for kl only; %s compares probability vectors: use normalized", d.Name())
	}
	return d, nil
}

// buildOptimizer checks the optimizer's settings, fills in the defaults of
// those not given (so that the spec records them) and builds it.
func (s *Spec) buildOptimizer() (fit.Optimizer, error) {
	info, err := fit.LookupOptimizer(s.Optimizer.Name)
	if err != nil {
		return nil, s.wrap("optimizer.name", err)
	}
	known := make([]string, len(info.Settings))
	for i, st := range info.Settings {
		known[i] = st.Name
	}
	values := map[string]float64{}
	for _, o := range s.Optimizer.Settings {
		i := slices.Index(known, o.Name)
		if i < 0 {
			return nil, s.errorf("optimizer."+o.Name, "unknown setting for %s (known: %s)%s", info.Name, strings.Join(known, ", "), suggest.Hint(o.Name, known))
		}
		switch isBool := info.Settings[i].Kind == fit.Bool; {
		case isBool && !o.Bool:
			return nil, s.errorf("optimizer."+o.Name, "must be true or false, got %v", o.Value)
		case !isBool && o.Bool:
			return nil, s.errorf("optimizer."+o.Name, "must be a number, got the boolean %v", o.Value != 0)
		}
		values[o.Name] = o.Value
	}
	filled := make(Options, len(info.Settings))
	for i, st := range info.Settings {
		v, ok := values[st.Name]
		if !ok {
			v = st.Default
		}
		if st.Check != nil {
			if err := st.Check(v); err != nil {
				return nil, s.wrap("optimizer."+st.Name, err)
			}
		}
		values[st.Name] = v
		filled[i] = Option{Name: st.Name, Value: v, Bool: st.Kind == fit.Bool}
	}
	if info.CheckAll != nil {
		if key, err := info.CheckAll(values); err != nil {
			return nil, s.wrap("optimizer."+key, err)
		}
	}
	s.Optimizer.Settings = filled
	return info.New(values), nil
}

// TargetDensity returns the target as the fit used it, expressed as a
// density at every grid point: the raw values under "density" weights, the
// masses divided by the grid weight under "normalized" ones.
func (b *Built) TargetDensity() []float64 {
	d := append([]float64(nil), b.Problem.P...)
	if b.Weights == target.Normalized {
		for i := range d {
			d[i] /= b.Problem.Grid.Weight
		}
	}
	return d
}

// MaxCellMass is the share of the target's mass in one cell above which
// a build warns that the grid does not resolve the target: a fit then
// sees a spike, and its numbers depend on the grid more than on the
// target.
const MaxCellMass = 0.05

// resolution returns a warning when one cell of g holds more than
// MaxCellMass of the target masses p, or "".
func resolution(g *grid.Grid, p []float64) string {
	var sum, top float64
	at := 0
	for i, v := range p {
		sum += v
		if v > top {
			top, at = v, i
		}
	}
	if g.Len() < 2/MaxCellMass || !(top > MaxCellMass*sum) { // a coarse grid of few points is the user's choice
		return ""
	}
	return fmt.Sprintf("the grid does not resolve the target: %.3g%% of its mass lies in the one cell at %s; the fit's numbers depend on the grid: use a finer grid step",
		100*top/sum, target.PointString(g, at))
}
