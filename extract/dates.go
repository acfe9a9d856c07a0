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

// dateChoice is the outcome of pickDates.
type dateChoice struct {
	published, modified *time.Time
	// publishedGuessed is set when the publication date was not declared
	// as such but read from a plain <time> in the article or from the URL.
	publishedGuessed bool
}

// pickDates chooses the published and modified dates. For each, the first
// candidate that parses and is not later than the fetch (plus clockSkew)
// wins; for the publication date a plain <time> in the article header and
// then the URL's date are the last resorts. A modification date earlier
// than the publication is bogus and skipped for the next candidate.
func pickDates(page *pageScan, ld ldInfo, pageURL *url.URL, fetchedAt time.Time) dateChoice {
	limit := time.Time{}
	if !fetchedAt.IsZero() {
		limit = fetchedAt.Add(clockSkew)
	}
	first := func(candidates []string, notBefore *time.Time) *time.Time {
		for _, c := range candidates {
			t, ok := parseDate(c)
			if !ok || (!limit.IsZero() && t.After(limit)) || (notBefore != nil && t.Before(*notBefore)) {
				continue
			}
			return &t
		}
		return nil
	}

	var choice dateChoice
	declared, guessed := timeValues(page, "datepublished")
	pub := append([]string{ld.published}, metaValues(page, publishedMetaKeys)...)
	choice.published = first(append(pub, declared...), nil)
	if choice.published == nil {
		choice.published = first(guessed, nil)
		if choice.published == nil {
			choice.published = urlDate(pageURL, limit)
		}
		choice.publishedGuessed = choice.published != nil
	}

	declared, _ = timeValues(page, "datemodified")
	mod := append([]string{ld.modified}, metaValues(page, modifiedMetaKeys)...)
	choice.modified = first(append(mod, declared...), choice.published)
	return choice
}

// timeValues lists the <time> values for a microdata property: declared
// ones carry the property (or, for the publication date, the pubdate
// attribute); guessed ones are the first plain <time> inside the article
// or its header, which usually shows the story's date.
func timeValues(page *pageScan, itemprop string) (declared, guessed []string) {
	for _, t := range page.times {
		switch {
		case t.itemprop == itemprop:
			declared = append(declared, t.value)
		case itemprop == "datepublished" && t.pubdate:
			declared = append(declared, t.value)
		case itemprop == "datepublished" && t.inArticle && t.itemprop == "" && len(guessed) == 0:
			guessed = append(guessed, t.value)
		}
	}
	return declared, guessed
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
