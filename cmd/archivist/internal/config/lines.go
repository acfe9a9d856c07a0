package config

import (
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// lineIndex maps a setting's path ("crawl.depth", "sources[2].kind",
// "hosts.example.com.delay") to the line of the YAML file that sets it, so
// that validation, which sees only decoded values, can still say where a
// bad value is.
type lineIndex map[string]int

// indexLines parses data as YAML and records the line of every key and
// sequence item. A document that does not parse yields an empty index;
// the decoder reports that error itself.
func indexLines(data []byte) lineIndex {
	idx := lineIndex{}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		return idx
	}
	idx.walk(doc.Content[0], "")
	return idx
}

func (idx lineIndex) walk(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			child := k.Value
			if path != "" {
				child = path + "." + k.Value
			}
			idx[child] = k.Line
			idx.walk(v, child)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			child := path + "[" + strconv.Itoa(i) + "]"
			idx[child] = item.Line
			idx.walk(item, child)
		}
	}
}

// line returns the line of field, or of the nearest enclosing setting
// that the file names (a default value has no line of its own, but the
// section holding it may).
func (idx lineIndex) line(field string) int {
	for f := field; f != ""; f = parent(f) {
		if l, ok := idx[f]; ok {
			return l
		}
	}
	return 0
}

// parent strips the last element of a path: "a.b[2]" → "a.b", "a.b" → "a".
func parent(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		switch p[i] {
		case '.':
			return p[:i]
		case '[':
			return p[:i]
		}
	}
	return ""
}

// at formats " (line N)" for a field, or "" when unknown.
func (idx lineIndex) at(field string) string {
	if l := idx.line(field); l > 0 {
		return fmt.Sprintf(" (line %d)", l)
	}
	return ""
}
