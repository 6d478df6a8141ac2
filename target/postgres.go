package target

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"

	"github.com/klfit/klfit/grid"
	"github.com/klfit/klfit/internal/plural"
)

// Postgres is a 1-D samples target read from PostgreSQL (or a database
// speaking its protocol): the query's first column holds the samples,
//
//	SELECT amount FROM events WHERE day > now() - interval '7 days'
//
// The binning is done in the database: klfit wraps the query in one that
// counts the samples in each cell of the grid with GROUP BY, so the table
// is scanned once and only the histogram (a few kilobytes) crosses the
// network. Range, which an automatic grid needs, is one more scan that
// returns one row.
//
// The query runs in a READ ONLY transaction with a statement timeout and
// must be a single statement whose first column is a number (smallint,
// integer, bigint, real, double precision or numeric). NULLs and the
// values that are not numbers (NaN, Infinity) are skipped and counted.
//
// The connection comes from DSN (a URL or key=value string) or, where it
// leaves them out, from the libpq environment: PGHOST, PGPORT,
// PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE, PGSERVICE, ~/.pgpass. The
// password never appears in String, in errors or in warnings.
type Postgres struct {
	Query string
	// DSN is the connection string; "" takes everything from the libpq
	// environment.
	DSN string
	// StatementTimeout bounds each query in the database (0: none).
	StatementTimeout time.Duration
	// Context, when set, bounds Density: cancelling it cancels the query
	// in the database. Range takes its context as an argument.
	Context context.Context
	// Progress, when set, is told about every 200 ms what the database is
	// doing and for how long it has been at it, and once with done true
	// at the end of each query.
	Progress func(stage string, elapsed time.Duration, done bool)

	// Stats describes the samples of the last Density call: Skipped is
	// Nulls + NotNumbers. Mean and Variance are those of the finite
	// samples.
	Stats SampleStats
	// Nulls and NotNumbers count the NULLs and the NaN or infinite values
	// of the last Range or Density call.
	Nulls, NotNumbers int
	// Received counts the bytes read from the server by the last Range or
	// Density call, connection included.
	Received int64

	warnings []string
}

// DefaultStatementTimeout is the statement timeout of a postgres target
// that gives none.
const DefaultStatementTimeout = 15 * time.Minute

// NewPostgres returns the postgres target of a query. The query must not
// be empty; its other faults are found by the database.
func NewPostgres(query, dsn string) (*Postgres, error) {
	if strings.TrimSpace(trimStatement(query)) == "" {
		return nil, errors.New("the query is empty")
	}
	if dsn != "" {
		if _, err := pgx.ParseConfig(dsn); err != nil {
			return nil, fmt.Errorf("dsn: %s", scrubPassword(oneLineErr(err), dsn))
		}
	}
	return &Postgres{Query: query, DSN: dsn, StatementTimeout: DefaultStatementTimeout}, nil
}

// Dim returns 1.
func (q *Postgres) Dim() int { return 1 }

// String returns the one-line syntax, the password left out:
// postgres("SELECT ...", dsn="host=db user=me").
func (q *Postgres) String() string {
	s := fmt.Sprintf("postgres(%q", q.Query)
	if q.DSN != "" {
		s += fmt.Sprintf(", dsn=%q", RedactDSN(q.DSN))
	}
	return s + ")"
}

// Warnings returns what the last Density call had to say.
func (q *Postgres) Warnings() []string { return q.warnings }

// PostgresRange is what Range finds out about the samples.
type PostgresRange struct {
	// Rows counts the rows the query returned; N the finite samples
	// among them.
	Rows, N int
	// Min and Max are the smallest and largest finite samples; Mean and
	// Variance (with n-1) their moments.
	Min, Max, Mean, Variance float64
}

