package extract

import (
	"testing"
)

// TestLinksMatchExtract: on every benchmark page, Links returns exactly
// Extract's Result.Links less the InArticle flags, which only the
// readability pass can set.
func TestLinksMatchExtract(t *testing.T) {
	pages := loadRealPages(t)
	if len(pages) != 181 {
		t.Fatalf("%d benchmark pages, want 181", len(pages))
	}
	total, inArticle := 0, 0
	for _, p := range pages {
		opts := Options{URL: p.url, ContentType: "text/html"}
		res, err := Extract(p.html, opts)
		if err != nil {
			t.Fatalf("%s: Extract: %v", p.id, err)
		}
		got, err := Links(p.html, opts)
		if err != nil {
			t.Fatalf("%s: Links: %v", p.id, err)
		}
		if len(got) != len(res.Links) {
			t.Errorf("%s: Links found %d links, Extract %d", p.id, len(got), len(res.Links))
			continue
		}
		for i, l := range res.Links {
			if l.InArticle {
				inArticle++
			}
			l.InArticle = false
			if got[i] != l {
				t.Errorf("%s: link %d = %+v, Extract's %+v", p.id, i, got[i], l)
				break
			}
		}
		total += len(got)
	}
	// The comparison covers real link lists, in-article links among them.
	if total < 181*10 || inArticle == 0 {
		t.Errorf("%d links compared, %d in articles: the pages did not load as expected", total, inArticle)
	}
}

// TestLinksRefusesWhatExtractRefuses: Links fails on the inputs Extract
// fails on before its readability pass, and resolves against <base href>.
func TestLinksRefusesWhatExtractRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		body string
		opts Options
	}{
		"empty":        {" \n", Options{URL: "http://a.test/"}},
		"relative URL": {"<p>x</p>", Options{URL: "/page"}},
		"plain text":   {"just words, no tags", Options{URL: "http://a.test/"}},
		"binary":       {"%PDF-1.7\x00\x01", Options{URL: "http://a.test/", ContentType: "application/pdf"}},
	} {
		_, errExtract := Extract([]byte(tc.body), tc.opts)
		links, err := Links([]byte(tc.body), tc.opts)
		if errExtract == nil || err == nil || links != nil {
			t.Errorf("%s: Extract error %v, Links error %v and %d links; want both to fail", name, errExtract, err, len(links))
		}
	}
	page := `<html><head><base href="https://cdn.test/news/"></head><body>
<a href="story#top">Story</a> <a href="mailto:x@a.test">Mail</a> <a href="/story"><img alt="thumb"></a> <a href="HTTPS://CDN.test/news/story">Again</a></body></html>`
	links, err := Links([]byte(page), Options{URL: "http://a.test/"})
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 2 || links[0] != (Link{URL: "https://cdn.test/news/story", Text: "Story"}) || links[1] != (Link{URL: "https://cdn.test/story", Text: "thumb"}) {
		t.Errorf("links = %+v", links)
	}
}

// BenchmarkLinks runs Links over the benchmark pages in turn; compare
// with BenchmarkExtract, which does the same parse plus readability.
func BenchmarkLinks(b *testing.B) {
	pages := loadRealPages(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p := pages[i%len(pages)]
		if _, err := Links(p.html, Options{URL: p.url}); err != nil {
			b.Fatalf("%s: %v", p.id, err)
		}
	}
}
