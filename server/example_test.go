package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/klfit/klfit/server"
)

// Run a fit through the API, as a script would: the answer is the summary
// that klfit fit --json prints.
func Example() {
	srv := httptest.NewServer(server.New(server.Config{}))
	defer srv.Close()
	spec := `{"grid": {"start": -10, "stop": 10, "step": 0.1},
	  "target": {"family": "normal", "params": {"mean": 0, "variance": 7}},
	  "model": {"family": "normal", "init": {"mean": 5, "variance": 1}},
	  "optimizer": {"name": "gd", "learning_rate": 0.2}, "epochs": 600}`
	res, err := http.Post(srv.URL+"/api/fit", "application/json", strings.NewReader(spec))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Body.Close()
	var sum struct {
		Status string
		Epochs int
		Params map[string]float64
	}
	json.NewDecoder(res.Body).Decode(&sum)
	fmt.Printf("%d %s after %d epochs: mean %.4f, variance %.4f\n",
		res.StatusCode, sum.Status, sum.Epochs, sum.Params["mean"], sum.Params["variance"])
	// Output: 200 max_epochs after 600 epochs: mean 0.0000, variance 7.0000
}

// Errors name the spec's key, and its line when known.
func Example_errors() {
	h := server.New(server.Config{})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/api/fit", strings.NewReader(`grid: {start: -1, stop: 1, step: 0.5}
target: {family: normal, params: {mean: 0, variance: 1}}
model: {family: normal, init: {mean: 0, variance: -2}}
`)))
	fmt.Print(w.Code, " ", w.Body.String())
	// Output: 400 {"error":"spec line 3: model.init.variance: must be > 0, got -2","key":"model.init.variance","line":3}
}
