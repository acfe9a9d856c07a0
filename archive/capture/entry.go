package capture

import (
	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/crawler/urlnorm"
	"github.com/archivist-project/archivist/extract"
)

// NewEntry builds the catalog row of a capture from its stored records, so
// a crawl and a reindex produce the same row.
func NewEntry(p *archive.Provenance, a *extract.Article, provRef archive.ObjectRef) catalog.Entry {
	e := catalog.Entry{
		CaptureID:         p.CaptureID,
		URL:               normalizedOr(p.RequestedURL),
		FinalURL:          p.FinalURL,
		CanonicalURL:      a.CanonicalURL,
		URLKey:            urlnorm.Key(p.FinalURL),
		Host:              HostOf(p.FinalURL),
		FetchedAt:         p.FetchStart.UTC(),
		Status:            p.Status,
		ContentType:       mediaType(p.ContentType),
		PageType:          a.PageType,
		Title:             a.Title,
		Authors:           a.Authors,
		Published:         a.Published,
		SiteName:          a.SiteName,
		Language:          a.Language,
		Description:       a.Description,
		WordCount:         a.WordCount,
		Text:              a.Text,
		PayloadSHA256:     p.PayloadSHA256,
		Seed:              p.Seed,
		RunID:             p.CrawlRunID,
		Source:            p.Source,
		Tags:              p.Tags,
		Kind:              "response",
		Paywalled:         a.Paywalled,
		PreviousCaptureID: p.PreviousCaptureID,
		ExtractorVersion:  a.Extractor.Version,
		WARC:              p.Objects["warc"],
		Article:           p.Objects["article"],
		Provenance:        provRef,
	}
	if p.Revisit != nil {
		e.Kind = "revisit"
	}
	if a.CanonicalURL != "" {
		e.CanonicalKey = urlnorm.Key(a.CanonicalURL)
	}
	return e
}

func normalizedOr(u string) string {
	if n, err := urlnorm.Normalize(u); err == nil {
		return n
	}
	return u
}
