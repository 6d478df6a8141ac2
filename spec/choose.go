package spec

import (
	"bytes"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/fit"
)

// CompareSummary is what `klfit fit --compare` writes to summary.json: the
// same fit under several optimizers, and how fast each got within
// Tolerance of the best loss any of them reached.
type CompareSummary struct {
	// Spec is the spec compared; each run replaces its optimizer.
	Spec       *Spec  `json:"spec"`
	Divergence string `json:"divergence"`
	// BestLoss is the lowest loss of any run, and TargetLoss
	// BestLoss + Tolerance * max(|BestLoss|, 1).
	BestLoss   Float   `json:"best_loss"`
	TargetLoss Float   `json:"target_loss"`
	Tolerance  float64 `json:"tolerance"`
	// Interrupted says that the comparison was stopped (Ctrl-C) before
	// every run had finished: BestLoss is then the lowest loss reached
	// before, and the runs' status says which were interrupted.
	Interrupted bool         `json:"interrupted"`
	Runs        []CompareRun `json:"runs"`
	// LossMeaning says what the losses are when they are not the
	// divergence itself (target_weights: density; see
	// Built.DensityMeaning), at the best loss.
	LossMeaning string `json:"loss_meaning,omitempty"`
}

// CompareRun is one run of a comparison.
type CompareRun struct {
	// Optimizer is the run's optimizer with all its settings.
	Optimizer       Optimizer   `json:"optimizer"`
	Status          fit.Status  `json:"status"`
	Stop            StopInfo    `json:"stop"`
	Epochs          int         `json:"epochs"`
	Evaluations     int         `json:"evaluations"`
	Loss            Float       `json:"loss"`
	Params          NamedFloats `json:"params"`
	WallTimeSeconds float64     `json:"wall_time_seconds"`
	// EpochsToTarget and SecondsToTarget say when the run first reached
	// the target loss; null when it never did.
	EpochsToTarget  *int     `json:"epochs_to_target"`
	SecondsToTarget *float64 `json:"seconds_to_target"`
}

// NewCompareRun describes the run of b that gave r, which first reached
// the target loss at row reach (-1 for never) after seconds[reach].
func NewCompareRun(b *Built, r *fit.Result, reach int, seconds []float64) CompareRun {
	c := CompareRun{Optimizer: b.Spec.Optimizer, Status: r.Status, Stop: StopInfo{Rule: r.StopRule, Value: Float(r.StopValue)},
		Epochs: r.Epochs, Evaluations: r.Evaluations, Loss: Float(r.Loss()),
		Params: NamedFloats{dist.ParamNames(b.Problem.Family), r.Theta()}, WallTimeSeconds: r.Elapsed.Seconds()}
	if reach >= 0 {
		c.EpochsToTarget = &reach
		if reach < len(seconds) {
			s := seconds[reach]
			c.SecondsToTarget = &s
		}
	}
	return c
}

// LRFindSummary is what `klfit fit --lr-find` writes to summary.json: a
// sweep of learning rates, each run for EpochsPerRate epochs, and the
// suggested rate (null when no rate was stable, or the sweep was
// interrupted: see fit.SuggestLR).
type LRFindSummary struct {
	// Spec is the spec swept; each run replaces its learning rate.
	Spec          *Spec `json:"spec"`
	EpochsPerRate int   `json:"epochs_per_rate"`
	// Interrupted says that the sweep was stopped (Ctrl-C) before every
	// rate had run its epochs; the rates' status says which.
	Interrupted bool          `json:"interrupted"`
	Suggested   *Float        `json:"suggested_learning_rate"`
	Rates       []LRFindPoint `json:"rates"`
}

// LRFindPoint is one rate of a sweep (see fit.LRPoint).
type LRFindPoint struct {
	LearningRate Float      `json:"learning_rate"`
	Status       fit.Status `json:"status"`
	Epochs       int        `json:"epochs"`
	InitialLoss  Float      `json:"initial_loss"`
	FinalLoss    Float      `json:"final_loss"`
	MaxLoss      Float      `json:"max_loss"`
	Stable       bool       `json:"stable"`
}