// Range runs the query once, returning the range, the count and the
// moments of its finite samples; it also sets Nulls, NotNumbers and
// Received. An automatic grid is chosen from it.
func (q *Postgres) Range(ctx context.Context) (PostgresRange, error) {
	var r PostgresRange
	q.Nulls, q.NotNumbers = 0, 0
	err := q.run(ctx, func(ctx context.Context, s *session) error {
		var rows, nonNull, n int64
		var lo, hi, mean, variance *float64
		sql := `SELECT count(*), count(x), count(x) FILTER (WHERE ` + finite + `),
  min(x) FILTER (WHERE ` + finite + `), max(x) FILTER (WHERE ` + finite + `),
  avg(x) FILTER (WHERE ` + finite + `), var_samp(x) FILTER (WHERE ` + finite + `)
FROM ` + s.source
		err := s.queryRow(ctx, "finding the samples' range", sql, nil, &rows, &nonNull, &n, &lo, &hi, &mean, &variance)
		if err != nil {
			return err
		}
		r.Rows, r.N = int(rows), int(n)
		q.Nulls, q.NotNumbers = int(rows-nonNull), int(nonNull-n)
		if n == 0 {
			return q.emptyError(r.Rows)
		}
		r.Min, r.Max, r.Mean = *lo, *hi, *mean
		if variance != nil {
			r.Variance = *variance
		}
		return nil
	})
	return r, err
}

// finite holds for a double precision x that is a number: NaN sorts above
// every number in PostgreSQL, so it fails the second test.
const finite = `x > '-Infinity'::float8 AND x < 'Infinity'::float8`

func (q *Postgres) emptyError(rows int) error {
	if rows == 0 {
		return errors.New("the query returned no rows")
	}
	return fmt.Errorf("the query returned no numbers: its %d %s %s NULL (%d) or not a number (%d)",
		rows, plural.Word(rows, "row is", "rows are"), plural.Word(rows, "", "all"), q.Nulls, q.NotNumbers)
}

// Density runs the query binned on g's cells in the database and returns
// the histogram as a density.
func (q *Postgres) Density(dst []float64, g *grid.Grid) error {
	ctx := q.Context
	if ctx == nil {
		ctx = context.Background()
	}
	return q.DensityContext(ctx, dst, g)
}

