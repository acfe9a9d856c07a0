package sqlite

import (
	"slices"
	"strings"

	"github.com/archivist-project/archivist/archive/catalog/query"
)

// searchExpr is a parsed Query.Text (see package query, which every
// backend shares), rendered here in FTS5's syntax.
type searchExpr struct {
	query.Expr
}

// parseSearch parses the query language shared by all backends.
func parseSearch(text string) searchExpr { return searchExpr{query.Parse(text)} }

// empty reports whether the expression has nothing to search for.
func (e searchExpr) empty() bool { return e.Empty() }

// fts5 renders the expression as an FTS5 query over the title and text
// columns (the index also holds the host, which only filters match, and
// the common grams, which only fts5Match uses). Each term becomes an FTS5
// string literal, so no user input is ever read as FTS5 syntax (column
// filters, NEAR, prefix stars, parentheses): inside a string the tokenizer
// alone decides what the characters mean. The caller must check empty()
// first.
//
// Snippets use this rendering: they come from the words themselves.
func (e searchExpr) fts5() string { return e.render(false) }

// fts5Match renders the expression as fts5 does, except that a phrase
// made only of common words is looked up as the phrase of its grams (see
// grams.go), which matches exactly the same captures far faster. Matching
// and ranking use this rendering.
func (e searchExpr) fts5Match() string { return e.render(true) }

// rankedPhrases returns, for each phrase of fts5Match that can occur in a
// match (the terms of the groups, in the order fts5Match writes them), the
// FTS5 query of that phrase alone, in the columns fts5Match searches it
// in. The excluded terms follow them in fts5Match as further phrases.
func (e searchExpr) rankedPhrases() []string {
	gramsOf := e.gramsOf(true)
	var out []string
	for _, group := range e.Groups {
		for _, t := range group {
			out = append(out, termMatch(t, gramsOf))
		}
	}
	return out
}

// render writes the expression with the column filter {title text} on
// the whole, or, when useGrams and a phrase goes to the gram columns, on
// each term (FTS5 intersects nested column filters, so the outer one
// would exclude the grams).
func (e searchExpr) render(useGrams bool) string {
	gramsOf := e.gramsOf(useGrams)
	var b strings.Builder
	if gramsOf == nil {
		b.WriteString("{title text} : ")
	}
	b.WriteByte('(')
	for i, group := range e.Groups {
		if i > 0 {
			b.WriteString(" AND ")
		}
		writeAlternatives(&b, group, gramsOf)
	}
	if len(e.Excluded) > 0 {
		// One NOT over an OR list: a chain of binary NOTs nests one level
		// per term and hits FTS5's expression depth limit of 256.
		b.WriteString(" NOT ")
		writeAlternatives(&b, e.Excluded, gramsOf)
	}
	b.WriteByte(')')
	return b.String()
}

// gramsOf returns the gram phrase of each term that has one, or nil when
// none has or !useGrams.
func (e searchExpr) gramsOf(useGrams bool) map[string]string {
	if !useGrams {
		return nil
	}
	var gramsOf map[string]string
	for _, terms := range append(slices.Clone(e.Groups), e.Excluded) {
		for _, t := range terms {
			if g, ok := phraseGrams(t.Text); ok {
				if gramsOf == nil {
					gramsOf = map[string]string{}
				}
				gramsOf[t.Text] = g
			}
		}
	}
	return gramsOf
}

// fts5String quotes s as an FTS5 string literal.
func fts5String(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// writeAlternatives writes terms joined by OR. With gramsOf (not nil),
// each term gets its own column filter: its gram phrase, when it has one,
// searches the gram columns, any other term title and text.
func writeAlternatives(b *strings.Builder, terms []query.Term, gramsOf map[string]string) {
	b.WriteByte('(')
	for i, t := range terms {
		if i > 0 {
			b.WriteString(" OR ")
		}
		if gramsOf == nil {
			b.WriteString(fts5String(t.Text))
		} else {
			b.WriteString(termMatch(t, gramsOf))
		}
	}
	b.WriteByte(')')
}

// termMatch is the FTS5 query of term t alone with its column filter: its
// gram phrase in the gram columns when it has one, else the term in title
// and text.
func termMatch(t query.Term, gramsOf map[string]string) string {
	if g, ok := gramsOf[t.Text]; ok {
		return "{title_grams text_grams} : " + fts5String(g)
	}
	return "{title text} : " + fts5String(t.Text)
}
