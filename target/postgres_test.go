package target_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/klfit/klfit/internal/pgtest"
	"github.com/klfit/klfit/target"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// loadSamples makes table name with a float8 column x holding xs, then
// extra rows of the given SQL values (NULL, 'NaN', ...).
func loadSamples(t *testing.T, srv *pgtest.Server, name string, xs []float64, extra ...string) {
	t.Helper()
	ctx := context.Background()
	if err := srv.Exec(ctx, "DROP TABLE IF EXISTS "+name, "CREATE TABLE "+name+" (id serial, x float8)"); err != nil {
		t.Fatal(err)
	}
	c, err := srv.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.CopyFrom(ctx, pgx.Identifier{name}, []string{"x"}, pgx.CopyFromSlice(len(xs), func(i int) ([]any, error) {
		return []any{xs[i]}, nil
	})); err != nil {
		t.Fatal(err)
	}
	for _, v := range extra {
		if _, err := c.Exec(ctx, "INSERT INTO "+name+" (x) VALUES ("+v+")"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPostgres checks that a query binned in PostgreSQL gives the same
// histogram, bit for bit, as the same samples read from a CSV file by
// klfit, that NULLs and non-numbers are counted apart, and that what
// crosses the network is the histogram, not the samples.
func TestPostgres(t *testing.T) {
	srv := pgtest.Shared(t)
	xs := normalDraws(20000, 11)
	xs = append(xs, -1.05, -1, 2.95, 3) // on the cells' edges
	loadSamples(t, srv, "events", xs, "NULL", "NULL", "'NaN'", "'Infinity'", "'-Infinity'")
	p := write(t, "events.csv", csvColumn("x", xs, ""))
	g := grid1(t, -1, 3, 0.05)

	q, err := target.NewPostgres("SELECT x FROM events ORDER BY id;\n", srv.DSN)
	if err != nil {
		t.Fatal(err)
	}
	got := density(t, q, g)
	s := &target.Samples{Path: p, Column: "x"}
	want := density(t, s, g)
	for i := range want {
		if got[i] != want[i] { // the same whole counts over the same n and step
			t.Errorf("cell %d: postgres %v, samples %v", i, got[i], want[i])
		}
	}
	if q.Stats.N != len(xs) || q.Stats.Below != s.Stats.Below || q.Stats.Above != s.Stats.Above || q.Stats.Below == 0 || q.Stats.Above == 0 {
		t.Errorf("postgres stats %+v, samples stats %+v", q.Stats, s.Stats)
	}
	if q.Nulls != 2 || q.NotNumbers != 3 || q.Stats.Skipped != 5 {
		t.Errorf("nulls %d, not numbers %d, skipped %d; want 2, 3, 5", q.Nulls, q.NotNumbers, q.Stats.Skipped)
	}
	if math.Abs(q.Stats.Mean-s.Stats.Mean) > 1e-12 || math.Abs(q.Stats.Variance/s.Stats.Variance-1) > 1e-12 {
		t.Errorf("moments: postgres %v %v, samples %v %v", q.Stats.Mean, q.Stats.Variance, s.Stats.Mean, s.Stats.Variance)
	}
	warn := strings.Join(q.Warnings(), "\n")
	if !strings.Contains(warn, "2 NULL values and 3 values not a number") || !strings.Contains(warn, "fall outside the grid") {
		t.Errorf("warnings: %q", warn)
	}
	// 80 cells plus the rows of the codes: a few kilobytes at most, where
	// the samples alone would be 8 bytes each.
	t.Logf("received %d bytes from PostgreSQL for %d rows", q.Received, len(xs)+5)
	if q.Received <= 0 || q.Received > 8<<10 {
		t.Errorf("received %d bytes, want a few kilobytes", q.Received)
	}

	r, err := q.Range(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	if r.Min != lo || r.Max != hi || r.N != len(xs) || r.Rows != len(xs)+5 || q.Nulls != 2 || q.NotNumbers != 3 {
		t.Errorf("range %+v (nulls %d, not numbers %d), want [%v, %v] of %d", r, q.Nulls, q.NotNumbers, lo, hi, len(xs))
	}
	if q.Received > 4<<10 {
		t.Errorf("range: received %d bytes", q.Received)
	}
}

// TestPostgresErrors checks each way a postgres target fails: its message,
// on one line, says what is wrong and where, and holds no password.
func TestPostgresErrors(t *testing.T) {
	srv := pgtest.Shared(t)
	loadSamples(t, srv, "small", []float64{1, 2, 3}, "NULL")
	if err := srv.Exec(context.Background(), "CREATE TABLE IF NOT EXISTS words (w text)", "INSERT INTO words VALUES ('a')"); err != nil {
		t.Fatal(err)
	}
	closed := fmt.Sprintf("host=127.0.0.1 port=%d user=me dbname=db sslmode=disable", freeClosedPort(t))
	wrongPW := strings.Replace(srv.PasswordDSN(), srv.Password, "wrong-secret-9", 1)
	noPW := strings.Replace(srv.PasswordDSN(), "password="+srv.Password, "", 1)
	t.Setenv("PGPASSWORD", "")
	t.Setenv("PGPASSFILE", "/nonexistent")
	g := grid1(t, 0, 4, 1)
	for _, c := range []struct {
		name, dsn, query string
		want             []string
		timeout          time.Duration
	}{
		{"refused", closed, "SELECT 1", []string{"cannot connect to PostgreSQL at 127.0.0.1:", "PGHOST and PGPORT"}, 0},
		{"wrong password", wrongPW, "SELECT 1", []string{"refused user \"klfit_reader\"", "password authentication failed", "PGPASSWORD"}, 0},
		{"no password", noPW, "SELECT 1", []string{"asks user \"klfit_reader\" for a password and none was given", "PGPASSWORD"}, 0},
		{"no such database", srv.DSN + " dbname=nope", "SELECT 1", []string{"database \"nope\" does not exist", "PGDATABASE"}, 0},
		{"unknown table", srv.DSN, "SELECT x\nFROM no_such_table", []string{"at line 2, column 6 (near \"no_such_table\")", "relation \"no_such_table\" does not exist", "42P01"}, 0},
		{"syntax", srv.DSN, "SELECT x FORM small", []string{"at line 1, column 15 (near \"small\")", "syntax error"}, 0},
		{"two statements", srv.DSN, "SELECT x FROM small; DROP TABLE small", []string{"must be a single statement"}, 0},
		{"not a select", srv.DSN, "CREATE TABLE t2 (x int)", []string{"no columns"}, 0},
		{"text column", srv.DSN, "SELECT w FROM words", []string{`first column "w" is text, not a number`, `"w"::float8`}, 0},
		{"no rows", srv.DSN, "SELECT x FROM small WHERE x > 10", []string{"the query returned no rows"}, 0},
		{"only nulls", srv.DSN, "SELECT x FROM small WHERE x IS NULL", []string{"no numbers", "NULL (1)"}, 0},
		{"read only", srv.DSN, "SELECT nextval('small_id_seq')::float8", []string{"cannot execute nextval() in a read-only transaction", "READ ONLY"}, 0},
		{"writing", srv.DSN, "WITH d AS (DELETE FROM small RETURNING x) SELECT x FROM d", []string{"data-modifying"}, 0},
		{"runtime error", srv.DSN, "SELECT 1/(x-2) FROM small", []string{"division by zero", "22012"}, 0},
		{"statement timeout", srv.DSN, "SELECT 1.0 FROM pg_sleep(5)", []string{"longer than the statement timeout (200ms)", "--statement-timeout"}, 200 * time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			q, err := target.NewPostgres(c.query, c.dsn)
			if err != nil {
				t.Fatal(err)
			}
			if c.timeout > 0 {
				q.StatementTimeout = c.timeout
			}
			err = q.Density(make([]float64, g.Len()), g)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			if strings.Contains(msg, "\n") || strings.Contains(msg, srv.Password) || strings.Contains(msg, "wrong-secret-9") {
				t.Errorf("error is not one line or shows a password: %q", msg)
			}
			if strings.Contains(q.String(), "wrong-secret-9") || strings.Contains(q.String(), srv.Password) {
				t.Errorf("String shows the password: %s", q)
			}
		})
	}
	if err := srv.Exec(context.Background(), "SELECT x FROM small"); err != nil {
		t.Errorf("the table is gone after the read-only queries: %v", err)
	}
	// The right password connects, and is shown nowhere.
	q, err := target.NewPostgres("SELECT x FROM small", srv.PasswordDSN())
	if err != nil {
		t.Fatal(err)
	}
	d := density(t, q, g)
	if d[1] != 1.0/3 || d[2] != 1.0/3 || d[3] != 1.0/3 || q.Nulls != 1 {
		t.Errorf("density %v, nulls %d", d, q.Nulls)
	}
	if strings.Contains(q.String(), srv.Password) || !strings.Contains(q.String(), "user=klfit_reader") {
		t.Errorf("String: %s", q)
	}
}

// freeClosedPort returns a loopback port nothing listens on.
func freeClosedPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestPostgresCancel checks that cancelling the context stops the query
// in the database within a second.
func TestPostgresCancel(t *testing.T) {
	srv := pgtest.Shared(t)
	q, err := target.NewPostgres("SELECT 1.0 FROM pg_sleep(60) /* klfit-cancel-test */", srv.DSN)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	var once bool
	q.Progress = func(stage string, _ time.Duration, done bool) {
		if strings.HasPrefix(stage, "binning") && !done && !once {
			once = true
			close(started)
		}
	}
	q.Context = ctx
	errc := make(chan error, 1)
	g := grid1(t, 0, 2, 1)
	go func() { errc <- q.Density(make([]float64, g.Len()), g) }()
	<-started // the query has been running for 200 ms
	if !sleeping(t, srv) {
		t.Fatal("the query is not running in the database")
	}
	t0 := time.Now()
	cancel()
	err = <-errc
	took := time.Since(t0)
	if err == nil || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "cancelled") {
		t.Errorf("error %v", err)
	}
	if took > time.Second {
		t.Errorf("cancelling took %v", took)
	}
	if sleeping(t, srv) {
		t.Errorf("the query still runs in the database after %v", took)
	}
}

// sleeping reports whether the cancel test's query is running.
func sleeping(t *testing.T, srv *pgtest.Server) bool {
	t.Helper()
	c, err := srv.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var n int
	err = c.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
WHERE state = 'active' AND query LIKE '%klfit-cancel-test%' AND pid <> pg_backend_pid()`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n > 0
}

func TestRedactDSN(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"host=db user=me password=s3cret dbname=x", "host=db user=me dbname=x"},
		{"host=db password='s3 cret' user=me", "host=db user=me"},
		{"host=db user=me", "host=db user=me"},
		{"postgres://me:s3cret@db:5432/x?sslmode=require", "postgres://me@db:5432/x?sslmode=require"},
		{"postgresql://me@db/x?password=s3cret", "postgresql://me@db/x"},
		{"", ""},
	} {
		if got := target.RedactDSN(c.in); got != c.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
