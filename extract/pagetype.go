package extract

import (
	"net/url"
	"regexp"
	"strings"
)

// Page types.
const (
	PageArticle = "article"
	PageListing = "listing"
	PageOther   = "other"
)

// notFoundTitle matches the titles and headings of error pages in the
// languages Archivist meets most.
var notFoundTitle = regexp.MustCompile(`(?i)\b404\b|page not found|not be found|cannot be found|can't be found|could not be found|page (?:does not|doesn't) exist|no longer available|page unavailable|nicht gefunden|introuvable|no encontrada|non trovata|não encontrada|niet gevonden|^error\b|^not found$`)

// notFoundWords are literals one of which every alternative of
// notFoundTitle needs (see mayContainFold).
var notFoundWords = []string{"404", "found", "exist", "available", "gefunden", "introuvable", "encontrada", "trovata", "gevonden", "error"}

// PageTypeRules are the thresholds of the page-type rule (see
// classifyPage). Start from DefaultPageTypeRules and change what needs
// changing: a zero field means zero, not "default".
type PageTypeRules struct {
	// NotFoundMaxWords: a page whose title or first heading says "page
	// not found" (or an equivalent) is "other" below this many words.
	NotFoundMaxWords int `json:"not_found_max_words"`
	// ListingTeasers: a body holding the linked headlines of at least
	// this many stories is a listing, unless the page declares itself an
	// article; then ListingTeasersDeclared are needed, with no more than
	// ListingWordsPerTeaser words per story on average.
	ListingTeasers         int `json:"listing_teasers"`
	ListingTeasersDeclared int `json:"listing_teasers_declared"`
	ListingWordsPerTeaser  int `json:"listing_words_per_teaser"`
	// ListingLinkDensity and ListingLinkedStories: a body with at least
	// this share of its text in links, to at least this many stories, is
	// a listing.
	ListingLinkDensity   float64 `json:"listing_link_density"`
	ListingLinkedStories int     `json:"listing_linked_stories"`
	// VideoMaxWords: a page that declares itself a video (og:type
	// video.*, or a JSON-LD VideoObject and no article) is "other" below
	// this many words; 0 turns the rule off.
	VideoMaxWords int `json:"video_max_words"`
	// MinArticleWords: a page under this many words is "other", or under
	// MinDeclaredArticleWords when it declares itself an article (a news
	// brief, or a teaser behind a paywall, is short).
	MinArticleWords         int `json:"min_article_words"`
	MinDeclaredArticleWords int `json:"min_declared_article_words"`
}

// DefaultPageTypeRules returns the thresholds Archivist uses, tuned on the
// 181 real pages of the extraction benchmark and the demo site's listings.
func DefaultPageTypeRules() PageTypeRules {
	return PageTypeRules{
		NotFoundMaxWords:        400,
		ListingTeasers:          3,
		ListingTeasersDeclared:  5,
		ListingWordsPerTeaser:   150,
		ListingLinkDensity:      0.5,
		ListingLinkedStories:    5,
		VideoMaxWords:           150,
		MinArticleWords:         50,
		MinDeclaredArticleWords: 20,
	}
}

// pageSignals are the measurements the page type is decided on.
type pageSignals struct {
	// articleMarkup: the page declares itself an article (JSON-LD article
	// type, og:type=article or an article:published_time).
	articleMarkup bool
	// listingMarkup: JSON-LD says CollectionPage, ItemList or
	// SearchResultsPage and names no article.
	listingMarkup bool
	// videoMarkup: og:type is video.*, or JSON-LD describes a VideoObject
	// and no article.
	videoMarkup bool
	notFound    bool
	words       int
	// bodyLinkDensity is the share of the extracted body's text inside
	// links; pageLinkShare the same for the whole page.
	bodyLinkDensity, pageLinkShare float64
	// teaserHeadlines counts distinct story-like URLs linked from
	// headings inside the extracted body.
	teaserHeadlines int
	// bodyStoryLinks and pageStoryLinks count distinct story-like URLs
	// linked from the body and from the whole page (the latter is only
	// counted when rule 5 can use it).
	bodyStoryLinks, pageStoryLinks int
}

