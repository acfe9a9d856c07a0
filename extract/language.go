package extract

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/abadojack/whatlanggo"
)

// Language detection uses whatlanggo: a pure-Go trigram detector (a port of
// the Rust whatlang library) covering 84 languages, with its profiles
// compiled in (about 400 KB) and no dependencies. lingua-go is more
// accurate on short snippets but loads hundreds of megabytes of n-gram
// models; a daemon that needs the language of whole articles does not need
// that. A detection costs about 2 ms of CPU on the 2 KB sample, as much as
// half of extracting a whole page, so it runs only when the markup is
// silent or contradicted by the text (see pickLanguage); the check for a
// contradiction is a cheap count of common words.

// detectSampleBytes bounds how much text the detector reads: a few
// paragraphs decide the language as well as the whole article.
const detectSampleBytes = 2048

// minDetectLetters is the least text worth detecting on; below that the
// trigram statistics are noise.
const minDetectLetters = 40

// languageSources are the meta keys that declare the language, after the
// <html lang> attribute and before og:locale.
var languageSources = []string{"content-language", "language", "dc.language", "dcterms.language"}

// pickLanguage returns the page's language as an ISO 639-1 (or 639-3)
// code. Precedence: <html lang>, the Content-Language meta tag, the HTTP
// Content-Language header, other language meta tags, og:locale, the
// JSON-LD inLanguage; the first valid one wins, unless the text plainly
// says otherwise: another language's commonest words make at least 15 %
// of the text and four times the declared language's share, and
// whatlanggo agrees (templates often carry a fixed lang="en"). Without a valid declaration, whatlanggo decides on the text
// (on title, description and text when the text is short).
func pickLanguage(page *pageScan, ld ldInfo, hints Hints, art *Article) (string, *Evidence) {
	ev := newEvidence()
	cands := []stringCandidate{{"html:lang", page.htmlLang}}
	cands = append(cands, metaCandidates(page, "content-language")...)
	cands = append(cands, stringCandidate{"http:Content-Language", hints.ContentLanguage})
	cands = append(cands, metaCandidates(page, languageSources[1:]...)...)
	cands = append(cands, metaCandidates(page, "og:locale")...)
	cands = append(cands, stringCandidate{"json-ld:inLanguage", ld.language})
	declared, declaredAt := "", -1
	var declaredIdx []int
	for _, c := range cands {
		if strings.TrimSpace(c.value) == "" {
			continue
		}
		tag := primaryLanguage(c.value)
		why := ""
		if tag == "" {
			why = "not a language tag"
		}
		i := ev.add(c.source, c.value, tag, why)
		if tag == "" {
			continue
		}
		if declared == "" {
			if i < 0 {
				i = ev.forceAdd(c.source, c.value, tag)
			}
			declared, declaredAt = tag, i
		}
		if tag == declared {
			declaredIdx = append(declaredIdx, i)
		}
	}
	sample := sampleText(art.Text)
	if declared != "" {
		if other, why := contradicted(declared, sample); other != "" {
			if detected := detectLanguage(sample); detected == other {
				for _, i := range declaredIdx {
					ev.reject(i, why)
				}
				ev.choose(-1, detected, "text", detected, "")
				return detected, ev
			}
		}
		ev.choose(declaredAt, declared, "", "", "")
		return declared, ev
	}
	if art.WordCount < 30 {
		sample = sampleText(strings.Join([]string{art.Title, art.Description, art.Text}, "\n"))
	}
	detected := detectLanguage(sample)
	if detected == "" {
		ev.forceAdd("text", "undetermined", "")
		ev.reject(len(ev.Candidates)-1, "too little text, or no reliable guess")
		return "", ev
	}
	ev.choose(-1, detected, "text", detected, "")
	return detected, ev
}

// sampleText returns the start of text, cut at a rune boundary.
func sampleText(text string) string {
	if len(text) <= detectSampleBytes {
		return text
	}
	cut := detectSampleBytes
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut]
}

