package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/spec"
)

// job is a validated fit request holding a slot of the limiter.
type job struct {
	built *spec.Built
	// started is when the fit took its slot: its files are dated so.
	started time.Time
	// ctx is the context the fit runs under (see fitContext); cancel
	// cancels it.
	ctx     context.Context
	cancel  context.CancelFunc
	release func()
}

// close cancels the fit's context, gives the slot back and removes any
// upload.
func (j *job) close() {
	j.cancel()
	j.release()
}

// summary summarizes the fit's result exactly as the command line does.
func (j *job) summary(res *fit.Result) *spec.Summary {
	return spec.NewSummary(j.built, res) // its spec names the upload as the client did
}

// bodyTimeout bounds the reading of a request's body.
const bodyTimeout = 60 * time.Second

// prepare reads and validates a fit request, takes a slot for it and
// starts the context its fit runs under: the spec goes through
// spec.Parse, the server's checks (size, files) and Spec.Build, exactly
// as on the command line. The caller must close the job.
func (s *Server) prepare(w http.ResponseWriter, r *http.Request) (*job, *apiError) {
	if aerr := s.admit(r); aerr != nil {
		return nil, aerr
	}
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(bodyTimeout))
	data, up, aerr := s.readRequest(w, r)
	rc.SetReadDeadline(time.Time{})
	if aerr != nil {
		return nil, aerr
	}
	removeUpload := func() { up.remove() }
	sp, aerr := s.parse(r.Context(), data)
	if aerr != nil {
		removeUpload()
		return nil, aerr
	}
	if aerr := s.checkPostgres(sp); aerr != nil {
		removeUpload()
		return nil, aerr
	}
	if aerr := checkMonteCarlo(sp); aerr != nil { // see montecarlo.go
		removeUpload()
		return nil, aerr
	}
	if aerr = checkDataFiles(sp, up); aerr != nil {
		removeUpload()
		return nil, aerr
	}
	if aerr := s.checkSize(sp); aerr != nil {
		removeUpload()
		return nil, aerr
	}
	release, err := s.limit.acquire(r.Context())
	if err != nil {
		removeUpload()
		if errors.Is(err, errBusy) {
			return nil, s.busy()
		}
		return nil, &apiError{Status: http.StatusServiceUnavailable, Msg: "the request was cancelled while waiting: " + err.Error()}
	}
	ctx, cancel := s.fitContext(r.Context())
	j := &job{started: time.Now(), ctx: ctx, cancel: cancel, release: func() { release(); removeUpload() }}
	b, aerr := s.build(j, sp, up)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := s.checkBuilt(b); aerr != nil {
		j.close()
		return nil, aerr
	}
	j.built = b
	return j, nil
}

// specTypes are the media types a spec may be sent as, besides
// multipart/form-data; a request without a Content-Type is read as a spec.
var specTypes = []string{"application/json", "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"}

// admit refuses, before reading its body, a request that would be
// refused anyway: a body of a type the server does not read (415), a
// declared length over the limits (413), no room for its fit (503), or
// no room for its upload (503, see Config.MaxUploadTotal).
func (s *Server) admit(r *http.Request) (aerr *apiError) {
	defer func() {
		if aerr != nil {
			aerr.Unread = true
		}
	}()
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct != "" && (err != nil || mt != "multipart/form-data" && !contains(specTypes, mt) && !strings.HasSuffix(mt, "+json")) {
		return &apiError{Status: http.StatusUnsupportedMediaType,
			Msg: fmt.Sprintf("Content-Type %q: send the spec as application/json or application/yaml, or as the \"spec\" field of multipart/form-data (with curl: -H 'Content-Type: application/yaml')", ct)}
	}
	limit := s.cfg.MaxBodyBytes
	if mt == "multipart/form-data" {
		limit = s.cfg.multipartBytes()
	}
	if r.ContentLength > limit {
		what := "the spec"
		if mt == "multipart/form-data" {
			what = "the multipart request"
		}
		return s.readError(&errTooLarge{limit}, what, limit)
	}
	if s.limit.full() {
		return s.busy()
	}
	return nil
}

