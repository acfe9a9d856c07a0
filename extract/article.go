package extract

import "time"

// Article is what Archivist keeps of a page besides its raw bytes: clean
// text and metadata. Times are UTC; absent values are omitted in JSON.
type Article struct {
	URL          string     `json:"url"`
	CanonicalURL string     `json:"canonical_url,omitempty"`
	Title        string     `json:"title"`
	Authors      []string   `json:"authors"`
	Published    *time.Time `json:"published,omitempty"`
	Modified     *time.Time `json:"modified,omitempty"`
	SiteName     string     `json:"site_name,omitempty"`
	Language     string     `json:"language,omitempty"`
	Description  string     `json:"description,omitempty"`
	Section      string     `json:"section,omitempty"`
	Tags         []string   `json:"tags"`
	Image        string     `json:"image,omitempty"`
	// Text is plain text, paragraphs separated by a blank line.
	Text      string `json:"text"`
	WordCount int    `json:"word_count"`
	// PageType is "article", "listing" (a page of links: topic, section,
	// tag or home page) or "other" (error pages, video pages, forms...).
	PageType string `json:"page_type"`
	// Paywalled is set when a paywall cut the text short or a consent
	// wall stands in for the article; PaywallReason names the signal, and
	// starts with "paywall:" or "consent wall:".
	Paywalled     bool   `json:"paywalled"`
	PaywallReason string `json:"paywall_reason,omitempty"`
	// Extractor names the software that produced this record.
	Extractor Component `json:"extractor"`
	// PageTypeRules are the page-type thresholds used when they were not
	// DefaultPageTypeRules (an operator's page_types): the version alone
	// would not tell how PageType was decided.
	PageTypeRules *PageTypeRules `json:"page_type_rules,omitempty"`
	// Evidence holds, for each metadata field (the Field* names), every
	// candidate value found with its source, and the choice made, so a
	// reader can see why the field has its value.
	Evidence map[string]*Evidence `json:"evidence,omitempty"`
}

// Component names a piece of software and its version.
type Component struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Link is one hyperlink found on a page.
type Link struct {
	URL  string `json:"url"`            // absolute, resolved against the page (and <base href>)
	Text string `json:"text,omitempty"` // anchor text, whitespace collapsed
	Rel  string `json:"rel,omitempty"`  // rel attribute, e.g. "nofollow"
	// InArticle is true when the link sits inside the extracted article body.
	InArticle bool `json:"in_article,omitempty"`
}

// Options describe the page being extracted.
type Options struct {
	// URL is the page's final URL; relative links and the canonical URL are
	// resolved against it.
	URL string
	// ContentType is the HTTP Content-Type header, used for its charset.
	ContentType string
	// FetchedAt bounds dates: a published or modified date later than it
	// is rejected. The zero time sets no bound.
	FetchedAt time.Time
	// Hints are what the fetch and the discovery of the page say about
	// it: they join the page's own metadata as evidence.
	Hints Hints
	// PageTypes tunes the page-type rule; nil means DefaultPageTypeRules.
	PageTypes *PageTypeRules
}

// Hints are metadata from outside the page: the HTTP response and the
// feed or sitemap that listed the URL. Zero values are absent.
type Hints struct {
	// FeedDate is the item's date in the RSS or Atom feed that listed the
	// page; FeedTitle its title there (or in a news sitemap).
	FeedDate  *time.Time
	FeedTitle string
	// NewsPublicationDate is <news:publication_date> of a news sitemap.
	NewsPublicationDate *time.Time
	// SitemapLastmod is the page's <lastmod> in a sitemap.
	SitemapLastmod *time.Time
	// LastModified and ContentLanguage are the HTTP response headers, as
	// sent.
	LastModified    string
	ContentLanguage string
}

// Result is the outcome of extracting one page.
type Result struct {
	Article Article
	// Links are all links on the page, in document order, de-duplicated.
	Links []Link
}
