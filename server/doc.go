// Package server is klfit's web playground: an HTTP server with an embedded
// page on which a fit runs live in the browser, and the JSON API the page
// uses, open to scripts too.
//
// The server is a front door to the same code as the command line: a
// request's spec goes through spec.Parse and Spec.Build, the fit through
// fit.Run, and the answers through spec.NewSummary(...).JSON(),
// fit.History.WriteCSV and plot.Figures, so that POST /api/fit returns
// byte for byte what `klfit fit --json` prints for the same spec, wall
// time aside.
//
// The API:
//
//	GET  /healthz                200 "ok"
//	GET  /api/families           the model families, for the page's menus
//	GET  /api/divergences        the divergences
//	GET  /api/optimizers         the optimizers and their settings
//	GET  /api/presets            ready-made fits (the notebook's, ...)
//	GET  /api/limits             this server's limits
//	POST /api/fit                a spec -> the summary JSON
//	POST /api/fit/stream         a spec -> Server-Sent Events: start,
//	                             state (one per epoch, or per N epochs),
//	                             notice, summary
//	POST /api/fit/files/{name}   a spec -> one output file of the fit:
//	                             history.csv, summary.json, spec.yaml,
//	                             NAME.png, NAME.svg, or fit.zip (all)
//
// A spec is sent as the request body (JSON, or YAML, with the spec file's
// keys), or as the "spec" field of a multipart/form-data request whose
// "data" field uploads the data file the target reads (for a target such
// as {samples: NAME}, NAME being the uploaded file's name).
//
// Every request is treated as hostile: bodies and uploads are capped (413),
// and so are the uploads held at once, all requests together (503 with
// Retry-After); a body that is not JSON, YAML or multipart gets 415; what
// the header alone shows will be refused is refused before the body is
// read; specs are parsed as many at once as fits run, and a spec whose
// YAML aliases stand for far more values than it writes out is refused
// before it is decoded; grids, a fit's memory, formulas and epochs are
// capped (400, naming the key), each fit has a time limit, its build
// included, and is cancelled when its client goes away, each fit runs on
// one thread and the fits running at once are bounded (503 with
// Retry-After beyond a short queue), the server reads no file but the one
// uploaded with a request, and errors are JSON objects {"error": ...,
// "key": ...} with the spec's key (and "line" when known; both left out
// when not about a key). With Config.Logger set, each request is logged
// in one line. Serve shuts down gracefully: it stops accepting, lets running
// fits end for a grace period, then cancels them; cancelled fits still
// send what they computed.
package server
