package fit

import (
	"bufio"
	"io"
	"strconv"
)

// History holds every state a fit visited: row 0 is the initial state, row k
// the state after k steps, each with its loss evaluated at that state. It
// grows with the epochs actually run.
type History struct {
	// LossName names the loss column, e.g. "kl".
	LossName string
	// Names names the parameters, in the family's order.
	Names []string
	// Loss holds one loss per row.
	Loss []float64
	// Theta holds the parameters of every row, row-major: row r is
	// Theta[r*len(Names) : (r+1)*len(Names)].
	Theta []float64
	// Report names the divergences reported alongside the loss, and
	// ReportValues holds their values, row-major like Theta. They are
	// written as extra CSV columns after the parameters.
	Report       []string
	ReportValues []float64
}

// NewHistory returns an empty history for a loss and parameters of the given
// names.
func NewHistory(lossName string, names []string) *History {
	return &History{LossName: lossName, Names: names}
}

// Len returns the number of rows.
func (h *History) Len() int { return len(h.Loss) }

// Row returns the parameters of row r. The slice aliases the history.
func (h *History) Row(r int) []float64 {
	k := len(h.Names)
	return h.Theta[r*k : (r+1)*k : (r+1)*k]
}

// Append adds a row.
func (h *History) Append(loss float64, theta []float64) {
	h.Loss = append(h.Loss, loss)
	h.Theta = append(h.Theta, theta...)
}

// Param returns the trace of parameter j across rows, in a new slice.
func (h *History) Param(j int) []float64 {
	k := len(h.Names)
	out := make([]float64, h.Len())
	for r := range out {
		out[r] = h.Theta[r*k+j]
	}
	return out
}

// CSVHeader returns the history's CSV header: epoch, the loss name, then the
// parameter names.
func (h *History) CSVHeader() []string {
	return append(append([]string{"epoch", h.LossName}, h.Names...), h.Report...)
}

// WriteCSV writes the history as CSV: a header, then one row per state with
// numbers in the shortest form that reads back to the same float64.
func (h *History) WriteCSV(w io.Writer) error {
	bw := bufio.NewWriter(w)
	buf := make([]byte, 0, 256)
	for i, name := range h.CSVHeader() {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, name...)
	}
	buf = append(buf, '\n')
	if _, err := bw.Write(buf); err != nil {
		return err
	}
	for r := range h.Loss {
		buf = AppendCSVRow(buf[:0], r, h.Loss[r], h.Row(r))
		buf = h.appendReport(buf, r)
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// AppendCSVRow appends one history row in CSV form, newline included, to
// dst and returns the extended slice.
func AppendCSVRow(dst []byte, epoch int, loss float64, theta []float64) []byte {
	dst = strconv.AppendInt(dst, int64(epoch), 10)
	dst = append(dst, ',')
	dst = strconv.AppendFloat(dst, loss, 'g', -1, 64)
	for _, v := range theta {
		dst = append(dst, ',')
		dst = strconv.AppendFloat(dst, v, 'g', -1, 64)
	}
	return append(dst, '\n')
}