// DensityContext is Density under ctx: cancelling it cancels the query in
// the database.
func (q *Postgres) DensityContext(ctx context.Context, dst []float64, g *grid.Grid) error {
	q.warnings = nil
	q.Stats = SampleStats{}
	q.Nulls, q.NotNumbers = 0, 0
	if g.Dim() != 1 {
		return fmt.Errorf("a postgres target is 1-D but the grid is %d-D", g.Dim())
	}
	ax := g.Axes[0]
	counts := make([]float64, ax.N)
	st := &q.Stats
	err := q.run(ctx, func(ctx context.Context, s *session) error {
		// Bin codes: -3 NULL, -2 not a number, -1 below the grid, n above,
		// else the cell: floor((x - edge0) / step), in double precision
		// as klfit bins a file. The grand total row (b NULL) carries the
		// moments of the finite samples.
		sql := `SELECT b, count(*), avg(x) FILTER (WHERE b >= -1), var_samp(x) FILTER (WHERE b >= -1)
FROM (SELECT x, CASE WHEN v IS NULL THEN -3
    WHEN NOT (` + finite + `) THEN -2
    WHEN x < $1::float8 THEN -1
    ELSE least(floor((x - $1::float8) / $2::float8), $3::float8)::int8 END AS b
  FROM ` + s.source + `) AS binned
GROUP BY GROUPING SETS ((b), ())`
		rows, err := s.query(ctx, "binning in the database", sql, []any{ax.At(0) - ax.Delta/2, ax.Delta, float64(ax.N)})
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var b *int64
			var c int64
			var mean, variance *float64
			if err := rows.Scan(&b, &c, &mean, &variance); err != nil {
				return fmt.Errorf("reading the bins: %w", err)
			}
			switch {
			case b == nil:
				if mean != nil {
					st.Mean = *mean
				}
				if variance != nil {
					st.Variance = *variance
				}
			case *b == -3:
				q.Nulls += int(c)
			case *b == -2:
				q.NotNumbers += int(c)
			case *b == -1:
				st.Below += int(c)
				st.N += int(c)
			case *b >= int64(ax.N):
				st.Above += int(c)
				st.N += int(c)
			default:
				counts[*b] += float64(c)
				st.N += int(c)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return s.queryError(ctx, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	st.Skipped = q.Nulls + q.NotNumbers
	if st.N == 0 {
		return q.emptyError(st.Skipped)
	}
	if st.Skipped > 0 {
		q.warnings = append(q.warnings, fmt.Sprintf("the query returned %d NULL %s and %d %s not a number (NaN or infinite), skipped",
			q.Nulls, plural.Word(q.Nulls, "value", "values"), q.NotNumbers, plural.Word(q.NotNumbers, "value", "values")))
	}
	if w := st.outsideWarning(); w != "" {
		q.warnings = append(q.warnings, w)
	}
	histogramDensity(dst, counts, st.N, ax.Delta)
	return nil
}

// session is one connection's READ ONLY transaction, the user's query
// checked and wrapped as source, a subquery naming its first column v and
// that column as double precision x.
type session struct {
	q      *Postgres
	conn   *pgx.Conn
	tx     pgx.Tx
	source string
	// offset is where the user's query starts in source, in characters,
	// to map the database's error positions back onto it.
	offset int
	text   string
}

// run connects, opens the transaction, checks the query and calls fn.
func (q *Postgres) run(ctx context.Context, fn func(context.Context, *session) error) error {
	q.Received = 0
	cfg, err := pgx.ParseConfig(q.DSN)
	if err != nil {
		return fmt.Errorf("dsn: %s", scrubPassword(oneLineErr(err), q.DSN))
	}
	password := cfg.Password
	where := describeServer(cfg)
	var received atomic.Int64
	dial := cfg.DialFunc
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: c, n: &received}, nil
	}
	// Cancelling the context sends the server a cancel request, so the
	// query stops there too, not only on this side.
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: time.Second}
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "klfit"
	}
	defer func() { q.Received = received.Load() }()

	stop := q.progress("connecting to " + where)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	stop()
	if err != nil {
		return scrubErr(connectError(ctx, err, cfg, where), password)
	}
	defer conn.Close(context.Background())
	s := &session{q: q, conn: conn, text: trimStatement(q.Query)}
	err = s.open(ctx, fn)
	return scrubErr(err, password)
}

func (s *session) open(ctx context.Context, fn func(context.Context, *session) error) error {
	tx, err := s.conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return s.queryError(ctx, err)
	}
	s.tx = tx
	defer tx.Rollback(context.Background()) // read only: nothing to keep
	if t := s.q.StatementTimeout; t > 0 {
		ms := max(t.Milliseconds(), 1)
		if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = "+strconv.FormatInt(ms, 10)); err != nil {
			return s.queryError(ctx, err)
		}
	}
	// Preparing the query alone checks it without running it: the
	// database refuses more than one statement, and says where a fault
	// is in the text the user wrote.
	sd, err := s.conn.Prepare(ctx, "", s.text)
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "42601" && strings.Contains(pe.Message, "multiple commands") {
			return errors.New("the query must be a single statement (a SELECT), got several")
		}
		return s.queryError(ctx, err)
	}
	if len(sd.Fields) == 0 {
		return errors.New("the query returns no columns: it must be a SELECT whose first column holds the samples")
	}
	f := sd.Fields[0]
	if !numericOID(f.DataTypeOID) {
		typ := "of type oid " + strconv.FormatUint(uint64(f.DataTypeOID), 10)
		if t, ok := s.conn.TypeMap().TypeForOID(f.DataTypeOID); ok {
			typ = t.Name
		}
		return fmt.Errorf("the query's first column %q is %s, not a number: cast it, e.g. SELECT %s::float8 ..., or select a numeric column first", f.Name, typ, quoteIdent(f.Name))
	}
	head := "(SELECT v, v::float8 AS x FROM (\n"
	s.offset = len([]rune(head))
	s.source = head + s.text + "\n) AS klfit_query(v)) AS samples"
	return fn(ctx, s)
}

