package fit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Checkpoint is a fit's state, enough to continue it exactly: Run resumed
// from a checkpoint (Options.Resume) takes the same steps, with the same
// numbers, as the fit that wrote it would have taken had it not stopped.
type Checkpoint struct {
	// Spec is the caller's description of the fit, kept with the state
	// and not read by this package; klfit keeps the spec's YAML here.
	Spec string
	// Optimizer names the optimizer's Go type; resuming with another is
	// an error.
	Optimizer string
	// Status is the fit's status when the checkpoint was written at its
	// end, empty for a checkpoint written while it ran.
	Status Status
	// Epoch is the epoch of the state, the last row of History; an
	// objective whose draws change with the epoch (EpochStarter) derives
	// them from it again on resuming.
	Epoch int
	// U, Loss and Grad are the optimizer's vector, its loss and its
	// gradient.
	U    []float64
	Loss float64
	Grad []float64
	// OptimizerState is what the optimizer's AppendState saved (see
	// Stateful); empty for an optimizer without state.
	OptimizerState []float64
	Backtracks     int
	// Evaluations counts the loss-and-gradient evaluations so far (0 in
	// checkpoints written before it was kept).
	Evaluations int
	// Elapsed is the wall time of the fit so far.
	Elapsed time.Duration
	History *History
}

// checkpointFormat names the file format; checkpointVersion changes when
// the format does.
const (
	checkpointFormat  = "klfit-checkpoint"
	checkpointVersion = 1
)

// checkpointFile is a checkpoint as JSON. Go writes every float64 in the
// shortest form that reads back to the same bits, so a checkpoint round
// trips exactly.
type checkpointFile struct {
	Format         string      `json:"format"`
	Version        int         `json:"version"`
	Status         Status      `json:"status,omitempty"`
	Optimizer      string      `json:"optimizer"`
	Epoch          int         `json:"epoch"`
	U              []float64   `json:"u"`
	Loss           float64     `json:"loss"`
	Grad           []float64   `json:"grad"`
	OptimizerState []float64   `json:"optimizer_state"`
	Backtracks     int         `json:"backtracks"`
	Evaluations    int         `json:"evaluations,omitempty"`
	ElapsedNanos   int64       `json:"elapsed_ns"`
	History        historyFile `json:"history"`
	Spec           string      `json:"spec,omitempty"`
}

type historyFile struct {
	LossName     string    `json:"loss_name"`
	Names        []string  `json:"names"`
	Loss         []float64 `json:"loss"`
	Theta        []float64 `json:"theta"`
	Report       []string  `json:"report,omitempty"`
	ReportValues []float64 `json:"report_values,omitempty"`
}

// MarshalJSON encodes the checkpoint.
func (c *Checkpoint) MarshalJSON() ([]byte, error) {
	if c.History == nil {
		return nil, errors.New("fit: a checkpoint needs its history")
	}
	f := checkpointFile{Format: checkpointFormat, Version: checkpointVersion, Status: c.Status, Optimizer: c.Optimizer,
		Epoch: c.Epoch, U: c.U, Loss: c.Loss, Grad: c.Grad, OptimizerState: c.OptimizerState, Backtracks: c.Backtracks,
		Evaluations: c.Evaluations, ElapsedNanos: int64(c.Elapsed), Spec: c.Spec,
		History: historyFile{LossName: c.History.LossName, Names: c.History.Names, Loss: c.History.Losses(), Theta: c.History.Thetas(),
			Report: c.History.Report, ReportValues: c.History.Reports()}}
	if f.OptimizerState == nil {
		f.OptimizerState = []float64{}
	}
	return json.Marshal(f)
}

