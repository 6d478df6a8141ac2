package server

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/klfit/klfit/dist"
	"github.com/klfit/klfit/divergence"
	"github.com/klfit/klfit/fit"
	"github.com/klfit/klfit/spec"
)

// Family is one entry of GET /api/families.
type Family struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Dim is 1 for families on the line, 2 on the plane.
	Dim     int           `json:"dim,omitempty"`
	Support string        `json:"support,omitempty"`
	Params  []FamilyParam `json:"params"`
	// Note says why a registered name has no fixed parameters (a family
	// built from settings, such as a mixture); the page then leaves the
	// parameters to the spec editor.
	Note string `json:"note,omitempty"`
}

// FamilyParam is one parameter of a family.
type FamilyParam struct {
	Name       string `json:"name"`
	Constraint string `json:"constraint"`
}

// Families returns what dist offers, from its registry: every name of
// dist.Names, described through dist.Lookup.
func Families() []Family {
	var out []Family
	for _, name := range dist.Names() {
		f, err := dist.Lookup(name)
		if err != nil {
			out = append(out, Family{Name: name, Params: []FamilyParam{}, Note: err.Error()})
			continue
		}
		e := Family{Name: name, Description: f.Description(), Dim: f.Dim(), Support: f.Support(), Params: []FamilyParam{}}
		for _, p := range f.Params() {
			e.Params = append(e.Params, FamilyParam{Name: p.Name, Constraint: p.Constraint.String()})
		}
		out = append(out, e)
	}
	return out
}

// Divergence is one entry of GET /api/divergences.
type Divergence struct {
	Name      string `json:"name"`
	Symbol    string `json:"symbol"`
	Direction string `json:"direction"`
}

// Divergences returns what divergence offers, from its registry.
func Divergences() []Divergence {
	var out []Divergence
	for _, name := range divergence.Names() {
		d, err := divergence.Lookup(name)
		if err != nil {
			continue // listed by Names: cannot happen
		}
		out = append(out, Divergence{Name: name, Symbol: d.Symbol(), Direction: d.Direction()})
	}
	return out
}

// Optimizer is one entry of GET /api/optimizers.
type Optimizer struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Settings    []Setting `json:"settings"`
}

// Setting is one setting of an optimizer, with its default.
type Setting struct {
	Name        string     `json:"name"`
	Default     spec.Float `json:"default"`
	Description string     `json:"description"`
}

// Optimizers returns what fit offers, from its registry.
func Optimizers() []Optimizer {
	var out []Optimizer
	for _, name := range fit.OptimizerNames() {
		info, err := fit.LookupOptimizer(name)
		if err != nil {
			continue // listed by OptimizerNames: cannot happen
		}
		o := Optimizer{Name: name, Description: info.Description, Settings: []Setting{}}
		for _, st := range info.Settings {
			o.Settings = append(o.Settings, Setting{Name: st.Name, Default: spec.Float(st.Default), Description: st.Description})
		}
		out = append(out, o)
	}
	return out
}

func handleFamilies(w http.ResponseWriter, _ *http.Request)    { writeJSON(w, Families()) }
func handleDivergences(w http.ResponseWriter, _ *http.Request) { writeJSON(w, Divergences()) }
func handleOptimizers(w http.ResponseWriter, _ *http.Request)  { writeJSON(w, Optimizers()) }

// writeJSON answers v as indented JSON.
func writeJSON(w http.ResponseWriter, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		writeError(w, &apiError{Status: http.StatusInternalServerError, Msg: "encoding the answer: " + err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(buf.Bytes())
}