// classifyPage decides the page type. The rule, in order (thresholds from
// PageTypeRules, defaults in brackets):
//
//  1. other: the title or first heading says "page not found" (or an
//     equivalent) and the body is short (under NotFoundMaxWords [400]);
//  2. listing: the body holds the linked headlines of at least
//     ListingTeasers [3] stories and the page does not declare itself an
//     article; or of at least ListingTeasersDeclared [5] stories with no
//     more than ListingWordsPerTeaser [150] words per story on average (a
//     how-to article whose section headings link elsewhere has far more);
//  3. listing: the body is mostly links (link density ≥
//     ListingLinkDensity [0.5]) to at least ListingLinkedStories [5]
//     stories;
//  4. listing: JSON-LD declares a collection (and at least 5 stories are
//     linked), or readability found next to no text (under 50 words) on a
//     page that does not declare itself an article and whose text is
//     mostly links (≥ 40 %) to at least 10 stories;
//  5. other: the page declares itself a video and has under
//     VideoMaxWords [150] words;
//  6. other: the body has under MinArticleWords [50] words (under
//     MinDeclaredArticleWords [20] for a page that declares itself an
//     article: a news brief is short);
//  7. article otherwise.
func classifyPage(s pageSignals, r PageTypeRules) string {
	switch {
	case s.notFound && s.words < r.NotFoundMaxWords:
		return PageOther
	case s.teaserHeadlines >= r.ListingTeasers && !s.articleMarkup,
		s.teaserHeadlines >= r.ListingTeasersDeclared && s.words <= r.ListingWordsPerTeaser*s.teaserHeadlines:
		return PageListing
	case s.bodyLinkDensity >= r.ListingLinkDensity && s.bodyStoryLinks >= r.ListingLinkedStories:
		return PageListing
	case s.listingMarkup && s.pageStoryLinks >= 5,
		s.words < 50 && s.pageLinkShare >= 0.4 && s.pageStoryLinks >= 10 && !s.articleMarkup:
		return PageListing
	case s.videoMarkup && s.words < r.VideoMaxWords:
		return PageOther
	case s.words < r.MinDeclaredArticleWords, s.words < r.MinArticleWords && !s.articleMarkup:
		return PageOther
	}
	return PageArticle
}

// measurePage gathers the page signals.
func measurePage(page *pageScan, ld ldInfo, body contentInfo, words int, links []Link, pageURL *url.URL, canonical string) pageSignals {
	s := pageSignals{
		articleMarkup: ld.articleType != "" ||
			strings.EqualFold(firstMeta(page, "og:type"), "article") ||
			firstMeta(page, "article:published_time") != "",
		listingMarkup: ld.listing && ld.articleType == "",
		videoMarkup:   strings.HasPrefix(strings.ToLower(firstMeta(page, "og:type")), "video") || (ld.video && ld.articleType == ""),
		words:         words,
	}
	for _, t := range append([]string{page.title, firstMeta(page, "og:title")}, page.h1...) {
		if mayContainFold(t, notFoundWords...) && notFoundTitle.MatchString(strings.TrimSpace(t)) {
			s.notFound = true
		}
	}
	if body.textRunes > 0 {
		s.bodyLinkDensity = float64(body.linkRunes) / float64(body.textRunes)
	}
	if page.textRunes > 0 {
		s.pageLinkShare = float64(page.linkRunes) / float64(page.textRunes)
	}
	self := map[string]bool{pageURL.String(): true, canonical: true}
	isStory := func(raw string) bool {
		if self[raw] {
			return false
		}
		u, err := url.Parse(raw)
		return err == nil && looksLikeArticleURL(u)
	}
	for u := range body.headingLinks {
		if isStory(u) {
			s.teaserHeadlines++
		}
	}
	for u := range body.hrefs {
		if isStory(u) {
			s.bodyStoryLinks++
		}
	}
	// Only rule 4 reads the page's story links, and only for pages that
	// declare a collection or have next to no body: parsing every URL of
	// a page with thousands of links is not worth it otherwise.
	if s.listingMarkup || s.words < 50 {
		for _, l := range links {
			if isStory(l.URL) {
				s.pageStoryLinks++
			}
		}
	}
	return s
}
