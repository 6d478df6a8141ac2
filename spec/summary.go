package spec

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"

	"github.com/klfit/klfit/fit"
)

// Summary is what a fit did, as written to summary.json and printed by
// `klfit fit --json`.
type Summary struct {
	// Spec is the spec that ran, with every default filled in.
	Spec *Spec `json:"spec"`
	// Divergence names what was minimized and Direction says it in words.
	Divergence string     `json:"divergence"`
	Direction  string     `json:"direction"`
	Status     fit.Status `json:"status"`
	// Epochs is the number of steps taken.
	Epochs int `json:"epochs"`
	// Loss and Params are those of the last state in the history (null
	// when even the initial state failed).
	Loss            Float        `json:"loss"`
	Params          NamedFloats  `json:"params"`
	WallTimeSeconds float64      `json:"wall_time_seconds"`
	Failure         *FailureInfo `json:"failure,omitempty"`
	// Reason says why a fit has not converged: one a stopping rule ended
	// next to a bounded divergence's largest value (status no_overlap),
	// or one that ended there at max_epochs, max_time or interrupted.
	Reason string `json:"reason,omitempty"`
	// UnchangedSince is the epoch from which the loss and parameters
	// stayed the same to the last bit, when that is UnchangedEpochs
	// epochs or more before the end (null otherwise): the optimizer's
	// steps were below the parameters' resolution.
	UnchangedSince *int `json:"unchanged_since_epoch,omitempty"`
	// Report holds the reported divergences at the last state, by history
	// column, and ReportDirections their directions in words.
	Report           *NamedFloats      `json:"report,omitempty"`
	ReportDirections map[string]string `json:"report_directions,omitempty"`
	// Warnings repeats what building the target had to say.
	Warnings []string `json:"warnings,omitempty"`
	// Stop says which rule ended the fit and the value that triggered it.
	Stop StopInfo `json:"stop"`
	// Backtracks counts the backtracks taken (on_divergence: backtrack),
	// and FinalLearningRate is the learning rate they left (only when
	// there were some).
	Backtracks        int    `json:"backtracks"`
	FinalLearningRate *Float `json:"final_learning_rate,omitempty"`
	// Evaluations counts loss-and-gradient evaluations (a line search
	// makes several per epoch).
	Evaluations int `json:"evaluations"`
	// LossMeaning says what the loss is when it is not the divergence
	// itself: a Monte Carlo loss (the divergence up to a constant), or one
	// on raw density values (target_weights: density).
	LossMeaning string `json:"loss_meaning,omitempty"`
	// Diagnostics says whether a Monte Carlo fit by the reverse KL can be
	// trusted (see AddDiagnostics).
	Diagnostics *DiagnosticsInfo `json:"diagnostics,omitempty"`
}

// UnchangedEpochs is the number of epochs at the end of a fit that left
// its state unchanged, bit for bit, from which the summary says so.
const UnchangedEpochs = 10

// StopInfo names the rule that ended a fit ("max_epochs", "tolerance",
// "gradient_tolerance", "patience", "max_time", "gradient_threshold",
// "no_decrease", "line_search", "diverged", "interrupted") and the value
// that triggered it (null when there is none). A fit with status
// no_overlap keeps the rule whose verdict was not believed.
type StopInfo struct {
	Rule  string `json:"rule"`
	Value Float  `json:"value"`
}

// FailureInfo describes the state that stopped a diverged fit.
type FailureInfo struct {
	Epoch   int    `json:"epoch"`
	Message string `json:"message"`
	// Params holds the offending parameters.
	Params NamedFloats `json:"params"`
	// Loss is the offending loss, null when it was not computed.
	Loss           Float       `json:"loss"`
	LastGoodParams NamedFloats `json:"last_good_params"`
}

// NewSummary summarizes the result r of the fit b.
func NewSummary(b *Built, r *fit.Result) *Summary {
	names := b.ParamNames()
	s := &Summary{
		Spec:            b.Spec,
		Divergence:      b.Divergence().Name(),
		Direction:       b.Divergence().Direction(),
		Status:          r.Status,
		Epochs:          r.Epochs,
		Loss:            Float(r.Loss()),
		Params:          NamedFloats{names, r.Theta()},
		WallTimeSeconds: r.Elapsed.Seconds(),
		Stop:            StopInfo{Rule: r.StopRule, Value: Float(r.StopValue)},
		Backtracks:      r.Backtracks,
		Evaluations:     r.Evaluations,
	}
	if r.Backtracks > 0 {
		lr := Float(r.LearningRate)
		s.FinalLearningRate = &lr
	}
	if h := r.History; len(h.Report) > 0 && h.Len() > 0 {
		s.Report = &NamedFloats{h.Report, h.ReportRow(h.Len() - 1)}
		s.ReportDirections = map[string]string{}
		for _, d := range b.Report {
			s.ReportDirections[fit.ReportColumn(d)] = d.Direction()
		}
	}
	s.Warnings = b.Warnings
	if mc := b.MonteCarlo; mc != nil {
		s.Direction, s.LossMeaning = mc.Direction(), mc.LossMeaning()
	}
	if m := b.DensityMeaning(r.Loss(), r.Status == fit.Diverged); m != "" {
		s.LossMeaning = m
	}
	if r.Reason != nil {
		s.Reason = r.Reason.Error()
	}
	if since := r.History.UnchangedSince(); since >= 0 && r.History.Len()-1-since >= UnchangedEpochs {
		s.UnchangedSince = &since
	}
	if f := r.Failure; f != nil {
		s.Failure = &FailureInfo{
			Epoch:          f.Epoch,
			Message:        f.Error(),
			Params:         NamedFloats{names, f.Theta},
			Loss:           Float(f.Loss),
			LastGoodParams: NamedFloats{names, f.LastGood},
		}
	}
	return s
}

// JSON returns the summary as indented JSON with a final newline.
func (s *Summary) JSON() []byte { return indentJSON(s) }

func indentJSON(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic("spec: a summary always encodes: " + err.Error())
	}
	return append(b, '\n')
}

// Float is a float64 that encodes to JSON in its shortest round-trip form,
// with NaN as null and infinities as the strings "+Inf" and "-Inf".
type Float float64

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte("null"), nil
	case math.IsInf(v, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// NamedFloats encodes as a JSON object of names to numbers, in order; nil
// values encode as null.
type NamedFloats struct {
	Names  []string
	Values []float64
}

// MarshalJSON implements json.Marshaler.
func (n NamedFloats) MarshalJSON() ([]byte, error) {
	if n.Values == nil {
		return []byte("null"), nil
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, name := range n.Names {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(name)
		buf.Write(k)
		buf.WriteByte(':')
		v, _ := Float(n.Values[i]).MarshalJSON()
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
