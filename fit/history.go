package fit

import (
	"bufio"
	"io"
	"math"
	"math/bits"
	"strconv"
)

// History holds every state a fit visited: row 0 is the initial state, row k
// the state after k steps, each with its loss evaluated at that state.
//
// Rows are stored in blocks that are never moved once allocated (the first
// ones small, then historyBlock rows each), so that memory grows with the
// epochs actually run, appending a row never copies earlier ones, and a
// long fit pays no growing reallocation. The one exception is a first
// block made smaller than its 64 rows by Reserve, for a short fit: a row
// beyond it moves it once.
type History struct {
	// LossName names the loss column, e.g. "kl".
	LossName string
	// Names names the parameters, in the family's order.
	Names []string
	// Report names the divergences reported alongside the loss (see
	// ReportRow), written as extra CSV columns after the parameters.
	Report []string
	// CSVParams lists, in order, the indices of the parameters that the
	// history's CSV holds (CSVHeader, WriteCSV, and a CSVStreamer made by
	// NewCSVStreamerFor); nil means all of them. It selects output only:
	// the history, and a checkpoint of it, keep every parameter.
	CSVParams []int

	// Blocks of losses, parameters and reported values (row-major), each
	// allocated whole; rows 0 to n-1 are filled.
	loss   [][]float64
	theta  [][]float64
	report [][]float64
	n      int
	next   int // the next row's index in the last block; len(that block) when it is full
	first  int // the rows of the first block when Reserve made it smaller, else 0
}

const (
	firstBlock   = 64   // rows in the first block; each next one doubles
	historyBlock = 4096 // rows in every block once they stop doubling
	// smallRows is the number of rows held by the doubling blocks:
	// 64 + 128 + ... + 2048.
	smallRows = historyBlock - firstBlock
)

// NewHistory returns an empty history for a loss and parameters of the given
// names.
func NewHistory(lossName string, names []string) *History {
	return &History{LossName: lossName, Names: names}
}

// Reserve makes the first block of an empty history hold rows rows when
// they are fewer than its usual 64: a fit of few epochs and many
// parameters holds no more than it needs. A row beyond them moves the
// block to 64 rows, once. On a history with rows, Reserve does nothing.
func (h *History) Reserve(rows int) {
	if h.n == 0 && len(h.loss) == 0 && rows > 0 && rows < firstBlock {
		h.first = rows
	}
}

// Len returns the number of rows.
func (h *History) Len() int { return h.n }

// locate returns the block of row r and the row's index in it.
func locate(r int) (block, i int) {
	if r < smallRows {
		block = bits.Len(uint(r/firstBlock+1)) - 1
		return block, r - firstBlock*(1<<block-1)
	}
	r -= smallRows
	return bits.Len(smallRows/firstBlock) + r/historyBlock, r % historyBlock
}

// blockRows returns the number of rows of block b: 64, doubling up to
// 2048, then historyBlock.
func blockRows(b int) int {
	if b < bits.Len(smallRows/firstBlock) {
		return firstBlock << b
	}
	return historyBlock
}

// Loss returns the loss of row r.
func (h *History) Loss(r int) float64 {
	b, i := locate(r)
	return h.loss[b][i]
}

// Row returns the parameters of row r. The slice aliases the history.
func (h *History) Row(r int) []float64 {
	k := len(h.Names)
	b, i := locate(r)
	return h.theta[b][i*k : (i+1)*k : (i+1)*k]
}

// UnchangedSince returns the first row from which every row to the last
// has the same loss and parameters, bit for bit: the last row's index
// when it differs from the one before, -1 for an empty history. A fit
// whose steps have fallen below its parameters' resolution (an Adam that
// remembers gradients 1e75 times larger than today's) shows here.
func (h *History) UnchangedSince() int {
	r := h.n - 1
	if r < 0 {
		return r
	}
	last, loss := h.Row(r), math.Float64bits(h.Loss(r))
	for ; r > 0; r-- {
		if math.Float64bits(h.Loss(r-1)) != loss || !sameBits(h.Row(r-1), last) {
			break
		}
	}
	return r
}

