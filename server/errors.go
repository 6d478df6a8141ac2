package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/klfit/klfit/spec"
)

// apiError is an error answered to a client as JSON:
//
//	{"error": "spec line 9: model.init.variance: must be > 0, got -1", "key": "model.init.variance", "line": 9}
//
// Key and line are left out when the error is not about a spec key or
// the line is unknown.
type apiError struct {
	Status int
	Msg    string
	Key    string
	Line   int
	// RetryAfter, in seconds, is sent as the Retry-After header when > 0.
	RetryAfter int
	// Unread is set on an answer given before the request's body was
	// read: the connection is then closed rather than the body read.
	Unread bool
}

// Error implements error.
func (e *apiError) Error() string { return e.Msg }

// errorBody is the JSON form of an apiError.
type errorBody struct {
	Error string `json:"error"`
	Key   string `json:"key,omitempty"`
	Line  int    `json:"line,omitempty"`
}

func writeError(w http.ResponseWriter, e *apiError) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Del("Content-Disposition")
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	if e.Unread {
		h.Set("Connection", "close")
	}
	w.WriteHeader(e.Status)
	enc := json.NewEncoder(w) // one line, with a final newline
	enc.SetEscapeHTML(false)
	enc.Encode(errorBody{Error: oneLine(e.Msg), Key: e.Key, Line: e.Line})
}

// oneLine joins a message's lines, so that every error is one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

// badSpec turns an error of spec.Parse or Spec.Build into a 400, with the
// key and line of a *spec.Error.
func badSpec(err error) *apiError {
	e := &apiError{Status: http.StatusBadRequest, Msg: err.Error()}
	var se *spec.Error
	if errors.As(err, &se) {
		e.Key, e.Line = se.Key, se.Line
	}
	return e
}

// Why a fit's context was cancelled, as told by context.Cause.
var (
	errTimeLimit = errors.New("the fit reached this server's time limit")
	errShutdown  = errors.New("the server is shutting down")
)
