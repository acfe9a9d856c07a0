package config

import (
	"testing"
	"time"

	"github.com/archivist-project/archivist/crawler"
	"github.com/archivist-project/archivist/crawler/daemon"
	"github.com/archivist-project/archivist/extract"
)

// knobsYAML sets every key of crawl's robots, Retry-After and cookie
// limits, serve.retry and page_types to a value other than its default.
const knobsYAML = `crawl:
  robots_ttl: 6h
  max_crawl_delay: 0s
  max_retry_after: 2h
  cookie_lifetime: 30m
serve:
  retry: {base: 30s, max: 2h, max_attempts: 5, jitter: 0.1}
page_types:
  not_found_max_words: 300
  listing_teasers: 4
  listing_teasers_declared: 6
  listing_words_per_teaser: 120
  listing_link_density: 0.6
  listing_linked_stories: 7
  video_max_words: 0
  min_article_words: 80
  min_declared_article_words: 30
`

// TestKnobsParse: each new key parses and reaches the library's form of
// its section.
func TestKnobsParse(t *testing.T) {
	c := Default()
	if err := Parse([]byte(knobsYAML), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	cr := c.Crawl
	if time.Duration(cr.RobotsTTL) != 6*time.Hour || cr.MaxCrawlDelay != 0 || time.Duration(cr.MaxRetryAfter) != 2*time.Hour ||
		cr.CookieLifetime == nil || time.Duration(*cr.CookieLifetime) != 30*time.Minute {
		t.Errorf("crawl = %+v", cr)
	}
	if got, want := c.Serve.Retry.Policy(), (daemon.RetryPolicy{Base: 30 * time.Second, Max: 2 * time.Hour, MaxAttempts: 5, Jitter: 0.1}); got != want {
		t.Errorf("serve.retry = %+v, want %+v", got, want)
	}
	want := extract.PageTypeRules{
		NotFoundMaxWords: 300, ListingTeasers: 4, ListingTeasersDeclared: 6, ListingWordsPerTeaser: 120,
		ListingLinkDensity: 0.6, ListingLinkedStories: 7, VideoMaxWords: 0, MinArticleWords: 80, MinDeclaredArticleWords: 30,
	}
	if got := c.PageTypes.Rules(); got != want {
		t.Errorf("page_types = %+v, want %+v", got, want)
	}
}

// TestKnobsDefaults: unset keys are the libraries' defaults exactly, and
// setting one key of a section keeps the others.
func TestKnobsDefaults(t *testing.T) {
	c := Default()
	cc := crawler.DefaultConfig()
	if time.Duration(c.Crawl.RobotsTTL) != cc.RobotsTTL || time.Duration(c.Crawl.MaxCrawlDelay) != cc.MaxCrawlDelay ||
		time.Duration(c.Crawl.MaxRetryAfter) != cc.MaxRetryAfter || c.Crawl.CookieLifetime != nil {
		t.Errorf("crawl defaults %+v, want the crawler's %+v", c.Crawl, cc)
	}
	if got, want := c.Serve.Retry.Policy(), daemon.DefaultRetryPolicy(); got != want {
		t.Errorf("serve.retry default %+v, want %+v", got, want)
	}
	if got, want := c.PageTypes.Rules(), extract.DefaultPageTypeRules(); got != want {
		t.Errorf("page_types default %+v, want %+v", got, want)
	}
	if err := Parse([]byte("serve:\n  retry:\n    max_attempts: 3\npage_types:\n  min_article_words: 70\n"), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	wantRetry := daemon.DefaultRetryPolicy()
	wantRetry.MaxAttempts = 3
	if got := c.Serve.Retry.Policy(); got != wantRetry {
		t.Errorf("serve.retry with max_attempts only: %+v, want %+v", got, wantRetry)
	}
	wantRules := extract.DefaultPageTypeRules()
	wantRules.MinArticleWords = 70
	if got := c.PageTypes.Rules(); got != wantRules {
		t.Errorf("page_types with min_article_words only: %+v, want %+v", got, wantRules)
	}
	// 0 is a value of its own for cookie_lifetime (one jar for the whole
	// process), not "unset".
	if err := Parse([]byte("crawl:\n  cookie_lifetime: 0s\n"), &c); err != nil || c.Crawl.CookieLifetime == nil || *c.Crawl.CookieLifetime != 0 {
		t.Errorf("cookie_lifetime: 0s gives %v, %v", c.Crawl.CookieLifetime, err)
	}
}

// TestKnobsValidation is the table of bad values and unknown sub-keys:
// each names its key, its line and what to write.
func TestKnobsValidation(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, field, line, hint string
	}{
		{"robots ttl long", "crawl:\n  robots_ttl: 48h\n", "crawl.robots_ttl", "line 2", "1m to 24h"},
		{"robots ttl zero", "crawl:\n  depth: 1\n  robots_ttl: 0s\n", "crawl.robots_ttl", "line 3", "1m to 24h"},
		{"robots ttl typo", "crawl:\n  robots_tll: 1h\n", "robots_tll", "line 2", "not found"},
		{"robots ttl not a duration", "crawl:\n  robots_ttl: daily\n", "", "line 2", "not a duration"},
		{"crawl delay negative", "crawl:\n  max_crawl_delay: -1s\n", "crawl.max_crawl_delay", "line 2", "0 (honour any Crawl-delay) to 24h"},
		{"retry after short", "crawl:\n  max_retry_after: 5s\n", "crawl.max_retry_after", "line 2", "at least 1m, or 0"},
		{"retry after long", "crawl:\n  max_retry_after: 720h\n", "crawl.max_retry_after", "line 2", "168h"},
		{"cookies short", "crawl:\n  cookie_lifetime: 10s\n", "crawl.cookie_lifetime", "line 2", "at least 1m"},
		{"cookies negative", "crawl:\n  cookie_lifetime: -1h\n", "crawl.cookie_lifetime", "line 2", "at least 1m"},
		{"retry base", "serve:\n  retry:\n    base: 10ms\n", "serve.retry.base", "line 3", "1s to 1h"},
		{"retry max below base", "serve:\n  retry: {base: 10m, max: 5m}\n", "serve.retry.max", "line 2", "serve.retry.base (10m)"},
		{"retry max long", "serve:\n  retry:\n    max: 720h\n", "serve.retry.max", "line 3", "168h"},
		{"retry attempts", "serve:\n  retry:\n    max_attempts: 0\n", "serve.retry.max_attempts", "line 3", "1 (no retry) to 100"},
		{"retry jitter", "serve:\n  retry:\n    jitter: 1.5\n", "serve.retry.jitter", "line 3", "0 (no spread) to 0.9"},
		{"retry jitter nan", "serve:\n  retry:\n    jitter: .nan\n", "serve.retry.jitter", "line 3", "0 (no spread) to 0.9"},
		{"retry typo", "serve:\n  retry:\n    attempts: 3\n", "attempts", "line 3", "not found"},
		{"retry not a number", "serve:\n  retry:\n    max_attempts: many\n", "", "line 3", "many"},
		{"teasers", "page_types:\n  listing_teasers: 1\n", "page_types.listing_teasers", "line 2", "2 to 100"},
		{"teasers declared", "page_types:\n  listing_teasers: 6\n", "page_types.listing_teasers_declared", "line 1", "page_types.listing_teasers (6) to 100"},
		{"words per teaser", "page_types:\n  listing_words_per_teaser: 0\n", "page_types.listing_words_per_teaser", "line 2", "1 to 10000"},
		{"link density", "page_types:\n  listing_link_density: 0.01\n", "page_types.listing_link_density", "line 2", "0.1 to 1"},
		{"link density nan", "page_types:\n  listing_link_density: .nan\n", "page_types.listing_link_density", "line 2", "0.1 to 1"},
		{"linked stories", "page_types:\n  listing_linked_stories: 1\n", "page_types.listing_linked_stories", "line 2", "2 to 1000"},
		{"not found words", "page_types:\n  not_found_max_words: -1\n", "page_types.not_found_max_words", "line 2", "turns the not-found rule off"},
		{"video words", "page_types:\n  video_max_words: 1000000\n", "page_types.video_max_words", "line 2", "turns the video rule off"},
		{"declared above min", "page_types:\n  min_article_words: 40\n  min_declared_article_words: 60\n", "page_types.min_declared_article_words", "line 3", "page_types.min_article_words (40)"},
		{"page types typo", "page_types:\n  min_words: 10\n", "min_words", "line 2", "not found"},
		{"page types not a section", "page_types: strict\n", "", "line 1", "strict"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantConfigError(t, tc.yaml, tc.field, tc.line, tc.hint) })
	}
}