func quoteIdent(name string) string {
	return pgx.Identifier{name}.Sanitize()
}

// numericOID reports whether a column of that type converts to double
// precision: smallint, integer, bigint, real, double precision, numeric.
func numericOID(oid uint32) bool {
	switch oid {
	case 20, 21, 23, 700, 701, 1700:
		return true
	}
	return false
}

func (s *session) queryRow(ctx context.Context, stage, sql string, args []any, dst ...any) error {
	stop := s.q.progress(stage)
	defer stop()
	if err := s.tx.QueryRow(ctx, sql, args...).Scan(dst...); err != nil {
		return s.queryError(ctx, err)
	}
	return nil
}

func (s *session) query(ctx context.Context, stage, sql string, args []any) (pgx.Rows, error) {
	stop := s.q.progress(stage)
	rows, err := s.tx.Query(ctx, sql, args...)
	if err != nil {
		stop()
		return nil, s.queryError(ctx, err)
	}
	return &stoppingRows{Rows: rows, stop: stop}, nil
}

// stoppingRows ends the progress when the rows are closed.
type stoppingRows struct {
	pgx.Rows
	stop func()
}

func (r *stoppingRows) Close() {
	r.Rows.Close()
	r.stop()
}

// progress calls q.Progress about every 200 ms until the returned
// function is called, which reports the end.
func (q *Postgres) progress(stage string) (stop func()) {
	if q.Progress == nil {
		return func() {}
	}
	start := time.Now()
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				q.Progress(stage, time.Since(start), false)
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			<-finished
			q.Progress(stage, time.Since(start), true)
		})
	}
}

// queryError words a failure of the query: cancelled, timed out, or the
// database's own message with the position in the user's query.
func (s *session) queryError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("the query was cancelled (in the database too): %w", context.Cause(ctx))
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return fmt.Errorf("the query failed: %s", oneLineErr(err))
	}
	switch pe.Code {
	case "57014":
		if strings.Contains(pe.Message, "statement timeout") {
			return fmt.Errorf("the query took longer than the statement timeout (%v) and was stopped: allow more with statement_timeout: (seconds) or --statement-timeout", s.q.StatementTimeout)
		}
	case "25006":
		return fmt.Errorf("the query failed: %s (SQLSTATE %s): klfit runs queries in a READ ONLY transaction", pe.Message, pe.Code)
	}
	msg := fmt.Sprintf("the query failed: %s (SQLSTATE %s)", oneLineErr(errors.New(pe.Message)), pe.Code)
	if where := s.position(int(pe.Position)); where != "" {
		msg = fmt.Sprintf("the query failed at %s: %s (SQLSTATE %s)", where, oneLineErr(errors.New(pe.Message)), pe.Code)
	}
	if pe.Detail != "" {
		msg += "; " + oneLineErr(errors.New(pe.Detail))
	}
	if pe.Hint != "" {
		msg += "; hint: " + oneLineErr(errors.New(pe.Hint))
	}
	return errors.New(msg)
}

// position describes a 1-based character position the database reported,
// in the user's query: "line 2, column 8 (near "FORM t")". Positions in
// klfit's wrapping are not described.
func (s *session) position(pos int) string {
	if pos <= 0 {
		return ""
	}
	if s.source != "" {
		pos -= s.offset
	}
	r := []rune(s.text)
	if pos <= 0 || pos > len(r) {
		return ""
	}
	line, col := 1, 1
	for _, c := range r[:pos-1] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	near := string(r[pos-1:])
	if i := strings.IndexByte(near, '\n'); i >= 0 {
		near = near[:i]
	}
	if nr := []rune(near); len(nr) > 20 {
		near = string(nr[:20]) + "..."
	}
	return fmt.Sprintf("line %d, column %d (near %q)", line, col, near)
}

