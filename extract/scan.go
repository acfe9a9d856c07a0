package extract

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// pageScan is everything read from the raw DOM in one walk, before
// readability rewrites the tree.
type pageScan struct {
	htmlLang  string
	base      string // first <base href>
	title     string // the document's <title>
	canonical string // first <link rel=canonical href>
	// meta maps a lowercased name, property, itemprop or http-equiv to
	// its values in document order. Microdata elements carrying dates
	// (itemprop=datePublished on a <time> or <span>) land here too.
	meta    map[string][]string
	jsonLD  []string
	anchors []anchor
	// dates are the dates in the body: microdata date properties and
	// <time> elements, with where they sit.
	dates   []dateTag
	bylines []byline
	h1      []string
	// imageSrc is the first <link rel=image_src href>.
	imageSrc string
	// walls are elements whose class or id names a paywall or
	// registration wall, with the start of their text.
	walls []string
	// articleScopes counts the top-level microdata items of an article
	// type: dates from several of them belong to a list of stories.
	articleScopes int
	// textRunes counts visible non-space characters in the body and
	// linkRunes those of them inside links: a page made mostly of link
	// text is a listing or a portal, not an article.
	textRunes int
	linkRunes int
	// names caches what the page's class and id values say; the renderer
	// asks the same questions of the body.
	names nameCache
	// elements counts the elements of the page and nestedText sums the
	// visible characters times their depth in the tree: readability's
	// work grows with both (see overReadabilityBudget).
	elements, nestedText int
}

type anchor struct {
	href, text, rel string
}

// dateTag is a date found in the body.
type dateTag struct {
	value string
	// prop is the lowercased microdata property ("datepublished"...),
	// "" for a <time> without one.
	prop    string
	pubdate bool // a <time pubdate>
	// inArticle is set when the element sits inside <article>, <header>
	// or <main>, where a plain <time> is the story's date rather than a
	// date in a sidebar.
	inArticle bool
	// scope is the ordinal (from 1) of the top-level article item the
	// date belongs to, 0 outside any.
	scope int
	// foreign says why the date belongs to another part of the page (a
	// comment, a related story, a sidebar); "" when it does not.
	foreign string
}

// byline is a candidate author name from the page body. Strong ones come
// from markup that says "this is the author" (itemprop, rel); weak ones
// from class names. source names the markup, for the evidence.
type byline struct {
	text   string
	strong bool
	source string
}

// maxBylineRunes bounds how much text a byline element may hold: longer
// ones are author bios or whole article wrappers with an "author" class.
const maxBylineRunes = 120

func scanDocument(doc *html.Node) *pageScan {
	s := &scanner{page: &pageScan{meta: map[string][]string{}, names: nameCache{}}, currentAnchor: -1}
	s.walk(doc)
	return s.page
}

type scanner struct {
	page          *pageScan
	depth         int
	inBody        bool
	inArticle     int
	currentAnchor int // index into page.anchors of the open <a>, or -1
	anchorText    strings.Builder
	// ctx is what the open elements say about the current position; it
	// is restored when an element closes.
	ctx scanContext
}

// scanContext is the part of the scanner's state that nesting sets.
type scanContext struct {
	// foreign says why this part of the page is not the story (see
	// foreignSection), "" inside the story or page chrome.
	foreign string
	// scope is the ordinal of the open top-level article item, 0 outside.
	scope int
}

func (s *scanner) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		s.text(n.Data)
		return
	case html.ElementNode:
		s.page.elements++
		s.depth++
		saved := s.ctx
		if s.element(n) {
			s.walkChildren(n)
		}
		s.ctx = saved
		s.depth--
	case html.DocumentNode:
		s.walkChildren(n)
	}
}

func (s *scanner) text(data string) {
	if !s.inBody {
		return
	}
	visible := countVisible(data)
	s.page.textRunes += visible
	s.page.nestedText += visible * s.depth
	if s.currentAnchor >= 0 {
		s.page.linkRunes += visible
		s.anchorText.WriteString(data)
	}
}

