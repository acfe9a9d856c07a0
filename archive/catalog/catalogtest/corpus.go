package catalogtest

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"unicode"

	"github.com/abadojack/whatlanggo"
)

// Corpus is the real article text the scale generator draws from: the
// paragraphs of the extraction benchmark's ground truth, grouped by
// language, and the statistics its queries are chosen by.
type Corpus struct {
	langs   []string              // language codes, one per source article: drawing one picks a language by its share
	paras   map[string][][]string // paragraphs per language, split into words
	lengths map[string][]int      // article lengths (bytes) per language, so generated texts are as long as real ones
	// words are the English words with the number of source articles
	// holding them, most widespread first; queries pick from them.
	words []wordDF
	// phrases are runs of two or three English words as they appear in a
	// paragraph, for phrase queries.
	phrases []string
}

type wordDF struct {
	word string
	df   int
}

// englishStopWords are left out of the single-word queries: nobody
// searches an archive for "which".
var englishStopWords = strings.Fields(`about after again also been before being could does doing down during
each from further have having here into itself just more most other over same should some such than that their
theirs them then there these they this those through under until very were what when where which while with would
your said says will them only many much even well back into made make like first last year years`)

// detectOptions keep language detection to languages the benchmark's
// pages are in: left free, the detector takes a few short English texts
// for Yoruba.
var detectOptions = whatlanggo.Options{Whitelist: map[whatlanggo.Lang]bool{
	whatlanggo.Eng: true, whatlanggo.Deu: true, whatlanggo.Fra: true, whatlanggo.Spa: true,
	whatlanggo.Por: true, whatlanggo.Ita: true, whatlanggo.Rus: true, whatlanggo.Jpn: true,
	whatlanggo.Kor: true, whatlanggo.Cmn: true, whatlanggo.Ind: true, whatlanggo.Nld: true,
	whatlanggo.Pol: true, whatlanggo.Tur: true, whatlanggo.Arb: true,
}}

// LoadCorpus reads the benchmark's ground-truth.json (an object of
// {"articleBody", "url"} records) at path.
func LoadCorpus(path string) (*Corpus, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load corpus: %w", err)
	}
	var records map[string]struct {
		ArticleBody string `json:"articleBody"`
	}
	if err := json.Unmarshal(raw, &records); err != nil {
		return nil, fmt.Errorf("load corpus %s: %w", path, err)
	}
	// Sorted keys: the corpus, and so every generated entry, must not
	// depend on map order.
	keys := make([]string, 0, len(records))
	for k := range records {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	c := &Corpus{paras: map[string][][]string{}, lengths: map[string][]int{}}
	df := map[string]int{}
	for _, k := range keys {
		body := strings.TrimSpace(records[k].ArticleBody)
		if len(body) < 200 {
			continue
		}
		lang := whatlanggo.DetectLangWithOptions(body, detectOptions).Iso6391()
		if lang == "" {
			lang = "und"
		}
		c.langs = append(c.langs, lang)
		c.lengths[lang] = append(c.lengths[lang], len(body))
		for p := range strings.SplitSeq(body, "\n") {
			if p = strings.TrimSpace(p); p != "" {
				c.paras[lang] = append(c.paras[lang], strings.Fields(p))
			}
		}
		if lang != "en" {
			continue
		}
		seen := map[string]bool{}
		for _, w := range words(body) {
			w = strings.ToLower(w)
			if !seen[w] {
				seen[w] = true
				df[w]++
			}
		}
		c.phrases = append(c.phrases, phrasesOf(body)...)
	}
	if len(c.paras["en"]) == 0 {
		return nil, fmt.Errorf("load corpus %s: no English article found: is it the extraction benchmark's ground truth?", path)
	}
	for w, n := range df {
		if len([]rune(w)) >= 4 && !slices.Contains(englishStopWords, w) && !isNumeric(w) {
			c.words = append(c.words, wordDF{w, n})
		}
	}
	slices.SortFunc(c.words, func(a, b wordDF) int {
		if a.df != b.df {
			return b.df - a.df
		}
		return strings.Compare(a.word, b.word)
	})
	return c, nil
}

// words splits s into runs of letters and digits, as the catalogs'
// tokenizers roughly do.
func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

func isNumeric(w string) bool {
	return strings.IndexFunc(w, func(r rune) bool { return !unicode.IsDigit(r) }) < 0
}

// phrasesOf takes every 40th run of two or three words of body that are
// all longer than three letters, so phrase queries look like what people
// quote: "climate change", "prime minister".
func phrasesOf(body string) []string {
	ws := strings.Fields(body)
	var out []string
	for i := 0; i+3 <= len(ws); i += 40 {
		n := 2 + i%2
		run := slices.Clone(ws[i : i+n])
		ok := true
		for j, w := range run {
			w = strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) })
			if len(w) <= 3 || (j < n-1 && strings.ContainsAny(ws[i+j], ".,;:!?\"“”()")) {
				ok = false
				break
			}
			run[j] = w
		}
		if ok {
			out = append(out, strings.Join(run, " "))
		}
	}
	return out
}
