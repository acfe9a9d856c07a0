package extract

import (
	"net/url"
	"strings"
	"time"

	"github.com/itlightning/dateparse"
)

// clockSkew is how far past the fetch time a published date may lie:
// publishers' clocks and time zones are off by hours, but a date a day
// ahead is a scheduled or bogus value.
const clockSkew = 24 * time.Hour

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

// pickDates chooses the published and modified dates. The first candidate
// that parses and is not in the future wins; the URL's date is the last
// resort. A modification before the publication is dropped as bogus.
func pickDates(page *pageScan, ld ldInfo, pageURL *url.URL, fetchedAt time.Time) (published, modified *time.Time) {
	limit := time.Time{}
	if !fetchedAt.IsZero() {
		limit = fetchedAt.Add(clockSkew)
	}
	accept := func(v string) *time.Time {
		t, ok := parseDate(v)
		if !ok || (!limit.IsZero() && t.After(limit)) {
			return nil
		}
		return &t
	}
	first := func(candidates []string) *time.Time {
		for _, c := range candidates {
			if t := accept(c); t != nil {
				return t
			}
		}
		return nil
	}

	pub := []string{ld.published}
	pub = append(pub, metaValues(page, publishedMetaKeys)...)
	pub = append(pub, timeValues(page, "datepublished")...)
	published = first(pub)
	if published == nil {
		published = urlDate(pageURL, limit)
	}

	mod := []string{ld.modified}
	mod = append(mod, metaValues(page, modifiedMetaKeys)...)
	mod = append(mod, timeValues(page, "datemodified")...)
	modified = first(mod)
	if modified != nil && published != nil && modified.Before(*published) {
		modified = nil
	}
	return published, modified
}

// timeValues lists <time> values for the given microdata property: first
// those that say so, then the publication-marked ones and those inside the
// article header, which name the story's date.
func timeValues(page *pageScan, itemprop string) []string {
	var marked, inArticle []string
	for _, t := range page.times {
		switch {
		case t.itemprop == itemprop:
			marked = append(marked, t.value)
		case itemprop == "datepublished" && t.pubdate:
			marked = append(marked, t.value)
		case itemprop == "datepublished" && t.inArticle && t.itemprop == "":
			inArticle = append(inArticle, t.value)
		}
	}
	if len(inArticle) > 1 {
		inArticle = inArticle[:1]
	}
	return append(marked, inArticle...)
}

func metaValues(page *pageScan, keys []string) []string {
	var out []string
	for _, k := range keys {
		out = append(out, page.meta[k]...)
	}
	return out
}

// urlDate reads a /2025/07/08/-style date from the page path.
func urlDate(u *url.URL, limit time.Time) *time.Time {
	m := urlDatePattern.FindStringSubmatch(u.Path)
	if m == nil || m[3] == "" {
		return nil
	}
	t, err := time.Parse("2006-01-02", m[1]+"-"+m[2]+"-"+m[3])
	if err != nil || (!limit.IsZero() && t.After(limit)) {
		return nil
	}
	return &t
}
