//go:build !duckdb

package target

import (
	"context"
	"github.com/klfit/klfit/grid"
)

// DuckDBAvailable reports whether sql targets can run in this build.
const DuckDBAvailable = false

func (q *SQL) bin(context.Context, grid.Axis, []float64) error { return ErrNoDuckDB }
