package sqlite

import (
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
// columns (the index also holds the host, which only filters match). Each
// term becomes an FTS5 string literal, so no user input is ever read as
// FTS5 syntax (column filters, NEAR, prefix stars, parentheses): inside a
// string the tokenizer alone decides what the characters mean. The caller
// must check empty() first.
func (e searchExpr) fts5() string {
	var b strings.Builder
	b.WriteString("{title text} : (")
	for i, group := range e.Groups {
		if i > 0 {
			b.WriteString(" AND ")
		}
		writeAlternatives(&b, group)
	}
	if len(e.Excluded) > 0 {
		// One NOT over an OR list: a chain of binary NOTs nests one level
		// per term and hits FTS5's expression depth limit of 256.
		b.WriteString(" NOT ")
		writeAlternatives(&b, e.Excluded)
	}
	b.WriteByte(')')
	return b.String()
}

// fts5String quotes s as an FTS5 string literal.
func fts5String(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func writeAlternatives(b *strings.Builder, terms []query.Term) {
	b.WriteByte('(')
	for i, t := range terms {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString(fts5String(t.Text))
	}
	b.WriteByte(')')
}
