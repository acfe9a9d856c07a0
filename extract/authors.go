package extract

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	authorEmail   = regexp.MustCompile(`\S+@\S+\.\w+`)
	authorParens  = regexp.MustCompile(`\([^)]*\)|\[[^\]]*\]`)
	authorDateCut = regexp.MustCompile(`(?i)(?:\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+\d{1,2}\b|\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b|\b\d{1,2}:\d{2}\b|\b(?:updated|published|posted|last modified|modified)\b|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b)`)
	// authorSplit separates several names in one byline. The short
	// conjunctions of other languages are matched in lower case only, so
	// a middle initial "E" does not split a name.
	authorSplit  = regexp.MustCompile(`\s*(?:[,;|•·/]|\s(?:[Aa][Nn][Dd]|&|und|et|y|e|og|en|och|i)\s|\s[-–—]\s)\s*`)
	authorPrefix = regexp.MustCompile(`(?i)^(?:(?:written|words|reporting|reported|story|text|posted|photos?|video|interview|compiled|edited|analysis|commentary|opinion)\s+by|by|von|par|por|door|av|af|от|автор|текст|text|texte|texto)\s*[:\-–—]?\s+`)
	authorFor    = regexp.MustCompile(`\s+(?:for|special to)\s+.*$`)
	// authorAgency is a news agency written after a reporter's name
	// without a separator ("Tom Davies Associated Press"); authorAgencies
	// are its alternatives, a match ends with one of them.
	authorAgency   = regexp.MustCompile(`(?i)\s+(?:the associated press|associated press|ap|reuters|afp|agence france-presse|dpa|efe|ansa|bloomberg|upi)$`)
	authorAgencies = []string{"the associated press", "associated press", "ap", "reuters", "afp", "agence france-presse", "dpa", "efe", "ansa", "bloomberg", "upi"}
	// authorSentenceEnd is a full stop after a word of three letters or
	// more: "Finian Cunningham. Sputnik" holds two names, while the
	// period in "Sarah E. Needleman" marks an initial.
	authorSentenceEnd = regexp.MustCompile(`(\p{L}{3,})\.\s+`)
)

// authorRoleWords are words that make up job titles and desk names. A
// byline part made only of them ("Staff Writer", "Senior Correspondent")
// is a role, not a person.
var authorRoleWords = setOf(
	"staff", "writer", "writers", "reporter", "reporters", "correspondent",
	"correspondents", "editor", "editors", "editorial", "contributor",
	"contributors", "contributing", "columnist", "senior", "chief", "deputy",
	"associate", "assistant", "managing", "executive", "news", "political",
	"politics", "business", "sports", "national", "international", "foreign",
	"special", "the", "for", "at", "of", "in", "to", "a", "an", "intern",
	"photographer", "photographers", "photo", "photos", "producer",
	"producers", "anchor", "analyst", "desk", "team", "staffer", "bureau",
	"freelance", "freelancer", "guest", "author", "authors", "journalist",
	"journalists", "reporting", "additional", "editing", "video", "digital",
	"multimedia", "content", "report", "admin", "administrator", "webmaster",
	"unknown", "anonymous", "contributed", "director", "head", "science",
	"technology", "tech", "health", "culture", "entertainment", "travel",
	"opinion", "lifestyle", "features", "feature", "local", "metro", "city",
	"more", "about", "view", "all", "posts", "articles", "stories", "from",
	"follow", "profile", "bio", "email", "twitter", "newsletter", "wire",
	"services", "service", "agency", "agencies", "online", "web",
	"reports", "by",
	// "Newsroom" and "editorial staff" in other languages.
	"redacción", "redaccion", "redaktion", "rédaction", "redazione",
	"redação", "redacao", "redactie", "redaksi", "newsroom",
	// Template placeholders.
	"name", "nama", "nome", "nom", "user", "guest", "гость",
	// Credentials written after a name ("Jane Doe, MS, RDN").
	"md", "phd", "ms", "ma", "mba", "rd", "rdn", "rn", "cpt", "cscs", "jd",
	"dds", "mph", "bsc", "msc", "cfa", "cpa", "esq",
)

// authorRoleNouns end a job title: a byline part ending in one of them
// ("AP Auto Writer", "Metro Desk Reporter") is a role, whatever precedes.
var authorRoleNouns = setOf(
	"writer", "writers", "reporter", "reporters", "correspondent",
	"correspondents", "editor", "editors", "columnist", "contributor",
	"producer", "photographer", "journalist", "analyst", "intern", "staff",
	"staffer", "desk",
)

