package versions

import (
	"strings"
	"time"

	"github.com/sergi/go-diff/diffmatchpatch"

	"github.com/archivist-project/archivist/extract"
)

// What can change between two versions of an article, in the order they
// are reported.
const (
	Headline = "headline"
	Byline   = "byline"
	Dates    = "dates"
	Body     = "body"
)

// Difference says how the content of one version (the older) differs
// from another. It is plain data, ready for JSON. (Go cannot name both
// the function and its result Diff.)
type Difference struct {
	// Changed names what differs, in the order headline, byline, dates,
	// body; empty when the two versions have the same content.
	Changed []string `json:"changed"`
	// Headline, Byline (authors joined by ", "), Published and Modified
	// (RFC 3339, "" when unknown) are set when they differ.
	Headline  *Change `json:"headline,omitempty"`
	Byline    *Change `json:"byline,omitempty"`
	Published *Change `json:"published,omitempty"`
	Modified  *Change `json:"modified,omitempty"`
	// Body aligns the paragraphs of both texts, in order; nil when the
	// bodies are equal.
	Body []Paragraph `json:"body,omitempty"`
	// Stats counts the body's changes.
	Stats Stats `json:"stats"`
}

// Change is a field's value before and after.
type Change struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Paragraph operations.
const (
	OpSame    = "same"
	OpAdded   = "added"
	OpRemoved = "removed"
	OpChanged = "changed"
)

// Paragraph is one aligned paragraph of a body diff.
type Paragraph struct {
	Op string `json:"op"` // OpSame, OpAdded, OpRemoved or OpChanged
	// From is the old text (same, removed, changed), To the new one
	// (added, changed); a same paragraph has only From.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Words is the word-level diff of a changed paragraph.
	Words []Span `json:"words,omitempty"`
}

// Span is a run of words that is the same in both versions, or only in
// the old (removed) or only in the new (added).
type Span struct {
	Op   string `json:"op"` // OpSame, OpAdded or OpRemoved
	Text string `json:"text"`
}

// Stats counts the changes of a body diff.
type Stats struct {
	ParagraphsAdded   int `json:"paragraphs_added"`
	ParagraphsRemoved int `json:"paragraphs_removed"`
	ParagraphsChanged int `json:"paragraphs_changed"`
	WordsAdded        int `json:"words_added"`
	WordsRemoved      int `json:"words_removed"`
}

// Changes names what differs between the content of a and b (headline,
// byline, dates, body), without computing the text diff. The capture
// pipeline records it in the provenance of each new version.
func Changes(a, b *extract.Article) []string {
	return changes(a.Title, b.Title, a.Authors, b.Authors, a.Published, b.Published, a.Modified, b.Modified, a.Text, b.Text)
}

func changes(titleA, titleB string, authA, authB []string, pubA, pubB, modA, modB *time.Time, textA, textB string) []string {
	out := []string{}
	if norm(titleA) != norm(titleB) {
		out = append(out, Headline)
	}
	if byline(authA) != byline(authB) {
		out = append(out, Byline)
	}
	if formatTime(pubA) != formatTime(pubB) || formatTime(modA) != formatTime(modB) {
		out = append(out, Dates)
	}
	if !equalParagraphs(paragraphs(textA), paragraphs(textB)) {
		out = append(out, Body)
	}
	return out
}

// Diff compares the content of two versions of an article: a is the older.
func Diff(a, b *extract.Article) Difference {
	d := Difference{Changed: Changes(a, b)}
	if norm(a.Title) != norm(b.Title) {
		d.Headline = &Change{From: a.Title, To: b.Title}
	}
	if byline(a.Authors) != byline(b.Authors) {
		d.Byline = &Change{From: byline(a.Authors), To: byline(b.Authors)}
	}
	if formatTime(a.Published) != formatTime(b.Published) {
		d.Published = &Change{From: formatTime(a.Published), To: formatTime(b.Published)}
	}
	if formatTime(a.Modified) != formatTime(b.Modified) {
		d.Modified = &Change{From: formatTime(a.Modified), To: formatTime(b.Modified)}
	}
	pa, pb := paragraphs(a.Text), paragraphs(b.Text)
	if !equalParagraphs(pa, pb) {
		d.Body = alignParagraphs(pa, pb)
		for _, p := range d.Body {
			switch p.Op {
			case OpAdded:
				d.Stats.ParagraphsAdded++
				d.Stats.WordsAdded += len(strings.Fields(p.To))
			case OpRemoved:
				d.Stats.ParagraphsRemoved++
				d.Stats.WordsRemoved += len(strings.Fields(p.From))
			case OpChanged:
				d.Stats.ParagraphsChanged++
				for _, s := range p.Words {
					switch s.Op {
					case OpAdded:
						d.Stats.WordsAdded += len(strings.Fields(s.Text))
					case OpRemoved:
						d.Stats.WordsRemoved += len(strings.Fields(s.Text))
					}
				}
			}
		}
	}
	return d
}

// norm collapses white space, so that re-flowed text is not a change.
func norm(s string) string { return strings.Join(strings.Fields(s), " ") }

func byline(authors []string) string {
	parts := make([]string, 0, len(authors))
	for _, a := range authors {
		if a = norm(a); a != "" {
			parts = append(parts, a)
		}
	}
	return strings.Join(parts, ", ")
}

func formatTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// paragraphs splits article text (paragraphs separated by blank lines)
// into normalised paragraphs.
func paragraphs(text string) []string {
	var out []string
	var cur []string
	flush := func() {
		if p := norm(strings.Join(cur, " ")); p != "" {
			out = append(out, p)
		}
		cur = cur[:0]
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		cur = append(cur, line)
	}
	flush()
	return out
}

func equalParagraphs(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// diffTimeout bounds one diff computation; past it the library returns a
// valid but coarser diff, so a huge or hostile page cannot stall a request.
const diffTimeout = 2 * time.Second

// diffTokens diffs two token sequences with diffmatchpatch (Myers' diff),
// mapping each distinct token to one rune, the same trick the library uses
// for line mode, and returns runs of tokens with their operation. With
// semantic, short equal runs between edits are folded into the edits, which
// reads better for words; paragraphs must keep every equality.
func diffTokens(a, b []string, semantic bool) []tokenRun {
	ids := map[string]rune{}
	var vocab []string
	toRunes := func(toks []string) []rune {
		out := make([]rune, len(toks))
		for i, t := range toks {
			r, ok := ids[t]
			if !ok {
				r = tokenRune(len(vocab))
				ids[t] = r
				vocab = append(vocab, t)
			}
			out[i] = r
		}
		return out
	}
	ra, rb := toRunes(a), toRunes(b)
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = diffTimeout
	diffs := dmp.DiffMainRunes(ra, rb, false)
	if semantic {
		diffs = dmp.DiffCleanupSemantic(diffs)
	}
	out := make([]tokenRun, 0, len(diffs))
	for _, d := range diffs {
		run := tokenRun{op: d.Type}
		for _, r := range d.Text {
			run.tokens = append(run.tokens, vocab[runeToken(r)])
		}
		out = append(out, run)
	}
	return out
}

type tokenRun struct {
	op     diffmatchpatch.Operation
	tokens []string
}

// tokenRune maps a token number to a rune, skipping the surrogate range
// that a Go string cannot hold.
func tokenRune(i int) rune {
	r := rune(i + 0x100)
	if r >= 0xD800 {
		r += 0x800
	}
	return r
}

// runeToken is the inverse of tokenRune.
func runeToken(r rune) int {
	if r >= 0xD800+0x800 {
		r -= 0x800
	}
	return int(r - 0x100)
}
