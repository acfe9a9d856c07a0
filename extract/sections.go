package extract

import (
	"strings"

	"golang.org/x/net/html"
)

// Parts of the page that are not the story but carry dates and names of
// their own: comment threads, related-story boxes, sidebars. A date or a
// byline found inside one is never the page's: the first <time> of a
// page may well be a comment's or a teaser's.

// foreignParts mark an element when they equal a whole part of one of
// its class or id tokens split at "-" and "_", mapped to what the part
// names.
var foreignParts = map[string]string{
	"comment": "comments", "comments": "comments", "commentlist": "comments",
	"commentslist": "comments", "disqus": "comments", "replies": "comments",
	"respond": "comments", "discussion": "comments",
	"related": "related stories", "relatedposts": "related stories",
	"recommended": "related stories", "recommendations": "related stories",
	"recirc": "related stories", "outbrain": "related stories",
	"taboola": "related stories", "morestories": "related stories",
	"trending": "related stories", "popular": "related stories",
	"mostpopular": "related stories", "readnext": "related stories",
	"sidebar": "a sidebar",
}

// foreignPartShape passes over most parts without a map lookup.
var foreignPartShape = newWordShape(keysOf(foreignParts))

// foreignSection returns why n holds another part of the page than the
// story, or "".
func foreignSection(n *html.Node, names elementNames) string {
	switch n.Data {
	case "aside":
		return "inside <aside>"
	case "nav":
		return "inside <nav>"
	}
	if names.class.foreign == "" && names.id.foreign == "" {
		return ""
	}
	for _, a := range n.Attr {
		if a.Key != "class" && a.Key != "id" {
			continue
		}
		if what := names.of(a.Key).foreign; what != "" {
			return "inside " + what + " (" + a.Key + " " + clipEvidence(strings.TrimSpace(a.Val)) + ")"
		}
	}
	return ""
}

// foreignName checks each token of a lowercased class or id value.
// Tokens that say a state of the story ("has-comments", "no-sidebar") are
// skipped.
func foreignName(v string) string {
	// Walk the tokens and their parts without allocating: this runs for
	// every class and id of the page.
	for len(v) > 0 {
		end := 0
		for end < len(v) && v[end] != ' ' && v[end] != '\t' && v[end] != '\n' && v[end] != '\r' && v[end] != '\f' {
			end++
		}
		tok := v[:end]
		v = v[end:]
		if len(v) > 0 {
			v = v[1:]
		}
		if tok == "" || strings.HasPrefix(tok, "has-") || strings.HasPrefix(tok, "no-") || strings.HasPrefix(tok, "with-") || strings.HasPrefix(tok, "show-") {
			continue
		}
		start := -1
		for i := 0; i <= len(tok); i++ {
			if i == len(tok) || tok[i] == '-' || tok[i] == '_' {
				if start >= 0 && foreignPartShape.admits(tok[start:i]) {
					if what := foreignParts[tok[start:i]]; what != "" {
						return what
					}
				}
				start = -1
				continue
			}
			if start < 0 {
				start = i
			}
		}
	}
	return ""
}

// wallWords in a class or id name a paywall or registration wall.
var wallWords = []string{
	"paywall", "pay-wall", "regwall", "reg-wall", "registration-wall",
	"subscriber-only", "subscribers-only", "subscriberonly",
	"premium-wall", "metered-wall", "piano-offer", "tp-modal",
}

// maxWalls bounds how many wall elements are kept.
const maxWalls = 8

// wall records the text of an element whose class or id names a wall
// (the caller checks that).
func (s *scanner) wall(n *html.Node) {
	if text := collapseSpace(textOf(n, 600)); text != "" {
		s.page.walls = append(s.page.walls, text)
	}
}

// datePropSource names the evidence source of each microdata date
// property.
var datePropSource = map[string]string{
	"datepublished": "microdata:datePublished",
	"datecreated":   "microdata:dateCreated",
	"datemodified":  "microdata:dateModified",
	"dateupdated":   "microdata:dateUpdated",
}

// maxDates bounds the dates kept from one page: a listing of thousands
// of teasers needs only its first few to be judged.
const maxDates = 64

// addDate records a date found at the current position.
func (s *scanner) addDate(d dateTag) {
	if len(s.page.dates) >= maxDates {
		return
	}
	d.inArticle = s.inArticle > 0
	d.scope = s.ctx.scope
	d.foreign = s.ctx.foreign
	s.page.dates = append(s.page.dates, d)
}

// itemscope tracks microdata items: a Comment's dates are not the page's,
// nor are those of an article item nested in another (a teaser inside
// the story).
func (s *scanner) itemscope(n *html.Node) {
	typ := strings.ToLower(attr(n, "itemtype"))
	if i := strings.LastIndexAny(typ, "/#:"); i >= 0 {
		typ = typ[i+1:]
	}
	typ = strings.TrimSpace(typ)
	switch {
	case foreignItemTypes[typ] && s.ctx.foreign == "":
		s.ctx.foreign = "inside a " + typ + " item"
	case articleTypes[typ] && s.ctx.scope > 0 && s.ctx.foreign == "":
		s.ctx.foreign = "inside an article item nested in the story (a teaser)"
	case articleTypes[typ] && s.ctx.scope == 0:
		s.page.articleScopes++
		s.ctx.scope = s.page.articleScopes
	}
}

// foreignItemTypes are microdata types whose dates and authors are not the
// page's.
var foreignItemTypes = setOf("comment", "usercomments", "answer", "question", "discussionforumposting")

func hasDateProp(props string) bool {
	for _, p := range strings.Fields(strings.ToLower(props)) {
		if datePropSource[p] != "" {
			return true
		}
	}
	return false
}
