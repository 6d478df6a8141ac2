package spec_test

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/klfit/klfit/internal/pgtest"
	"github.com/klfit/klfit/spec"
	"github.com/klfit/klfit/target"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestPostgresSpec checks the postgres target's keys and one-line form,
// and that neither the YAML, the JSON nor the one-line form of a spec
// repeats a dsn's password.
func TestPostgresSpec(t *testing.T) {
	s, err := spec.Parse([]byte(`grid: {start: 0, stop: 10, step: 0.1}
target:
  postgres: SELECT amount FROM events
  dsn: postgres://shop:s3cret-pw@db.example:5432/shop?sslmode=require
  statement_timeout: 90s
model: {family: gamma}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := spec.Target{Postgres: "SELECT amount FROM events", DSN: "postgres://shop:s3cret-pw@db.example:5432/shop?sslmode=require", StatementTimeout: 90}
	if !reflect.DeepEqual(s.Target, want) {
		t.Errorf("target %+v", s.Target)
	}
	js, _ := s.MarshalJSON()
	for _, out := range []string{string(s.YAML()), string(js), s.Target.OneLine()} {
		if strings.Contains(out, "s3cret") || !strings.Contains(out, "postgres://shop@db.example:5432/shop?sslmode=require") {
			t.Errorf("printed spec:\n%s", out)
		}
	}
	line := `postgres("SELECT x FROM t WHERE d > now() - interval '7 days'", dsn="host=db password=pw1 dbname=x", statement_timeout=30)`
	tg, err := spec.ParseTarget(line)
	if err != nil {
		t.Fatal(err)
	}
	want = spec.Target{Postgres: "SELECT x FROM t WHERE d > now() - interval '7 days'", DSN: "host=db password=pw1 dbname=x", StatementTimeout: 30}
	if !reflect.DeepEqual(tg, want) {
		t.Errorf("one-line target %+v", tg)
	}
	if got := tg.OneLine(); got != `postgres("SELECT x FROM t WHERE d > now() - interval '7 days'", dsn="host=db dbname=x", statement_timeout=30)` {
		t.Errorf("OneLine %s", got)
	}
	for _, c := range []struct{ in, want string }{
		{`postgres("SELECT 1", port=5)`, "unknown argument port of postgres(...)"},
		{`postgres("SELECT 1", "x")`, "postgres(...) takes one query"},
		{`postgres("SELECT 1", statement_timeout=x)`, "statement_timeout must be a number of seconds"},
		{`postgres("SELECT 1", dsn="a", dsn="b")`, "dsn is given twice"},
		{`postgres(" ")`, "needs a query in quotes, got an empty string"},
	} {
		if _, err := spec.ParseTarget(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.in, err, c.want)
		}
	}
	head := "grid: {start: 0, stop: 1, step: 0.1}\n"
	tail := "model: {family: normal}\n"
	for _, c := range []struct{ body, want string }{
		{"target: {samples: a.csv, dsn: 'host=x'}\n", "spec line 2: target.dsn: dsn is not a setting of a samples target"},
		{"target: {postgres: 'SELECT 1', column: x}\n", "spec line 2: target.column: column is not a setting of a postgres target"},
		{"target: {postgres: 'SELECT 1', statement_timeout: -1}\n", "spec line 2: target.statement_timeout: must be from 0 to 1e9 seconds, got -1"},
		{"target: {postgres: 'SELECT 1', statement_timeout: 1y}\n", "spec line 2: target.statement_timeout: must be seconds or a duration"},
		{"target: {postgres: 'SELECT 1', dsn: 'host=x port=notaport'}\n", "spec line 2: target.dsn: cannot parse"},
		{"target: {postgres: ';'}\n", "spec line 2: target.postgres: the query is empty"},
	} {
		checkSpecError(t, head+c.body+tail, c.want)
	}
}

// TestPostgresFit fits 10^6 samples twice: binned in PostgreSQL, and read
// from a CSV file and binned by klfit. The histograms are the same, bit
// for bit, so the fitted parameters agree to 1e-12 (they are equal); what
// crosses the network is the histogram, tens of kilobytes; the NULLs and non-numbers are
// counted; the summary shows no password.
func TestPostgresFit(t *testing.T) {
	srv := pgtest.Shared(t)
	n := 1_000_000
	if testing.Short() {
		n = 10_000
	}
	rng := rand.New(rand.NewPCG(3, 17))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = 2 + 0.75*rng.NormFloat64()
	}
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "samples.csv"))
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("x\n")
	for _, x := range xs {
		w.WriteString(strconv.FormatFloat(x, 'g', -1, 64) + "\n")
	}
	if err := firstErr(w.Flush(), f.Close()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := srv.Exec(ctx, "DROP TABLE IF EXISTS draws", "CREATE TABLE draws (x double precision)"); err != nil {
		t.Fatal(err)
	}
	c, err := srv.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CopyFrom(ctx, pgx.Identifier{"draws"}, []string{"x"}, pgx.CopyFromSlice(n, func(i int) ([]any, error) { return []any{xs[i]}, nil })); err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)
	if err := srv.Exec(ctx, "INSERT INTO draws VALUES (NULL), (NULL), (NULL), ('NaN'), ('-Infinity')"); err != nil {
		t.Fatal(err)
	}

	rest := `model: {family: normal, init: {mean: 0, variance: 4}}
epochs: 300
`
	grid := "grid: {start: -2, stop: 6, step: 0.01}\n"
	fromCSV := grid + "target: {samples: " + filepath.Join(dir, "samples.csv") + ", column: x}\n" + rest
	fromDB := grid + fmt.Sprintf("target: {postgres: 'SELECT x FROM draws', dsn: '%s'}\n", srv.PasswordDSN()) + rest
	t0 := time.Now()
	bc, rc := runSpec(t, fromCSV)
	t1 := time.Now()
	bd, rd := runSpec(t, fromDB)
	t.Logf("build and fit: from CSV %v, from PostgreSQL %v", t1.Sub(t0), time.Since(t1))
	for i := range bc.Problem.P {
		if bc.Problem.P[i] != bd.Problem.P[i] {
			t.Fatalf("P[%d]: csv %v, postgres %v", i, bc.Problem.P[i], bd.Problem.P[i])
		}
	}
	pc, pd := rc.History.Row(rc.History.Len()-1), rd.History.Row(rd.History.Len()-1)
	for i := range pc {
		if math.Abs(pc[i]-pd[i]) > 1e-12*math.Abs(pc[i]) {
			t.Errorf("param %d: csv %v, postgres %v", i, pc[i], pd[i])
		}
	}
	q := bd.Target.(*target.Postgres)
	t.Logf("%d rows: received %d bytes from PostgreSQL; fitted %v", n+5, q.Received, pd)
	// One row of about 40 bytes a non-empty cell (801 cells), and the
	// connection's start; the samples alone would be 8 MB.
	if cells := len(bd.Problem.P); q.Received > 4096+48*int64(cells) {
		t.Errorf("received %d bytes for %d rows on %d cells: more than the histogram", q.Received, n, cells)
	}
	if q.Nulls != 3 || q.NotNumbers != 2 || q.Stats.N != n {
		t.Errorf("nulls %d, not numbers %d, n %d", q.Nulls, q.NotNumbers, q.Stats.N)
	}
	if warn := strings.Join(bd.Warnings, "\n"); !strings.Contains(warn, "3 NULL values and 2 values not a number") {
		t.Errorf("warnings: %q", warn)
	}
	sum := string(spec.NewSummary(bd, rd).JSON())
	if strings.Contains(sum, srv.Password) || !strings.Contains(sum, "user=klfit_reader") {
		t.Errorf("summary:\n%s", sum)
	}
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// TestPostgresContext checks that the build's context reaches the
// target's queries, and the environment's DSN and progress the target.
func TestPostgresContext(t *testing.T) {
	srv := pgtest.Shared(t)
	s, err := spec.Parse([]byte(`grid: {start: 0, stop: 2, step: 1}
target: {postgres: 'SELECT 1.0 FROM pg_sleep(30)'}
model: {family: normal, init: {mean: 0, variance: 1}}
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	env := spec.Env{DSN: srv.DSN, DatabaseProgress: func(stage string, _ time.Duration, done bool) {
		if strings.HasPrefix(stage, "binning") {
			cancel()
		}
	}}
	_, err = s.Build(ctx, env)
	if err == nil || !strings.Contains(err.Error(), "target.postgres: the query was cancelled") {
		t.Errorf("error %v", err)
	}
}