// nameParticles are the lower-case words that may appear inside a
// person's name in Latin script.
var nameParticles = setOf(
	"de", "da", "do", "dos", "das", "del", "della", "der", "den", "van",
	"von", "la", "le", "du", "di", "bin", "bint", "al", "el", "ibn", "ter",
	"ten", "zu", "af", "y", "e", "st", "mac",
)

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// authorSource is one place names can come from; strict sources are
// visible page text, where every name must be capitalised like one.
type authorSource struct {
	values []stringCandidate
	strict bool
}

// pickAuthors returns the authors from the best source that yields any,
// by precedence: JSON-LD author (or creator), the author meta tags, byline
// markup in the page (rel=author, itemprop=author), elements whose class
// or id says author or byline, then readability's byline guess. Mixing
// sources would list one person under several spellings. Bylines inside
// comments, related-story boxes and sidebars are not collected.
func pickAuthors(page *pageScan, ld ldInfo, readabilityByline string, siteNames []string) ([]string, *Evidence) {
	var ldNames []stringCandidate
	for _, a := range ld.authors {
		ldNames = append(ldNames, stringCandidate{"json-ld:author", a.name})
	}
	var metaNames []stringCandidate
	for _, c := range metaCandidates(page, "author", "article:author", "dc.creator", "dcterms.creator", "parsely-author", "sailthru.author", "byl", "citation_author") {
		if !looksLikeURL(c.value) {
			metaNames = append(metaNames, c)
		}
	}
	var strong, weak []stringCandidate
	for _, b := range page.bylines {
		if b.strong {
			strong = append(strong, stringCandidate{b.source, b.text})
		} else {
			weak = append(weak, stringCandidate{b.source, b.text})
		}
	}
	sources := []authorSource{
		{values: ldNames},
		{values: metaNames},
		{values: strong, strict: true},
		{values: weak, strict: true},
		{values: []stringCandidate{{"readability", readabilityByline}}, strict: true},
	}
	ev := newEvidence()
	var chosen []string
	for _, src := range sources {
		var names []string
		seen := map[string]bool{}
		first := -1
		for _, c := range src.values {
			if (chosen != nil || len(names) == maxAuthors) && ev.full() {
				break
			}
			if strings.TrimSpace(c.value) == "" {
				continue
			}
			got := cleanAuthors([]string{c.value}, siteNames, src.strict)
			why := ""
			if len(got) == 0 {
				why = "no person's or agency's name in it"
			}
			i := ev.add(c.source, c.value, strings.Join(got, "; "), why)
			if first < 0 && len(got) > 0 {
				first = i
				if i < 0 {
					// The list is full: keep this one, it may be chosen.
					first = ev.forceAdd(c.source, c.value, strings.Join(got, "; "))
				}
			}
			for _, n := range got {
				if key := strings.ToLower(n); !seen[key] && len(names) < maxAuthors {
					seen[key] = true
					names = append(names, n)
				}
			}
		}
		if chosen == nil && len(names) > 0 {
			chosen = names
			ev.choose(first, strings.Join(names, "; "), "", "", "")
		}
	}
	if chosen == nil {
		chosen = []string{}
	}
	return chosen, ev
}

// maxAuthors bounds the author list.
const maxAuthors = 20

// cleanAuthors turns raw byline strings into distinct person or agency
// names: it drops "By", roles, dates, e-mail addresses and the site's own
// name, and splits "A, B and C" into three.
func cleanAuthors(raw []string, siteNames []string, strict bool) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range raw {
		// A value written in lower case throughout ("jane doe") is a
		// style; lower-case words in a capitalised value ("A sentence
		// about the author and her work") are prose, not names.
		checkCase := strict || strings.ContainsFunc(r, unicode.IsUpper)
		for _, name := range splitAuthorNames(r) {
			name = trimSiteSuffix(name, siteNames)
			if !plausibleName(name, siteNames, checkCase) {
				continue
			}
			key := strings.ToLower(name)
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, name)
			if len(out) == maxAuthors {
				return out
			}
		}
	}
	return out
}

