package extract

import (
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/net/html"
)

// Paywalls and consent walls. A page is flagged when the archived text is
// not the article because a wall stands in the way:
//
//   - consent wall: the body is a cookie or privacy consent form (at least
//     two distinct consent phrases, or a consent title, in under
//     maxConsentWords words);
//   - paywall, declared: JSON-LD says isAccessibleForFree: false (on the
//     article or a part of it) or article:content_tier is locked, the part
//     behind the wall is not in the page (when the markup names it by a
//     CSS class or id), and the text is short (under maxTeaserWords
//     words): publishers that serve the whole text to crawlers declare the
//     wall too, and their text is complete;
//   - paywall, shown: the body ends with a subscription prompt, or an
//     element whose class or id names a paywall holds one, and the text is
//     short (under maxTeaserWords words).
//
// Every rule needs the text to be short, so a long article is never
// flagged because its template carries a hidden subscription box.

const (
	maxTeaserWords  = 350
	maxConsentWords = 300
	// minPartWords is the least text the declared paywalled part must hold
	// to count as present.
	minPartWords = 50
)

// subscriptionPrompt matches the calls to subscribe or log in that stand
// where a paywalled text stops.
var subscriptionPrompt = regexp.MustCompile(`(?i)\b(?:subscribe (?:now )?(?:to|for) (?:continue|keep|read|unlimited|full|get full|access)|to (?:continue|keep) reading|continue reading (?:your|this|the) (?:article|story)|(?:this|the) (?:article|story|content|page) is (?:only )?(?:available|reserved|exclusive) (?:to|for) (?:paying |paid |our )?(?:subscribers|members|premium)|(?:paid |paying )?subscribers only|already (?:a subscriber|subscribed|have an account)|you(?:'ve| have) (?:reached|used) (?:your|all your|the) (?:limit|maximum|free)|free articles? (?:left|remaining)|(?:sign|log) in to (?:continue|read|keep reading)|create a free account to (?:continue|read)|register (?:for free )?to (?:continue|read)|unlock (?:this|the full|full) (?:article|story|access)|weiterlesen mit|jetzt (?:abonnieren|weiterlesen)|(?:nur|exklusiv) für abonnenten|réservé aux abonnés|cet article est réservé|(?:contenido )?exclusivo para (?:suscriptores|assinantes)|riservato agli abbonati|alleen voor abonnees)`)

// consentPhrase matches what consent forms say; consentTitle matches their
// titles.
var (
	consentPhrase = regexp.MustCompile(`(?i)\b(?:we(?: and our (?:\d+ )?(?:partners|vendors))? (?:use|store and/or access) (?:cookies|information on a device)|(?:this (?:site|website)|our site) uses cookies|cookie (?:policy|settings|preferences|consent)|accept (?:all(?: cookies)?|cookies)|reject all|manage (?:cookies|(?:your )?(?:privacy |cookie )?(?:settings|preferences|options|choices))|before you continue|consent to (?:the use|our use|cookies)|your privacy choices|we value your privacy|personali[sz]ed (?:ads|advertising|content)|legitimate interest|alle akzeptieren|cookies akzeptieren|einwilligung|bevor sie fortfahren|tout accepter|accepter et fermer|nous utilisons des cookies|utilizamos cookies|aceptar todas|accetta tutti|utilizziamo (?:i )?cookie|aceitar todos|alles accepteren)`)
	consentTitle  = regexp.MustCompile(`(?i)^(?:before you continue|privacy (?:settings|preferences|notice|center|centre)|cookie (?:consent|settings|preferences|policy|notice)|consent|your privacy|we value your privacy|bevor sie fortfahren|datenschutz(?:einstellungen|hinweis)?|avant de continuer|antes de continuar)\b`)
)

// wallSignals are what the page body shows of a wall, gathered before the
// paragraphs are cleaned (the cleaning drops such lines).
type wallSignals struct {
	prompt        string // a subscription prompt at the end of the body
	consentHits   int    // distinct consent phrases in a short body
	consentSample string // the first of them
}

// promptKeywords and consentKeywords gate the regular expressions: one of
// them must occur (in lower case) before a paragraph is matched, since
// case-insensitive alternations are slow in Go and most paragraphs hold
// none.
var (
	promptKeywords  = []string{"subscri", "reading", "account", "log in", "sign in", "limit", "free article", "unlock", "abonn", "weiterlesen", "réservé", "exclusivo", "riservato"}
	consentKeywords = []string{"cookie", "consent", "privacy", "partners", "vendors", "legitimate", "accept", "reject", "personali", "continue", "akzept", "einwillig", "fortfahren", "accepter", "utiliz", "acept", "accett", "aceitar", "accepteren"}
)

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// readWallSignals looks at the rendered paragraphs before cleaning: the
// last three for a subscription prompt, and all of them for consent
// phrases when the body is short.
func readWallSignals(paras []paragraph) wallSignals {
	var w wallSignals
	for i := max(0, len(paras)-3); i < len(paras); i++ {
		if !containsAny(strings.ToLower(paras[i].text), promptKeywords) {
			continue
		}
		if m := subscriptionPrompt.FindString(paras[i].text); m != "" {
			w.prompt = m
		}
	}
	total := 0
	for _, p := range paras {
		total += p.words
	}
	if total >= 2*maxConsentWords {
		return w
	}
	seen := map[string]bool{}
	for _, p := range paras {
		if !containsAny(strings.ToLower(p.text), consentKeywords) {
			continue
		}
		for _, m := range consentPhrase.FindAllString(p.text, 8) {
			key := strings.ToLower(m)
			if !seen[key] {
				seen[key] = true
				if w.consentSample == "" {
					w.consentSample = m
				}
			}
		}
	}
	w.consentHits = len(seen)
	return w
}

