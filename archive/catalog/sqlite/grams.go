package sqlite

import (
	"database/sql/driver"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"modernc.org/sqlite"
)

// Common grams make phrases of common words cheap to find.
//
// FTS5 finds a phrase by reading the positions of each of its words in
// every capture that holds them all, and BM25 weighs it by counting the
// captures that hold it, over the whole index. For "that they" that is
// nearly every capture: half a second at a million. So, as Lucene's
// CommonGramsFilter and HathiTrust's full-text search do, every pair of
// adjacent common words is also indexed as one token, "that\uE000they",
// in two more columns (title_grams, text_grams), and a quoted phrase made
// only of common words is searched as the phrase of its pairs there: a
// single token's document list, as short as the phrase is rare.
//
// The grams are a function of the title and the text, computed by the
// Go function gramsFunc, which both the write path and SQL (the view
// FTS5 reads its content from, and the triggers that remove old entries)
// call, so the index and its content always agree.
//
// Exactness. A gram query must find exactly the captures the positional
// phrase finds. Both sides are tokenized here as FTS5's unicode61
// tokenizer does (letters, numbers, private-use characters and the
// combining diacritics it folds away are token characters), and a gram
// token is the two words as written, so FTS5 folds case and diacritics in
// it exactly as in the words themselves. Whether a word is common is
// decided on its folded form (lower case, diacritics removed), which
// folds at least as much as FTS5 does, so two spellings FTS5 treats as
// one word are both common or both not. Where grams are not contiguous in
// the text (a rare word between them), the column holds a break token, so
// the pairs of a longer phrase are adjacent in the column only where its
// words are adjacent in the text. TestGramsMatchPhrases checks all of this
// against FTS5 itself.

const (
	// gramJoin joins the two words of a gram. A private-use character is
	// a token character to unicode61, so the pair stays one token. A text
	// that holds one anyway is harmless: the word it is part of is not
	// common, and user terms never search the gram columns.
	gramJoin = '\uE000'
	// gramBreak stands between grams that are not adjacent in the text.
	gramBreak = "\uE001"
	// gramsFunc is the SQL name of grams. The schema (a view and
	// triggers) calls it: a different list of common words is a new
	// function name and a migration that rebuilds the index.
	gramsFunc = "archivist_common_grams_v1"
)

func init() {
	// Registered with the driver for every connection it opens; the
	// catalog's schema needs it to read and update its full-text index.
	sqlite.MustRegisterDeterministicScalarFunction(gramsFunc, 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch s := args[0].(type) {
		case string:
			return grams(s), nil
		case []byte:
			return grams(string(s)), nil
		default:
			return "", nil
		}
	})
}

// grams returns the column value of text's common grams: every pair of
// adjacent common words joined by gramJoin, separated by spaces, with
// gramBreak where the next gram does not continue the last one. It runs
// on every capture's title and text, so it scans bytes and allocates
// only its result.
func grams(text string) string {
	var out []byte
	tokens := tokenRunes()
	prevStart, prevEnd := -1, -1 // the previous word, when common
	lastGram := -2               // the index of the word that started the last gram
	word := 0
	for at := 0; ; word++ {
		start, end := nextWord(text, at, tokens)
		if start < 0 {
			break
		}
		at = end
		if !isCommon(text[start:end]) {
			prevStart = -1
			continue
		}
		if prevStart >= 0 {
			if out == nil {
				out = make([]byte, 0, len(text)/4)
			} else {
				out = append(out, ' ')
				if lastGram != word-2 {
					out = append(out, gramBreak...)
					out = append(out, ' ')
				}
			}
			out = append(out, text[prevStart:prevEnd]...)
			out = utf8.AppendRune(out, gramJoin)
			out = append(out, text[start:end]...)
			lastGram = word - 1
		}
		prevStart, prevEnd = start, end
	}
	return string(out)
}

// phraseGrams returns the gram phrase that finds the phrase text, when
// text has at least two words and every one of them is common: then the
// grams of text are its pairs in order, with no break between them.
func phraseGrams(text string) (string, bool) {
	n := 0
	for w := range words(text) {
		if !isCommon(w) {
			return "", false
		}
		n++
	}
	if n < 2 {
		return "", false
	}
	return grams(text), true
}

// words yields text's tokens as unicode61 splits them, as written.
func words(text string) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		tokens := tokenRunes()
		for at := 0; ; {
			start, end := nextWord(text, at, tokens)
			if start < 0 || !yield(text[start:end]) {
				return
			}
			at = end
		}
	}
}

// nextWord returns the bounds of the first word of text at or after
// byte at, or -1 when there is none.
func nextWord(text string, at int, tokens *bmpBits) (start, end int) {
	start = -1
	for i := at; i < len(text); {
		c := text[i]
		var in bool
		size := 1
		if c < utf8.RuneSelf {
			in = asciiToken[c]
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(text[i:])
			if r > 0xFFFF {
				in = isTokenRune(r)
			} else {
				in = tokens.has(r)
			}
		}
		switch {
		case in && start < 0:
			start = i
		case !in && start >= 0:
			return start, i
		}
		i += size
	}
	if start < 0 {
		return -1, -1
	}
	return start, len(text)
}

