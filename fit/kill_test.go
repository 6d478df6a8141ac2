package fit_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/klfit/klfit/fit"
)

const streamChildEnv = "KLFIT_TEST_STREAM_CHILD"

// TestStreamSurvivesKill runs a long fit in a child process that streams
// its history to a file, kills the child with SIGKILL once it has said
// that 200 epochs are flushed, and checks that the file is a valid CSV
// whose rows are exactly the first rows of the same fit run here.
func TestStreamSurvivesKill(t *testing.T) {
	if path := os.Getenv(streamChildEnv); path != "" {
		streamChild(t, path)
		return
	}
	path := filepath.Join(t.TempDir(), "history.csv")
	cmd := exec.Command(os.Args[0], "-test.run=^TestStreamSurvivesKill$")
	cmd.Env = append(os.Environ(), streamChildEnv+"="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(stdout).ReadString('\n'); line != "flushed\n" {
		cmd.Process.Kill()
		t.Fatalf("the child said %q (%v)", line, err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, stdout)
	cmd.Wait()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 || data[len(data)-1] != '\n' {
		t.Fatalf("the file does not end with a whole row: %q", data[max(0, len(data)-40):])
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("not a valid CSV: %v", err)
	}
	rows := len(recs) - 1
	if rows < flushedRows {
		t.Fatalf("only %d rows, after the child flushed %d", rows, flushedRows)
	}
	res, err := fit.Run(context.Background(), notebookProblem(t), fit.Options{Epochs: rows - 1})
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	res.History.WriteCSV(&want)
	if !bytes.Equal(data, want.Bytes()) {
		t.Errorf("the %d streamed rows differ from the fit's", rows)
	}
	t.Logf("%d rows survived the kill", rows)
}

// flushedRows is the number of rows the child has flushed when it says
// so.
const flushedRows = 201

// streamChild is the child's side: a fit that never ends, streamed to
// path; after epoch 200 it flushes the stream and says "flushed" on
// standard output.
func streamChild(t *testing.T, path string) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	prob := notebookProblem(t)
	st := fit.NewCSVStreamer(f, fit.NewHistoryFor(prob, nil).CSVHeader(), 0)
	say := fit.ObserverFunc(func(ev *fit.Event) {
		if ev.Epoch == flushedRows-1 {
			st.Flush()
			fmt.Println("flushed")
		}
	})
	fit.Run(context.Background(), prob, fit.Options{Epochs: math.MaxInt32, Observers: []fit.Observer{st, say}})
	t.Error("the child's fit ended")
}