// element records what n says about the page and reports whether its
// children should be walked.
func (s *scanner) element(n *html.Node) bool {
	if n.Namespace != "" {
		// SVG and MathML hold drawing labels, not page text or links
		// worth keeping.
		return false
	}
	p := s.page
	if s.currentAnchor >= 0 && (blockElements[n.Data] || n.Data == "br") {
		// A link wrapping a headline and a teaser reads "Headline
		// Teaser", not "HeadlineTeaser".
		s.anchorText.WriteByte(' ')
	}
	names := s.page.names.classAndID(n)
	if n.Data != "body" && n.Data != "html" && n.Data != "article" && n.Data != "main" {
		if s.ctx.foreign == "" {
			s.ctx.foreign = foreignSection(n, names)
		}
		if s.inBody && len(s.page.walls) < maxWalls && (names.class.wall || names.id.wall) {
			s.wall(n)
		}
		if names.class.byline || names.id.byline {
			s.classByline(n)
		}
		if boilerplateReasonOf(n, names) != "" {
			markBoilerplate(n)
		}
	}
	if names.itemscope {
		s.itemscope(n)
	}
	if names.itemprop != "" {
		s.itemprop(n, names.itemprop)
	}
	switch n.Data {
	case "html":
		if p.htmlLang == "" {
			p.htmlLang = strings.TrimSpace(attr(n, "lang"))
		}
		if p.htmlLang == "" {
			p.htmlLang = strings.TrimSpace(attr(n, "xml:lang"))
		}
	case "body":
		s.inBody = true
	case "base":
		if p.base == "" {
			p.base = strings.TrimSpace(attr(n, "href"))
		}
	case "title":
		if p.title == "" {
			p.title = collapseSpace(textOf(n, 1000))
		}
		return false
	case "meta":
		s.metaTag(n)
		return false
	case "link":
		rel := attr(n, "rel")
		if p.canonical == "" && hasToken(rel, "canonical") {
			p.canonical = strings.TrimSpace(attr(n, "href"))
		}
		if p.imageSrc == "" && hasToken(rel, "image_src") {
			p.imageSrc = strings.TrimSpace(attr(n, "href"))
		}
		return false
	case "script":
		if strings.Contains(strings.ToLower(attr(n, "type")), "ld+json") && n.FirstChild != nil {
			p.jsonLD = append(p.jsonLD, n.FirstChild.Data)
		}
		return false
	case "style", "noscript", "template", "iframe", "object", "textarea", "select":
		return false
	case "time":
		s.timeTag(n)
	case "h1", "h2", "h3", "h4", "h5", "h6":
		return s.heading(n)
	case "article", "header", "main":
		s.inArticle++
		s.walkChildren(n)
		s.inArticle--
		return false
	case "a", "area":
		return s.link(n)
	}
	return true
}

func (s *scanner) walkChildren(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		s.walk(c)
	}
}

func (s *scanner) heading(n *html.Node) bool {
	if n.Data == "h1" && len(s.page.h1) < 8 {
		s.page.h1 = append(s.page.h1, collapseSpace(textOf(n, 500)))
	}
	s.walkChildren(n)
	return false
}

func (s *scanner) link(n *html.Node) bool {
	href, ok := attrOK(n, "href")
	if !ok || s.currentAnchor >= 0 {
		// A nested link cannot come out of the HTML parser except through
		// foster parenting; its text counts for the outer one.
		return true
	}
	s.page.anchors = append(s.page.anchors, anchor{
		href: href,
		rel:  collapseSpace(attr(n, "rel")),
	})
	idx := len(s.page.anchors) - 1
	if n.Data == "area" {
		s.page.anchors[idx].text = collapseSpace(attr(n, "alt"))
		return false
	}
	s.currentAnchor = idx
	s.anchorText.Reset()
	s.walkChildren(n)
	s.currentAnchor = -1
	text := collapseSpace(s.anchorText.String())
	if text == "" {
		text = firstImageAlt(n)
	}
	s.page.anchors[idx].text = text
	if hasToken(attr(n, "rel"), "author") && text != "" && s.ctx.foreign == "" {
		s.page.bylines = append(s.page.bylines, byline{text: text, strong: true, source: "html:rel=author"})
	}
	return false
}

func (s *scanner) metaTag(n *html.Node) {
	content, ok := attrOK(n, "content")
	if !ok {
		return
	}
	content = strings.TrimSpace(content)
	if content == "" {
		return
	}
	for _, key := range [...]string{"name", "property", "itemprop", "http-equiv"} {
		if k := strings.ToLower(strings.TrimSpace(attr(n, key))); k != "" {
			// RDFa pages put several properties in one attribute.
			for _, f := range strings.Fields(k) {
				if key == "itemprop" && s.inBody && datePropSource[f] != "" {
					// Microdata dates in the body say which item they
					// belong to: a comment's date is not the page's.
					s.addDate(dateTag{value: content, prop: f})
					continue
				}
				s.page.meta[f] = append(s.page.meta[f], content)
			}
		}
	}
}

