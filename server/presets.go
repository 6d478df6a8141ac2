package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/spec"
)

// Preset is a ready-made fit offered by the page: a spec in the spec
// file's JSON form, and what it needs from the library.
type Preset struct {
	Name        string `json:"name"`
	Title       string `json:"title"`
	Description string `json:"description"`
	// Spec is the fit, as a spec file in JSON.
	Spec json.RawMessage `json:"spec"`
	// Compare, when set, names a second divergence: the page runs the
	// same spec under it side by side.
	Compare string `json:"compare,omitempty"`
	// Needs lists what the preset uses beyond the notebook's normal
	// family and forward KL: "family:NAME", "divergence:NAME",
	// "optimizer:NAME" or "target:KIND" (a kind of target key such as
	// mixture).
	Needs []string `json:"needs,omitempty"`
}

// presets are the page's ready-made fits, all in this one place.
//
// Only the notebook's runs with the library as it stands when this was
// written; the others are written in the forms the spec takes once the
// families (student_t, skew_normal, mvnormal on a 2-D grid), the targets
// (mixture, expression) and the divergences (reverse_kl) are in, and
// TestPresets runs each one as soon as what it Needs is registered. The
// page greys out a preset whose needs are missing (see Available).
var presets = []Preset{
	{
		Name:        "notebook",
		Title:       "The notebook",
		Description: "N(5, 1) pulled onto the raw N(0, 7) density values by 1000 steps of gradient descent on KL(P||Q): the notebook's experiment, to the last digit.",
		Spec: json.RawMessage(`{"grid":{"start":-10,"stop":10,"step":0.1},` +
			`"target":{"family":"normal","params":{"mean":0,"variance":7}},"target_weights":"density","divergence":"kl",` +
			`"model":{"family":"normal","init":{"mean":5,"variance":1},"parameterization":"raw"},` +
			`"optimizer":{"name":"gd","learning_rate":0.01},"epochs":1000}`),
	},
	{
		Name:        "bimodal",
		Title:       "A bimodal mixture",
		Description: "A normal fitted to two separated modes by forward KL: it covers both, matching the mixture's mean (0) and variance (10).",
		Spec: json.RawMessage(`{"grid":{"start":-10,"stop":10,"step":0.05},` +
			`"target":{"mixture":[{"weight":0.5,"family":"normal","params":{"mean":-3,"variance":1}},` +
			`{"weight":0.5,"family":"normal","params":{"mean":3,"variance":1}}]},"divergence":"kl",` +
			`"model":{"family":"normal","init":{"mean":1,"variance":1}},` +
			`"optimizer":{"name":"gd","learning_rate":0.1},"epochs":1500}`),
		Needs: []string{"target:mixture"},
	},
	{
		Name:        "kl-directions",
		Title:       "Forward vs reverse KL",
		Description: "The same bimodal target under KL(P||Q) and KL(Q||P), side by side: forward KL covers both modes, reverse KL seeks one.",
		Spec: json.RawMessage(`{"grid":{"start":-10,"stop":10,"step":0.05},` +
			`"target":{"mixture":[{"weight":0.5,"family":"normal","params":{"mean":-3,"variance":1}},` +
			`{"weight":0.5,"family":"normal","params":{"mean":3,"variance":1}}]},"divergence":"kl",` +
			`"model":{"family":"normal","init":{"mean":1,"variance":1}},` +
			`"optimizer":{"name":"gd","learning_rate":0.1},"epochs":1500}`),
		Compare: "reverse_kl",
		Needs:   []string{"target:mixture", "divergence:reverse_kl"},
	},
	{
		Name:        "heavy-tailed",
		Title:       "A heavy-tailed target",
		Description: "A normal fitted to Student's t with 3 degrees of freedom: forward KL widens it to cover the tails.",
		Spec: json.RawMessage(`{"grid":{"start":-20,"stop":20,"step":0.05},` +
			`"target":{"family":"student_t","params":{"df":3,"loc":0,"scale":1}},"divergence":"kl",` +
			`"model":{"family":"normal","init":{"mean":2,"variance":1}},` +
			`"optimizer":{"name":"gd","learning_rate":0.1},"epochs":1000}`),
		Needs: []string{"family:student_t"},
	},
	{
		Name:        "skewed",
		Title:       "A skewed target",
		Description: "A normal fitted to a skew normal: forward KL matches its mean and variance, and cannot follow the skew.",
		Spec: json.RawMessage(`{"grid":{"start":-10,"stop":10,"step":0.05},` +
			`"target":{"family":"skew_normal","params":{"loc":-2,"scale":2,"alpha":5}},"divergence":"kl",` +
			`"model":{"family":"normal","init":{"mean":2,"variance":1}},` +
			`"optimizer":{"name":"gd","learning_rate":0.1},"epochs":1000}`),
		Needs: []string{"family:skew_normal"},
	},
	{
		Name:        "2d",
		Title:       "A 2-D normal",
		Description: "A bivariate normal pulled onto a correlated one on a 100 x 100 grid: the mean slides and the ellipse turns.",
		Spec: json.RawMessage(`{"grid":{"x":{"start":-5,"stop":5,"step":0.1},"y":{"start":-5,"stop":5,"step":0.1}},` +
			`"target":{"family":"mvnormal","params":{"mean":[1,-1],"covariance":[[2,0.8],[0.8,1]]}},"divergence":"kl",` +
			`"model":{"family":"mvnormal","init":{"mean":[0,0],"covariance":[[1,0],[0,1]]}},` +
			`"optimizer":{"name":"gd","learning_rate":0.1},"epochs":500}`),
		Needs: []string{"family:mvnormal"},
	},
	{
		Name:        "formula",
		Title:       "A formula",
		Description: "A target written as a formula of x, exp(-x^2/2) (1 + sin(3x)^2), with a normal fitted to it.",
		Spec: json.RawMessage(`{"grid":{"start":-6,"stop":6,"step":0.02},` +
			`"target":{"expression":"exp(-x^2/2) * (1 + sin(3*x)^2)"},"divergence":"kl",` +
			`"model":{"family":"normal","init":{"mean":1,"variance":1}},` +
			`"optimizer":{"name":"gd","learning_rate":0.1},"epochs":800}`),
		Needs: []string{"target:expression"},
	},
}

