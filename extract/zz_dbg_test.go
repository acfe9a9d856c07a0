package extract

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestZZDbg(t *testing.T) {
	id := os.Getenv("ZZ_ID")
	if id == "" {
		t.Skip()
	}
	for _, p := range loadRealPages(t) {
		if !strings.HasPrefix(p.id, id) {
			continue
		}
		doc, _ := html.Parse(strings.NewReader(string(p.html)))
		var walk func(n *html.Node, reason string)
		walk = func(n *html.Node, reason string) {
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type != html.ElementNode {
					continue
				}
				r := reason
				if r == "" {
					r = foreignSection(c)
				}
				if r != "" && (bylineMarker(attr(c, "class")) || c.Data == "time") {
					t.Logf("%s %q in %s", c.Data, attr(c, "class"), r)
				}
				walk(c, r)
			}
		}
		walk(doc, "")
	}
}
