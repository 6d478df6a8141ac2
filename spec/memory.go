package spec

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/internal/sysmem"
)

// MemoryEstimate is the memory a Monte Carlo fit is estimated to need, in
// bytes, part by part. It counts what grows with the model's parameters
// (p = d + d(d+1)/2 for a full-rank model in d dimensions, 2d for a
// mean-field one) or with d^2: the history, a row of p parameters per
// epoch as its blocks are allocated (fit.HistoryFloats); the optimizer's
// vectors and the fit loop's (fit.RunFloats: L-BFGS keeps 4 store + 9
// vectors of p, Adam 2); the parameters' names and summary.json
// (namesBytes a parameter); the draws (3 S d numbers) and the full-rank
// model's d x d matrices (4, or 7 for a forward KL fit with the samples'
// covariance and its checks, mean-field too); the target's (4 d^2 a
// normal component);
// and, for a fit that writes or resumes a checkpoint, the checkpoint's
// JSON (checkpointBytes a value of the history). What does not grow with
// the problem (the program, a figure) is left out.
type MemoryEstimate struct {
	// Bytes is the total.
	Bytes int64
	// Parts are its parts, largest first.
	Parts []MemoryPart
}

// MemoryPart is one part of a MemoryEstimate.
type MemoryPart struct {
	What  string
	Bytes int64
}

// namesBytes is the memory counted for each parameter's name and its
// place in summary.json: a name ("covariance[1234][567]", 40 bytes with
// its header) held three times (the history, the terminal's lines, the
// summary), and up to three parameter sets in summary.json (the final
// one, and a failure's refused and last good ones), about 45 bytes of
// JSON each, in the encoder's growing buffer and the copies made of it.
const namesBytes = 640

// checkpointBytes is the memory counted for each value of the history in
// a checkpoint: the copy of the parameters, and the JSON text (up to 25
// bytes a number) in the encoder's growing buffer, the copies json.Marshal
// makes of it and the one written.
const checkpointBytes = 160

// MonteCarloMemory estimates from the spec's text the memory a Monte
// Carlo fit of it needs (see MemoryEstimate), with checkpoint set for a
// fit that writes or resumes a checkpoint; nil and no error for a spec
// fitted on a grid. It reads no data file and allocates nothing that
// grows with the dimension (an mvnormal target's matrices aside: the spec
// holds them already).
func (s *Spec) MonteCarloMemory(checkpoint bool) (*MemoryEstimate, error) {
	n := s.withDefaults()
	if _, ok := n.MonteCarlo(); !ok {
		return nil, nil
	}
	mc, err := n.monteCarlo()
	if err != nil {
		return nil, err
	}
	opt, err := n.buildOptimizer()
	if err != nil {
		return nil, err
	}
	return n.memoryOf(mc, opt, checkpoint), nil
}

// CheckMemory refuses a Monte Carlo spec whose fit would need more than
// limit bytes of memory (see MonteCarloMemory), in one line naming the
// estimate, its largest parts and what to change; limit 0 means the
// machine's budget (sysmem.Budget: half the physical memory, or less
// under a memory limit; GOMEMLIMIT when set; never more than an
// address-space limit leaves). The refusal suggests a limit to raise only
// where raising it helps. A spec fitted on a grid passes.
func (s *Spec) CheckMemory(limit int64, checkpoint bool) error {
	n := s.withDefaults()
	if _, ok := n.MonteCarlo(); !ok {
		return nil
	}
	mc, err := n.monteCarlo()
	if err != nil {
		return err
	}
	opt, err := n.buildOptimizer()
	if err != nil {
		return err
	}
	return n.checkMemory(mc, opt, limit, checkpoint)
}

// CheckMemory is Spec.CheckMemory for the built fit, against the limit of
// its build's Env; klfit checks again this way a fit that writes or
// resumes a checkpoint.
func (b *Built) CheckMemory(checkpoint bool) error {
	if b.MonteCarlo == nil {
		return nil
	}
	return b.Spec.checkMemory(b.MonteCarlo, b.Optimizer, b.memLimit, checkpoint)
}