// detectLanguage guesses the ISO 639-1 code of text, or returns "" when
// the text is too short or the guess is not reliable.
func detectLanguage(text string) string {
	text = sampleText(text)
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

// Thresholds of the contradiction check. In running text of any of the
// listed languages its commonest words make 25-50 % of all words, and a
// few of them are words of neighbouring languages too ("in" is English,
// German, Dutch and Italian). The declaration is contradicted when another
// language's words make at least minOtherShare of the text and at least
// dominance times the declared language's share.
const (
	minCheckWords = 50
	minOtherShare = 0.15
	dominance     = 4
)

// contradicted reports whether the text is plainly not in the declared
// language, and which listed language it is in instead, with the reason.
// Languages without a word list are never contradicted.
func contradicted(declared, text string) (string, string) {
	di, ok := functionWordLang[declared]
	if !ok {
		return "", ""
	}
	var counts [len(functionWordLists)]int
	total := 0
	// Words are lowered into one buffer: map lookups with string(buf)
	// do not allocate.
	var buf []byte
	count := func() {
		if len(buf) == 0 {
			return
		}
		total++
		mask := functionWords[string(buf)]
		for i := range counts {
			if mask&(1<<i) != 0 {
				counts[i]++
			}
		}
		buf = buf[:0]
	}
	for _, r := range text {
		if unicode.IsLetter(r) {
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
			continue
		}
		count()
	}
	count()
	if total < minCheckWords {
		return "", ""
	}
	share := func(i int) float64 { return float64(counts[i]) / float64(total) }
	best := -1
	for i := range counts {
		if i != di && share(i) >= minOtherShare && share(i) >= dominance*share(di) && (best < 0 || counts[i] > counts[best]) {
			best = i
		}
	}
	if best < 0 {
		return "", ""
	}
	other := functionWordLists[best].lang
	return other, fmt.Sprintf("the text is not in this language: %.0f%% of its words are common %q words, %.0f%% common %q words, and whatlanggo detects %q", 100*share(di), declared, 100*share(best), other, other)
}

// functionWordLists hold the commonest words of the languages whose
// declarations are checked against the text.
var functionWordLists = [...]struct {
	lang  string
	words string
}{
	{"en", "the and of to a in is that for it was on with as are be by this at from have has but not he she they we you his her their an or were will said which"},
	{"de", "der die und in den von zu das mit sich des auf für ist im dem nicht ein eine als auch es an werden aus er hat dass sie nach wird bei einer um am sind noch wie einem über einen so zum war haben nur oder aber vor zur bis mehr durch man sein wurde"},
	{"fr", "le la les de des et en un une du est que qui dans pour pas sur au il elle par plus ce se sont avec ont aux mais cette son sa ses été nous vous"},
	{"es", "el la los las de del y en que un una es por con para se no su al lo como más pero sus le ha este esta fue son entre también sobre"},
	{"it", "il la le di e che in un una per del della è non con si da al dei delle gli nel alla sono come ha anche più ma questo lo"},
	{"pt", "o a os as de do da dos das e que em um uma para com não no na por se mais foi ao ele ela são mas como seu sua também é"},
	{"nl", "de het een en van in is dat op te met voor niet zijn die er aan ook als bij door om maar naar nog werd worden wordt over uit hij ze we"},
	{"sv", "och i att det som en på är av för med till den har de inte om ett var jag men sig från så kan vid eller efter också"},
	{"da", "og i at det en den til er som på de med af for ikke der var han har et fra men om så kan eller efter også blev"},
	{"nb", "og i det er en på som til av for med at har de ikke den et om var fra men så kan eller etter også ble"},
	{"pl", "i w z na się nie do to że jest o jak a po co tak ale od za przez jego są dla już przy może który była był"},
	{"ru", "и в не на что с по как это он к из за но то от о для так все его она же был только бы ее уже при также или году"},
}

// functionWords maps each listed word to the bit set of the languages
// (indexes into functionWordLists) it belongs to; functionWordLang maps a
// language to its index. Both are built once and only read.
var functionWords, functionWordLang = func() (map[string]uint16, map[string]int) {
	words := map[string]uint16{}
	langs := map[string]int{}
	for i, l := range functionWordLists {
		langs[l.lang] = i
		for _, w := range strings.Fields(l.words) {
			words[w] |= 1 << i
		}
	}
	langs["no"] = langs["nb"]
	return words, langs
}()
