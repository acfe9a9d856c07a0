package extract

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzExtract feeds arbitrary bytes to Extract: it must never panic, and
// what it returns must keep the documented invariants. The seed corpus is
// in testdata/fuzz/FuzzExtract. Run with
//
//	go test ./extract -run XXX -fuzz FuzzExtract -fuzztime 60s
func FuzzExtract(f *testing.F) {
	f.Add([]byte(`<html><head><title>T</title></head><body><p>Hello, world.</p></body></html>`), "text/html")
	f.Add([]byte("\xEF\xBB\xBF<p>bom</p>"), "")
	f.Add([]byte("<meta charset=\"shift_jis\"><p>\x93\xfa\x96\x7b</p>"), "")
	f.Add([]byte(`<base href="//other.example/x/"><a href="../y#z">y</a><area href="javascript:1">`), "text/html; charset=utf-8")
	f.Add(storyHTML(`<script type="application/ld+json">{"@graph":[{"@type":"NewsArticle","author":{"@id":"a"}},{"@id":"a","name":"By A and B"}]}</script>`, storyParagraphs), "")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		const page = "https://fuzz.example/section/2025/07/08/story-slug"
		res, err := Extract(body, Options{URL: page, ContentType: contentType})
		if err != nil {
			if res != nil {
				t.Fatalf("result returned with error %v", err)
			}
			if !strings.Contains(err.Error(), page) && !errors.Is(err, ErrNotHTML) {
				t.Fatalf("error does not name the URL: %v", err)
			}
			return
		}
		a := res.Article
		for name, s := range map[string]string{"title": a.Title, "text": a.Text, "description": a.Description, "site": a.SiteName} {
			if !utf8.ValidString(s) {
				t.Fatalf("%s is not valid UTF-8: %q", name, s)
			}
		}
		if strings.TrimSpace(a.Text) != a.Text || strings.Contains(a.Text, "\n\n\n") {
			t.Fatalf("text not trimmed or paragraphs not separated by one blank line: %q", a.Text)
		}
		if a.WordCount != countWords(a.Text) {
			t.Fatalf("word count %d for %q", a.WordCount, a.Text)
		}
		switch a.PageType {
		case PageArticle, PageListing, PageOther:
		default:
			t.Fatalf("page type %q", a.PageType)
		}
		if a.Published != nil && a.Modified != nil && a.Modified.Before(*a.Published) {
			t.Fatalf("modified %v before published %v", a.Modified, a.Published)
		}
		seen := map[string]bool{}
		for _, l := range res.Links {
			u, err := url.Parse(l.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
				t.Fatalf("bad link URL %q", l.URL)
			}
			if seen[l.URL] {
				t.Fatalf("duplicate link %q", l.URL)
			}
			seen[l.URL] = true
		}
	})
}
