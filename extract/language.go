package extract

import (
	"unicode"
	"unicode/utf8"

	"github.com/abadojack/whatlanggo"
)

// Language detection uses whatlanggo: a pure-Go trigram detector (a port of
// the Rust whatlang library) covering 84 languages, with its profiles
// compiled in (about 400 KB), no dependencies and a detection in well under
// a millisecond on a few kilobytes. lingua-go is more accurate on short
// snippets but loads hundreds of megabytes of n-gram models; a daemon that
// only needs the language of whole articles when the page fails to declare
// one does not need that.

// detectSampleBytes bounds how much text the detector reads: a few
// paragraphs decide the language as well as the whole article.
const detectSampleBytes = 2048

// minDetectLetters is the least text worth detecting on; below that the
// trigram statistics are noise.
const minDetectLetters = 40

// detectLanguage guesses the ISO 639-1 code of text, or returns "" when
// the text is too short or the guess is not reliable.
func detectLanguage(text string) string {
	if len(text) > detectSampleBytes {
		cut := detectSampleBytes
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	letters := 0
	for _, r := range text {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	if letters < minDetectLetters {
		return ""
	}
	info := whatlanggo.Detect(text)
	if info.Lang < 0 || !info.IsReliable() {
		return ""
	}
	return info.Lang.Iso6391()
}
