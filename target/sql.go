package target

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/klfit/klfit/grid"
)

// SQL is a 1-D samples target pulled through an embedded DuckDB: the
// query's first column holds the samples (NULLs, values that do not
// convert to a number, and NaN and infinities are skipped and counted). The binning is pushed into
// the query, so that only the histogram on the grid's cells crosses into
// Go, whatever the size of the Parquet or CSV files the query reads, e.g.
//
//	SELECT amount FROM 'events/*.parquet' WHERE country = 'FR'
//
// DuckDB is compiled in only with the build tag duckdb (go build -tags
// duckdb ./cmd/klfit); without it Density returns ErrNoDuckDB.
type SQL struct {
	Query string
	// Progress is not used: DuckDB reads the data.
	Progress Progress
	// Stats describes the samples of the last Density call (Skipped counts
	// the NULL or non-numeric rows).
	Stats    SampleStats
	warnings []string
}

// ErrNoDuckDB is returned by sql targets in a klfit built without DuckDB.
var ErrNoDuckDB = errors.New("this klfit was built without DuckDB, so sql targets are not available: build it with go build -tags duckdb ./cmd/klfit (needs cgo and a C compiler)")

// NewSQL returns the sql target of a query.
func NewSQL(query string) (*SQL, error) {
	if strings.TrimSpace(query) == "" {
		return nil, errors.New("the query is empty")
	}
	return &SQL{Query: query}, nil
}

// Dim returns 1.
func (q *SQL) Dim() int { return 1 }

// String returns the one-line syntax: sql("...").
func (q *SQL) String() string { return fmt.Sprintf("sql(%q)", q.Query) }

// Warnings returns what the last Density call had to say.
func (q *SQL) Warnings() []string { return q.warnings }

// Density runs the query with the binning on g's cells pushed into it and
// returns the histogram as a density.
func (q *SQL) Density(dst []float64, g *grid.Grid) error {
	return q.DensityContext(context.Background(), dst, g)
}

// DensityContext is Density, cancelling the query when ctx ends.
func (q *SQL) DensityContext(ctx context.Context, dst []float64, g *grid.Grid) error {
	q.warnings = nil
	q.Stats = SampleStats{}
	if g.Dim() != 1 {
		return fmt.Errorf("a sql target is 1-D but the grid is %d-D", g.Dim())
	}
	ax := g.Axes[0]
	counts := make([]float64, ax.N)
	if err := q.bin(ctx, ax, counts); err != nil {
		return err
	}
	st := &q.Stats
	if st.N == 0 {
		return fmt.Errorf("the query returned no numeric values")
	}
	if st.Skipped > 0 {
		q.warnings = append(q.warnings, fmt.Sprintf("the query returned %d NULL or non-numeric values, skipped", st.Skipped))
	}
	if w := st.outsideWarning(); w != "" {
		q.warnings = append(q.warnings, w)
	}
	histogramDensity(dst, counts, st.N, ax.Delta)
	return nil
}

// binningQuery returns the query that bins the samples on the cells of ax
// (cell i is [x_i - d/2, x_i + d/2)), with bin -1 for the samples below
// the grid, n for those above and NULL for the rows skipped, and the
// query for the samples' count, mean and variance.
func binningQuery(query string, ax grid.Axis) (bins, stats string) {
	// NaN and infinities convert, but are not samples: they go with the
	// values that do not convert (var_samp fails on them, and so did the
	// whole query).
	src := fmt.Sprintf("(SELECT CASE WHEN isfinite(TRY_CAST(\"value\" AS DOUBLE)) THEN TRY_CAST(\"value\" AS DOUBLE) END AS x, \"value\" IS NULL AS was_null FROM (%s) AS user_query(\"value\"))", query)
	edge0 := ax.At(0) - ax.Delta/2
	bins = fmt.Sprintf(`SELECT CASE WHEN x IS NULL THEN NULL
  WHEN floor((x - %v) / %v) < 0 THEN -1
  WHEN floor((x - %v) / %v) >= %d THEN %d
  ELSE CAST(floor((x - %v) / %v) AS BIGINT) END AS bin, count(*) AS n
FROM %s GROUP BY 1`, edge0, ax.Delta, edge0, ax.Delta, ax.N, ax.N, edge0, ax.Delta, src)
	stats = fmt.Sprintf(`SELECT count(x), coalesce(avg(x), 0), coalesce(var_samp(x), 0) FROM %s`, src)
	return bins, stats
}

// oneLineErr flattens a multi-line database error into one line.
func oneLineErr(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