func (s *scanner) timeTag(n *html.Node) {
	value := strings.TrimSpace(attr(n, "datetime"))
	if value == "" {
		value = collapseSpace(textOf(n, 100))
	}
	if value == "" {
		return
	}
	if hasDateProp(attr(n, "itemprop")) {
		return // recorded by itemprop
	}
	_, pubdate := attrOK(n, "pubdate")
	s.addDate(dateTag{value: value, pubdate: pubdate})
}

// itemprop records microdata that is not on a <meta>: dates on visible
// elements and author names.
func (s *scanner) itemprop(n *html.Node, prop string) {
	if n.Data == "meta" {
		return
	}
	for _, p := range strings.Fields(strings.ToLower(prop)) {
		switch p {
		case "datepublished", "datemodified", "datecreated", "dateupdated":
			v := attr(n, "datetime")
			if v == "" {
				v = attr(n, "content")
			}
			if v == "" {
				v = collapseSpace(textOf(n, 100))
			}
			if v = strings.TrimSpace(v); v != "" {
				s.addDate(dateTag{value: v, prop: p})
			}
		case "author", "creator":
			name := ""
			if named := findItemprop(n, "name"); named != nil {
				name = attr(named, "content")
				if name == "" {
					name = textOf(named, maxBylineRunes+1)
				}
			} else {
				name = attr(n, "content")
				if name == "" {
					name = textOf(n, maxBylineRunes+1)
				}
			}
			if name = collapseSpace(name); name != "" && utf8.RuneCountInString(name) <= maxBylineRunes && s.ctx.foreign == "" {
				s.page.bylines = append(s.page.bylines, byline{text: name, strong: true, source: "microdata:" + p})
			}
		}
	}
}

// classByline takes the text of small elements whose class or id says
// "byline" or "author" (the caller checks that).
func (s *scanner) classByline(n *html.Node) {
	if len(s.page.bylines) >= 20 || s.ctx.foreign != "" {
		return
	}
	text := collapseSpace(textOf(n, maxBylineRunes+1))
	if text == "" || utf8.RuneCountInString(text) > maxBylineRunes {
		return
	}
	s.page.bylines = append(s.page.bylines, byline{text: text, source: "html:class~author"})
}

// findItemprop finds the first descendant carrying the microdata
// property, looking at no more than a few hundred elements: nested
// itemprop=author elements on a hostile page must not make the scan
// quadratic.
func findItemprop(n *html.Node, prop string) *html.Node {
	budget := 300
	var find func(n *html.Node) *html.Node
	find = func(n *html.Node) *html.Node {
		for c := n.FirstChild; c != nil && budget > 0; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			budget--
			if hasToken(attr(c, "itemprop"), prop) {
				return c
			}
			if f := find(c); f != nil {
				return f
			}
		}
		return nil
	}
	return find(n)
}

func firstImageAlt(n *html.Node) string {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		if c.Data == "img" {
			return collapseSpace(attr(c, "alt"))
		}
		if alt := firstImageAlt(c); alt != "" {
			return alt
		}
	}
	return ""
}

// textOf returns the text under n, stopping once about limit bytes are
// gathered so that a stray marker on a huge element costs little.
func textOf(n *html.Node, limit int) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil && b.Len() < limit; c = c.NextSibling {
			switch c.Type {
			case html.TextNode:
				b.WriteString(c.Data)
			case html.ElementNode:
				switch c.Data {
				case "script", "style", "noscript", "template":
					continue
				case "br", "p", "div", "li":
					b.WriteByte(' ')
				}
				walk(c)
			}
		}
	}
	walk(n)
	return b.String()
}

func attr(n *html.Node, key string) string {
	v, _ := attrOK(n, key)
	return v
}

func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key && a.Namespace == "" {
			return a.Val, true
		}
	}
	return "", false
}

// hasToken reports whether the space-separated list holds tok, ignoring
// ASCII case as rel and class matching do.
func hasToken(list, tok string) bool {
	for _, f := range strings.Fields(list) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}