// trimSiteSuffix drops the publication's name written after a reporter's
// without a separator ("Kevin McCoy USA TODAY"), when a full name remains.
func trimSiteSuffix(name string, siteNames []string) string {
	words := strings.Fields(name)
	for k := 1; k <= 3 && len(words)-k >= 2; k++ {
		tail := strings.Join(words[len(words)-k:], " ")
		for _, site := range siteNames {
			if sameName(tail, site) {
				return strings.Join(words[:len(words)-k], " ")
			}
		}
	}
	return name
}

func splitAuthorNames(raw string) []string {
	s := collapseSpace(raw)
	if s == "" || looksLikeURL(s) {
		return nil
	}
	s = replaceIf(authorEmail, s, "@", " ")
	s = replaceIf(authorParens, s, "([", " ")
	// Dates go first: "Aug. 3, 2025" is no sentence end after a name.
	if loc := findDateCut(s); loc != nil {
		s = s[:loc[0]]
	}
	s = replaceIf(authorSentenceEnd, s, ".", "$1, ")
	var names []string
	for _, part := range authorSplit.Split(s, -1) {
		part = strings.TrimFunc(part, isNameEdge)
		for {
			stripped := strings.TrimFunc(authorPrefix.ReplaceAllString(part, ""), isNameEdge)
			if stripped == part {
				break
			}
			part = stripped
		}
		if strings.Contains(part, "for") || strings.Contains(part, "special to") {
			part = authorFor.ReplaceAllString(part, "")
		}
		part = strings.TrimFunc(part, isNameEdge)
		if mayEndWithFold(part, authorAgencies...) {
			if stripped := authorAgency.ReplaceAllString(part, ""); strings.Contains(stripped, " ") {
				// Only when a full name remains: "Associated Press"
				// alone is a byline of its own.
				part = stripped
			}
		}
		if part != "" {
			names = append(names, part)
		}
	}
	return names
}

func isNameEdge(r rune) bool {
	return unicode.IsSpace(r) || (unicode.IsPunct(r) && r != '.' && r != '\'' && r != '’') || unicode.IsSymbol(r)
}

func plausibleName(name string, siteNames []string, checkCase bool) bool {
	n := utf8.RuneCountInString(name)
	if n < 2 || n > 60 || looksLikeURL(name) || strings.ContainsAny(name, "@/©") {
		return false
	}
	words := strings.Fields(name)
	if len(words) > 6 {
		return false
	}
	hasLetter, roleOnly := false, true
	for _, r := range name {
		if unicode.IsDigit(r) {
			return false
		}
		if unicode.IsLetter(r) {
			hasLetter = true
		}
	}
	if !hasLetter {
		return false
	}
	for _, w := range words {
		if !authorRoleWords[strings.ToLower(strings.Trim(w, ".:,'’"))] {
			roleOnly = false
		}
	}
	last := strings.ToLower(strings.Trim(words[len(words)-1], ".:,'’"))
	if i := strings.IndexByte(last, '-'); i > 0 {
		last = last[:i] // "Editor-at-large"
	}
	if roleOnly || (len(words) <= 4 && authorRoleNouns[last]) {
		return false
	}
	for _, site := range siteNames {
		if site != "" && sameName(name, site) {
			return false
		}
	}
	if checkCase && !capitalisedName(words) {
		return false
	}
	return true
}

// capitalisedName reports whether every word of a Latin-script name is
// capitalised or a known particle: "More stories by" fails, "Ana de la
// Cruz" passes. Words in scripts without case pass.
func capitalisedName(words []string) bool {
	for _, w := range words {
		r, _ := utf8.DecodeRuneInString(w)
		if !unicode.IsLower(r) {
			continue
		}
		if !nameParticles[strings.ToLower(w)] {
			return false
		}
	}
	return true
}

// sameName compares two names ignoring case, spaces and punctuation, so
// "The Hill" matches "thehill": normalizeName(a) == normalizeName(b),
// compared a character at a time without building either (titles and
// bylines are compared with every site name).
func sameName(a, b string) bool {
	i, j := 0, 0
	for {
		ra, na := nextNameRune(a, i)
		rb, nb := nextNameRune(b, j)
		if ra != rb {
			return false
		}
		if ra < 0 {
			return true
		}
		i, j = na, nb
	}
}

// nextNameRune returns the next rune of normalizeName(s) from byte i on,
// and the byte after it; -1 at the end.
func nextNameRune(s string, i int) (rune, int) {
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r = unicode.ToLower(r); unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r, i
		}
	}
	return -1, i
}

func normalizeName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func looksLikeURL(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "www.") || strings.HasPrefix(s, "//")
}
