package config

import (
	"github.com/archivist-project/archivist/extract"
)

// PageTypes are the thresholds of the extractor's page-type rule
// (extract.PageTypeRules; README: Extraction, Page type). They decide
// which pages are archived as articles and which are followed as
// listings, by every command that extracts: crawl, serve, extract and
// reextract. The section is top level rather than under crawl because
// it is not a fetching setting: `extract` and `reextract` fetch nothing
// yet classify with it too.
type PageTypes struct {
	// NotFoundMaxWords: a page whose title or first heading says "page
	// not found" is "other" below this many words (0 turns the rule off).
	NotFoundMaxWords int `yaml:"not_found_max_words"`
	// ListingTeasers: a body with the linked headlines of this many
	// stories is a listing, unless the page declares itself an article;
	// then ListingTeasersDeclared are needed, with at most
	// ListingWordsPerTeaser words per story.
	ListingTeasers         int `yaml:"listing_teasers"`
	ListingTeasersDeclared int `yaml:"listing_teasers_declared"`
	ListingWordsPerTeaser  int `yaml:"listing_words_per_teaser"`
	// ListingLinkDensity and ListingLinkedStories: a body with this share
	// of its text in links, to this many stories, is a listing.
	ListingLinkDensity   float64 `yaml:"listing_link_density"`
	ListingLinkedStories int     `yaml:"listing_linked_stories"`
	// VideoMaxWords: a page declaring itself a video is "other" below
	// this many words (0 turns the rule off).
	VideoMaxWords int `yaml:"video_max_words"`
	// MinArticleWords: a shorter page is "other"; one that declares
	// itself an article needs only MinDeclaredArticleWords.
	MinArticleWords         int `yaml:"min_article_words"`
	MinDeclaredArticleWords int `yaml:"min_declared_article_words"`
}

// pageTypesFrom is the section holding r; Default uses it so that an
// unset key keeps the extractor's own default, whatever it is tuned to.
func pageTypesFrom(r extract.PageTypeRules) PageTypes {
	return PageTypes{
		NotFoundMaxWords:        r.NotFoundMaxWords,
		ListingTeasers:          r.ListingTeasers,
		ListingTeasersDeclared:  r.ListingTeasersDeclared,
		ListingWordsPerTeaser:   r.ListingWordsPerTeaser,
		ListingLinkDensity:      r.ListingLinkDensity,
		ListingLinkedStories:    r.ListingLinkedStories,
		VideoMaxWords:           r.VideoMaxWords,
		MinArticleWords:         r.MinArticleWords,
		MinDeclaredArticleWords: r.MinDeclaredArticleWords,
	}
}

// Rules returns the extractor's form of the section.
func (p PageTypes) Rules() extract.PageTypeRules {
	return extract.PageTypeRules{
		NotFoundMaxWords:        p.NotFoundMaxWords,
		ListingTeasers:          p.ListingTeasers,
		ListingTeasersDeclared:  p.ListingTeasersDeclared,
		ListingWordsPerTeaser:   p.ListingWordsPerTeaser,
		ListingLinkDensity:      p.ListingLinkDensity,
		ListingLinkedStories:    p.ListingLinkedStories,
		VideoMaxWords:           p.VideoMaxWords,
		MinArticleWords:         p.MinArticleWords,
		MinDeclaredArticleWords: p.MinDeclaredArticleWords,
	}
}

// maxWords bounds the word thresholds: far above any page the rule is
// tuned on, low enough to catch a slipped digit.
const maxWords = 100000

// validatePageTypes checks the page_types section. The bounds keep each
// threshold where the rule still means something: one linked headline is
// a "read also" box in an article, not a listing, and a link density of
// a few percent would make most articles listings.
func (c *Config) validatePageTypes(bad func(field, format string, args ...any)) {
	p := &c.PageTypes
	words := func(key string, v int, hint string) {
		if v < 0 || v > maxWords {
			bad("page_types."+key, "%d is out of range: use 0 (%s) to %d", v, hint, maxWords)
		}
	}
	words("not_found_max_words", p.NotFoundMaxWords, "turns the not-found rule off")
	words("video_max_words", p.VideoMaxWords, "turns the video rule off")
	words("min_article_words", p.MinArticleWords, "no minimum")
	if p.ListingTeasers < 2 || p.ListingTeasers > 100 {
		bad("page_types.listing_teasers", "%d is out of range: use 2 to 100 (default 3); one linked headline is a \"read also\" box, not a listing", p.ListingTeasers)
	}
	if p.ListingTeasersDeclared < max(p.ListingTeasers, 2) || p.ListingTeasersDeclared > 100 {
		bad("page_types.listing_teasers_declared", "%d is out of range: use page_types.listing_teasers (%d) to 100 (default 5); a page declaring itself an article needs more headlines to be a listing, not fewer", p.ListingTeasersDeclared, p.ListingTeasers)
	}
	if p.ListingWordsPerTeaser < 1 || p.ListingWordsPerTeaser > 10000 {
		bad("page_types.listing_words_per_teaser", "%d is out of range: use 1 to 10000 (default 150)", p.ListingWordsPerTeaser)
	}
	// Written as a negated range so that .nan is refused too.
	if !(p.ListingLinkDensity >= 0.1 && p.ListingLinkDensity <= 1) {
		bad("page_types.listing_link_density", "%v is out of range: use a share from 0.1 to 1 (default 0.5)", p.ListingLinkDensity)
	}
	if p.ListingLinkedStories < 2 || p.ListingLinkedStories > 1000 {
		bad("page_types.listing_linked_stories", "%d is out of range: use 2 to 1000 (default 5)", p.ListingLinkedStories)
	}
	if p.MinDeclaredArticleWords < 0 || p.MinDeclaredArticleWords > p.MinArticleWords {
		bad("page_types.min_declared_article_words", "%d is out of range: use 0 to page_types.min_article_words (%d); a page declaring itself an article may be shorter, not longer (default 20)", p.MinDeclaredArticleWords, p.MinArticleWords)
	}
}
