package versions

import (
	"strings"
	"unicode"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// similarEnough is the share of words two paragraphs must have in common
// to be shown as one changed paragraph rather than one removed and one
// added: an edited sentence stays one paragraph, a replaced one does not.
const similarEnough = 0.5

// alignParagraphs diffs two bodies paragraph by paragraph, then pairs
// removed and added paragraphs that are similar into changed ones with a
// word-level diff.
func alignParagraphs(a, b []string) []Paragraph {
	var out []Paragraph
	var removed, added []string
	flush := func() {
		out = append(out, pairUp(removed, added)...)
		removed, added = removed[:0], added[:0]
	}
	for _, run := range diffTokens(a, b, false) {
		switch run.op {
		case diffmatchpatch.DiffEqual:
			flush()
			for _, p := range run.tokens {
				out = append(out, Paragraph{Op: OpSame, From: p})
			}
		case diffmatchpatch.DiffDelete:
			removed = append(removed, run.tokens...)
		case diffmatchpatch.DiffInsert:
			added = append(added, run.tokens...)
		}
	}
	flush()
	return out
}

// pairUp turns a block of removed and added paragraphs into changed
// paragraphs where a removed one and an added one at the same place are
// similar, and removals and additions elsewhere.
func pairUp(removed, added []string) []Paragraph {
	var out []Paragraph
	i, j := 0, 0
	for i < len(removed) || j < len(added) {
		switch {
		case i < len(removed) && j < len(added) && similarity(removed[i], added[j]) >= similarEnough:
			out = append(out, Paragraph{Op: OpChanged, From: removed[i], To: added[j], Words: wordDiff(removed[i], added[j])})
			i++
			j++
		case i < len(removed) && (j >= len(added) || !laterMatch(removed[i], added[j:])):
			out = append(out, Paragraph{Op: OpRemoved, From: removed[i]})
			i++
		default:
			out = append(out, Paragraph{Op: OpAdded, To: added[j]})
			j++
		}
	}
	return out
}

// laterMatch reports whether p is similar to one of the candidates, so an
// inserted paragraph before it is shown as added first.
func laterMatch(p string, candidates []string) bool {
	for _, c := range candidates {
		if similarity(p, c) >= similarEnough {
			return true
		}
	}
	return false
}

// similarity is the share of words of the longer paragraph that the word
// diff keeps.
func similarity(a, b string) float64 {
	wa, wb := strings.Fields(a), strings.Fields(b)
	longest := max(len(wa), len(wb))
	if longest == 0 {
		return 1
	}
	same := 0
	for _, run := range diffTokens(wa, wb, false) {
		if run.op == diffmatchpatch.DiffEqual {
			same += len(run.tokens)
		}
	}
	return float64(same) / float64(longest)
}

// wordDiff returns the word-level diff of two paragraphs as spans of text
// (white space kept with the words, so the spans concatenate back to each
// paragraph).
func wordDiff(a, b string) []Span {
	var out []Span
	for _, run := range diffTokens(words(a), words(b), true) {
		op := OpSame
		switch run.op {
		case diffmatchpatch.DiffDelete:
			op = OpRemoved
		case diffmatchpatch.DiffInsert:
			op = OpAdded
		}
		text := strings.Join(run.tokens, "")
		if n := len(out); n > 0 && out[n-1].Op == op {
			out[n-1].Text += text
			continue
		}
		out = append(out, Span{Op: op, Text: text})
	}
	return out
}

// words splits text into words and the white space between them.
func words(s string) []string {
	var out []string
	start := 0
	space := false
	for i, r := range s {
		isSpace := unicode.IsSpace(r)
		if i > 0 && isSpace != space {
			out = append(out, s[start:i])
			start = i
		}
		space = isSpace
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