// parse parses a spec, as many at once as fits may run: a large YAML
// spec takes seconds of CPU to parse.
func (s *Server) parse(ctx context.Context, data []byte) (*spec.Spec, *apiError) {
	release, err := s.parsing.acquire(ctx)
	if err != nil {
		if errors.Is(err, errBusy) {
			return nil, s.busy()
		}
		return nil, &apiError{Status: http.StatusServiceUnavailable, Msg: "the request was cancelled while waiting: " + err.Error()}
	}
	defer release()
	sp, err := spec.Parse(data)
	if err != nil {
		return nil, badSpec(err)
	}
	return sp, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// build runs Spec.Build under the job's context: it is part of the fit,
// and evaluating a target on a large grid can take long. A build stops
// soon after the context ends (the time limit, the client gone, a
// shutdown), and the request fails saying why; on an error the job is
// closed, so its slot is free again at once. The build reads no file but
// the request's upload, through the environment's FS.
func (s *Server) build(j *job, sp *spec.Spec, up *upload) (*spec.Built, *apiError) {
	// A postgres target's queries run under the job's context, on the
	// server's own connection (checkPostgres refused any other).
	env := spec.Env{FS: emptyFS{}, DSN: s.cfg.PostgresDSN}
	if up != nil {
		env.FS = uploadFS{name: up.name, path: up.path}
	}
	b, err := sp.Build(j.ctx, env)
	if err != nil {
		stopped := j.ctx.Err() != nil
		var aerr *apiError
		if stopped {
			aerr = s.buildStopped(j.ctx)
		} else {
			aerr = badSpec(err)
		}
		j.close()
		return nil, aerr
	}
	return b, nil
}

// uploadFS offers a request's uploaded file under the name its spec gives
// it, and nothing else.
type uploadFS struct{ name, path string }

// Open implements fs.FS.
func (u uploadFS) Open(name string) (fs.File, error) {
	if name != u.name {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return os.Open(u.path)
}

// emptyFS holds no file: a request without an upload reads none.
type emptyFS struct{}

// Open implements fs.FS.
func (emptyFS) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// buildStopped says why a build was stopped.
func (s *Server) buildStopped(ctx context.Context) *apiError {
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errTimeLimit):
		return &apiError{Status: http.StatusBadRequest, Key: "target",
			Msg: fmt.Sprintf("target: building the target took longer than this server's time limit for a fit (%v); use fewer grid points or a simpler target", s.cfg.FitTimeout)}
	case errors.Is(cause, errShutdown):
		return &apiError{Status: http.StatusServiceUnavailable, Msg: "the server is shutting down: the fit was not started"}
	}
	return &apiError{Status: http.StatusBadRequest, Msg: "the request was cancelled while its target was being built"}
}

// upload is a data file sent with a request, saved in a directory of its
// own.
type upload struct {
	name string // as the client named it (base name)
	path string // where it was saved
	dir  string
	// held is the reservation of the server's upload budget it keeps.
	held    int64
	uploads *budget
}

// remove removes the file and gives its bytes back to the budget. It does
// nothing on a nil upload.
func (up *upload) remove() {
	if up == nil {
		return
	}
	os.RemoveAll(up.dir)
	up.uploads.give(up.held)
	up.held = 0
}

// budget is a number of bytes shared by the requests of a server.
type budget struct {
	mu        sync.Mutex
	held, max int64
}

// take reserves n bytes, or reports false when that would exceed the
// budget.
func (b *budget) take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.held+n > b.max {
		return false
	}
	b.held += n
	return true
}

// give gives back n bytes taken.
func (b *budget) give(n int64) {
	b.mu.Lock()
	b.held -= n
	b.mu.Unlock()
}

// Held returns the bytes reserved.
func (b *budget) Held() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.held
}

// readRequest returns the spec's text and, for a multipart request, the
// uploaded data file.
func (s *Server) readRequest(w http.ResponseWriter, r *http.Request) ([]byte, *upload, *apiError) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		body := http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		data, err := io.ReadAll(body)
		if err != nil {
			return nil, nil, s.readError(err, "the spec", s.cfg.MaxBodyBytes)
		}
		return data, nil, nil
	}
	// A spec, a file and the multipart framing, held against the
	// server's upload budget: the declared length, or the most a request
	// may send.
	limit := s.cfg.multipartBytes()
	reserved := limit
	if r.ContentLength >= 0 {
		reserved = r.ContentLength
	}
	if !s.uploads.take(reserved) {
		return nil, nil, &apiError{Status: http.StatusServiceUnavailable, RetryAfter: 5, Unread: true,
			Msg: fmt.Sprintf("the server is busy: it holds as many uploads as it may (%s); retry in a few seconds", sizeText(float64(s.cfg.MaxUploadTotal)))}
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	var data []byte
	var up *upload
	fail := func(e *apiError) ([]byte, *upload, *apiError) {
		if up != nil {
			os.RemoveAll(up.dir)
		}
		s.uploads.give(reserved)
		return nil, nil, e
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return fail(&apiError{Status: http.StatusBadRequest, Msg: "reading the multipart request: " + err.Error()})
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(s.readError(err, "the multipart request", s.cfg.MaxBodyBytes+s.cfg.MaxUploadBytes))
		}
		switch part.FormName() {
		case "spec":
			if data != nil {
				return fail(&apiError{Status: http.StatusBadRequest, Msg: `the request has two "spec" fields`})
			}
			data, err = readCapped(part, s.cfg.MaxBodyBytes)
			if err != nil {
				return fail(s.readError(err, "the spec", s.cfg.MaxBodyBytes))
			}
		case "data":
			if up != nil {
				return fail(&apiError{Status: http.StatusBadRequest, Msg: `the request has two "data" files; a fit reads one`})
			}
			if up, err = s.saveUpload(part); err != nil {
				var ae *apiError
				if errors.As(err, &ae) {
					return fail(ae)
				}
				return fail(s.readError(err, "the data file", s.cfg.MaxUploadBytes))
			}
		default:
			return fail(&apiError{Status: http.StatusBadRequest, Msg: fmt.Sprintf(`unknown multipart field %q (known: spec, data)`, part.FormName())})
		}
	}
	if data == nil {
		return fail(&apiError{Status: http.StatusBadRequest, Msg: `the multipart request has no "spec" field`})
	}
	// Keep what the saved file takes on disk; give the rest back.
	if up != nil {
		if fi, err := os.Stat(up.path); err == nil && fi.Size() < reserved {
			up.held = fi.Size()
		} else {
			up.held = reserved
		}
		up.uploads = s.uploads
	}
	s.uploads.give(reserved - heldBy(up))
	return data, up, nil
}

