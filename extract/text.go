package extract

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/text/unicode/norm"
)

// contentInfo is the article body as text plus the statistics that page
// classification needs.
type contentInfo struct {
	// paras are the rendered paragraphs, text the cleaned article text.
	paras []paragraph
	text  string
	// hrefs holds the resolved URLs of the body's links.
	hrefs map[string]bool
	// textRunes and linkRunes count non-space characters of the body and
	// of its link text.
	textRunes, linkRunes int
	// headingLinks holds the distinct URLs linked from headings in the
	// body: the headlines of teasers when the "body" is a list of stories.
	headingLinks map[string]bool
}

// blockElements end the current paragraph when they open and when they
// close.
var blockElements = setOf(
	"address", "article", "aside", "blockquote", "caption", "center", "dd",
	"details", "dialog", "div", "dl", "dt", "fieldset", "figcaption",
	"figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
	"header", "hgroup", "hr", "li", "main", "nav", "ol", "p", "pre",
	"section", "summary", "table", "tbody", "tfoot", "thead", "tr", "ul",
	"body", "html", "legend", "menu", "output",
)

// skippedElements never hold article text.
var skippedElements = setOf(
	"head", "script", "style", "noscript", "template", "iframe", "svg",
	"math", "audio", "video", "canvas", "map", "object", "embed", "button",
	"select", "option", "input", "textarea", "link", "meta", "source",
	"track", "img", "picture",
	// Captions describe a photo, not the story; no benchmark ground truth
	// includes them.
	"figcaption",
)

// renderContent turns the readability result into paragraphs of plain
// text: one per block element, white space inside collapsed. finishText
// then cleans and joins them.
func renderContent(root *html.Node, base *url.URL, names nameCache) contentInfo {
	r := &renderer{
		res:   newResolver(base),
		info:  contentInfo{hrefs: map[string]bool{}, headingLinks: map[string]bool{}},
		sizes: map[*html.Node]int{},
	}
	if root != nil {
		r.total = subtreeRunes(root, r.sizes, names)
		r.walk(root)
	}
	r.endParagraph()
	r.info.paras = r.paras
	return r.info
}

// finishText cleans the rendered paragraphs (see cleanParagraphs) and
// joins them into the article text.
func finishText(info *contentInfo, title string) {
	kept := cleanParagraphs(info.paras, title)
	texts := make([]string, len(kept))
	for i, p := range kept {
		texts[i] = p.text
	}
	info.text = norm.NFC.String(strings.Join(texts, "\n\n"))
}

// paragraph is one block of body text with what the cleaning rules need
// to know about it.
type paragraph struct {
	text string
	// runes and linkRunes count its non-space characters, all and inside
	// links; words counts its words (split at white space).
	runes, linkRunes, words int
}

type renderer struct {
	res resolver
	// sizes holds the text size of each node marked as boilerplate and
	// total that of the whole body.
	sizes     map[*html.Node]int
	total     int
	info      contentInfo
	paras     []paragraph
	cur       strings.Builder
	curRunes  int
	curLinks  int
	curWords  int
	space     bool
	inLink    int
	inHeading int
	inPre     int
}

func (r *renderer) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		r.text(n.Data)
		return
	case html.ElementNode, html.DocumentNode:
	default:
		return
	}
	if n.Type == html.ElementNode {
		if skippedElements[n.Data] || isHidden(n) {
			return
		}
		if size, marked := r.sizes[n]; marked && float64(size) <= maxBoilerShare*float64(r.total) {
			return
		}
		switch n.Data {
		case "br":
			r.endParagraph()
			return
		case "td", "th":
			r.space = true
		case "a":
			r.link(n)
		case "h1", "h2", "h3", "h4", "h5", "h6":
			r.inHeading++
			defer func() { r.inHeading-- }()
		case "pre":
			r.inPre++
			defer func() { r.inPre-- }()
		}
	}
	block := n.Type == html.ElementNode && blockElements[n.Data]
	if block {
		r.endParagraph()
	}
	if n.Type == html.ElementNode && n.Data == "a" {
		r.inLink++
		defer func() { r.inLink-- }()
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		r.walk(c)
	}
	if block {
		r.endParagraph()
	}
}

