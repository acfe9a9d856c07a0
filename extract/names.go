package extract

import (
	"strings"

	"golang.org/x/net/html"
)

// Every element's class and id are matched against the boilerplate,
// foreign-part, wall and byline word lists. A page repeats the same class
// values on hundreds of elements ("c-list__item", "story-body"), so
// nameCache keeps the answers per distinct value for one page, and each
// element looks its values up once for all four questions.

// nameVerdict is what a class or id value says about its element.
type nameVerdict struct {
	boiler  string // boilerName's word, "" when none
	foreign string // foreignName's part of the page, "" when none
	wall    bool   // names a paywall or registration wall
	byline  bool   // names a byline or author
}

// elementNames are the verdicts on one element's class and id (zero when
// it has none), and which of the other attributes the scan asks about it
// carries, so that one pass over the attributes serves every question.
type elementNames struct {
	class, id nameVerdict
	// itemprop is the itemprop attribute's value; role and itemscope
	// say whether those attributes are present.
	itemprop        string
	role, itemscope bool
}

// of returns the verdict on the attribute key, "class" or "id".
func (e elementNames) of(key string) nameVerdict {
	if key == "class" {
		return e.class
	}
	return e.id
}

// nameCache maps a class or id value to its verdict. A nil cache works
// and remembers nothing.
type nameCache map[string]nameVerdict

// maxNameCache bounds the cache: a hostile page may carry a million
// distinct class values.
const maxNameCache = 4096

// classAndID returns the verdicts on n's class and id and the other
// attributes elementNames holds. The HTML parser keeps one attribute of a
// name, so there is at most one of each.
func (c nameCache) classAndID(n *html.Node) elementNames {
	var e elementNames
	for _, a := range n.Attr {
		if a.Namespace != "" {
			continue
		}
		switch a.Key {
		case "class":
			if a.Val != "" {
				e.class = c.verdict(a.Val)
			}
		case "id":
			if a.Val != "" {
				e.id = c.verdict(a.Val)
			}
		case "itemprop":
			e.itemprop = a.Val
		case "role":
			e.role = true
		case "itemscope":
			e.itemscope = true
		}
	}
	return e
}

func (c nameCache) verdict(v string) nameVerdict {
	if nv, ok := c[v]; ok {
		return nv
	}
	lower := strings.ToLower(v)
	wall, byline := markerWords(lower)
	nv := nameVerdict{boiler: boilerName(lower), foreign: foreignName(lower), wall: wall, byline: byline}
	if c != nil && len(c) < maxNameCache {
		c[v] = nv
	}
	return nv
}

// markerWords reports whether a lowercased class or id value holds one
// of wallWords, and whether it names a byline or an author ("byline",
// "author", "autor", "auteur"), in one pass over v.
func markerWords(v string) (wall, byline bool) {
	gate := false // one of the parts every wallWords entry holds
	for i := 0; i < len(v) && !(gate && byline); i++ {
		rest := v[i:]
		switch v[i] {
		case 'w':
			gate = gate || strings.HasPrefix(rest, "wall")
		case 's':
			gate = gate || strings.HasPrefix(rest, "subscri")
		case 'p':
			gate = gate || strings.HasPrefix(rest, "piano")
		case 't':
			gate = gate || strings.HasPrefix(rest, "tp-modal")
		case 'b':
			byline = byline || strings.HasPrefix(rest, "byline")
		case 'a':
			byline = byline || strings.HasPrefix(rest, "author") || strings.HasPrefix(rest, "autor") || strings.HasPrefix(rest, "auteur")
		}
	}
	if gate {
		for _, w := range wallWords {
			if strings.Contains(v, w) {
				return true, byline
			}
		}
	}
	return false, byline
}

// pairSet holds two-byte prefixes: a word list's first two bytes, tested
// before the words themselves.
type pairSet [1 << 16 / 64]uint64

func newPairSet(words []string) *pairSet {
	var s pairSet
	for _, w := range words {
		if len(w) >= 2 {
			p := uint16(w[0])<<8 | uint16(w[1])
			s[p/64] |= 1 << (p % 64)
		}
	}
	return &s
}

func (s *pairSet) has(a, b byte) bool {
	p := uint16(a)<<8 | uint16(b)
	return s[p/64]&(1<<(p%64)) != 0
}

// wordShape is what every word of a set looks like: its length range and
// first two bytes. A string it does not admit is in none of the set.
type wordShape struct {
	minLen, maxLen int
	pairs          *pairSet
}

func newWordShape(words []string) wordShape {
	s := wordShape{minLen: int(^uint(0) >> 1), pairs: newPairSet(words)}
	for _, w := range words {
		s.minLen, s.maxLen = min(s.minLen, len(w)), max(s.maxLen, len(w))
	}
	return s
}

func (s wordShape) admits(w string) bool {
	if len(w) < s.minLen || len(w) > s.maxLen {
		return false
	}
	return len(w) < 2 || s.pairs.has(w[0], w[1])
}

func keysOf[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}