// heldBy returns the budget up holds, 0 for none.
func heldBy(up *upload) int64 {
	if up == nil {
		return 0
	}
	return up.held
}

// errTooLarge reports a part larger than its cap.
type errTooLarge struct{ limit int64 }

// Error implements error.
func (e *errTooLarge) Error() string { return fmt.Sprintf("larger than %d bytes", e.limit) }

// readCapped reads r whole, failing with *errTooLarge past limit bytes.
func readCapped(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err == nil && int64(len(data)) > limit {
		err = &errTooLarge{limit}
	}
	return data, err
}

// readError turns an error met while reading a request into 413 for what
// is too large, 400 otherwise.
func (s *Server) readError(err error, what string, limit int64) *apiError {
	var mb *http.MaxBytesError
	var tl *errTooLarge
	if errors.As(err, &mb) || errors.As(err, &tl) {
		return &apiError{Status: http.StatusRequestEntityTooLarge,
			Msg: fmt.Sprintf("%s is larger than this server accepts (%d bytes)", what, limit)}
	}
	return &apiError{Status: http.StatusBadRequest, Msg: fmt.Sprintf("reading %s: %v", what, err)}
}

// saveUpload streams an uploaded file to a new temporary directory,
// failing past MaxUploadBytes. Nothing of it is held in memory.
func (s *Server) saveUpload(part *multipart.Part) (*upload, error) {
	name := filepath.Base(strings.ReplaceAll(part.FileName(), `\`, "/"))
	if name == "" || name == "." || name == "/" || strings.ContainsAny(name, "\x00") {
		return nil, &apiError{Status: http.StatusBadRequest, Msg: `the "data" field must be a file with a name`}
	}
	dir, err := os.MkdirTemp("", "klfit-upload-")
	if err != nil {
		return nil, &apiError{Status: http.StatusInternalServerError, Msg: "saving the data file: " + err.Error()}
	}
	up := &upload{name: name, path: filepath.Join(dir, "data"), dir: dir}
	f, err := os.OpenFile(up.path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		os.RemoveAll(dir)
		return nil, &apiError{Status: http.StatusInternalServerError, Msg: "saving the data file: " + err.Error()}
	}
	n, err := io.Copy(f, io.LimitReader(part, s.cfg.MaxUploadBytes+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > s.cfg.MaxUploadBytes {
		err = &errTooLarge{s.cfg.MaxUploadBytes}
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return up, nil
}

// checkPostgres applies the server's policy on postgres targets: they
// run only on a server started with a DSN of its own (Config.PostgresDSN),
// and a request cannot name another database.
func (s *Server) checkPostgres(sp *spec.Spec) *apiError {
	if sp.Target.Kind() != "postgres" {
		return nil
	}
	if !s.cfg.Postgres {
		return &apiError{Status: http.StatusBadRequest, Key: "target.postgres",
			Msg: "target.postgres: this server runs no queries (it was started without --postgres-dsn); run the fit with klfit fit, or upload the samples"}
	}
	if sp.Target.DSN != "" {
		return &apiError{Status: http.StatusBadRequest, Key: "target.dsn",
			Msg: "target.dsn: this server queries its own database only; leave dsn out"}
	}
	return nil
}

// checkDataFiles applies the server's file policy to a parsed spec: it
// reads no file but the one uploaded with the request (which the build
// reads through uploadFS, by the name the spec gives it). A target naming
// a data file must name the uploaded one; a query is refused; an upload
// the target does not use is an error. The parsed target holds the one-line
// syntax's files too.
func checkDataFiles(sp *spec.Spec, up *upload) *apiError {
	t := sp.Target
	if t.SQL != "" {
		return &apiError{Status: http.StatusBadRequest, Key: "target.sql",
			Msg: "target.sql: this server runs no queries (they could read any of its files); run the fit with klfit fit, or upload the samples"}
	}
	used := false
	for _, f := range []struct{ key, name string }{{"samples", t.Samples}, {"table", t.Table}, {"histogram", t.Histogram}} {
		if f.name == "" {
			continue
		}
		if up == nil || f.name != up.name {
			return &apiError{Status: http.StatusBadRequest, Key: "target." + f.key,
				Msg: fmt.Sprintf(`target.%s: this server reads no files of its own: upload %q with the request (multipart field "data")`, f.key, f.name)}
		}
		used = true
	}
	if up != nil && !used {
		return &apiError{Status: http.StatusBadRequest, Key: "target",
			Msg: fmt.Sprintf("target: the data file %q was uploaded but the target does not read it (write target: {samples: %q})", up.name, up.name)}
	}
	return nil
}
