package fit

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"
)

// TestHistoryBlocks appends rows across many block boundaries and reads
// every one back.
func TestHistoryBlocks(t *testing.T) {
	h := NewHistory("kl", []string{"a", "b"})
	const n = 3*historyBlock + smallRows + 7
	for r := range n {
		h.Append(float64(r), []float64{float64(2 * r), float64(-r)})
	}
	if h.Len() != n {
		t.Fatalf("Len %d, want %d", h.Len(), n)
	}
	losses, a := h.Losses(), h.Param(0)
	for r := range n {
		row := h.Row(r)
		if h.Loss(r) != float64(r) || losses[r] != float64(r) || row[0] != float64(2*r) || row[1] != float64(-r) || a[r] != float64(2*r) {
			t.Fatalf("row %d: loss %v, params %v", r, h.Loss(r), row)
		}
	}
	// Blocks are allocated once: 64, 128, ..., 2048 rows, then 4096 each.
	for b, blk := range h.loss {
		want := historyBlock
		if b < 6 {
			want = firstBlock << b
		}
		if cap(blk) != want {
			t.Errorf("block %d has capacity %d, want %d", b, cap(blk), want)
		}
	}
}

// TestHistoryReserve appends rows to histories whose first block Reserve
// made small, within it and beyond it, and reads every row back, the
// reported values too: the first block holds the rows reserved until a
// row beyond them makes it whole.
func TestHistoryReserve(t *testing.T) {
	for _, reserve := range []int{1, 3, 63, 64, 100} {
		for _, n := range []int{1, 3, 4, 63, 64, 65, 300} {
			h := NewHistory("kl", []string{"a", "b"})
			h.Report = []string{"se"}
			h.Reserve(reserve)
			for r := range n {
				h.Append(float64(r), []float64{float64(2 * r), float64(-r)})
				h.appendReportRow([]float64{float64(3 * r)})
			}
			for r := range n {
				if row := h.Row(r); h.Loss(r) != float64(r) || row[0] != float64(2*r) || row[1] != float64(-r) || h.ReportRow(r)[0] != float64(3*r) {
					t.Fatalf("reserve %d, %d rows: row %d: loss %v, params %v, reported %v", reserve, n, r, h.Loss(r), row, h.ReportRow(r))
				}
			}
			if got := h.Losses(); len(got) != n || got[n-1] != float64(n-1) {
				t.Errorf("reserve %d, %d rows: losses %v", reserve, n, got)
			}
			want := firstBlock
			if reserve < firstBlock && n <= reserve {
				want = reserve
			}
			if got := len(h.loss[0]); got != want || len(h.theta[0]) != 2*want || len(h.report[0]) != want {
				t.Errorf("reserve %d, %d rows: a first block of %d rows, want %d", reserve, n, got, want)
			}
		}
	}
}

func TestHistoryCSV(t *testing.T) {
	h := NewHistory("kl", []string{"mean", "variance"})
	h.Append(168.20416419140733, []float64{5, 1})
	h.Append(0.1, []float64{-5.739650499219521e-05, 1e21})
	var buf bytes.Buffer
	if err := h.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"epoch,kl,mean,variance",
		"0,168.20416419140733,5,1",
		"1,0.1,-5.739650499219521e-05,1e+21",
		"",
	}, "\n")
	if buf.String() != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", buf.String(), want)
	}
}

// TestHistoryCSVParams checks the parameter columns CSVParams selects:
// WriteCSV writes them in the order given, with the report columns, and a
// streamer made by NewCSVStreamerFor writes the same bytes, for rows it
// observes and for a history it is handed (as on resuming), while the
// history keeps every parameter.
func TestHistoryCSVParams(t *testing.T) {
	h := NewHistory("kl", []string{"a", "b", "c"})
	h.Report = []string{"loss_stderr"}
	h.CSVParams = []int{2, 0}
	rows := [][]float64{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}
	for r, row := range rows {
		h.Append(float64(10*r), row)
		h.appendReportRow([]float64{0.5 * float64(r)})
	}
	var buf bytes.Buffer
	if err := h.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	want := "epoch,kl,c,a,loss_stderr\n0,0,3,1,0\n1,10,6,4,0.5\n2,20,9,7,1\n"
	if buf.String() != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", buf.String(), want)
	}
	if got := h.Row(1); !slices.Equal(got, rows[1]) {
		t.Errorf("row 1 = %v, want every parameter %v", got, rows[1])
	}
	var streamed bytes.Buffer
	c := NewCSVStreamerFor(&streamed, h, 0)
	past := NewHistory("kl", h.Names) // a checkpoint's history: no selection of its own
	past.Report = h.Report
	past.Append(0, rows[0])
	past.appendReportRow([]float64{0})
	c.WriteHistory(past)
	for r := 1; r < 3; r++ {
		c.Observe(&Event{Epoch: r, Loss: float64(10 * r), Theta: rows[r], Report: []float64{0.5 * float64(r)}})
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if streamed.String() != want {
		t.Errorf("streamed:\n%s\nwant:\n%s", streamed.String(), want)
	}
}

// TestUnchangedSince checks the start of the run of identical rows that
// ends a history, bit for bit: -0 is not 0, and a NaN loss equals the
// same NaN.
func TestUnchangedSince(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		rows [][2]float64 // loss, parameter
		want int
	}{
		{nil, -1},
		{[][2]float64{{1, 2}}, 0},
		{[][2]float64{{1, 2}, {1, 2}, {1, 2}}, 0},
		{[][2]float64{{3, 1}, {1, 2}, {1, 2}}, 1},
		{[][2]float64{{1, 2}, {1, 2}, {1, 3}}, 2},
		{[][2]float64{{1, 2}, {0.5, 2}, {1, 2}}, 2},
		{[][2]float64{{1, 0}, {1, math.Copysign(0, -1)}}, 1},
		{[][2]float64{{2, 1}, {nan, 1}, {nan, 1}}, 1},
	} {
		h := NewHistory("kl", []string{"a"})
		for _, r := range tc.rows {
			h.Append(r[0], []float64{r[1]})
		}
		if got := h.UnchangedSince(); got != tc.want {
			t.Errorf("%v: %d, want %d", tc.rows, got, tc.want)
		}
	}
}
