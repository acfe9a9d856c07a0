package extract

import (
	"regexp"
	"strings"
)

// The rules below drop the boilerplate that readability leaves in the body.
// Every rule is general (no site names): it looks at the shape and wording
// of a paragraph and at where it sits, never at where the page came from.
// Word lists are English first with the commonest equivalents of the
// languages Archivist meets most.

// lineRule drops a paragraph of at most maxWords words that matches re.
// The regular expression runs only when the lowercased paragraph holds
// one of the keywords (or keywords is empty): case-insensitive
// alternations are slow in Go's regexp, and most paragraphs hold none.
type lineRule struct {
	name     string
	maxWords int
	keywords []string
	re       *regexp.Regexp
}

var noiseRules = []lineRule{
	{
		// A paragraph that only says "advertisement".
		name: "ad label", maxWords: 6,
		re: regexp.MustCompile(`(?i)^(?:advertisements?|advert|ad|ads|sponsored|anzeige|werbung|publicit[ée]|publicidad|pubblicit[àa]|реклама|iklan|annons|advertentie|story continues below(?: advertisement)?|article continues below(?: advertisement)?|continue reading below|scroll to continue(?: with content)?)$`),
	},
	{
		// A row of share buttons rendered as text; it must hold a word,
		// since a row of numbers from a table is not one.
		name: "share row", maxWords: 15,
		keywords: []string{"share", "tweet", "mail", "print", "whatsapp", "facebook", "twitter", "pin", "linkedin", "reddit", "telegram", "messenger", "copy", "flipboard", "comment", "baixar", "download", "save", "more"},
		re:       regexp.MustCompile(`(?i)^(?:(?:share|tweet|email|e-mail|print|whatsapp|facebook|twitter|pinterest|pint|pin|linkedin|reddit|telegram|messenger|copy link|copy|flipboard|comments?|baixar|download|save|more|\d+)(?:\s+|$))+$`),
	},
	{
		// A photo credit or copyright line.
		name: "credit", maxWords: 15,
		keywords: []string{"©", "ⓒ", "(c)", "copyright", "rights reserved", "getty", "ap photo", "shutterstock", "photo", "image", "picture", "source", "credit", "video"},
		re:       regexp.MustCompile(`(?i)©|ⓒ|\(c\) \d{4}|copyright|all rights reserved|getty images|\bap photo\b|shutterstock|^(?:photo|image|picture|source|credit|video|photograph)s?(?: credit)?\s*:|\((?:photo|image|credit)s?\s*:|image copyright|image caption|\bphoto by\b|\bimages? via\b`),
	},
	{
		// A site notice: cookies, newsletters, comment policy, tips.
		name: "notice", maxWords: 40,
		keywords: []string{"cookie", "sign up", "subscribe", "newsletter", "inbox", "follow", "join our", "comment", "tip", "reached at", "write to", "reach the", "filed under"},
		re:       regexp.MustCompile(`(?i)\b(?:uses? cookies|cookie policy|sign up for|subscribe to|newsletters?\b|get the latest [^.]* (?:in|to) your inbox|delivered (?:straight )?to your inbox|follow (?:us|\w+) on (?:twitter|facebook|instagram)|join our [^.]*(?:forums?|community)|comments? (?:are|is) (?:moderated|closed)|moderating all comments|have a (?:news )?tip\b|may be reached at|write to [^.]* at \S+@|reach the reporters?\b|filed under\s*:)`),
	},
	{
		// Credits for the reporting ("Reporting by ...; Editing by ...",
		// "X contributed to this report"): agency style, not story text.
		name: "contributors", maxWords: 40,
		keywords: []string{"reporting by", "writing by", "editing by", "contributed", "compiled by", "source"},
		re:       regexp.MustCompile(`(?i)^\(?(?:additional )?reporting by\b|^\(?writing by\b|\bediting by\b|contributed (?:to )?(?:this|the) (?:report|story|article)|contributed reporting\b|^\(?compiled by\b|^source\s*:\s*[\w\s]+$`),
	},
	{
		// A contact line: an e-mail address and little else.
		name: "e-mail", maxWords: 12,
		keywords: []string{"@"},
		re:       regexp.MustCompile(`\S+@\S+\.[a-z]{2,}`),
	},
}