func sameBits(a, b []float64) bool {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// Append adds a row.
func (h *History) Append(loss float64, theta []float64) {
	b, i := len(h.loss)-1, h.next
	switch {
	case b == 0 && i == len(h.loss[0]) && i < firstBlock:
		// The first block, made small by Reserve, is full: make it whole.
		grow := func(blk []float64, k int) []float64 {
			whole := make([]float64, firstBlock*k)
			copy(whole, blk)
			return whole
		}
		h.loss[0] = grow(h.loss[0], 1)
		h.theta[0] = grow(h.theta[0], len(h.Names))
		if len(h.Report) > 0 {
			h.report[0] = grow(h.report[0], len(h.Report))
		}
	case b < 0 || i == len(h.loss[b]):
		b, i = locate(h.n) // a new block, i = 0
		rows := blockRows(b)
		if b == 0 && h.first > 0 {
			rows = h.first
		}
		h.loss = append(h.loss, make([]float64, rows))
		h.theta = append(h.theta, make([]float64, rows*len(h.Names)))
		if len(h.Report) > 0 {
			h.report = append(h.report, make([]float64, rows*len(h.Report)))
		}
	}
	h.loss[b][i] = loss
	row := h.theta[b][i*len(theta):]
	for j, v := range theta { // a few values: a loop costs less than copy's call
		row[j] = v
	}
	h.n++
	h.next = i + 1
}

// filled returns the rows of block b that hold rows of the history.
func (h *History) filled(b int) int {
	lb, li := locate(h.n - 1)
	switch {
	case b < lb:
		return len(h.loss[b])
	case b == lb:
		return li + 1
	}
	return 0
}

// ReportRow returns the reported divergences of row r, in the order of
// Report. The slice aliases the history.
func (h *History) ReportRow(r int) []float64 {
	k := len(h.Report)
	b, i := locate(r)
	return h.report[b][i*k : (i+1)*k : (i+1)*k]
}

// appendReportRow adds the reported values of the last row appended.
func (h *History) appendReportRow(vals []float64) {
	b, i := locate(h.n - 1)
	copy(h.report[b][i*len(vals):], vals)
}

// Losses returns the loss of every row, in a new slice.
func (h *History) Losses() []float64 {
	out := make([]float64, 0, h.n)
	for b, blk := range h.loss {
		out = append(out, blk[:h.filled(b)]...)
	}
	return out
}

// Thetas returns the parameters of every row, row-major, in a new slice.
func (h *History) Thetas() []float64 {
	k := len(h.Names)
	out := make([]float64, 0, h.n*k)
	for b, blk := range h.theta {
		out = append(out, blk[:h.filled(b)*k]...)
	}
	return out
}

// Reports returns the reported values of every row, row-major, in a new
// slice (nil when nothing is reported).
func (h *History) Reports() []float64 {
	if len(h.Report) == 0 {
		return nil
	}
	k := len(h.Report)
	out := make([]float64, 0, h.n*k)
	for b, blk := range h.report {
		out = append(out, blk[:h.filled(b)*k]...)
	}
	return out
}

// appendHistory appends every row of src, whose columns must be h's.
func (h *History) appendHistory(src *History) {
	for r := range src.Len() {
		h.Append(src.Loss(r), src.Row(r))
		if len(h.Report) > 0 {
			h.appendReportRow(src.ReportRow(r))
		}
	}
}

// Param returns the trace of parameter j across rows, in a new slice.
func (h *History) Param(j int) []float64 {
	out := make([]float64, h.n)
	for r := range out {
		out[r] = h.Row(r)[j]
	}
	return out
}

// CSVHeader returns the history's CSV header: epoch, the loss name, then the
// parameter names (those CSVParams selects), then the reported columns.
func (h *History) CSVHeader() []string {
	names := h.Names
	if h.CSVParams != nil {
		names = make([]string, len(h.CSVParams))
		for k, j := range h.CSVParams {
			names[k] = h.Names[j]
		}
	}
	return append(append([]string{"epoch", h.LossName}, names...), h.Report...)
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
	for r := range h.n {
		buf = appendCSVRow(buf[:0], h.CSVParams, r, h.Loss(r), h.Row(r))
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

// appendCSVRow is AppendCSVRow with the parameters params selects (all
// when it is nil).
func appendCSVRow(dst []byte, params []int, epoch int, loss float64, theta []float64) []byte {
	if params == nil {
		return AppendCSVRow(dst, epoch, loss, theta)
	}
	dst = strconv.AppendInt(dst, int64(epoch), 10)
	dst = append(dst, ',')
	dst = strconv.AppendFloat(dst, loss, 'g', -1, 64)
	for _, j := range params {
		dst = append(dst, ',')
		dst = strconv.AppendFloat(dst, theta[j], 'g', -1, 64)
	}
	return append(dst, '\n')
}
