package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klfit/klfit/internal/pgtest"
)

// TestMain lets the test binary act as klfit itself when KLFIT_MAIN is set,
// so that TestSIGINT can send a real signal to a real process.
func TestMain(m *testing.M) {
	if os.Getenv("KLFIT_MAIN") == "1" {
		os.Exit(Main(os.Args[1:]))
	}
	os.Exit(pgtest.Main(m)) // stops the PostgreSQL server of the postgres tests
}

// TestSIGINT interrupts a long fit with a real SIGINT, as Ctrl-C does, and
// checks exit code 130, the message, and that history.csv and summary.json
// hold every epoch computed.
func TestSIGINT(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.yaml")
	writeFile(t, p, "grid: {start: -10, stop: 10, step: 0.1}\ntarget: {family: normal, params: {mean: 0, variance: 7}}\nmodel: {family: normal, init: {mean: 5, variance: 1}}\noptimizer: {name: gd, learning_rate: 0.01}\nepochs: 1e12\n")
	out := filepath.Join(dir, "out")
	cmd := exec.Command(os.Args[0], "fit", p, "--out", out, "--no-figures")
	cmd.Env = append(os.Environ(), "KLFIT_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitInterrupted {
		t.Fatalf("exit: %v, stderr %q", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted after epoch") || strings.Contains(stderr.String(), "goroutine") {
		t.Errorf("stderr %q", stderr.String())
	}
	var sum struct {
		Status string `json:"status"`
		Epochs int    `json:"epochs"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(out, "summary.json")), &sum); err != nil {
		t.Fatal(err)
	}
	hist := readFile(t, filepath.Join(out, "history.csv"))
	if sum.Status != "interrupted" || sum.Epochs < 1 || bytes.Count(hist, []byte("\n")) != sum.Epochs+2 {
		t.Errorf("status %s after %d epochs, history of %d lines", sum.Status, sum.Epochs, bytes.Count(hist, []byte("\n")))
	}
}
