package extract

import (
	"net/url"
	"strings"
)

// buildArticle picks each Article field from the best of its sources.
func buildArticle(page *pageScan, pageURL, base *url.URL, read readResult, body contentInfo, links []Link, opts Options) Article {
	ld := parseJSONLD(page.jsonLD)
	siteName := pickSiteName(page, ld)
	siteNames := siteNameVariants(siteName, ld, pageURL)

	title := pickTitle(page, ld, read.title, siteNames)
	finishText(&body, title)
	art := Article{
		URL:          opts.URL,
		CanonicalURL: pickCanonical(page, pageURL, base),
		Title:        title,
		Authors:      pickAuthors(page, ld, read.byline, siteNames),
		SiteName:     siteName,
		Language:     pickLanguage(page, ld),
		Description:  pickDescription(page, ld),
		Section:      pickSection(page, ld),
		Tags:         pickTags(page, ld),
		Image:        pickImage(page, ld, base),
		Text:         body.text,
		WordCount:    countWords(body.text),
		Extractor:    Component{Name: Name, Version: Version},
	}
	dates := pickDates(page, ld, pageURL, opts.FetchedAt)
	art.Published, art.Modified = dates.published, dates.modified
	if art.Language == "" {
		sample := art.Text
		if art.WordCount < 30 {
			sample = strings.Join([]string{art.Title, art.Description, art.Text}, "\n")
		}
		art.Language = detectLanguage(sample)
	}
	signals := measurePage(page, ld, body, art.WordCount, links, pageURL, art.CanonicalURL)
	art.PageType = classifyPage(signals)
	if art.PageType == PageListing && dates.publishedGuessed {
		// The first <time> of a listing dates its first teaser, not the
		// page.
		art.Published = nil
	}
	return art
}