// matchRule reports whether the paragraph (lower its lowercased text)
// matches the rule.
func (r lineRule) match(p paragraph, lower string) bool {
	if p.words > r.maxWords {
		return false
	}
	if len(r.keywords) > 0 {
		found := false
		for _, k := range r.keywords {
			if strings.Contains(lower, k) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return r.re.MatchString(p.text)
}

var (
	// tailHeading opens the block of links and teasers that follows a
	// story, or a box of them inside it.
	tailHeading = regexp.MustCompile(`(?i)^(?:related(?: (?:stories|articles|posts|coverage|content|news|reading|links))?|more (?:great )?(?:[\w'’]+ )?(?:stories|articles|news|posts|reading|coverage|from [\w\s.'’]+)|you (?:may|might) (?:also )?(?:like|enjoy|be interested in)|recommended(?: for you)?|recent (?:articles|posts|stories|news)|(?:most )?popular(?: (?:this week|today|now|stories|articles|posts))?|trending(?: now| stories)?|read (?:more|next|also)|also read|see also|don'?t miss|further reading|what to read next|want more stories like this|comments?|leave a (?:comment|reply)|post (?:a )?comment|add (?:a )?comment|\d+ comments?|reviews|tags?|topics|отзывы|добавить отзыв|самые популярные.*|читайте также|leia (?:também|mais)|veja também|lesen sie auch|mehr zum thema|à lire aussi|lire aussi|sur le même sujet|leggi anche|lee también|te puede interesar)\s*[:.!?…]*$`)
	// bylineLine is a short line naming the author or the date, as found
	// above a story.
	bylineLine = regexp.MustCompile(`(?i)^(?:by|von|par|por|door|posted|published|updated|first published|last updated|publicado|publié|veröffentlicht)\b`)
)

// headZone is how many paragraphs at the top may be dropped as header
// lines (title repeats, bylines, dates) before the story has begun.
const headZone = 8

// cleanParagraphs drops boilerplate paragraphs from the rendered body.
func cleanParagraphs(paras []paragraph, title string) []paragraph {
	// Teaser boxes are recognised by their link lines, so they go before
	// link-only paragraphs are dropped.
	paras = trimTail(paras)
	out := paras[:0]
	for _, p := range paras {
		if isLinkOnly(p) || isNoise(p) {
			continue
		}
		out = append(out, p)
	}
	return trimHead(out, title)
}

// isLinkOnly reports a paragraph that is nothing but link text: menus,
// "related story" lines, share buttons. A link whose text is a URL is
// kept: it is shown to be read (a source, a shop link in a deals post),
// not navigation.
func isLinkOnly(p paragraph) bool {
	return p.runes > 0 && p.linkRunes*10 >= p.runes*9 && !looksLikeURL(p.text)
}

// isNoise reports short paragraphs that are never story text wherever
// they sit: ad labels, photo credits, share-button rows, site notices.
func isNoise(p paragraph) bool {
	if p.words > maxNoiseWords {
		return false
	}
	lower := strings.ToLower(p.text)
	for _, r := range noiseRules {
		if r.match(p, lower) {
			return true
		}
	}
	return false
}

// maxNoiseWords is the largest maxWords of the noise rules.
const maxNoiseWords = 40

// trimHead drops the header lines above the story: a repeat of the title
// and the short lines before it, and byline or date lines.
func trimHead(paras []paragraph, title string) []paragraph {
	zone := 0
	for zone < len(paras) && zone < headZone && paras[zone].words < 20 {
		zone++
	}
	if zone == 0 {
		return paras
	}
	start := 0
	if norm := normalizeName(title); norm != "" {
		for i := 0; i < zone; i++ {
			if normalizeName(paras[i].text) == norm {
				start = i + 1
			}
		}
	}
	out := make([]paragraph, 0, len(paras)-start)
	for i := start; i < len(paras); i++ {
		p := paras[i]
		if i < zone && p.words <= 15 && (bylineLine.MatchString(p.text) || isDateLine(p.text)) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// isDateLine reports a short line that is mostly a date or time.
func isDateLine(s string) bool {
	loc := findDateCut(s)
	if loc == nil {
		_, ok := parseDate(s)
		return ok
	}
	return true
}

// trimTail handles "Related stories" / "Don't miss" / "Comments"
// headings in the second half of the body. A heading followed by link
// lines opens a box of teasers inside the story: the heading and those
// lines go, and the story resumes. Otherwise, when little text follows
// (at most tailShare of the body), the heading opens the page furniture
// after the story and everything from it on goes.
func trimTail(paras []paragraph) []paragraph {
	total := 0
	for _, p := range paras {
		total += p.runes
	}
	seen := 0
	for i := 0; i < len(paras); i++ {
		p := paras[i]
		if seen*2 < total || p.words > 8 || !tailHeading.MatchString(strings.TrimSpace(p.text)) {
			seen += p.runes
			continue
		}
		j := i + 1
		for j < len(paras) && paras[j].linkRunes*2 >= paras[j].runes {
			j++
		}
		if j > i+1 {
			paras = append(paras[:i], paras[j:]...)
			i--
			continue
		}
		if float64(total-seen) <= tailShare*float64(total) {
			return paras[:i]
		}
		seen += p.runes
	}
	return paras
}

// tailShare is the largest share of the body that may follow a closing
// heading such as "Related stories" and still be cut as page furniture.
const tailShare = 0.35
