package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// White space is tested on every character of the page's text, so these
// helpers take ASCII a byte at a time and decode only the rest. They treat
// white space as unicode.IsSpace does.

// asciiSpace marks the ASCII characters unicode.IsSpace reports.
var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// countVisible counts the characters of s that are not white space (an
// invalid byte counts as one character, as ranging over s does).
func countVisible(s string) int {
	visible := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if !asciiSpace[c] {
				visible++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) {
			visible++
		}
		i += size
	}
	return visible
}

// collapseSpace trims s and turns every run of white space into one space.
// Invalid UTF-8 becomes U+FFFD.
func collapseSpace(s string) string {
	if isCollapsed(s) {
		// Most values (anchor texts, attributes, meta contents) need no
		// change: no copy then.
		return s
	}
	return collapseRunes(s)
}

// collapseRunes is collapseSpace without its fast path, rune by rune.
func collapseRunes(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isCollapsed reports whether collapseSpace would return s unchanged: valid
// UTF-8 whose only white space is single spaces between other characters.
func isCollapsed(s string) bool {
	prevSpace := true // a leading space must go
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == ' ':
				if prevSpace {
					return false
				}
				prevSpace = true
			case asciiSpace[c]:
				return false
			default:
				prevSpace = false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unicode.IsSpace(r) {
			return false
		}
		prevSpace = false
		i += size
	}
	return !prevSpace || s == ""
}
