package extract

import (
	"reflect"
	"testing"
)

func TestParseJSONLDGraph(t *testing.T) {
	block := `{"@context": "https://schema.org", "@graph": [
	  {"@type": "WebSite", "name": "Example News"},
	  {"@type": "Person", "@id": "#p1", "name": "Jane Roe"},
	  {"@type": "Organization", "@id": "#org", "name": "Example News Ltd"},
	  {"@type": ["Article", "NewsArticle"], "headline": "A headline",
	   "author": [{"@id": "#p1"}, "John Doe", {"@type": "Person", "givenName": "Ann", "familyName": "Lee"}, {"@type": "Organization", "name": "Example Wire"}],
	   "publisher": {"@id": "#org"}, "datePublished": "2025-07-08", "dateModified": "2025-07-09",
	   "keywords": "one, two", "articleSection": ["World", "Asia"],
	   "image": [{"@type": "ImageObject", "contentUrl": "https://img.example/a.jpg"}],
	   "inLanguage": {"@type": "Language", "name": "English", "alternateName": "en"}}
	]}`
	got := parseJSONLD([]string{block})
	want := ldInfo{
		articleType: "article",
		headline:    "A headline", section: "World", image: "https://img.example/a.jpg", language: "en",
		authors:   []ldAuthor{{name: "Jane Roe"}, {name: "John Doe"}, {name: "Ann Lee"}, {name: "Example Wire", organization: true}},
		published: "2025-07-08", modified: "2025-07-09",
		publisher: "Example News Ltd", websiteName: "Example News",
		keywords: []string{"one", " two"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseJSONLD:\n got %+v\nwant %+v", got, want)
	}
}

func TestParseJSONLDTolerance(t *testing.T) {
	cases := map[string]string{
		"raw newline in string": "{\"@type\": \"NewsArticle\", \"headline\": \"Two\nlines\"}",
		"cdata wrapper":         "//<![CDATA[\n{\"@type\": \"NewsArticle\", \"headline\": \"Two lines\"}\n//]]>",
		"comment wrapper":       "<!-- {\"@type\": \"NewsArticle\", \"headline\": \"Two lines\"} -->",
		"schema.org URL type":   `{"@type": "http://schema.org/NewsArticle", "headline": "Two lines"}`,
		"after a broken block":  `{"@type": "NewsArticle", "headline": "Two lines"}`,
	}
	for name, block := range cases {
		got := parseJSONLD([]string{`{"broken": `, block})
		if got.articleType != "newsarticle" || collapseSpace(got.headline) != "Two lines" {
			t.Errorf("%s: got type %q headline %q", name, got.articleType, got.headline)
		}
	}
}

func TestParseJSONLDListing(t *testing.T) {
	got := parseJSONLD([]string{`{"@type": "CollectionPage", "name": "Topic", "mainEntity": {"@type": "ItemList", "itemListElement": [{"@type": "NewsArticle", "headline": "Teaser"}]}}`})
	if !got.listing || got.articleType != "" {
		t.Errorf("a collection page with article items: listing %v, article type %q", got.listing, got.articleType)
	}
}
