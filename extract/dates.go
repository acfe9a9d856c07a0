package extract

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/itlightning/dateparse"
)

// dateLayouts are tried before the general-purpose parser: they cover
// nearly every value found in metadata and are unambiguous. A layout
// without a zone is read as UTC.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z0700",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02 15:04:05.999999999 -0700 MST",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
	"2006/01/02",
	time.RFC1123Z,
	time.RFC1123,
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	time.RFC850,
	time.ANSIC,
	time.UnixDate,
	"January 2, 2006",
	"Jan 2, 2006",
	"2 January 2006",
	"20060102",
}

// parseDate reads a date in any common format and returns it in UTC.
// Values that parse to an implausible year are refused: "0001-01-01" and
// similar placeholders are common in templates.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 80 {
		return time.Time{}, false
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return plausible(t)
		}
	}
	t, err := dateparse.ParseIn(s, time.UTC, dateparse.RetryAmbiguousDateWithSwap(true))
	if err != nil {
		return time.Time{}, false
	}
	return plausible(t)
}

func plausible(t time.Time) (time.Time, bool) {
	if y := t.Year(); y < 1800 || y > 2200 {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// publishedMetaKeys are meta names and properties that carry the
// publication date, best first.
var publishedMetaKeys = []string{
	"article:published_time", "og:published_time", "og:article:published_time",
	"datepublished", "published_time", "article:published", "article.published",
	"pubdate", "publishdate", "publish-date", "publish_date", "publication_date",
	"parsely-pub-date", "sailthru.date", "dc.date.issued", "dcterms.issued",
	"dc.date", "dcterms.date", "dcterms.created", "dc.date.created",
	"date", "datecreated", "originalpublicationdate", "article_date_original",
	"cxenseparse:recs:publishtime", "displaydate", "date.available",
}

// modifiedMetaKeys are meta names and properties that carry the date of the
// last change, best first.
var modifiedMetaKeys = []string{
	"article:modified_time", "og:updated_time", "og:modified_time",
	"datemodified", "dateupdated", "modified_time", "article:modified",
	"article.updated", "last-modified", "lastmod", "dcterms.modified",
	"dc.date.modified", "parsely-updated", "sailthru.lastmodified",
}

// dateChoice is the outcome of pickDates.
type dateChoice struct {
	published, modified *time.Time
	// publishedGuessed is set when the publication date was not declared
	// as such but read from a plain <time> in the article or from the URL;
	// publishedIndex is the chosen candidate in the evidence.
	publishedGuessed bool
	publishedIndex   int
	evPublished      *Evidence
	evModified       *Evidence
}

// dateCandidate is a date value with its source; guessed ones were not
// declared as the publication date.
type dateCandidate struct {
	source, value string
	guessed       bool
	rejected      string
}

// pickDates chooses the published and modified dates; see
// publishedCandidates and modifiedCandidates for the precedence. The
// first candidate that parses and is not later than the fetch wins. A
// modification date earlier than the publication is skipped for the next
// candidate. Every candidate is kept as evidence.
func pickDates(page *pageScan, ld ldInfo, pageURL *url.URL, opts Options) dateChoice {
	limit := opts.FetchedAt
	choice := dateChoice{publishedIndex: -1, evPublished: newEvidence(), evModified: newEvidence()}
	accept := func(c dateCandidate, notBefore *time.Time) (*time.Time, string, string) {
		if c.rejected != "" {
			return nil, "", c.rejected
		}
		t, ok := parseDate(c.value)
		if !ok {
			return nil, "", "not a date"
		}
		parsed := t.Format(time.RFC3339)
		switch {
		case !limit.IsZero() && t.After(limit):
			return nil, parsed, "later than the fetch (" + limit.UTC().Format(time.RFC3339) + ")"
		case notBefore != nil && t.Before(*notBefore):
			return nil, parsed, "earlier than the publication date"
		}
		return &t, parsed, ""
	}
	for _, c := range publishedCandidates(page, ld, pageURL, opts.Hints) {
		if choice.published != nil && choice.evPublished.full() {
			break
		}
		t, parsed, why := accept(c, nil)
		i := choice.evPublished.add(c.source, c.value, parsed, why)
		if t != nil && choice.published == nil {
			choice.published, choice.publishedGuessed, choice.publishedIndex = t, c.guessed, i
			choice.evPublished.choose(i, parsed, c.source, c.value, parsed)
		}
	}
	for _, c := range modifiedCandidates(page, ld, opts) {
		if choice.modified != nil && choice.evModified.full() {
			break
		}
		t, parsed, why := accept(c, choice.published)
		i := choice.evModified.add(c.source, c.value, parsed, why)
		if t != nil && choice.modified == nil {
			choice.modified = t
			choice.evModified.choose(i, parsed, c.source, c.value, parsed)
		}
	}
	return choice
}

// publishedCandidates lists the publication date's candidates, best
// first: JSON-LD datePublished (then dateCreated) of the page's article;
// the meta tags of publishedMetaKeys, with microdata datePublished (then
// dateCreated) of the story ranked as the meta tag datePublished; <time
// pubdate>; the news sitemap's publication date; the feed's
// date; the first plain <time> in the story's header or body; the date
// in the URL's path. Dates inside comments, related-story boxes, sidebars
// or nested teaser items are listed but rejected, and microdata dates are
// rejected when several article items on the page carry different ones (a
// list of stories).
func publishedCandidates(page *pageScan, ld ldInfo, pageURL *url.URL, hints Hints) []dateCandidate {
	var out []dateCandidate
	add := func(source, value string, guessed bool, rejected string) {
		if strings.TrimSpace(value) != "" {
			out = append(out, dateCandidate{source: source, value: value, guessed: guessed, rejected: rejected})
		}
	}
	add("json-ld:datePublished", ld.published, false, "")
	add("json-ld:dateCreated", ld.created, false, "")
	several := microdataConflict(page, "datepublished", "datecreated")
	for _, k := range publishedMetaKeys {
		for _, v := range page.meta[k] {
			add("meta:"+k, v, false, "")
		}
		if k != "datepublished" {
			continue
		}
		// Microdata ranks with the meta tag of the same name.
		for _, prop := range []string{"datepublished", "datecreated"} {
			for _, d := range page.dates {
				if d.prop == prop {
					add(datePropSource[prop], d.value, false, dateForeign(d, several))
				}
			}
		}
	}
	for _, d := range page.dates {
		if d.pubdate && d.prop == "" {
			add("time[pubdate]", d.value, false, dateForeign(d, false))
		}
	}
	add("news-sitemap", formatHint(hints.NewsPublicationDate), false, "")
	add("feed", formatHint(hints.FeedDate), false, "")
	// The first plain <time> of the story, and any before it that sit in
	// other parts of the page (shown as rejected, so the evidence says
	// why they lost).
	for _, d := range page.dates {
		if d.prop != "" || d.pubdate || !d.inArticle {
			continue
		}
		add("time", d.value, true, dateForeign(d, false))
		if d.foreign == "" {
			break
		}
	}
	if u := urlDate(pageURL); u != "" {
		add("url", u, true, "")
	}
	return out
}

// modifiedCandidates lists the modification date's candidates, best
// first: JSON-LD dateModified; the meta tags of modifiedMetaKeys, with
// microdata dateModified (then dateUpdated) ranked as the meta tag
// dateModified; the sitemap's lastmod; the
// HTTP Last-Modified header, unless it is the time of the request itself
// (servers stamp generated pages so).
func modifiedCandidates(page *pageScan, ld ldInfo, opts Options) []dateCandidate {
	var out []dateCandidate
	add := func(source, value, rejected string) {
		if strings.TrimSpace(value) != "" {
			out = append(out, dateCandidate{source: source, value: value, rejected: rejected})
		}
	}
	add("json-ld:dateModified", ld.modified, "")
	several := microdataConflict(page, "datemodified", "dateupdated")
	for _, k := range modifiedMetaKeys {
		for _, v := range page.meta[k] {
			add("meta:"+k, v, "")
		}
		if k != "datemodified" {
			continue
		}
		for _, prop := range []string{"datemodified", "dateupdated"} {
			for _, d := range page.dates {
				if d.prop == prop {
					add(datePropSource[prop], d.value, dateForeign(d, several))
				}
			}
		}
	}
	add("sitemap:lastmod", formatHint(opts.Hints.SitemapLastmod), "")
	if lm := strings.TrimSpace(opts.Hints.LastModified); lm != "" {
		why := ""
		if t, ok := parseDate(lm); ok && !opts.FetchedAt.IsZero() && opts.FetchedAt.Sub(t).Abs() < requestStamp {
			why = "the time of the request: a page generated when fetched"
		}
		add("http:Last-Modified", lm, why)
	}
	return out
}

// requestStamp is how close to the fetch an HTTP Last-Modified may be
// before it is taken for the server's clock rather than an edit.
const requestStamp = 2 * time.Minute

// microdataConflict reports whether several top-level article items on the
// page give different values for the date properties: a list of stories.
// A page describing its one story twice (a NewsArticle and an Article
// item with the same dates) is no conflict.
func microdataConflict(page *pageScan, props ...string) bool {
	first := map[int]time.Time{}
	for _, d := range page.dates {
		if d.foreign != "" || d.scope == 0 || !slices.Contains(props, d.prop) {
			continue
		}
		if _, seen := first[d.scope]; seen {
			continue
		}
		t, ok := parseDate(d.value)
		if !ok {
			continue
		}
		for _, other := range first {
			if !other.Equal(t) {
				return true
			}
		}
		first[d.scope] = t
	}
	return false
}

// dateForeign returns why a date in the body is not the page's, or "".
func dateForeign(d dateTag, several bool) string {
	switch {
	case d.foreign != "":
		return "belongs to another part of the page: " + d.foreign
	case several && d.scope > 0:
		return "several article items on the page carry different dates (a list of stories)"
	}
	return ""
}

func formatHint(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// urlDate reads a /2025/07/08/-style date from the page path, as
// "2025-07-08", or "" when there is none.
func urlDate(u *url.URL) string {
	m := urlDatePattern.FindStringSubmatch(u.Path)
	if m == nil || m[3] == "" {
		return ""
	}
	return m[1] + "-" + m[2] + "-" + m[3]
}
