package extract

import "bytes"

// Script and style bodies are about half the bytes of a news page (inline
// bundles, hydration state, CSS), and tokenizing them byte by byte and
// copying them into text nodes was a quarter of html.Parse's work. Nothing
// reads them: the scan, the renderer and readability skip or delete
// <script> and <style> elements, and only JSON-LD blocks are read. So
// before parsing, elideRawText drops the text of every other <script> and
// <style> element, leaving the elements themselves (with their attributes)
// in place: the tree is the one html.Parse builds from the page, less
// those text nodes.
//
// That only holds where the tokenizer would have read the text as a
// script or style body, so the scanner below follows
// golang.org/x/net/html's tokenizer exactly over the markup it meets
// (tags and their attributes, comments, doctypes, the raw text of
// <title>, <textarea>, <noscript> and the like), and where it cannot be
// sure what the tokenizer would do it stops eliding and leaves the rest of
// the page as it is: inside SVG and MathML (where <script> and <style>
// are ordinary elements and CDATA sections exist) at any raw-text tag,
// CDATA section, integration point or tag that would end foreign content;
// at <frameset> and <plaintext>; at a script holding "<!--" (the escaped
// states in which "</script>" does not end a script); and at anything cut
// off by the end of the page. TestElideRawTextTree and FuzzElideRawText
// check the result against html.Parse on the page as sent.

// elideRawText returns src without the bodies of its <script> (except
// JSON-LD) and <style> elements. It returns src itself when it drops
// nothing, and never modifies it.
func elideRawText(src []byte) []byte {
	var out []byte // nil until something is dropped
	copied := 0    // src[:copied] is in out, less what was dropped
	foreign := 0   // open <svg> and <math> elements
	i := 0
	for {
		j := bytes.IndexByte(src[i:], '<')
		if j < 0 || i+j+1 >= len(src) {
			break
		}
		i += j
		c := src[i+1]
		switch {
		case isASCIILetter(c):
			nameEnd, end, ok := scanTag(src, i+1)
			if !ok {
				return finishElided(out, src, copied)
			}
			name := src[i+1 : nameEnd]
			selfClosing := src[end-2] == '/'
			raw := rawTextTag(name)
			switch {
			case foreign > 0 && (raw != "" || foreignExit(name)):
				return finishElided(out, src, copied)
			case tagIs(name, "svg") || tagIs(name, "math"):
				// A self-closed <svg/> is closed at once, but telling
				// that apart needs the attribute list; counting it as
				// open only makes the scan more careful.
				foreign++
			case tagIs(name, "frameset"):
				return finishElided(out, src, copied)
			}
			start := i
			i = end
			if raw == "" {
				continue
			}
			if raw == "plaintext" {
				return finishElided(out, src, copied)
			}
			bodyEnd := rawTextEnd(src, i, raw)
			if bodyEnd < 0 {
				return finishElided(out, src, copied)
			}
			if raw == "script" && bytes.Contains(src[i:bodyEnd], []byte("<!--")) {
				return finishElided(out, src, copied)
			}
			if (raw == "script" || raw == "style") && bodyEnd > i && !selfClosing && !keepScript(src[start:end]) {
				if out == nil {
					out = make([]byte, 0, len(src))
				}
				out = append(out, src[copied:i]...)
				copied = bodyEnd
			}
			i = bodyEnd
		case c == '/':
			if i+2 >= len(src) {
				return finishElided(out, src, copied)
			}
			switch c2 := src[i+2]; {
			case c2 == '>':
				i += 3
			case isASCIILetter(c2):
				nameEnd, end, ok := scanTag(src, i+2)
				if !ok {
					return finishElided(out, src, copied)
				}
				name := src[i+2 : nameEnd]
				if foreign > 0 {
					if tagIs(name, "p") || tagIs(name, "br") {
						return finishElided(out, src, copied)
					}
					if tagIs(name, "svg") || tagIs(name, "math") {
						foreign--
					}
				}
				i = end
			default:
				// A bogus comment, up to the next '>'.
				if i = closeAngle(src, i+2); i < 0 {
					return finishElided(out, src, copied)
				}
			}
		case c == '!':
			if i = markupDeclarationEnd(src, i+2, foreign > 0); i < 0 {
				return finishElided(out, src, copied)
			}
		case c == '?':
			if i = closeAngle(src, i+2); i < 0 {
				return finishElided(out, src, copied)
			}
		default:
			i++ // text
		}
	}
	return finishElided(out, src, copied)
}

func finishElided(out, src []byte, copied int) []byte {
	if out == nil {
		return src
	}
	return append(out, src[copied:]...)
}

// keepScript reports whether a <script> start tag may be a JSON-LD block:
// its text is read. Any character reference keeps it too, since one could
// spell "ld+json".
func keepScript(tag []byte) bool {
	return bytes.IndexByte(tag, '&') >= 0 || containsFoldASCII(tag, "ld+json")
}

// rawTextTag returns the lowercase name of a tag whose content the
// tokenizer reads as raw text or RCDATA, or "".
func rawTextTag(name []byte) string {
	if len(name) < 3 {
		return ""
	}
	var candidates []string
	// Dispatch on the first letter, as the tokenizer does: this runs for
	// every start tag.
	switch name[0] | 0x20 {
	case 's':
		candidates = []string{"script", "style"}
	case 't':
		candidates = []string{"title", "textarea"}
	case 'n':
		candidates = []string{"noscript", "noembed", "noframes"}
	case 'i':
		candidates = []string{"iframe"}
	case 'x':
		candidates = []string{"xmp"}
	case 'p':
		candidates = []string{"plaintext"}
	}
	for _, t := range candidates {
		if tagIs(name, t) {
			return t
		}
	}
	return ""
}

