package spec

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Limits of what a spec's aliases may add to it. A YAML alias (*name)
// repeats its anchor's value: a short document of aliases of aliases can
// stand for millions of values, which decoding would copy and a summary
// would write out again. The values and text a spec stands for, aliases
// expanded, may exceed those written in it by at most these amounts.
const (
	MaxAliasValues = 100_000
	MaxAliasBytes  = 1 << 20
)

// size is what a YAML node stands for once its aliases are expanded.
type size struct{ nodes, bytes int64 }

// checkExpansion refuses a document whose aliases expand it beyond the
// limits above. It walks each node once (an alias's size is its
// anchor's, computed once), so a document of aliases costs no more to
// check than its length, and it stops counting at the limit.
func checkExpansion(root *yaml.Node) error {
	const saturate = 1 << 40
	memo := map[*yaml.Node]size{}
	var written size
	var firstAlias *yaml.Node
	var expanded func(n *yaml.Node, depth int) (size, error)
	expanded = func(n *yaml.Node, depth int) (size, error) {
		if depth > 10_000 {
			return size{}, &Error{Line: n.Line, Msg: "the spec is nested too deeply"}
		}
		if n.Kind == yaml.AliasNode {
			if firstAlias == nil {
				firstAlias = n
			}
			written.nodes++
			if n.Alias == nil {
				return size{}, nil
			}
			if s, ok := memo[n.Alias]; ok {
				if s.nodes < 0 {
					return size{}, &Error{Line: n.Line, Msg: fmt.Sprintf("the alias *%s refers to a value that contains it", n.Value)}
				}
				return s, nil
			}
			// An anchor met through an alias before its own place in
			// the document: count it (it is written once).
			return expanded(n.Alias, depth+1)
		}
		if s, ok := memo[n]; ok {
			if s.nodes < 0 {
				return size{}, &Error{Line: n.Line, Msg: "a value of the spec contains itself"}
			}
			// Reached again through its anchor: written once, already
			// counted.
			return s, nil
		}
		memo[n] = size{nodes: -1} // in progress
		s := size{nodes: 1, bytes: int64(len(n.Value))}
		written.nodes++
		written.bytes += int64(len(n.Value))
		for _, c := range n.Content {
			cs, err := expanded(c, depth+1)
			if err != nil {
				return size{}, err
			}
			s.nodes = min(s.nodes+cs.nodes, saturate)
			s.bytes = min(s.bytes+cs.bytes, saturate)
		}
		memo[n] = s
		return s, nil
	}
	total, err := expanded(root, 0)
	if err != nil {
		return err
	}
	if extra := total.nodes - written.nodes; extra > MaxAliasValues {
		return &Error{Line: firstAlias.Line, Msg: fmt.Sprintf("the spec's aliases expand it to %s values, %s more than it writes out; at most %d more are allowed", countText(total.nodes), countText(extra), MaxAliasValues)}
	}
	if extra := total.bytes - written.bytes; extra > MaxAliasBytes {
		return &Error{Line: firstAlias.Line, Msg: fmt.Sprintf("the spec's aliases expand it to %s bytes of text, %s more than it writes out; at most %d more are allowed", countText(total.bytes), countText(extra), MaxAliasBytes)}
	}
	return nil
}

// countText writes n, or "more than 10^12" when counting stopped.
func countText(n int64) string {
	if n >= 1<<40 {
		return "more than 10^12"
	}
	return fmt.Sprint(n)
}
