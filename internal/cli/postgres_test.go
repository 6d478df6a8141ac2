package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klfit/klfit/internal/pgtest"
	"github.com/klfit/klfit/server"
)

// TestFitPostgres runs klfit fit on a postgres target given on the
// command line, with --dsn and an automatic grid, and checks the summary:
// the grid spans the samples, the NULL is reported, no password shows.
func TestFitPostgres(t *testing.T) {
	srv := pgtest.Shared(t)
	ctx := context.Background()
	if err := srv.Exec(ctx, "DROP TABLE IF EXISTS amounts", "CREATE TABLE amounts (amount numeric)",
		// A unimodal sample on [7, 13] (the sum of two sines; the two
		// ends written out), which a normal model fits on the grid: a
		// U-shaped one would send the model's variance off the grid.
		"INSERT INTO amounts SELECT 10 + 1.5 * sin(i) + 1.5 * sin(1.618 * i) FROM generate_series(1, 5000) AS i",
		"INSERT INTO amounts VALUES (7), (13), (NULL)",
		"GRANT SELECT ON amounts TO "+srv.User); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := run(t, ctx, false, "fit", "--target", `postgres("SELECT amount FROM amounts")`, "--model", "normal",
		"--dsn", srv.PasswordDSN(), "--statement-timeout", "30s", "--out", out, "--no-figures")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "1 NULL value and 0 values not a number") {
		t.Errorf("stderr %q", stderr)
	}
	sum := string(readFile(t, filepath.Join(out, "summary.json")))
	for _, s := range []string{stdout, stderr, sum} {
		if strings.Contains(s, srv.Password) {
			t.Errorf("the password shows in %q", s)
		}
	}
	var got struct {
		Spec struct {
			Grid struct{ Start, Stop, Step float64 }
		}
	}
	if err := json.Unmarshal([]byte(sum), &got); err != nil {
		t.Fatal(err)
	}
	// Samples in [7, 13]: the grid holds them, in about 1000 cells.
	g := got.Spec.Grid
	if !(g.Start <= 7 && g.Start > 6.9 && g.Stop >= 13 && g.Stop < 13.1 && g.Step == 0.01) || !strings.Contains(sum, `"dsn": "host=127.0.0.1`) {
		t.Errorf("grid %+v; summary:\n%s", g, sum)
	}

	code, _, stderr = run(t, ctx, false, "fit", "--target", "normal(mean=0, variance=1)", "--model", "normal", "--dsn", "host=x", "--out", out)
	if code != ExitUsage || !strings.Contains(stderr, "--dsn is the connection of a postgres target, and this target is family") {
		t.Errorf("--dsn on a family: exit %d, %q", code, stderr)
	}
	code, _, stderr = run(t, ctx, false, "fit", "--target", `postgres("SELECT amount FROM nope")`, "--model", "normal", "--dsn", srv.DSN, "--out", out)
	if code != ExitUsage || !strings.Contains(stderr, `--target: postgres: the query failed at line 1, column 20 (near "nope"): relation "nope" does not exist`) {
		t.Errorf("bad table: exit %d, %q", code, stderr)
	}
}

// TestPostgresProgress checks the progress line on a terminal while the
// database works, and that it is cleared.
func TestPostgresProgress(t *testing.T) {
	srv := pgtest.Shared(t)
	code, _, stderr := run(t, context.Background(), true, "fit", "--target", `postgres("SELECT 1.0 FROM pg_sleep(0.5)")`, "--model", "normal",
		"--grid", "0:3:1", "--dsn", srv.DSN, "--out", filepath.Join(t.TempDir(), "out"), "--no-figures", "--epochs", "1")
	if !strings.Contains(stderr, "\rPostgreSQL: binning in the database... 0.") || !strings.Contains(stderr, "(Ctrl-C cancels)") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestPostgresSIGINT interrupts klfit fit, a real process, while its
// query runs in the database: it exits with 130 within a second, and the
// query no longer runs in the database.
func TestPostgresSIGINT(t *testing.T) {
	srv := pgtest.Shared(t)
	cmd := exec.Command(os.Args[0], "fit", "--target", `postgres("SELECT 1.0 FROM pg_sleep(60) /* klfit-sigint-test */")`, "--model", "normal",
		"--grid", "0:3:1", "--out", filepath.Join(t.TempDir(), "out"))
	cmd.Env = append(os.Environ(), "KLFIT_MAIN=1", "PGHOST="+srv.Socket, "PGPORT="+strconv.Itoa(srv.Port), "PGUSER=postgres", "PGDATABASE=postgres")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(30 * time.Second)
	for !queryRuns(t, srv, "klfit-sigint-test") {
		if time.Now().After(deadline) {
			t.Fatalf("the query never ran; stderr %q", stderr.String())
		}
		time.Sleep(20 * time.Millisecond) // polling the database, not synchronizing
	}
	t0 := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	took := time.Since(t0)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitInterrupted {
		t.Fatalf("exit: %v, stderr %q", err, stderr.String())
	}
	t.Logf("klfit exited %v after SIGINT", took)
	if took > time.Second {
		t.Errorf("klfit took %v to stop", took)
	}
	if !strings.Contains(stderr.String(), "the query was cancelled (in the database too)") {
		t.Errorf("stderr %q", stderr.String())
	}
	if queryRuns(t, srv, "klfit-sigint-test") {
		t.Error("the query still runs in the database")
	}
}

func queryRuns(t *testing.T, srv *pgtest.Server, tag string) bool {
	t.Helper()
	c, err := srv.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var n int
	if err := c.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid()`, tag).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// TestServePostgresDSN checks that klfit serve --postgres-dsn connects
// once at start: a database it cannot reach is an error then, not on
// every fit.
func TestServePostgresDSN(t *testing.T) {
	srv := pgtest.Shared(t)
	cfg := server.Config{PostgresDSN: srv.DSN}
	if err := checkServeDSN(context.Background(), &cfg); err != nil || !cfg.Postgres || cfg.PostgresDSN != srv.DSN {
		t.Errorf("a working dsn: %v, %+v", err, cfg)
	}
	cfg = server.Config{PostgresDSN: "host=127.0.0.1 port=1 user=x sslmode=disable connect_timeout=5"}
	if err := checkServeDSN(context.Background(), &cfg); err == nil || !strings.Contains(err.Error(), "--postgres-dsn: cannot connect to PostgreSQL at 127.0.0.1:1") {
		t.Errorf("an unreachable server: %v", err)
	}
}
