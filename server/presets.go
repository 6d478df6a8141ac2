package server

import (
	"encoding/json"
	"net/http"
)

// Preset is a ready-made fit offered by the page: a spec in the spec
// file's JSON form.
type Preset struct {
	Name        string `json:"name"`
	Title       string `json:"title"`
	Description string `json:"description"`
	// Spec is the fit, as a spec file in JSON.
	Spec json.RawMessage `json:"spec"`
	// Compare, when set, names a second divergence: the page runs the
	// same spec under it side by side.
	Compare string `json:"compare,omitempty"`
}

// presets are the page's ready-made fits, all in this one place: the
// notebook's experiment, then a bimodal mixture, forward against reverse
// KL, a heavy-tailed and a skewed target, a 2-D normal and a formula.
// TestPresets builds and runs every one.
var presets = []Preset{
	{
		Name:        "notebook",
		Title:       "The notebook",
		Description: "N(5, 1) pulled onto the raw N(0, 7) density values by 1000 steps of gradient descent on the notebook's KL(P||Q), which on raw density values p is sum p log(p/Q) = c KL + c log c, c = sum p: the notebook's experiment, to the last digit.",
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
	},
	{
		Name:        "heavy-tailed",
		Title:       "A heavy-tailed target",
		Description: "A normal fitted to Student's t with 3 degrees of freedom: forward KL widens it to cover the tails.",
		Spec: json.RawMessage(`{"grid":{"start":-20,"stop":20,"step":0.05},` +
			`"target":{"family":"student_t","params":{"df":3,"loc":0,"scale":1}},"divergence":"kl",` +
			`"model":{"family":"normal","init":{"mean":2,"variance":1}},` +
			`"optimizer":{"name":"gd","learning_rate":0.1},"epochs":1000}`),
	},
	{
		Name:        "skewed",
		Title:       "A skewed target",
		Description: "A normal fitted to a skew normal: forward KL matches its mean and variance, and cannot follow the skew.",
		Spec: json.RawMessage(`{"grid":{"start":-10,"stop":10,"step":0.05},` +
			`"target":{"family":"skew_normal","params":{"loc":-2,"scale":2,"alpha":5}},"divergence":"kl",` +
			`"model":{"family":"normal","init":{"mean":2,"variance":1}},` +
			`"optimizer":{"name":"gd","learning_rate":0.1},"epochs":1000}`),
	},
	{
		Name:        "2d",
		Title:       "A 2-D normal",
		Description: "A bivariate normal pulled onto a correlated one on a 100 x 100 grid: the mean slides and the ellipse turns.",
		Spec: json.RawMessage(`{"grid":{"x":{"start":-5,"stop":5,"step":0.1},"y":{"start":-5,"stop":5,"step":0.1}},` +
			`"target":{"family":"mvnormal","params":{"mean":[1,-1],"covariance":[[2,0.8],[0.8,1]]}},"divergence":"kl",` +
			`"model":{"family":"mvnormal","init":{"mean":[0,0],"covariance":[[1,0],[0,1]]}},` +
			`"optimizer":{"name":"gd","learning_rate":0.1},"epochs":500}`),
	},
	{
		Name:        "formula",
		Title:       "A formula",
		Description: "A target written as a formula of x, exp(-x^2/2) (1 + sin(3x)^2), with a normal fitted to it.",
		Spec: json.RawMessage(`{"grid":{"start":-6,"stop":6,"step":0.02},` +
			`"target":{"expression":"exp(-x^2/2) * (1 + sin(3*x)^2)"},"divergence":"kl",` +
			`"model":{"family":"normal","init":{"mean":1,"variance":1}},` +
			`"optimizer":{"name":"gd","learning_rate":0.1},"epochs":800}`),
	},
}

// Presets returns the page's ready-made fits.
func Presets() []Preset { return presets }

func handlePresets(w http.ResponseWriter, _ *http.Request) { writeJSON(w, presets) }
