package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkDemo runs klfit demo in-process, figures included, against the
// same fit without figures as a reference (compare the two ns/op): the
// figures are drawn concurrently, and the whole demo aims at 0.15 s on
// two cores.
func BenchmarkDemo(b *testing.B) {
	dir := b.TempDir()
	specPath := filepath.Join(dir, "demo.yaml")
	ios := &IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}
	var demoSpec strings.Builder
	if code := Run(context.Background(), []string{"demo", "--print-spec"}, &IOStreams{Out: &demoSpec, ErrOut: io.Discard}); code != 0 {
		b.Fatalf("exit %d", code)
	}
	if err := os.WriteFile(specPath, []byte(demoSpec.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"figures", []string{"demo", "-q", "--out", filepath.Join(dir, "demo")}},
		{"no-figures", []string{"fit", specPath, "-q", "--no-figures", "--out", filepath.Join(dir, "nofig")}},
	} {
		b.Run(c.name, func(b *testing.B) {
			cpu0 := cpuTime()
			for b.Loop() {
				if code := Run(context.Background(), c.args, ios); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
			// The CPU time the process spent, all threads: on a busy
			// machine the wall time measures the others' load too.
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime returns the user and system time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