// NewLRFindSummary summarizes a sweep of the spec s.
func NewLRFindSummary(s *Spec, epochs int, pts []fit.LRPoint, suggest int) *LRFindSummary {
	out := &LRFindSummary{Spec: s, EpochsPerRate: epochs}
	for _, p := range pts {
		out.Rates = append(out.Rates, LRFindPoint{LearningRate: Float(p.Rate), Status: p.Status, Epochs: p.Epochs,
			InitialLoss: Float(p.Initial), FinalLoss: Float(p.Final), MaxLoss: Float(p.Max), Stable: p.Stable})
		out.Interrupted = out.Interrupted || p.Status == fit.Interrupted
	}
	if suggest >= 0 {
		r := Float(pts[suggest].Rate)
		out.Suggested = &r
	}
	return out
}

// MarshalJSON writes the optimizer as the spec does: its name and
// settings, booleans as true or false.
func (o Optimizer) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	writeJSON(&buf, o.node())
	return buf.Bytes(), nil
}

// WithOptimizer returns a copy of s that uses the optimizer name with its
// default settings (or s's own, when s names the same optimizer), for a
// comparison. An optimizer without a learning rate cannot backtrack: the
// copy then stops on divergence.
func (s *Spec) WithOptimizer(name string) *Spec {
	c := *s
	c.Optimizer = Optimizer{Name: name}
	if name == s.Optimizer.Name {
		c.Optimizer.Settings = append(Options(nil), s.Optimizer.Settings...)
	}
	if info, err := fit.LookupOptimizer(name); err == nil && c.OnDivergence == "backtrack" && !hasLearningRate(info) {
		c.OnDivergence, c.MaxBacktracks = "stop", 0
	}
	return &c
}

// WithLearningRate returns a copy of s whose optimizer's learning rate is
// rate, for a sweep; it stops only after its epochs, and on divergence.
func (s *Spec) WithLearningRate(rate float64, epochs int) *Spec {
	c := *s
	c.Optimizer.Settings = nil
	for _, o := range s.Optimizer.Settings {
		if o.Name != "learning_rate" {
			c.Optimizer.Settings = append(c.Optimizer.Settings, o)
		}
	}
	c.Optimizer.Settings = append(c.Optimizer.Settings, Option{Name: "learning_rate", Value: rate})
	c.Epochs, c.Stop, c.OnDivergence, c.MaxBacktracks = epochs, Stop{}, "stop", 0
	return &c
}

func hasLearningRate(info fit.OptimizerInfo) bool {
	for _, st := range info.Settings {
		if st.Name == "learning_rate" {
			return true
		}
	}
	return false
}

// JSON returns the summary as indented JSON with a final newline.
func (s *CompareSummary) JSON() []byte { return indentJSON(s) }

// JSON returns the summary as indented JSON with a final newline.
func (s *LRFindSummary) JSON() []byte { return indentJSON(s) }

// WithOptimizer returns b run by the optimizer name (see
// Spec.WithOptimizer): the same problem, read and built once.
func (b *Built) WithOptimizer(name string) (*Built, error) {
	return b.vary(b.Spec.WithOptimizer(name))
}

// WithLearningRate returns b at another learning rate (see
// Spec.WithLearningRate): the same problem, read and built once.
func (b *Built) WithLearningRate(rate float64, epochs int) (*Built, error) {
	return b.vary(b.Spec.WithLearningRate(rate, epochs))
}

// vary returns b with the optimizer, epochs and stop rules of s, a spec
// that differs from b.Spec in nothing else.
func (b *Built) vary(s *Spec) (*Built, error) {
	n := s.withDefaults()
	if err := n.check(); err != nil {
		return nil, err
	}
	c := *b
	c.Spec, c.Epochs = n, n.Epochs
	var err error
	if c.Optimizer, err = n.buildOptimizer(); err != nil {
		return nil, err
	}
	if bd, ok := c.Optimizer.Fresh().(fit.Binder); ok {
		if err := bd.Bind(c.Problem); err != nil {
			return nil, n.wrap("optimizer.name", err)
		}
	}
	c.OnDivergence, c.MaxBacktracks = fit.StopOnDivergence, 0
	if err := n.buildStop(&c); err != nil {
		return nil, err
	}
	return &c, nil
}