// checkMemory is CheckMemory for a built problem and optimizer.
func (s *Spec) checkMemory(mc *MonteCarlo, opt fit.Optimizer, limit int64, checkpoint bool) error {
	why, more := "the limit given", ""
	if limit <= 0 {
		limit, why, more = sysmem.Budget()
	}
	est := s.memoryOf(mc, opt, checkpoint)
	if est.Bytes <= limit {
		return nil
	}
	var parts []string
	for _, p := range est.Parts[:min(3, len(est.Parts))] {
		parts = append(parts, p.What+" "+sysmem.Bytes(p.Bytes))
	}
	big := func(what string) bool {
		for _, p := range est.Parts {
			if strings.HasPrefix(p.What, what) {
				return p.Bytes >= est.Bytes/5
			}
		}
		return false
	}
	d, p := mc.Model.Dim(), int64(mc.Model.Len())
	hints := []string{"fewer dimensions"}
	if !mc.Model.Diagonal() && d > 1 {
		hints = append(hints, fmt.Sprintf("model mvnormal_diag (%d parameters instead of %d)", 2*d, p))
	}
	if big("the history") && s.Epochs > 0 {
		hints = append(hints, fmt.Sprintf("fewer epochs (each adds a row of %s to the history)", sysmem.Bytes(8*p)))
	}
	if big("the lbfgs optimizer") {
		hints = append(hints, "optimizer adam (it keeps 2 vectors of the parameters, L-BFGS 4 store + 9)")
	}
	if big("the draws") {
		hints = append(hints, "fewer samples")
	}
	if big("the checkpoint") {
		hints = append(hints, "no --checkpoint")
	}
	if more != "" {
		more = ", or " + more
	}
	return s.errorf(s.dimsKey(), "this fit would need about %s of memory, more than the %s it may use here (%s): %s; use %s%s",
		sysmem.Bytes(est.Bytes), sysmem.Bytes(limit), why, strings.Join(parts, ", "), orList(hints), more)
}

// orList joins items as "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// dimsKey is the key that sets a Monte Carlo target's dimension.
func (s *Spec) dimsKey() string {
	switch s.Target.Kind() {
	case "log_density":
		return "target.dims"
	case "samples":
		return "target.columns"
	}
	return "target.params.mean"
}

// memoryOf is the MemoryEstimate of a fit of mc by opt.
func (s *Spec) memoryOf(mc *MonteCarlo, opt fit.Optimizer, checkpoint bool) *MemoryEstimate {
	d, p := float64(mc.Model.Dim()), mc.Model.Len()
	rows := min(s.Epochs, math.MaxInt-1) + 1
	est := &MemoryEstimate{}
	var total float64
	add := func(what string, floats float64) {
		est.Parts = append(est.Parts, MemoryPart{What: what, Bytes: saturate(8 * floats)})
		total += 8 * floats
	}
	_, reverse := mc.div.(divergence.ReverseKL)
	report := 0
	if reverse {
		report = 1 // the loss's standard error
	}
	add(fmt.Sprintf("the history (%.0f rows of %d parameters, as allocated for %d epochs)", fit.HistoryFloats(rows, 0, 0), p, s.Epochs),
		fit.HistoryFloats(rows, p, report))
	run, _ := fit.RunFloats(opt, p, checkpoint || s.OnDivergence == "backtrack")
	add(fmt.Sprintf("the %s optimizer and the fit's vectors", opt.Name()), run)
	add("the parameters' names and summary.json", namesBytes/8*float64(p))
	switch sd := float64(mc.Options.Samples); {
	case !reverse:
		add("the samples' covariance and the model's d x d matrices", 7*d*d)
	case mc.Model.Diagonal():
		add(fmt.Sprintf("the draws (%.0f of %.0f numbers)", sd, d), 3*sd*d+2*sd)
	default:
		add(fmt.Sprintf("the draws (%.0f of %.0f numbers)", sd, d), 3*sd*d+2*sd)
		add("the model's d x d matrices", 4*d*d)
	}
	switch t := s.Target; {
	case t.Kind() == "family" && t.Family == "mixture":
		k := 1.0
		if w, ok := t.Params.Get("weights"); ok && len(w.Shape) == 1 {
			k = float64(w.Shape[0])
		}
		add("the target's matrices", 4*k*d*d)
	case t.Kind() == "family":
		add("the target's matrices", 4*d*d)
	}
	if checkpoint {
		add("the checkpoint's JSON", checkpointBytes/8*float64(rows)*float64(p))
	}
	est.Bytes = saturate(total)
	slices.SortStableFunc(est.Parts, func(a, b MemoryPart) int { return cmp.Compare(b.Bytes, a.Bytes) })
	return est
}

// saturate converts a number of bytes to an int64, saturating.
func saturate(b float64) int64 {
	if b >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(b)
}
