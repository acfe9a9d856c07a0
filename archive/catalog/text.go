package catalog

import "strings"

// CleanText is how every backend stores text: without NUL and as valid
// UTF-8, which an extractor may pass through from a broken page.
// PostgreSQL's text holds neither; SQLite's FTS5 tokenizer and the Go
// code that computes its common grams agree only on such text (Go reads
// a NUL in an SQL function's argument as its end). Valid text is returned
// unchanged.
func CleanText(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
