package fit_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/fit"
)

const streamChildEnv = "KLFIT_TEST_STREAM_CHILD"

// TestStreamSurvivesKill runs a long fit in a child process that streams
// its history to a file, kills the child with SIGKILL after it has run
// for more than a second, and checks that the file is a valid CSV whose
// rows are exactly the first rows of the same fit run here.
func TestStreamSurvivesKill(t *testing.T) {
	if path := os.Getenv(streamChildEnv); path != "" {
		streamChild(t, path)
		return
	}
	if testing.Short() {
		t.Skip("starts a process and waits 1.5 s")
	}
	path := filepath.Join(t.TempDir(), "history.csv")
	cmd := exec.Command(os.Args[0], "-test.run=^TestStreamSurvivesKill$")
	cmd.Env = append(os.Environ(), streamChildEnv+"="+path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
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
	if rows < 10 {
		t.Fatalf("only %d rows after more than a second", rows)
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

// streamChild is the child's side: a fit that never ends, slowed to about
// a thousand epochs a second, streamed to path.
func streamChild(t *testing.T, path string) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	prob := notebookProblem(t)
	st := fit.NewCSVStreamer(f, fit.NewHistory("kl", dist.ParamNames(prob.Family)).CSVHeader(), 0)
	slow := fit.ObserverFunc(func(*fit.Event) { time.Sleep(time.Millisecond) })
	fit.Run(context.Background(), prob, fit.Options{Epochs: 1 << 40, Observers: []fit.Observer{st, slow}})
	t.Error("the child's fit ended")
}
