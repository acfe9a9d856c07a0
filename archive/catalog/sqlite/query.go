package sqlite

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// searchExpr is a parsed Query.Text, independent of any backend's syntax:
// every group must match (AND), a group matches when any of its terms
// matches (OR), and no excluded term may match.
//
// OR binds tighter than the implicit AND, as in web search engines:
// `election France OR Germany` is election AND (France OR Germany).
type searchExpr struct {
	groups   [][]searchTerm
	excluded []searchTerm
}

// searchTerm is a word or a quoted phrase. A word that the tokenizer splits
// into several tokens ("covid-19") is matched as a phrase of those tokens.
type searchTerm struct {
	text string
}

// empty reports whether the expression has nothing to search for. FTS5 has
// no unary NOT, so an expression of exclusions alone matches nothing.
func (e searchExpr) empty() bool { return len(e.groups) == 0 }

// lexeme is one token of the query language.
type lexeme struct {
	term    searchTerm
	or      bool // the operator OR, written in capitals
	exclude bool // the term was written -word or -"phrase"
}

// parseSearch parses the query language shared by all backends: words (all
// must match), "quoted phrases", OR between terms, -word to exclude.
//
// Every input is accepted. An unterminated quote runs to the end of the
// input; a dangling OR or a lone "-" is ignored; terms without a letter or
// digit are dropped because the tokenizer would turn them into nothing,
// and an empty phrase ANDed with real terms would make the query match
// nothing.
func parseSearch(text string) searchExpr {
	var expr searchExpr
	pendingOr := false
	for _, lx := range lex(sanitize(text)) {
		switch {
		case lx.or:
			// OR joins only when a positive term precedes it.
			pendingOr = len(expr.groups) > 0
		case !searchable(lx.term.text):
			// Dropped: neither extends a group nor breaks an OR chain, so
			// `a OR ... OR b` still means a OR b.
		case lx.exclude:
			expr.excluded = append(expr.excluded, lx.term)
			pendingOr = false
		case pendingOr:
			last := len(expr.groups) - 1
			expr.groups[last] = append(expr.groups[last], lx.term)
			pendingOr = false
		default:
			expr.groups = append(expr.groups, []searchTerm{lx.term})
		}
	}
	return expr
}

// sanitize turns invalid UTF-8 and control characters into spaces. FTS5
// reads its query as a C string, so a NUL would cut it short and leave a
// quote unterminated; no control character belongs in a search anyway.
func sanitize(text string) string {
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return ' '
		}
		return r
	}, text)
}

// lex splits the query into words, phrases and OR operators.
func lex(text string) []lexeme {
	var out []lexeme
	rest := text
	for {
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		if rest == "" {
			return out
		}
		exclude := false
		if rest[0] == '-' {
			exclude = true
			rest = rest[1:]
		}
		if rest != "" && rest[0] == '"' {
			phrase, after, _ := strings.Cut(rest[1:], `"`)
			out = append(out, lexeme{term: searchTerm{text: phrase}, exclude: exclude})
			rest = after
			continue
		}
		end := strings.IndexFunc(rest, func(r rune) bool { return unicode.IsSpace(r) || r == '"' })
		if end < 0 {
			end = len(rest)
		}
		word := rest[:end]
		rest = rest[end:]
		if word == "OR" && !exclude {
			out = append(out, lexeme{or: true})
			continue
		}
		out = append(out, lexeme{term: searchTerm{text: word}, exclude: exclude})
	}
}

// searchable reports whether s holds at least one character the unicode61
// tokenizer keeps in a token (letters, digits, private-use characters).
func searchable(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r)
	}) >= 0
}

// fts5 renders the expression as an FTS5 query. Each term becomes an FTS5
// string literal, so no user input is ever read as FTS5 syntax (column
// filters, NEAR, prefix stars, parentheses): inside a string the tokenizer
// alone decides what the characters mean. The caller must check empty()
// first.
func (e searchExpr) fts5() string {
	var b strings.Builder
	for i, group := range e.groups {
		if i > 0 {
			b.WriteString(" AND ")
		}
		writeAlternatives(&b, group)
	}
	if len(e.excluded) > 0 {
		// One NOT over an OR list: a chain of binary NOTs nests one level
		// per term and hits FTS5's expression depth limit of 256.
		b.WriteString(" NOT ")
		writeAlternatives(&b, e.excluded)
	}
	return b.String()
}

func writeAlternatives(b *strings.Builder, terms []searchTerm) {
	b.WriteByte('(')
	for i, t := range terms {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(t.text, `"`, `""`))
		b.WriteByte('"')
	}
	b.WriteByte(')')
}