// UnmarshalJSON decodes a checkpoint strictly and checks that its parts
// fit together.
func (c *Checkpoint) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f checkpointFile
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("not a klfit checkpoint: %w", err)
	}
	if f.Format != checkpointFormat {
		return fmt.Errorf("not a klfit checkpoint (format %q)", f.Format)
	}
	if f.Version != checkpointVersion {
		return fmt.Errorf("checkpoint version %d, this klfit reads version %d", f.Version, checkpointVersion)
	}
	fh := f.History
	k, nr, rows := len(fh.Names), len(fh.Report), len(fh.Loss)
	switch {
	case k == 0 || len(f.U) != k || len(f.Grad) != k:
		return fmt.Errorf("checkpoint: %d parameter names, %d values, %d gradient entries", k, len(f.U), len(f.Grad))
	case rows == 0 || len(fh.Theta) != rows*k:
		return fmt.Errorf("checkpoint: a history of %d losses and %d parameter values for %d parameters", rows, len(fh.Theta), k)
	case len(fh.ReportValues) != rows*nr:
		return fmt.Errorf("checkpoint: a history of %d losses and %d reported values for %d reported divergences", rows, len(fh.ReportValues), nr)
	case f.Epoch != rows-1:
		return fmt.Errorf("checkpoint: epoch %d with a history of %d rows", f.Epoch, rows)
	case f.Backtracks < 0 || f.ElapsedNanos < 0 || f.Evaluations < 0:
		return fmt.Errorf("checkpoint: %d backtracks, %d evaluations, %d ns elapsed", f.Backtracks, f.Evaluations, f.ElapsedNanos)
	}
	h := NewHistory(fh.LossName, fh.Names)
	h.Report = fh.Report
	for r := range rows {
		h.Append(fh.Loss[r], fh.Theta[r*k:(r+1)*k])
		if nr > 0 {
			h.appendReportRow(fh.ReportValues[r*nr : (r+1)*nr])
		}
	}
	*c = Checkpoint{Spec: f.Spec, Optimizer: f.Optimizer, Status: f.Status, Epoch: f.Epoch, U: f.U, Loss: f.Loss, Grad: f.Grad,
		OptimizerState: f.OptimizerState, Backtracks: f.Backtracks, Evaluations: f.Evaluations, Elapsed: time.Duration(f.ElapsedNanos), History: h}
	return nil
}

// WriteFile writes the checkpoint to path atomically: to a temporary file
// in the same directory, synced, then renamed over path, so that path
// always holds a whole checkpoint.
func (c *Checkpoint) WriteFile(path string) (err error) {
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("checkpoint %s: %w", path, err)
		}
	}()
	if _, err = tmp.Write(append(data, '\n')); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// ReadCheckpoint reads a checkpoint that WriteFile wrote.
func ReadCheckpoint(path string) (*Checkpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the checkpoint: %w", err)
	}
	c := new(Checkpoint)
	if err := json.Unmarshal(data, c); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || len(bytes.TrimSpace(data)) == 0 {
			return nil, fmt.Errorf("%s is not a klfit checkpoint (not whole JSON: %v)", path, err)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// resume sets up a fit from a checkpoint: its history, state and
// optimizer state. The loss and gradient at the saved state are evaluated
// again and must be the saved ones, bit for bit: a checkpoint of another
// problem is refused.
func resume(cp *Checkpoint, opt Optimizer, stateful Stateful, scaler LearningRateScaler, s *State, eval Evaluator, res *Result) error {
	h := res.History
	k := len(h.Names)
	switch {
	case cp.History == nil || cp.History.Len() != cp.Epoch+1:
		return errors.New("resume: the checkpoint's history does not end at its epoch")
	case !slices.Equal(cp.History.Names, h.Names) || cp.History.LossName != h.LossName:
		return fmt.Errorf("resume: the checkpoint is of a fit of %v by %s, this one fits %v by %s",
			cp.History.Names, cp.History.LossName, h.Names, h.LossName)
	case !slices.Equal(cp.History.Report, h.Report):
		return fmt.Errorf("resume: the checkpoint reports %v, this fit reports %v", cp.History.Report, h.Report)
	case cp.Optimizer != opt.Name():
		return fmt.Errorf("resume: the checkpoint was written by the %s optimizer, this fit uses %s", cp.Optimizer, opt.Name())
	case len(cp.U) != k || len(cp.Grad) != k:
		return fmt.Errorf("resume: the checkpoint holds %d values for %d parameters", len(cp.U), k)
	}
	copy(s.U, cp.U)
	loss, err := eval(s.U, s.Grad)
	if err != nil {
		return fmt.Errorf("resume: the checkpoint's state is not usable here: %w", err)
	}
	if math.Float64bits(loss) != math.Float64bits(cp.Loss) || !slices.Equal(s.Grad, cp.Grad) {
		return fmt.Errorf("resume: the checkpoint does not match this problem: its loss is %v, here %v", cp.Loss, loss)
	}
	s.Loss = loss
	if stateful != nil {
		if err := stateful.SetState(cp.OptimizerState, k); err != nil {
			return fmt.Errorf("resume: %w", err)
		}
	} else if len(cp.OptimizerState) != 0 {
		return fmt.Errorf("resume: the checkpoint holds an optimizer state, and the %s optimizer has none", opt.Name())
	}
	if cp.Backtracks > 0 && scaler != nil {
		scaler.ScaleLearningRate(math.Ldexp(1, -cp.Backtracks)) // each backtrack halved it
	}
	h.appendHistory(cp.History)
	res.Epochs, res.Backtracks = cp.Epoch, cp.Backtracks
	if cp.Evaluations > 0 { // the count of the fit so far, as a straight run has it (not the check above)
		res.Evaluations = cp.Evaluations
	}
	return nil
}
