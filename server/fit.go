package server

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/plot"
	"github.com/klfit/klfit/spec"
)

// fitContext returns the context a fit runs under: cancelled when the
// client goes away, when the server shuts down, and after the time limit,
// with context.Cause saying which.
func (s *Server) fitContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	stop := context.AfterFunc(s.fits, func() { cancel(context.Cause(s.fits)) })
	tctx, tcancel := context.WithTimeoutCause(ctx, s.cfg.FitTimeout, errTimeLimit)
	return tctx, func() {
		tcancel()
		stop()
		cancel(context.Canceled)
	}
}

// run runs a job's fit as the command line does: fit.Run on the built
// problem with the spec's options, under the job's context, on one
// thread: the server runs as many fits at once as there are CPUs, and the
// numbers do not depend on the threads. notice says why the fit was
// interrupted, or is "" when it was not.
func (s *Server) run(j *job, observers ...fit.Observer) (res *fit.Result, notice string, aerr *apiError) {
	s.running.Add(1)
	defer s.running.Add(-1)
	opts := j.built.Options(observers...)
	opts.Engine = fit.Engine{Threads: 1}
	res, err := fit.Run(j.ctx, j.built.Problem, opts)
	if err != nil {
		setFitStatus(j.ctx, "failed")
		return nil, "", &apiError{Status: http.StatusBadRequest, Msg: err.Error()}
	}
	setFitStatus(j.ctx, string(res.Status))
	return res, s.notice(j.ctx, res), nil
}

// runRequest prepares a fit request and runs its fit to the end, for the
// handlers that answer once it is over. check, when not nil, may refuse
// the built fit before it runs. It answers an error itself, and then
// returns a nil job; an interrupted fit's notice goes in the Klfit-Notice
// header. The caller must close the job.
func (s *Server) runRequest(w http.ResponseWriter, r *http.Request, check func(*spec.Built) *apiError) (*job, *fit.Result) {
	j, aerr := s.prepare(w, r)
	if aerr != nil {
		writeError(w, aerr)
		return nil, nil
	}
	if check != nil {
		if aerr := check(j.built); aerr != nil {
			j.close()
			writeError(w, aerr)
			return nil, nil
		}
	}
	res, notice, aerr := s.run(j)
	if aerr != nil {
		j.close()
		writeError(w, aerr)
		return nil, nil
	}
	if notice != "" {
		w.Header().Set("Klfit-Notice", notice)
	}
	return j, res
}

// notice says why a fit was interrupted, or "" when it was not.
func (s *Server) notice(ctx context.Context, res *fit.Result) string {
	if res.Status != fit.Interrupted {
		return ""
	}
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errTimeLimit):
		return fmt.Sprintf("the fit reached this server's time limit (%v) and stopped after epoch %d", s.cfg.FitTimeout, res.Epochs)
	case errors.Is(cause, errShutdown):
		return fmt.Sprintf("the server is shutting down: the fit stopped after epoch %d", res.Epochs)
	}
	return fmt.Sprintf("the fit was cancelled after epoch %d", res.Epochs)
}

// handleFit answers POST /api/fit: the summary JSON, as `klfit fit --json`
// prints it. A fit that diverged or was interrupted (the time limit) still
// answers 200 with its summary, whose status says so; an interrupted one
// also has a Klfit-Notice header saying why.
func (s *Server) handleFit(w http.ResponseWriter, r *http.Request) {
	j, res := s.runRequest(w, r, nil)
	if j == nil {
		return
	}
	defer j.close()
	w.Header().Set("Content-Type", "application/json")
	w.Write(j.summary(res).JSON())
}

// figureName is the form of a figure's file name.
var figureName = regexp.MustCompile(`^[A-Za-z0-9_-]+\.(png|svg)$`)