// asciiToken marks the ASCII token characters: letters and digits.
var asciiToken = func() (t [utf8.RuneSelf]bool) {
	for c := range utf8.RuneSelf {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
	}
	return t
}()

// bmpBits is isTokenRune for the Basic Multilingual Plane, a bit a code
// point: looking up Unicode's tables for every curly quote and letter of
// a text cost more than the rest of grams.
type bmpBits [0x10000 / 64]uint64

// has reports whether r's bit is set; the caller handles r > 0xFFFF.
func (b *bmpBits) has(r rune) bool { return b[r/64]&(1<<(r%64)) != 0 }

// tokenRunes returns the BMP table, built on first use (a few
// milliseconds), not at start-up by every command that links the
// package.
var tokenRunes = sync.OnceValue(func() *bmpBits {
	b := new(bmpBits)
	for r := rune(0); r <= 0xFFFF; r++ {
		if isTokenRune(r) {
			b[r/64] |= 1 << (r % 64)
		}
	}
	return b
})

// isTokenRune reports whether unicode61 keeps r in a token. Its rule is
// Unicode categories L*, N* and Co, plus the combining diacritics it
// folds away, from its own Unicode tables: code points unassigned there
// count as token characters, and a few thousand have been assigned or
// recategorised since. unicode61Flipped lists every code point where that
// rule and Go's tables disagree; TestUnicode61Tokens checks every code
// point against SQLite.
func isTokenRune(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiToken[r]
	}
	inGo := unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.In(r, unicode.Co, unicode.Cn)
	return inGo != unicode.Is(unicode61Flipped, r)
}

// isCommon reports whether word, folded, is in commonWords.
func isCommon(word string) bool {
	if len(word) > 8 {
		for i := 0; i < len(word); i++ {
			if word[i] >= utf8.RuneSelf {
				return isCommonUnicode(word)
			}
		}
		return false // no ASCII common word is this long (TestCommonWords)
	}
	// Lower-cased into a uint64: a lookup by number, not by string, is
	// most of the cost of grams saved.
	var key uint64
	for i := 0; i < len(word); i++ {
		c := word[i]
		if c >= utf8.RuneSelf {
			return isCommonUnicode(word)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		key = key<<8 | uint64(c)
	}
	_, ok := commonASCII[key]
	return ok
}

// isCommonUnicode is isCommon for a word with non-ASCII characters. Most
// such words are ruled out rune by rune before the costly fold: a rune
// that folds to a letter no common word has, or more runes than the
// longest common word (combining marks, which fold to nothing, aside).
func isCommonUnicode(word string) bool {
	fr := foldRunes()
	n := 0
	var buf [32]byte
	folded := buf[:0]
	for _, r := range word {
		if r > 0xFFFF {
			_, ok := commonWords[fold(word)] // no table: fold decides
			return ok
		}
		if !fr.inCommon.has(r) {
			return false
		}
		if r < utf8.RuneSelf {
			folded = append(folded, byte(unicode.ToLower(r)))
		} else {
			folded = append(folded, fr.folds[r]...)
		}
		if !fr.empty.has(r) {
			if n++; n > maxCommonRunes {
				return false
			}
		}
	}
	// Rune by rune is word by word here: the runes left are letters of
	// common words, which canonical reordering never moves.
	_, ok := commonWords[string(folded)]
	return ok
}

// foldTables describe fold rune by rune over the BMP.
type foldTables struct {
	// inCommon: r folds to nothing or only to runes of common words.
	inCommon bmpBits
	// empty: r folds to nothing (a combining mark).
	empty bmpBits
	// folds: what fold makes of each non-ASCII rune in inCommon.
	folds map[rune]string
}

// foldRunes returns the fold tables, built on first use.
var foldRunes = sync.OnceValue(func() *foldTables {
	letters := map[rune]bool{}
	for w := range commonWords {
		for _, r := range w {
			letters[r] = true
		}
	}
	t := &foldTables{folds: map[rune]string{}}
	for r := rune(0); r <= 0xFFFF; r++ {
		f := fold(string(r))
		in := true
		for _, fr := range f {
			in = in && letters[fr]
		}
		if in {
			t.inCommon[r/64] |= 1 << (r % 64)
			if r >= utf8.RuneSelf {
				t.folds[r] = f
			}
		}
		if f == "" {
			t.empty[r/64] |= 1 << (r % 64)
		}
	}
	return t
})

// fold lower-cases word and removes its diacritics (every combining mark
// left after canonical decomposition). Lower-casing the upper case merges
// the variant forms unicode61 folds together (ſ and s, ς and σ, µ and μ).
func fold(word string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(word) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(unicode.ToLower(unicode.ToUpper(r)))
	}
	return b.String()
}
