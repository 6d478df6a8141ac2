package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

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

// TestSignals interrupts a long fit with a real SIGINT (Ctrl-C) and a
// real SIGTERM (kill, timeout), once the child has printed its first
// epoch, and checks the exit code (130, 143), the message, and that
// history.csv and summary.json hold every epoch computed.
func TestSignals(t *testing.T) {
	for _, c := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, ExitInterrupted}, {syscall.SIGTERM, ExitTerminated}} {
		t.Run(c.sig.String(), func(t *testing.T) {
			cmd, out, stderr := startLongFit(t)
			if err := cmd.Process.Signal(c.sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != c.code {
				t.Fatalf("exit: %v, want %d, stderr %q", err, c.code, stderr.String())
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
			lines := strings.Split(strings.TrimSpace(string(hist)), "\n")
			if sum.Status != "interrupted" || sum.Epochs < 1 || len(lines) != sum.Epochs+2 {
				t.Errorf("status %s after %d epochs, history of %d lines", sum.Status, sum.Epochs, len(lines))
			}
			header := strings.Count(lines[0], ",")
			for i, l := range lines {
				if strings.Count(l, ",") != header {
					t.Fatalf("history.csv line %d has %d fields, the header %d", i+1, strings.Count(l, ",")+1, header+1)
				}
			}
		})
	}
}

// TestKilledHistoryHeader kills a fit that reports js with SIGKILL once it
// runs: the streamed history.csv's header, written first, must name the
// report column its rows carry.
func TestKilledHistoryHeader(t *testing.T) {
	cmd, out, _ := startLongFit(t)
	cmd.Process.Kill()
	cmd.Wait()
	first, _, _ := strings.Cut(string(readFile(t, filepath.Join(out, "history.csv"))), "\n")
	if first != "epoch,kl,mean,variance,js" {
		t.Errorf("streamed header %q, want epoch,kl,mean,variance,js", first)
	}
}

// startLongFit starts klfit in a child process on a fit of 10^12 epochs
// that reports js, writing into a new directory (returned), and returns
// once the child has printed its first epoch: the fit runs and the signal
// handler is installed. The child's standard output is drained.
func startLongFit(t *testing.T) (cmd *exec.Cmd, out string, stderr *bytes.Buffer) {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "s.yaml")
	writeFile(t, p, "grid: {start: -10, stop: 10, step: 0.1}\ntarget: {family: normal, params: {mean: 0, variance: 7}}\nmodel: {family: normal, init: {mean: 5, variance: 1}}\noptimizer: {name: gd, learning_rate: 0.01}\nepochs: 1e12\nreport: [js]\n")
	out = filepath.Join(dir, "out")
	cmd = exec.Command(os.Args[0], "fit", p, "--out", out, "--no-figures")
	cmd.Env = append(os.Environ(), "KLFIT_MAIN=1")
	stderr = new(bytes.Buffer)
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(stdout)
	first, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(first, "epoch ") {
		cmd.Process.Kill()
		t.Fatalf("first line %q: %v", first, err)
	}
	go io.Copy(io.Discard, r)
	return cmd, out, stderr
}
