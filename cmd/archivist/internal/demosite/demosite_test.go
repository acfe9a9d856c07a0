package demosite

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/archivist-project/archivist/extract"
)

func get(t *testing.T, url string, hdr http.Header) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// TestLiveStoryChangesOnTheSiteClock: the developing story has a second
// edition once the site's clock passes LiveUpdateAfter, and the extractor
// sees the changed headline, byline, modified date and body.
func TestLiveStoryChangesOnTheSiteClock(t *testing.T) {
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	extractLive := func() extract.Article {
		resp, body := get(t, s.LiveURL(), nil)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		r, err := extract.Extract(body, extract.Options{URL: s.LiveURL(), ContentType: resp.Header.Get("Content-Type")})
		if err != nil {
			t.Fatal(err)
		}
		return r.Article
	}
	a1 := extractLive()
	if a1.PageType != "article" || a1.Title != LiveHeadline(1) || strings.Join(a1.Authors, ",") != "Ana Lima" {
		t.Errorf("edition 1: type %s title %q authors %v", a1.PageType, a1.Title, a1.Authors)
	}
	if again := extractLive(); again.Text != a1.Text {
		t.Error("the same edition served twice differs")
	}
	s.Advance(LiveUpdateAfter)
	if s.LiveEdition() != 2 || s.Now().Sub(time.Now()) < LiveUpdateAfter-time.Second {
		t.Fatalf("edition %d after Advance", s.LiveEdition())
	}
	a2 := extractLive()
	if a2.Title != LiveHeadline(2) || strings.Join(a2.Authors, ",") != "Ana Lima,Tom Becker" || a2.Text == a1.Text {
		t.Errorf("edition 2: title %q authors %v", a2.Title, a2.Authors)
	}
	if a2.Modified == nil || a2.Modified.Format(time.RFC3339) != "2025-07-08T18:30:00Z" {
		t.Errorf("edition 2 modified = %v", a2.Modified)
	}
}

// TestFeedsAndSitemaps parses the feeds with gofeed and checks the
// sitemaps, robots.txt and conditional GET.
func TestFeedsAndSitemaps(t *testing.T) {
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, rss := get(t, s.URL("daily8", RSSPath), nil)
	feed, err := gofeed.NewParser().ParseString(string(rss))
	if err != nil {
		t.Fatal(err)
	}
	if feed.FeedType != "rss" || len(feed.Items) != 6 || feed.Items[0].Link != s.LiveURL() || feed.Items[0].GUID != "wire-live-1" || feed.Items[0].PublishedParsed == nil {
		t.Errorf("rss: type %s, %d items, first %+v", feed.FeedType, len(feed.Items), feed.Items[0])
	}
	resp, atom := get(t, s.URL("wire", AtomPath), nil)
	feed, err = gofeed.NewParser().ParseString(string(atom))
	if err != nil {
		t.Fatal(err)
	}
	if feed.FeedType != "atom" || len(feed.Items) != 1 || feed.Items[0].Link != s.LiveURL() {
		t.Errorf("atom: %s %+v", feed.FeedType, feed.Items)
	}
	// Conditional GET: unchanged → 304; after the story changes → 200.
	etag := resp.Header.Get("ETag")
	if r, _ := get(t, s.URL("wire", AtomPath), http.Header{"If-None-Match": {etag}}); r.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET of an unchanged feed: %d", r.StatusCode)
	}
	s.Advance(LiveUpdateAfter)
	if r, _ := get(t, s.URL("wire", AtomPath), http.Header{"If-None-Match": {etag}}); r.StatusCode != http.StatusOK {
		t.Errorf("conditional GET of a changed feed: %d", r.StatusCode)
	}
	_, robots := get(t, s.URL("wire", "/robots.txt"), nil)
	if !strings.Contains(string(robots), "Sitemap: "+s.URL("wire", SitemapIndexPath)) {
		t.Errorf("robots.txt: %s", robots)
	}
	_, idx := get(t, s.URL("wire", SitemapIndexPath), nil)
	_, news := get(t, s.URL("wire", NewsSitemapPath), nil)
	if !strings.Contains(string(idx), "<loc>"+s.URL("wire", NewsSitemapPath)+"</loc>") ||
		!strings.Contains(string(news), "<news:publication_date>2025-07-08T14:00:00Z</news:publication_date>") {
		t.Errorf("sitemaps:\n%s\n%s", idx, news)
	}
	_, home := get(t, s.URL("wire", "/"), nil)
	if !strings.Contains(string(home), `rel="alternate" type="application/atom+xml"`) {
		t.Errorf("wire home does not advertise its feed: %s", home)
	}
}