// connectError words a failure to connect or to log in.
func connectError(ctx context.Context, err error, cfg *pgx.ConnConfig, where string) error {
	if ctx.Err() != nil {
		return fmt.Errorf("connecting to PostgreSQL at %s was cancelled: %w", where, context.Cause(ctx))
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "28P01", "28000":
			if pe.Code == "28P01" && cfg.Password == "" {
				return fmt.Errorf("PostgreSQL at %s asks user %q for a password and none was given: set PGPASSWORD, add it to ~/.pgpass, or give it in the dsn", where, cfg.User)
			}
			how := "set PGPASSWORD, add the password to ~/.pgpass, or give it in the dsn"
			if pe.Code == "28000" {
				how = "the server's pg_hba.conf has no entry for this user, database and address"
			}
			return fmt.Errorf("PostgreSQL at %s refused user %q: %s (SQLSTATE %s): %s", where, cfg.User, pe.Message, pe.Code, how)
		case "3D000":
			return fmt.Errorf("PostgreSQL at %s: %s: set PGDATABASE or dbname= in the dsn", where, pe.Message)
		}
		return fmt.Errorf("PostgreSQL at %s refused the connection: %s (SQLSTATE %s)", where, pe.Message, pe.Code)
	}
	cause := err
	for {
		u := errors.Unwrap(cause)
		if u == nil {
			break
		}
		cause = u
	}
	msg := oneLineErr(cause)
	if strings.Contains(msg, "password") || strings.Contains(msg, "SASL") || strings.Contains(msg, "auth") {
		return fmt.Errorf("PostgreSQL at %s asks user %q for a password and none was given: set PGPASSWORD, add it to ~/.pgpass, or give it in the dsn (%s)", where, cfg.User, msg)
	}
	return fmt.Errorf("cannot connect to PostgreSQL at %s (user %q, database %q): %s; say where the server is with PGHOST and PGPORT (or host= and port= in the dsn / --dsn)", where, cfg.User, cfg.Database, msg)
}

// describeServer names the server a config connects to: host:port or the
// Unix socket's directory and port.
func describeServer(cfg *pgx.ConnConfig) string {
	if strings.HasPrefix(cfg.Host, "/") {
		return fmt.Sprintf("Unix socket %s/.s.PGSQL.%d", cfg.Host, cfg.Port)
	}
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
}

// trimStatement drops the spaces and semicolons that end a statement, so
// that it can be wrapped in a subquery.
func trimStatement(q string) string {
	return strings.TrimRight(q, " \t\r\n;")
}

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

var (
	kvPassword  = regexp.MustCompile(`(?i)\bpassword\s*=\s*('(?:[^'\\]|\\.)*'|\S*)\s*`)
	urlPassword = regexp.MustCompile(`^(postgres(?:ql)?://[^/@:]*):[^@/]*@`)
)

// RedactDSN returns a connection string without its password, in the form
// it was given (URL or key=value), for messages and records.
func RedactDSN(dsn string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			if u.User != nil {
				u.User = url.User(u.User.Username())
			}
			q := u.Query()
			if q.Has("password") {
				q.Del("password")
				u.RawQuery = q.Encode()
			}
			return u.String()
		}
		return urlPassword.ReplaceAllString(dsn, "$1@")
	}
	return strings.TrimSpace(kvPassword.ReplaceAllString(dsn, ""))
}

// scrubPassword removes the password of dsn, and the one in PGPASSWORD,
// from a message, wherever they appear.
func scrubPassword(msg, dsn string) string {
	var pw []string
	if cfg, err := pgconn.ParseConfig(dsn); err == nil && cfg.Password != "" {
		pw = append(pw, cfg.Password)
	}
	if p := os.Getenv("PGPASSWORD"); p != "" {
		pw = append(pw, p)
	}
	for _, p := range pw {
		msg = strings.ReplaceAll(msg, p, "xxxxx")
	}
	return msg
}

// scrubErr removes a password from an error's message.
func scrubErr(err error, password string) error {
	if err == nil || password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return &scrubbedError{msg: strings.ReplaceAll(err.Error(), password, "xxxxx"), err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