// foreignExit reports the start tags that, inside SVG or MathML, end
// foreign content or open an integration point holding HTML: after them
// the tokenizer's mode can no longer be told from the tags counted.
func foreignExit(name []byte) bool {
	for _, t := range [...]string{
		// Integration points.
		"foreignobject", "desc", "title", "mi", "mo", "mn", "ms", "mtext", "annotation-xml",
		// Tags that break out of foreign content.
		"b", "big", "blockquote", "body", "br", "center", "code", "dd", "div", "dl", "dt",
		"em", "embed", "h1", "h2", "h3", "h4", "h5", "h6", "head", "hr", "i", "img", "li",
		"listing", "menu", "meta", "nobr", "ol", "p", "pre", "ruby", "s", "small", "span",
		"strong", "strike", "sub", "sup", "table", "tt", "u", "ul", "var", "font",
	} {
		if tagIs(name, t) {
			return true
		}
	}
	return false
}

// tagIs compares a tag name with a lowercase name, ignoring ASCII case as
// the tokenizer does.
func tagIs(name []byte, lower string) bool {
	if len(name) != len(lower) {
		return false
	}
	for i := range len(name) {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func isASCIILetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isTagSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f'
}

// containsFoldASCII reports whether b contains the lowercase ASCII word,
// ignoring ASCII case.
func containsFoldASCII(b []byte, word string) bool {
	for i := 0; i+len(word) <= len(b); i++ {
		if tagIs(b[i:i+len(word)], word) {
			return true
		}
	}
	return false
}

// scanTag follows the tokenizer's readTag from the first letter of a tag
// name at p: it returns the end of the name and the index just past the
// closing '>'; ok is false when the page ends first (the tokenizer then
// drops the tag).
func scanTag(src []byte, p int) (nameEnd, end int, ok bool) {
	n := len(src)
	// readTagName: up to white space (consumed), '/' or '>'.
	i := p + 1
	for ; i < n; i++ {
		if c := src[i]; isTagSpace(c) || c == '/' || c == '>' {
			break
		}
	}
	if i >= n {
		return 0, 0, false
	}
	nameEnd = i
	if isTagSpace(src[i]) {
		i++
	}
	i = skipTagSpace(src, i)
	for {
		if i >= n {
			return 0, 0, false
		}
		if src[i] == '>' {
			return nameEnd, i + 1, true
		}
		// readTagAttrKey: an '=' first is part of the name.
		keyStart := i
		for ; i < n; i++ {
			c := src[i]
			if c == '=' && i == keyStart {
				continue
			}
			if c == '=' || isTagSpace(c) || c == '/' || c == '>' {
				break
			}
		}
		// readTagAttrVal.
		if i = skipTagSpace(src, i); i >= n {
			return 0, 0, false
		}
		switch src[i] {
		case '/':
			i++
		case '=':
			if i = skipTagSpace(src, i+1); i >= n {
				return 0, 0, false
			}
			switch q := src[i]; q {
			case '>':
			case '\'', '"':
				k := bytes.IndexByte(src[i+1:], q)
				if k < 0 {
					return 0, 0, false
				}
				i += 1 + k + 1
			default:
				for i++; i < n && !isTagSpace(src[i]) && src[i] != '>'; i++ {
				}
				if i < n && src[i] != '>' {
					i++ // the white space ending the value is consumed
				}
			}
		}
		i = skipTagSpace(src, i)
	}
}

func skipTagSpace(src []byte, i int) int {
	for i < len(src) && isTagSpace(src[i]) {
		i++
	}
	return i
}

// closeAngle returns the index just past the first '>' at or after i, or
// -1.
func closeAngle(src []byte, i int) int {
	k := bytes.IndexByte(src[i:], '>')
	if k < 0 {
		return -1
	}
	return i + k + 1
}

// rawTextEnd finds the end tag closing raw text that starts at i: the
// first "</" + tag (any ASCII case) + white space, '/' or '>'. It returns
// the index of its '<', or -1 when the page ends first.
func rawTextEnd(src []byte, i int, tag string) int {
	for {
		k := bytes.Index(src[i:], []byte("</"))
		if k < 0 {
			return -1
		}
		at := i + k
		after := at + 2 + len(tag)
		if after < len(src) && tagIs(src[at+2:after], tag) {
			if c := src[after]; isTagSpace(c) || c == '/' || c == '>' {
				return at
			}
		}
		i = at + 2
	}
}

// markupDeclarationEnd returns the index just past a comment, doctype or
// bogus comment whose "<!" ends just before i, or -1 when the page ends
// first or, in foreign content, at a possible CDATA section.
func markupDeclarationEnd(src []byte, i int, foreign bool) int {
	if i+1 >= len(src) {
		return -1
	}
	if src[i] == '-' && src[i+1] == '-' {
		return commentEnd(src, i+2)
	}
	if foreign && src[i] == '[' {
		return -1
	}
	// A doctype and a bogus comment both end at the first '>'.
	return closeAngle(src, i)
}

// commentEnd follows the tokenizer's readComment from just after "<!--".
func commentEnd(src []byte, i int) int {
	dashes := 0
	beginning := true
	for ; i < len(src); i++ {
		switch src[i] {
		case '-':
			dashes++
			continue
		case '>':
			if dashes >= 2 || beginning {
				return i + 1
			}
		case '!':
			if dashes >= 2 {
				i++
				if i >= len(src) {
					return -1
				}
				switch src[i] {
				case '>':
					return i + 1
				case '-':
					dashes, beginning = 1, false
					continue
				}
			}
		}
		dashes, beginning = 0, false
	}
	return -1
}
