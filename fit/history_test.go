package fit

import (
	"bytes"
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
