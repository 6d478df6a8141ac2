package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/klfit/klfit/server"
)

// TestMonteCarloRefused checks that the playground refuses specs fitted
// by Monte Carlo with a 400 naming the key that makes them so, and still
// runs a 2-D mvnormal target on a grid.
func TestMonteCarloRefused(t *testing.T) {
	h := server.New(server.Config{})
	for _, c := range []struct{ body, key string }{
		{`{"target": {"log_density": "-x1^2/2", "dims": 1}, "model": {"family": "mvnormal"}}`, "target.log_density"},
		{`{"target": "logdensity(\"-x1^2/2 - x2^2/2\", dims=2)", "model": {"family": "mvnormal_diag"}}`, "target.log_density"},
		{`{"target": {"samples": "s.csv", "columns": ["a", "b", "c"]}, "model": {"family": "mvnormal"}}`, "target.columns"},
		{`{"target": {"family": "mvnormal", "params": {"mean": [0, 0, 0], "covariance": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}},
		  "model": {"family": "mvnormal"}}`, "target.params.mean"},
		{`{"target": {"family": "mvnormal", "params": {"mean": [0, 0], "covariance": [[1, 0], [0, 1]]}},
		  "model": {"family": "mvnormal"}, "estimator": "monte_carlo"}`, "estimator.name"},
	} {
		w := post(h, "/api/fit", "application/json", c.body)
		e := decodeError(t, w.Body.Bytes())
		if w.Code != http.StatusBadRequest || e.Key != c.key || !strings.Contains(e.Error, "klfit fit") || e.Line != 1 && !strings.Contains(c.body, "\n") {
			t.Errorf("%s: %d %+v", c.body, w.Code, e)
		}
	}
	w := post(h, "/api/fit", "application/json", `{"grid": {"x": {"start": -3, "stop": 3, "step": 0.25}, "y": {"start": -3, "stop": 3, "step": 0.25}},
	"target": {"family": "mvnormal", "params": {"mean": [0, 0], "covariance": [[1, 0.5], [0.5, 1]]}},
	"model": {"family": "mvnormal", "init": {"mean": [1, 1], "covariance": [[1, 0], [0, 1]]}}, "epochs": 5}`)
	if w.Code != http.StatusOK {
		t.Errorf("a 2-D mvnormal on a grid: %d %s", w.Code, w.Body)
	}
}