// decideWall applies the rules above. partWords is the number of words in
// the part the JSON-LD declares paywalled, -1 when unknown.
func decideWall(page *pageScan, ld ldInfo, sig wallSignals, partWords, words int, title string) (bool, string) {
	if words < maxConsentWords {
		if sig.consentHits >= 2 {
			return true, fmt.Sprintf("consent wall: the body is a consent form (%q and %d other consent phrases in %d words)", sig.consentSample, sig.consentHits-1, words)
		}
		if consentTitle.MatchString(strings.TrimSpace(title)) && sig.consentHits >= 1 {
			return true, fmt.Sprintf("consent wall: the page is titled %q and asks for consent", clipEvidence(title))
		}
	}
	if words >= maxTeaserWords {
		return false, ""
	}
	tier := strings.ToLower(firstMeta(page, "article:content_tier", "og:article:content_tier"))
	if ld.notFree || tier == "locked" {
		what := "JSON-LD isAccessibleForFree: false"
		if !ld.notFree {
			what = "article:content_tier: locked"
		}
		switch {
		case partWords < 0:
			return true, fmt.Sprintf("paywall: declared (%s) and the text has only %d words", what, words)
		case partWords < minPartWords:
			return true, fmt.Sprintf("paywall: declared (%s), the part behind the wall (%s) is not in the page, and the text has only %d words", what, strings.Join(ld.wallSelectors, ", "), words)
		}
	}
	if sig.prompt != "" {
		return true, fmt.Sprintf("paywall: the text ends at a subscription prompt (%q) after %d words", sig.prompt, words)
	}
	for _, text := range page.walls {
		if m := subscriptionPrompt.FindString(text); m != "" {
			return true, fmt.Sprintf("paywall: a paywall element asks to subscribe (%q) and the text has only %d words", m, words)
		}
	}
	return false, ""
}

// declaredPartWords counts the words in the elements the JSON-LD paywall
// markup names by CSS selector. It supports the simple selectors such
// markup uses (".class", "#id", "tag.class", lists of them) and returns -1
// for anything else or when no selector is given. It must run on the raw
// tree, before readability rewrites it.
func declaredPartWords(doc *html.Node, selectors []string) int {
	var sels []simpleSelector
	for _, raw := range selectors {
		for _, part := range strings.Split(raw, ",") {
			sel, ok := parseSimpleSelector(strings.TrimSpace(part))
			if !ok {
				return -1
			}
			sels = append(sels, sel)
		}
	}
	if len(sels) == 0 {
		return -1
	}
	words := 0
	budget := 200_000 // elements visited: bounds the walk on hostile pages
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil && budget > 0; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			budget--
			matched := false
			for _, s := range sels {
				if s.matches(c) {
					matched = true
					break
				}
			}
			if matched {
				words += countWords(textOf(c, 1<<20))
				continue
			}
			walk(c)
		}
	}
	walk(doc)
	return words
}

// simpleSelector is a tag name with classes and an id, each optional.
type simpleSelector struct {
	tag, id string
	classes []string
}

func parseSimpleSelector(s string) (simpleSelector, bool) {
	var sel simpleSelector
	if s == "" || strings.ContainsAny(s, " >+~[]:*()") {
		return sel, false
	}
	i := strings.IndexAny(s, ".#")
	if i < 0 {
		i = len(s)
	}
	sel.tag = strings.ToLower(s[:i])
	for s = s[i:]; s != ""; {
		kind := s[0]
		s = s[1:]
		j := strings.IndexAny(s, ".#")
		if j < 0 {
			j = len(s)
		}
		name := s[:j]
		s = s[j:]
		if name == "" {
			return sel, false
		}
		if kind == '#' {
			sel.id = name
		} else {
			sel.classes = append(sel.classes, name)
		}
	}
	return sel, sel.tag != "" || sel.id != "" || len(sel.classes) > 0
}

func (s simpleSelector) matches(n *html.Node) bool {
	if s.tag != "" && n.Data != s.tag {
		return false
	}
	if s.id != "" && attr(n, "id") != s.id {
		return false
	}
	class := attr(n, "class")
	for _, c := range s.classes {
		if !hasExactToken(class, c) {
			return false
		}
	}
	return true
}

// hasExactToken reports whether the space-separated list holds tok (class
// names are case-sensitive).
func hasExactToken(list, tok string) bool {
	for _, f := range strings.Fields(list) {
		if f == tok {
			return true
		}
	}
	return false
}
