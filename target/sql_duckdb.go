//go:build duckdb

package target

import (
	"context"
	"database/sql"
	"fmt"
	"math"

	// DuckDB's database/sql driver, with its library linked in.
	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/klfit/klfit/grid"
)

// DuckDBAvailable reports whether sql targets can run in this build.
const DuckDBAvailable = true

func (q *SQL) bin(ctx context.Context, ax grid.Axis, counts []float64) error {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return fmt.Errorf("starting DuckDB: %w", err)
	}
	defer db.Close()
	binsQ, statsQ := binningQuery(q.Query, ax)
	st := &q.Stats
	var n int64
	if err := db.QueryRowContext(ctx, statsQ).Scan(&n, &st.Mean, &st.Variance); err != nil {
		return fmt.Errorf("the query failed: %s", oneLineErr(err))
	}
	st.N = int(n)
	rows, err := db.QueryContext(ctx, binsQ)
	if err != nil {
		return fmt.Errorf("the query failed: %s", oneLineErr(err))
	}
	defer rows.Close()
	for rows.Next() {
		var bin sql.NullInt64
		var c int64
		if err := rows.Scan(&bin, &c); err != nil {
			return fmt.Errorf("reading the query's bins: %w", err)
		}
		switch {
		case !bin.Valid:
			st.Skipped += int(c)
		case bin.Int64 < 0:
			st.Below += int(c)
		case bin.Int64 >= int64(ax.N):
			st.Above += int(c)
		default:
			counts[bin.Int64] += float64(c)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("the query failed: %s", oneLineErr(err))
	}
	if math.IsNaN(st.Mean) {
		st.Mean = 0
	}
	return nil
}