// Presets returns the page's ready-made fits.
func Presets() []Preset { return presets }

// Available reports whether the library has everything p needs, and
// lists what it lacks.
func (p Preset) Available() (ok bool, missing []string) {
	for _, need := range p.Needs {
		kind, name, _ := strings.Cut(need, ":")
		var err error
		switch kind {
		case "family":
			_, err = dist.Lookup(name)
		case "divergence":
			_, err = divergence.Lookup(name)
		case "optimizer":
			_, err = fit.LookupOptimizer(name)
		case "target":
			if !targetKind(name) {
				missing = append(missing, need)
			}
			continue
		}
		if err != nil {
			missing = append(missing, need)
		}
	}
	return len(missing) == 0, missing
}

// targetKind reports whether the spec knows the target key kind (such as
// mixture or expression): a spec with that key must not fail as an
// unknown key.
func targetKind(kind string) bool {
	probe := `{"grid":{"start":0,"stop":1,"step":0.5},"target":{"` + kind + `":"x"},` +
		`"model":{"family":"normal","init":{"mean":0,"variance":1}}}`
	_, err := spec.Parse([]byte(probe))
	se, ok := err.(*spec.Error)
	return !(ok && se.Key == "target."+kind && strings.HasPrefix(se.Msg, "unknown key"))
}

// presetEntry is a preset as GET /api/presets answers it.
type presetEntry struct {
	Preset
	Available bool     `json:"available"`
	Missing   []string `json:"missing,omitempty"`
}

var (
	presetsOnce sync.Once
	presetsJSON []presetEntry
)

func handlePresets(w http.ResponseWriter, _ *http.Request) {
	presetsOnce.Do(func() { // the registries are filled at init: ask once
		for _, p := range presets {
			ok, missing := p.Available()
			presetsJSON = append(presetsJSON, presetEntry{Preset: p, Available: ok, Missing: missing})
		}
	})
	writeJSON(w, presetsJSON)
}