func (r *renderer) link(n *html.Node) {
	href, ok := attrOK(n, "href")
	if !ok {
		return
	}
	u, ok := r.res.resolve(href)
	if !ok {
		return
	}
	r.info.hrefs[u] = true
	if r.inHeading > 0 || containsHeading(n) {
		r.info.headingLinks[u] = true
	}
}

func containsHeading(n *html.Node) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		switch c.Data {
		case "h1", "h2", "h3", "h4", "h5", "h6":
			return true
		}
		if containsHeading(c) {
			return true
		}
	}
	return false
}

func (r *renderer) text(data string) {
	if r.inPre > 0 {
		// Keep the lines of preformatted text apart; each becomes its
		// own paragraph since the output format has no other line break.
		lines := strings.Split(data, "\n")
		for i, line := range lines {
			if i > 0 {
				r.endParagraph()
			}
			r.words(line)
		}
		return
	}
	r.words(data)
}

func (r *renderer) words(data string) {
	start := -1
	for i := 0; i < len(data); {
		c, size := rune(data[i]), 1
		if c >= utf8.RuneSelf {
			c, size = utf8.DecodeRuneInString(data[i:])
		}
		if c < utf8.RuneSelf && asciiSpace[c] || c >= utf8.RuneSelf && unicode.IsSpace(c) {
			if start >= 0 {
				r.word(data[start:i])
				start = -1
			}
			r.space = true
		} else if start < 0 {
			start = i
		}
		i += size
	}
	if start >= 0 {
		r.word(data[start:])
	}
}

func (r *renderer) word(w string) {
	switch {
	case r.cur.Len() == 0:
		r.curWords++
	case r.space:
		r.cur.WriteByte(' ')
		r.curWords++
	}
	// Without a pending space the word continues the previous one:
	// "foo<b>bar</b>" is one word.
	r.space = false
	r.cur.WriteString(w)
	n := utf8.RuneCountInString(w)
	r.info.textRunes += n
	r.curRunes += n
	if r.inLink > 0 {
		r.info.linkRunes += n
		r.curLinks += n
	}
}

func (r *renderer) endParagraph() {
	if r.cur.Len() > 0 {
		r.paras = append(r.paras, paragraph{text: r.cur.String(), runes: r.curRunes, linkRunes: r.curLinks, words: r.curWords})
		r.cur.Reset()
	}
	r.space, r.curRunes, r.curLinks, r.curWords = false, 0, 0, 0
}

func isHidden(n *html.Node) bool {
	if _, ok := attrOK(n, "hidden"); ok {
		return true
	}
	v, ok := attrOK(n, "aria-hidden")
	return ok && (v == "" || strings.EqualFold(v, "true"))
}

// countWords counts words the way a reader would: runs of letters and
// digits separated by anything else, except that Han and kana characters,
// written without spaces, count one each.
func countWords(text string) int {
	words := 0
	inWord := false
	for _, r := range text {
		switch {
		case r < utf8.RuneSelf:
			// ASCII fast path: the bulk of most texts.
			switch {
			case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
				if !inWord {
					words++
					inWord = true
				}
			case inWord && (r == '\'' || r == '-' || r == '.' || r == ','):
			default:
				inWord = false
			}
		case r >= 0x2E80 && unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana):
			words++
			inWord = false
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			if !inWord {
				words++
				inWord = true
			}
		case inWord && (r == '\'' || r == '’' || r == '-' || r == '.' || r == ','):
			// "don't", "state-of-the-art", "3.5" and "1,000" are one
			// word; a trailing apostrophe or period ends it harmlessly.
		default:
			inWord = false
		}
	}
	return words
}
