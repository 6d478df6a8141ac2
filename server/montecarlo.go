package server

import (
	"net/http"

	"github.com/klfit/klfit/spec"
)

// checkMonteCarlo refuses a spec fitted by Monte Carlo (a log-density
// target, samples in columns, a target in more than two dimensions): the
// playground shows fits on grids.
func checkMonteCarlo(sp *spec.Spec) *apiError {
	key, mc := sp.MonteCarlo()
	if !mc {
		return nil
	}
	return &apiError{Status: http.StatusBadRequest, Key: key, Line: sp.KeyLine(key),
		Msg: key + ": the playground fits on grids; run Monte Carlo fits with klfit fit"}
}
