package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
)

func TestParseSearch(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" when nothing is searchable
	}{
		{`zeppelin`, `("zeppelin")`},
		{`climate summit`, `("climate") AND ("summit")`},
		{`"climate summit"`, `("climate summit")`},
		{`a OR b`, `("a" OR "b")`},
		{`election France OR Germany`, `("election") AND ("France" OR "Germany")`},
		{`a OR b OR c d`, `("a" OR "b" OR "c") AND ("d")`},
		{`a -b`, `("a") NOT ("b")`},
		{`a -b -"c d"`, `("a") NOT ("b" OR "c d")`},
		{`-b a`, `("a") NOT ("b")`},
		{`a OR -b c`, `("a") AND ("c") NOT ("b")`},
		{`a or b`, `("a") AND ("or") AND ("b")`},
		{`OR a OR`, `("a")`},
		{`a OR OR b`, `("a" OR "b")`},
		{`a OR ( b`, `("a" OR "b")`},
		{`-OR a`, `("a") NOT ("OR")`},
		{`covid-19`, `("covid-19")`},
		{`title:zeppelin`, `("title:zeppelin")`},
		{`NEAR(a b)`, `("NEAR(a") AND ("b)")`},
		{`zep*`, `("zep*")`},
		{`"unterminated phrase`, `("unterminated phrase")`},
		{`a"b c"d`, `("a") AND ("b c") AND ("d")`},
		{`"a ""b"" c"`, `("a ") AND ("b") AND (" c")`},
		{"tab\tand\nnewline", `("tab") AND ("and") AND ("newline")`},
		{"zep\x00pelin", `("zep") AND ("pelin")`},
		{"zep\xffpelin", `("zep") AND ("pelin")`},
		{`-a`, ``},
		{`- -- -`, ``},
		{`" " ( ) * : ^`, ``},
		{"😀 \u0308", ``},
		{``, ``},
	}
	for _, tc := range tests {
		expr := parseSearch(tc.in)
		got := ""
		if !expr.empty() {
			got = expr.fts5()
		}
		want := tc.want
		if want != "" {
			// User terms search title and text, never the host column.
			want = "{title text} : (" + want + ")"
		}
		if got != want {
			t.Errorf("parseSearch(%q) = %s, want %s", tc.in, got, want)
		}
	}
}

// TestMatchUsesGrams checks which terms the matching query sends to the
// gram columns: phrases (quoted, or a word the tokenizer splits) of two or
// more words that are all common, included or excluded; nothing else.
func TestMatchUsesGrams(t *testing.T) {
	j := string(gramJoin)
	tests := []struct{ in, want string }{
		{`climate summit`, `{title text} : (("climate") AND ("summit"))`},
		{`"climate summit"`, `{title text} : (("climate summit"))`},
		{`"that"`, `{title text} : (("that"))`},
		{`"that they" election -"Of The"`, `(({title_grams text_grams} : "that` + j + `they") AND ({title text} : "election") NOT ({title_grams text_grams} : "Of` + j + `The"))`},
		{`"that they would" OR "that minister"`, `(({title_grams text_grams} : "that` + j + `they they` + j + `would" OR {title text} : "that minister"))`},
		{`don't`, `(({title_grams text_grams} : "don` + j + `t"))`},
	}
	for _, tc := range tests {
		if got := parseSearch(tc.in).fts5Match(); got != tc.want {
			t.Errorf("fts5Match(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// FuzzSearch feeds arbitrary query text to a real catalog: whatever the
// input, Search must not fail, and a query the parser finds empty must
// return no hits.
func FuzzSearch(f *testing.F) {
	for _, seed := range []string{
		`zeppelin`, `"a b" OR c -d`, `NEAR(a b, 1)`, `title:x`, `a*`, `"`, `-`, `(`,
		`{title}:a`, `a AND OR NOT b`, "\x00", "😀", `^a`, `+a`, `a:b:c`, `"a" "b"`,
	} {
		f.Add(seed)
	}
	c, err := Open(f.Context(), filepath.Join(f.TempDir(), "catalog.db"), nil)
	if err != nil {
		f.Fatalf("Open: %v", err)
	}
	f.Cleanup(func() { _ = c.Close() })
	when := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	e := entry("20250301T120000Z-AAAAAAAAAA", when)
	e.Title = "Zeppelin over the lake: a b c d"
	e.Text = "title text near and or not a b c"
	if err := c.Put(f.Context(), e); err != nil {
		f.Fatalf("Put: %v", err)
	}
	n := 0
	f.Fuzz(func(t *testing.T, query string) {
		// A capture holding the query's own words, so that most queries
		// match one and have it ranked: the ranking function takes a
		// weight for each phrase FTS5 finds in the query, and fails
		// when the renderer counts them differently.
		n++
		e := entry(captureID(when, n), when)
		e.Text = query
		if err := c.Put(t.Context(), e); err != nil {
			t.Fatalf("Put: %v", err)
		}
		hits, err := c.Search(t.Context(), catalog.Query{Text: query})
		if err != nil {
			t.Fatalf("Search(%q) -> FTS5 %s: %v", query, parseSearch(query).fts5(), err)
		}
		if parseSearch(query).empty() && len(hits) != 0 {
			t.Fatalf("Search(%q) found hits for a query with nothing searchable", query)
		}
		for _, h := range hits {
			if !strings.Contains(h.Snippet, "[") {
				t.Fatalf("Search(%q) snippet %q marks no match", query, h.Snippet)
			}
		}
	})
}
