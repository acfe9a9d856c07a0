package extract

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestClassifyPage(t *testing.T) {
	cases := []struct {
		name string
		s    pageSignals
		want string
	}{
		{"plain article", pageSignals{articleMarkup: true, words: 800, bodyLinkDensity: 0.05}, PageArticle},
		{"article without markup", pageSignals{words: 600, bodyLinkDensity: 0.1}, PageArticle},
		{"short news brief with markup", pageSignals{articleMarkup: true, words: 35}, PageArticle},
		{"near empty", pageSignals{words: 10}, PageOther},
		{"short without markup", pageSignals{words: 40}, PageOther},
		{"404", pageSignals{notFound: true, words: 30}, PageOther},
		{"article mentioning 404 at length", pageSignals{notFound: true, articleMarkup: true, words: 900}, PageArticle},
		{"teasers without article markup", pageSignals{teaserHeadlines: 3, words: 400}, PageListing},
		{"many short teasers despite og:type article", pageSignals{articleMarkup: true, teaserHeadlines: 6, words: 600}, PageListing},
		{"how-to with linked section headings", pageSignals{articleMarkup: true, teaserHeadlines: 5, words: 1500}, PageArticle},
		{"link list body", pageSignals{bodyLinkDensity: 0.7, bodyStoryLinks: 12, words: 300}, PageListing},
		{"declared collection", pageSignals{listingMarkup: true, pageStoryLinks: 20, words: 200}, PageListing},
		{"portal with no body", pageSignals{words: 20, pageLinkShare: 0.8, pageStoryLinks: 40}, PageListing},
		{"paywalled article with many links", pageSignals{articleMarkup: true, words: 30, pageLinkShare: 0.8, pageStoryLinks: 40}, PageArticle},
		{"video page", pageSignals{videoMarkup: true, words: 80}, PageOther},
		{"video with a full story", pageSignals{videoMarkup: true, articleMarkup: true, words: 600}, PageArticle},
	}
	for _, c := range cases {
		if got := classifyPage(c.s, DefaultPageTypeRules()); got != c.want {
			t.Errorf("%s: classifyPage(%+v) = %q, want %q", c.name, c.s, got, c.want)
		}
	}
}

// The thresholds are the caller's to change.
func TestClassifyPageRules(t *testing.T) {
	brief := pageSignals{words: 40}
	if got := classifyPage(brief, DefaultPageTypeRules()); got != PageOther {
		t.Fatalf("default: %q", got)
	}
	r := DefaultPageTypeRules()
	r.MinArticleWords = 30
	if got := classifyPage(brief, r); got != PageArticle {
		t.Errorf("MinArticleWords 30: %q, want article", got)
	}
	video := pageSignals{videoMarkup: true, words: 80}
	r.VideoMaxWords = 0
	if got := classifyPage(video, r); got != PageArticle {
		t.Errorf("video rule off: %q, want article", got)
	}
	teasers := pageSignals{teaserHeadlines: 3, words: 400}
	r.ListingTeasers = 4
	if got := classifyPage(teasers, r); got != PageArticle {
		t.Errorf("ListingTeasers 4: %q, want article", got)
	}
}

func TestLooksLikeArticleURL(t *testing.T) {
	cases := map[string]bool{
		"https://x.example/2025/07/08/storm-hits-coast":                  true,
		"https://x.example/news/20250708/storm":                          true,
		"https://x.example/world/storm-hits-the-coast-overnight":         true,
		"https://x.example/world/asia/article-14848164.php":              true,
		"https://x.example/news/a12345678":                               true,
		"https://x.example/world/":                                       false,
		"https://x.example/":                                             false,
		"https://x.example/tag/storm-hits-the-coast-overnight":           false,
		"https://x.example/about-us":                                     false,
		"https://x.example/category/news/storm-hits-the-coast-overnight": false,
	}
	for raw, want := range cases {
		u := mustURL(t, raw)
		if got := looksLikeArticleURL(u); got != want {
			t.Errorf("looksLikeArticleURL(%s) = %v, want %v", raw, got, want)
		}
	}
}

// An Article says which thresholds classified it when they were not the
// defaults, so a dataset built with an operator's page_types can be told
// apart from one built with the defaults.
func TestArticleRecordsPageTypeRules(t *testing.T) {
	body := []byte(`<html><head><title>Brief</title></head><body><article><p>` +
		`Forty words of a short news brief about the harbour, the storm and the ferries that stopped running this morning; ` +
		`the port authority said service resumes tomorrow once the wind drops below the limit set for the crossing.</p></article></body></html>`)
	extractWith := func(r *PageTypeRules) *Article {
		t.Helper()
		res, err := Extract(body, Options{URL: "https://news.example/brief", PageTypes: r})
		if err != nil {
			t.Fatal(err)
		}
		return &res.Article
	}
	if a := extractWith(nil); a.PageTypeRules != nil {
		t.Errorf("default rules recorded: %+v", a.PageTypeRules)
	}
	def := DefaultPageTypeRules()
	if a := extractWith(&def); a.PageTypeRules != nil {
		t.Errorf("rules equal to the defaults recorded: %+v", a.PageTypeRules)
	}
	strict := DefaultPageTypeRules()
	strict.MinArticleWords = 1000
	a := extractWith(&strict)
	if a.PageTypeRules == nil || *a.PageTypeRules != strict {
		t.Fatalf("PageTypeRules = %+v, want %+v", a.PageTypeRules, strict)
	}
	if a.PageType != PageOther {
		t.Errorf("PageType with MinArticleWords 1000 = %q, want other", a.PageType)
	}
	js, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"page_type_rules":{"not_found_max_words":400,`) || !strings.Contains(string(js), `"min_article_words":1000`) {
		t.Errorf("JSON lacks the rules: %s", js)
	}
}
