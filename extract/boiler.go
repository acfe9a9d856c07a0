package extract

import (
	"strings"

	"golang.org/x/net/html"
)

// Boilerplate marking. Elements whose tag, role, itemprop, class or id
// name a non-story part (captions, share bars, bylines, related-story
// boxes, newsletter forms...) are page furniture. Readability keeps those
// attributes on the copy of the tree it returns (with KeepClasses), and
// when it replaces a <div> by the <p> inside it, it moves the div's class
// and id to the p; so the body is judged on its own attributes when it is
// rendered. Some rewrites lose them (a <div class="byline"> replaced by its
// only child <p class="text">, nested wrappers merged into one), so while
// scanning, a marked element and its only child also get a marker
// attribute, which readability copies along with the nodes. A marked
// element is skipped when rendering, unless it holds a large share of the
// body: WordPress and other CMSes put classes such as "tag-politics" or
// "has-share-buttons" on the element that wraps the whole story.

// boilerWords mark an element when a class or id contains them anywhere.
var boilerWords = []string{
	"caption", "credit", "byline", "dateline", "breadcrumb", "newsletter",
	"carousel", "slideshow", "gallery", "sharing", "social", "related",
	"promo", "advert", "subscribe", "signup", "sign-up", "outbrain",
	"taboola", "sidebar", "toolbar", "cookie", "popup", "modal",
	"recommend", "read-more", "readmore", "more-stories", "trending",
	"most-popular", "mostpopular", "sponsor", "copyright",
	"author-info", "author-bio", "authorbio", "author-box", "about-author",
	"timestamp", "publish-date", "pubdate", "post-date", "entry-date",
}

// boilerWordsByFirstByte indexes boilerWords by their first byte, and
// boilerWordPairs holds their first two bytes, so a class is scanned once
// instead of once per word and most positions are passed over after one
// bit test: this runs for every distinct class and id of every page. Both
// are built once and only read.
var boilerWordsByFirstByte = func() (index [256][]string) {
	for _, w := range boilerWords {
		index[w[0]] = append(index[w[0]], w)
	}
	return index
}()

var boilerWordPairs = newPairSet(boilerWords)

// boilerParts mark an element when they equal a whole part of a class or
// id split at "-" and "_": they are too short to match inside words.
var boilerParts = setOf(
	"ad", "ads", "meta", "tags", "tag", "share", "shares", "sharebar",
	"nav", "menu", "comment", "comments", "bio", "print", "date", "time",
	"banner", "footer", "masthead", "kicker", "eyebrow", "hidden", "sr",
	"rating",
)

// boilerPartShape passes over most parts without a map lookup.
var boilerPartShape = newWordShape(keysOf(boilerParts))

// Summaries, standfirsts and disclaimers are deliberately not marked: the
// benchmark's ground truth keeps them about as often as not. Links and
// inline formatting are never marked either: a class on a link inside a
// sentence ("tag-person-name") must not cut words out of the sentence.
var unmarkedTags = setOf(
	"a", "b", "strong", "i", "em", "u", "mark", "abbr", "cite", "q", "sup",
	"sub", "code", "s", "del", "ins", "kbd", "var", "dfn", "bdi", "bdo",
)

// boilerTags are elements that hold page furniture, not story text.
var boilerTags = setOf("nav", "aside", "footer", "header")

// boilerRoles are ARIA roles of page furniture.
var boilerRoles = setOf("navigation", "complementary", "contentinfo", "banner", "menu", "menubar", "dialog", "alert", "toolbar")

// boilerplateReason returns why n's markup names it page furniture (the
// matching tag, role, itemprop or class/id word), or "" when it does not.
func boilerplateReason(n *html.Node, names nameCache) string {
	if unmarkedTags[n.Data] {
		return "" // before looking up the class of every inline element
	}
	return boilerplateReasonOf(n, names.classAndID(n))
}

// boilerplateReasonOf is boilerplateReason with the verdicts on n's class
// and id at hand.
func boilerplateReasonOf(n *html.Node, names elementNames) string {
	if unmarkedTags[n.Data] {
		return ""
	}
	if boilerTags[n.Data] {
		return n.Data
	}
	if !names.role && names.itemprop == "" && names.class.boiler == "" && names.id.boiler == "" {
		return "" // none of the attributes below can name furniture
	}
	for _, a := range n.Attr {
		switch a.Key {
		case "role":
			if v := strings.ToLower(strings.TrimSpace(a.Val)); boilerRoles[v] {
				return "role=" + v
			}
		case "class", "id":
			if w := names.of(a.Key).boiler; w != "" {
				return a.Key + "~" + w
			}
		case "itemprop":
			switch v := strings.ToLower(a.Val); v {
			case "author", "datepublished", "datemodified", "caption", "creator", "publisher":
				return "itemprop=" + v
			}
		}
	}
	return ""
}

// boilerName returns the boilerplate word or part a lowercased class or
// id value holds, or "".
func boilerName(v string) string {
	for i := 0; i+1 < len(v); i++ {
		if !boilerWordPairs.has(v[i], v[i+1]) {
			continue // every word is longer than two bytes
		}
		for _, w := range boilerWordsByFirstByte[v[i]] {
			if strings.HasPrefix(v[i:], w) {
				return w
			}
		}
	}
	// Split into parts at white space, "-" and "_" without allocating:
	// this runs for every class and id of the page.
	start := -1
	for i := 0; i <= len(v); i++ {
		if i == len(v) || v[i] == ' ' || v[i] == '-' || v[i] == '_' || v[i] == '\t' || v[i] == '\n' {
			if start >= 0 && boilerPartShape.admits(v[start:i]) && boilerParts[v[start:i]] {
				return v[start:i]
			}
			start = -1
			continue
		}
		if start < 0 {
			start = i
		}
	}
	return ""
}

// boilerAttr marks a boilerplate element and its only child. Its name
// cannot clash with a page's own attributes: the HTML parser lowercases
// attribute names and this one holds an upper-case letter.
const boilerAttr = "data-archivist-Boiler"

// markBoilerplate gives n the marker attribute, and its only child too
// when n has one element child and no text of its own.
func markBoilerplate(n *html.Node) {
	n.Attr = append(n.Attr, html.Attribute{Key: boilerAttr})
	var only *html.Node
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.ElementNode && only == nil:
			only = c
		case c.Type == html.ElementNode, c.Type == html.TextNode && strings.TrimSpace(c.Data) != "":
			return
		}
	}
	if only != nil {
		only.Attr = append(only.Attr, html.Attribute{Key: boilerAttr})
	}
}

// isMarkedBoilerplate reports whether an element of the readability body
// is page furniture.
func isMarkedBoilerplate(n *html.Node, names nameCache) bool {
	if n.Type != html.ElementNode {
		return false
	}
	if _, ok := attrOK(n, boilerAttr); ok {
		return true
	}
	return boilerplateReason(n, names) != ""
}

// maxBoilerShare is the largest share of the body a marked element may
// hold and still be dropped.
const maxBoilerShare = 0.4

// subtreeRunes counts the non-space characters under every marked node of
// the body, so the renderer can check the share rule without walking
// subtrees twice.
func subtreeRunes(n *html.Node, out map[*html.Node]int, names nameCache) int {
	total := 0
	switch n.Type {
	case html.TextNode:
		for _, r := range n.Data {
			if r > ' ' && r != 0xA0 {
				total++
			}
		}
		return total
	case html.ElementNode:
		if skippedElements[n.Data] {
			return 0
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		total += subtreeRunes(c, out, names)
	}
	if isMarkedBoilerplate(n, names) {
		out[n] = total
	}
	return total
}
