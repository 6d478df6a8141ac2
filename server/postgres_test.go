package server_test

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/klfit/klfit/internal/pgtest"
	"github.com/klfit/klfit/server"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestPostgresTarget checks the server's policy on postgres targets:
// refused unless the server has a database of its own, then run on it,
// and never on a dsn a request gives.
func TestPostgresTarget(t *testing.T) {
	const fitSpec = `{"grid": {"start": 0, "stop": 4, "step": 0.5}, "target": %s,
"model": {"family": "normal", "init": {"mean": 1, "variance": 1}}, "epochs": 5}`
	body := func(tg string) string { return strings.Replace(fitSpec, "%s", tg, 1) }
	w := post(server.New(server.Config{}), "/api/fit", "application/json", body(`"postgres(\"SELECT 1.5\")"`))
	if e := decodeError(t, w.Body.Bytes()); w.Code != http.StatusBadRequest || e.Key != "target.postgres" || !strings.Contains(e.Error, "--postgres-dsn") {
		t.Errorf("without a database: %d %+v", w.Code, e)
	}

	srv := pgtest.Shared(t)
	if err := srv.Exec(context.Background(), "CREATE TABLE IF NOT EXISTS web (x float8)", "INSERT INTO web VALUES (1), (1.2), (2), (2.5), (NULL)"); err != nil {
		t.Fatal(err)
	}
	h := server.New(server.Config{Postgres: true, PostgresDSN: srv.DSN})
	w = post(h, "/api/fit", "application/json", body(`{"postgres": "SELECT x FROM web"}`))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "1 NULL value") {
		t.Errorf("with a database: %d %s", w.Code, w.Body)
	}
	w = post(h, "/api/fit", "application/json", body(`{"postgres": "SELECT x FROM web", "dsn": "host=elsewhere password=p"}`))
	if e := decodeError(t, w.Body.Bytes()); w.Code != http.StatusBadRequest || e.Key != "target.dsn" {
		t.Errorf("a dsn in the request: %d %+v", w.Code, e)
	}
	w = post(h, "/api/fit", "application/json", body(`{"postgres": "SELECT x FROM nope"}`))
	if e := decodeError(t, w.Body.Bytes()); w.Code != http.StatusBadRequest || !strings.Contains(e.Error, `relation "nope" does not exist`) {
		t.Errorf("a bad query: %d %+v", w.Code, e)
	}
}
