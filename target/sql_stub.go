//go:build !duckdb

package target

import "github.com/klfit/klfit/grid"

// DuckDBAvailable reports whether sql targets can run in this build.
const DuckDBAvailable = false

func (q *SQL) bin(grid.Axis, []float64) error { return ErrNoDuckDB }
