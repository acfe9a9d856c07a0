package extract

import (
	"strings"

	"golang.org/x/net/html"
)

// Boilerplate marking. While scanning the raw page, elements whose tag,
// role, class or id name a non-story part (captions, share bars, bylines,
// related-story boxes, newsletter forms...) get a marker attribute, which
// survives readability (it copies the tree and strips only classes and
// its own attributes) while the class names themselves do not. When the
// readability body is rendered, a marked element is skipped, unless it
// holds a large share of the body: WordPress and other CMSes put classes
// such as "tag-politics" or "has-share-buttons" on the element that wraps
// the whole story.

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

// boilerParts mark an element when they equal a whole part of a class or
// id split at "-" and "_": they are too short to match inside words.
var boilerParts = setOf(
	"ad", "ads", "meta", "tags", "tag", "share", "shares", "sharebar",
	"nav", "menu", "comment", "comments", "bio", "print", "date", "time",
	"banner", "footer", "masthead", "kicker", "eyebrow", "hidden", "sr",
	"rating",
)

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
func boilerplateReason(n *html.Node) string {
	if unmarkedTags[n.Data] {
		return ""
	}
	if boilerTags[n.Data] {
		return n.Data
	}
	for _, a := range n.Attr {
		switch a.Key {
		case "role":
			if v := strings.ToLower(strings.TrimSpace(a.Val)); boilerRoles[v] {
				return "role=" + v
			}
		case "class", "id":
			if w := boilerName(a.Val); w != "" {
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

func boilerName(v string) string {
	if v == "" {
		return ""
	}
	v = strings.ToLower(v)
	for _, w := range boilerWords {
		if strings.Contains(v, w) {
			return w
		}
	}
	// Split into parts at white space, "-" and "_" without allocating:
	// this runs for every class and id of the page.
	start := -1
	for i := 0; i <= len(v); i++ {
		if i == len(v) || v[i] == ' ' || v[i] == '-' || v[i] == '_' || v[i] == '\t' || v[i] == '\n' {
			if start >= 0 && boilerParts[v[start:i]] {
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

// boilerAttr is the marker attribute. Its name cannot clash with a page's
// own attributes: the HTML parser lowercases attribute names and this one
// holds an upper-case letter.
const boilerAttr = "data-archivist-Boiler"

// markBoilerplate tags n, keeping the reason in the attribute's value
// for debugging.
func markBoilerplate(n *html.Node, reason string) {
	n.Attr = append(n.Attr, html.Attribute{Key: boilerAttr, Val: reason})
}

func boilerMark(n *html.Node) (string, bool) {
	for i := len(n.Attr) - 1; i >= 0; i-- {
		if n.Attr[i].Key == boilerAttr {
			return n.Attr[i].Val, true
		}
	}
	return "", false
}

// maxBoilerShare is the largest share of the body a marked element may
// hold and still be dropped.
const maxBoilerShare = 0.4

// subtreeRunes counts the non-space characters under every marked node of
// the body, so the renderer can check the share rule without walking
// subtrees twice.
func subtreeRunes(n *html.Node, out map[*html.Node]int) int {
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
		total += subtreeRunes(c, out)
	}
	if _, marked := boilerMark(n); marked && n.Type == html.ElementNode {
		out[n] = total
	}
	return total
}
