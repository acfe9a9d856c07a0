// Package query parses the full-text query language every catalog backend
// shares: words (all must match), "quoted phrases", OR between terms, and
// -word or -"phrase" to exclude. Backends render the parsed expression in
// their own engine's terms (SQLite FTS5, PostgreSQL tsquery), always
// passing each term as a literal, so no user input is ever read as
// engine syntax and every backend answers the same query alike.
package query

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Expr is a parsed query, independent of any backend's syntax: every group
// must match (AND), a group matches when any of its terms matches (OR),
// and no excluded term may match.
//
// OR binds tighter than the implicit AND, as in web search engines:
// `election France OR Germany` is election AND (France OR Germany).
type Expr struct {
	Groups   [][]Term
	Excluded []Term
}

// Term is a word or a quoted phrase, as written. A word that a tokenizer
// splits into several tokens ("covid-19") is matched as a phrase of those
// tokens.
type Term struct {
	Text string
}

// Empty reports whether the expression has nothing to search for. An
// expression of exclusions alone matches nothing: there is nothing to
// rank (and FTS5 has no unary NOT).
func (e Expr) Empty() bool { return len(e.Groups) == 0 }

// lexeme is one token of the query language.
type lexeme struct {
	term    Term
	or      bool // the operator OR, written in capitals
	exclude bool // the term was written -word or -"phrase"
}

// Parse parses the query language.
//
// Every input is accepted. An unterminated quote runs to the end of the
// input; a dangling OR or a lone "-" is ignored; terms without a letter or
// digit are dropped because a tokenizer would turn them into nothing, and
// an empty phrase ANDed with real terms would make the query match
// nothing.
func Parse(text string) Expr {
	var expr Expr
	pendingOr := false
	for _, lx := range lex(sanitize(text)) {
		switch {
		case lx.or:
			// OR joins only when a positive term precedes it.
			pendingOr = len(expr.Groups) > 0
		case !Searchable(lx.term.Text):
			// Dropped: neither extends a group nor breaks an OR chain, so
			// `a OR ... OR b` still means a OR b.
		case lx.exclude:
			expr.Excluded = append(expr.Excluded, lx.term)
			pendingOr = false
		case pendingOr:
			last := len(expr.Groups) - 1
			expr.Groups[last] = append(expr.Groups[last], lx.term)
			pendingOr = false
		default:
			expr.Groups = append(expr.Groups, []Term{lx.term})
		}
	}
	return expr
}

// sanitize turns invalid UTF-8 and control characters into spaces. FTS5
// reads its query as a C string, so a NUL would cut it short and leave a
// quote unterminated; PostgreSQL refuses NUL and invalid UTF-8 in text;
// no control character belongs in a search anyway.
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
			out = append(out, lexeme{term: Term{Text: phrase}, exclude: exclude})
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
		out = append(out, lexeme{term: Term{Text: word}, exclude: exclude})
	}
}

// Searchable reports whether s holds at least one character a tokenizer
// keeps in a token (letters, digits, private-use characters).
func Searchable(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r)
	}) >= 0
}
