package extract

import (
	"strings"

	"golang.org/x/net/html"
)

// Readability's cost grows with the number of elements and with text
// times nesting depth: its cleaning pass measures the text under every
// container, so a page of 8,000 paragraphs inside 400 nested <div>s takes
// seconds and a 10 MB one minutes. Pages over either budget get the linear
// fallback below instead. Real pages stay far under both: the 181 pages of
// the extraction benchmark peak at 1,600 elements (as counted by the scan,
// which skips head, scripts and styles) and 0.8 M nested characters.
const (
	maxReadabilityElements   = 50_000
	maxReadabilityNestedText = 20_000_000
)

func overReadabilityBudget(page *pageScan) bool {
	return page.elements > maxReadabilityElements || page.nestedText > maxReadabilityNestedText
}

// fallbackContent finds the article body in one pass, the way readability
// starts: every paragraph of some length scores its ancestors by its length
// and commas, less with each level up, and the best-scoring element is the
// body. Scoring five levels up (readability stops at three and then adds
// qualifying siblings) lets the common container of many small teaser or
// comment blocks win over any one of them. It skips readability's cleaning
// passes, which are what cost too much on huge pages; the boilerplate marks
// still apply when the body is rendered. With no paragraph at all the whole
// <body> is the body.
func fallbackContent(doc *html.Node) *html.Node {
	scores := map[*html.Node]float64{}
	var best *html.Node
	bestScore := 0.0
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode || skippedElements[c.Data] {
				continue
			}
			switch c.Data {
			case "p", "pre", "td", "blockquote":
				text := textOf(c, 2000)
				length := len(strings.TrimSpace(text))
				if length < 25 {
					continue
				}
				score := 1 + float64(strings.Count(text, ",")) + min(float64(length)/100, 3)
				for level, anc := 1, c.Parent; level <= 5 && anc != nil && anc.Type == html.ElementNode; level, anc = level+1, anc.Parent {
					scores[anc] += score / float64(level)
					if scores[anc] > bestScore {
						best, bestScore = anc, scores[anc]
					}
				}
				continue
			}
			walk(c)
		}
	}
	walk(doc)
	if best == nil {
		return findElement(doc, "body")
	}
	return best
}

func findElement(n *html.Node, tag string) *html.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		if c.Data == tag {
			return c
		}
		if f := findElement(c, tag); f != nil {
			return f
		}
	}
	return nil
}