// handleFiles answers POST /api/fit/files/{name}: one output file of the
// fit, as `klfit fit --out` writes it (spec.yaml is the spec with its
// defaults filled in, as summary.json repeats it; fit.zip holds them
// all).
func (s *Server) handleFiles(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	switch {
	case name == "history.csv", name == "summary.json", name == "spec.yaml", name == "fit.zip", figureName.MatchString(name):
	default:
		writeError(w, &apiError{Status: http.StatusNotFound,
			Msg: fmt.Sprintf("no such file %q (known: history.csv, summary.json, spec.yaml, fit.zip, and the figures NAME.png, NAME.svg)", name)})
		return
	}
	// A figure's name is checked before the fit runs: the figures a fit
	// draws follow from its grid and its family.
	j, res := s.runRequest(w, r, func(b *spec.Built) *apiError {
		if !figureName.MatchString(name) {
			return nil
		}
		base, _, _ := strings.Cut(name, ".")
		names := figureNames(b)
		if !contains(names, base) {
			return &apiError{Status: http.StatusNotFound,
				Msg: fmt.Sprintf("this fit has no figure %q (it has: %s, each .png or .svg)", name, strings.Join(names, ", "))}
		}
		return nil
	})
	if j == nil {
		return
	}
	defer j.close()
	out := outputs{b: j.built, res: res, sum: j.summary(res), date: j.started}
	var buf bytes.Buffer
	var aerr *apiError
	if name == "fit.zip" {
		aerr = out.zip(&buf)
	} else {
		aerr = out.write(&buf, name)
	}
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	w.Header().Set("Content-Type", contentType(name))
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	w.Write(buf.Bytes())
}

func contentType(name string) string {
	switch {
	case strings.HasSuffix(name, ".csv"):
		return "text/csv; charset=utf-8"
	case strings.HasSuffix(name, ".json"):
		return "application/json"
	case strings.HasSuffix(name, ".yaml"):
		return "application/yaml"
	case strings.HasSuffix(name, ".png"):
		return "image/png"
	case strings.HasSuffix(name, ".svg"):
		return "image/svg+xml"
	}
	return "application/zip"
}

// outputs writes a finished fit's files with the command line's code.
type outputs struct {
	b    *spec.Built
	res  *fit.Result
	sum  *spec.Summary
	figs []plot.Figure
	// date dates the entries of fit.zip.
	date time.Time
}

// figureNames returns the names of the figures plot.Figures draws for a
// fit of b (see plot.FigureNames).
func figureNames(b *spec.Built) []string {
	return plot.FigureNames(dist.ParamNames(b.Problem.Family))
}

func (o *outputs) figures() []plot.Figure {
	if o.figs == nil {
		o.figs = plot.Figures(plot.Input{
			Grid:    o.b.Problem.Grid,
			Target:  o.b.TargetDensity(),
			Family:  o.b.Problem.Family,
			History: o.res.History,
			Symbol:  o.b.LossSymbol(),
			Source:  o.b.Target,
		})
	}
	return o.figs
}

// names lists the files of the fit, in the order fit.zip holds them.
func (o *outputs) names() []string {
	names := []string{"spec.yaml", "history.csv", "summary.json"}
	for _, f := range o.figures() {
		names = append(names, f.Name+".png", f.Name+".svg")
	}
	return names
}

// write writes the file called name.
func (o *outputs) write(w io.Writer, name string) *apiError {
	var err error
	switch name {
	case "history.csv":
		err = o.res.History.WriteCSV(w)
	case "summary.json":
		_, err = w.Write(o.sum.JSON())
	case "spec.yaml":
		_, err = w.Write(o.sum.Spec.YAML())
	default:
		base, ext, _ := strings.Cut(name, ".")
		for _, f := range o.figures() {
			if f.Name == base {
				return internal(f.Render(w, ext))
			}
		}
		return &apiError{Status: http.StatusNotFound, Msg: fmt.Sprintf("this fit has no figure %q (it has: %s)", name, strings.Join(o.names()[3:], ", "))}
	}
	return internal(err)
}

// zip writes every file of the fit into a zip archive.
func (o *outputs) zip(w io.Writer) *apiError {
	zw := zip.NewWriter(w)
	for _, name := range o.names() {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: o.date})
		if err != nil {
			return internal(err)
		}
		if aerr := o.write(f, name); aerr != nil {
			return aerr
		}
	}
	return internal(zw.Close())
}

func internal(err error) *apiError {
	if err == nil {
		return nil
	}
	return &apiError{Status: http.StatusInternalServerError, Msg: "writing the file: " + err.Error()}
}
