package extract

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// The reference matchers below are the plain versions the verdicts must
// agree with: a word list scanned at every position, a map lookup for
// every part.

func refBoilerName(v string) string {
	v = strings.ToLower(v)
	for i := 0; i < len(v); i++ {
		for _, w := range boilerWords {
			if strings.HasPrefix(v[i:], w) {
				return w
			}
		}
	}
	f := strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == '-' || r == '_' || r == '\t' || r == '\n' })
	for _, part := range f {
		if boilerParts[part] {
			return part
		}
	}
	return ""
}

func refForeignName(v string) string {
	v = strings.ToLower(v)
	for _, tok := range strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(" \t\n\r\f", r) }) {
		if strings.HasPrefix(tok, "has-") || strings.HasPrefix(tok, "no-") || strings.HasPrefix(tok, "with-") || strings.HasPrefix(tok, "show-") {
			continue
		}
		for _, part := range strings.FieldsFunc(tok, func(r rune) bool { return r == '-' || r == '_' }) {
			if what := foreignParts[part]; what != "" {
				return what
			}
		}
	}
	return ""
}

func refWall(v string) bool {
	v = strings.ToLower(v)
	for _, w := range wallWords {
		if strings.Contains(v, w) {
			return true
		}
	}
	return false
}

func refByline(v string) bool {
	v = strings.ToLower(v)
	return strings.Contains(v, "byline") || strings.Contains(v, "author") || strings.Contains(v, "autor") || strings.Contains(v, "auteur")
}

var nameSeeds = []string{
	"", "c-list__item", "story-body", "Byline", "article-AUTHOR", "post-comments", "has-comments entry",
	"related-stories clearfix", "paywall-overlay", "tp-modal", "piano-offer x", "subscriber-only",
	"ad", "x ad", "c\rad", "ad\fx", "share-bar", "SIDEBAR", "most_popular", "no-sidebar single",
	"recommendations", "sr-only", "a", "wall", "pay-wall", "autor", "auteur-name", "with-related",
}

// TestNameVerdicts checks the verdicts on every class and id of the
// benchmark pages and the golden cases against the reference matchers.
func TestNameVerdicts(t *testing.T) {
	for _, v := range nameSeeds {
		checkNameVerdict(t, v)
	}
	var bodies [][]byte
	golden, err := filepath.Glob(filepath.Join("testdata", "golden", "*", "input.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range golden {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	if !testing.Short() {
		for _, p := range loadRealPages(t) {
			bodies = append(bodies, decode(p.html, ""))
		}
	}
	cache := nameCache{}
	for _, b := range bodies {
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			for _, a := range n.Attr {
				if a.Key == "class" || a.Key == "id" {
					checkNameVerdict(t, a.Val)
					if got, want := cache.verdict(a.Val), (nameCache)(nil).verdict(a.Val); got != want {
						t.Errorf("cached verdict on %q = %+v, want %+v", a.Val, got, want)
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(mustParseBytes(t, b))
	}
}

func FuzzNameVerdicts(f *testing.F) {
	for _, v := range nameSeeds {
		f.Add(v)
	}
	f.Fuzz(checkNameVerdict)
}

func checkNameVerdict(t *testing.T, v string) {
	got := (nameCache)(nil).verdict(v)
	want := nameVerdict{boiler: refBoilerName(v), foreign: refForeignName(v), wall: refWall(v), byline: refByline(v)}
	if got != want {
		t.Errorf("verdict on %q = %+v, want %+v", v, got, want)
	}
}
