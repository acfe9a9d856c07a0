package extract

import (
	"net/url"
)

// buildArticle picks each Article field from the best of its sources,
// keeping every candidate as evidence. partWords is the size of the part
// the JSON-LD declares paywalled (-1 when unknown).
func buildArticle(page *pageScan, ld ldInfo, partWords int, pageURL, base *url.URL, read readResult, body contentInfo, links []Link, opts Options) Article {
	siteName, evSite := pickSiteName(page, ld)
	siteNames := siteNameVariants(siteName, ld, pageURL)

	title, evTitle := pickTitle(page, ld, read.title, siteNames, opts.Hints)
	// The cleaning drops subscription prompts and consent notices, so
	// what they say about a wall is read first.
	walls := readWallSignals(body.paras)
	finishText(&body, title)
	authors, evAuthors := pickAuthors(page, ld, read.byline, siteNames)
	section, evSection := pickSection(page, ld)
	image, evImage := pickImage(page, ld, base)
	art := Article{
		URL:          opts.URL,
		CanonicalURL: pickCanonical(page, pageURL, base),
		Title:        title,
		Authors:      authors,
		SiteName:     siteName,
		Description:  pickDescription(page, ld),
		Section:      section,
		Tags:         pickTags(page, ld),
		Image:        image,
		Text:         body.text,
		WordCount:    countWords(body.text),
		Extractor:    Component{Name: Name, Version: Version},
	}
	dates := pickDates(page, ld, pageURL, opts)
	art.Published, art.Modified = dates.published, dates.modified
	language, evLanguage := pickLanguage(page, ld, opts.Hints, &art)
	art.Language = language

	rules := DefaultPageTypeRules()
	if opts.PageTypes != nil && *opts.PageTypes != rules {
		rules = *opts.PageTypes
		art.PageTypeRules = &rules
	}
	signals := measurePage(page, ld, body, art.WordCount, links, pageURL, art.CanonicalURL)
	art.PageType = classifyPage(signals, rules)
	if art.PageType == PageListing && dates.publishedGuessed {
		// The first <time> of a listing dates its first teaser, not the
		// page.
		art.Published = nil
		dates.evPublished.reject(dates.publishedIndex, "a listing page: its first date belongs to a teaser, not to the page")
		dates.evPublished.Chosen, dates.evPublished.Source = "", ""
	}
	if paywalled, reason := decideWall(page, ld, walls, partWords, art.WordCount, art.Title); paywalled && (art.PageType == PageArticle || reason[0] == 'c') {
		art.Paywalled, art.PaywallReason = true, reason
	}
	art.Evidence = map[string]*Evidence{
		FieldTitle:     evTitle,
		FieldAuthors:   evAuthors,
		FieldPublished: dates.evPublished,
		FieldModified:  dates.evModified,
		FieldLanguage:  evLanguage,
		FieldSection:   evSection,
		FieldSiteName:  evSite,
		FieldImage:     evImage,
	}
	return art
}
