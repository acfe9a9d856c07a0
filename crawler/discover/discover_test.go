package discover

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func sameTime(p *time.Time, want string) bool { return p != nil && p.Equal(date(want)) }

const rss = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Daily Climate</title>
<item><title>Glacier retreats</title><link>/2026/11/glacier</link><guid isPermaLink="false">daily-1001</guid>
  <pubDate>Fri, 27 Nov 2026 07:30:00 GMT</pubDate></item>
<item><title>No link here</title><description>x</description></item>
<item><title>Permalink guid</title><guid>https://daily.test/2026/11/storm</guid></item>
</channel></rss>`

func TestParseRSS(t *testing.T) {
	f, err := ParseFeed([]byte(rss), "https://daily.test/feeds/climate.rss", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Title != "Daily Climate" || f.Type != "rss" || len(f.Entries) != 2 {
		t.Fatalf("feed = %+v", f)
	}
	e := f.Entries[0]
	if e.URL != "https://daily.test/2026/11/glacier" || e.Position != 1 || e.GUID != "daily-1001" || e.Title != "Glacier retreats" ||
		!sameTime(e.Published, "2026-11-27T07:30:00Z") {
		t.Errorf("first entry = %+v", e)
	}
	// The item without a link keeps its place: the third item is position 3.
	if e := f.Entries[1]; e.URL != "https://daily.test/2026/11/storm" || e.Position != 3 {
		t.Errorf("guid-permalink entry = %+v", e)
	}
}

const atom = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Herald World</title>
<entry><title>Flood</title><id>tag:herald.test,2026:flood</id>
  <link rel="alternate" href="https://herald.test/world/flood"/>
  <published>2026-11-26T22:00:00Z</published><updated>2026-11-27T06:00:00Z</updated></entry>
</feed>`

func TestParseAtom(t *testing.T) {
	f, err := ParseFeed([]byte(atom), "https://herald.test/atom.xml", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Type != "atom" || len(f.Entries) != 1 {
		t.Fatalf("feed = %+v", f)
	}
	e := f.Entries[0]
	if e.URL != "https://herald.test/world/flood" || e.GUID != "tag:herald.test,2026:flood" ||
		!sameTime(e.Published, "2026-11-26T22:00:00Z") || !sameTime(e.Updated, "2026-11-27T06:00:00Z") {
		t.Errorf("entry = %+v", e)
	}
}

func TestParseFeedRejectsNonFeeds(t *testing.T) {
	if _, err := ParseFeed([]byte("<html><body>hi</body></html>"), "https://x.test/f", Limits{}); err == nil {
		t.Error("HTML parsed as a feed")
	}
	var b strings.Builder
	b.WriteString(`<rss version="2.0"><channel>`)
	for i := range 30 {
		fmt.Fprintf(&b, "<item><link>https://x.test/%d</link></item>", i)
	}
	b.WriteString(`</channel></rss>`)
	f, err := ParseFeed([]byte(b.String()), "https://x.test/f", Limits{MaxEntries: 10})
	if err != nil || len(f.Entries) != 10 || !f.Truncated {
		t.Errorf("capped feed: %d entries, truncated %v, %v", len(f.Entries), f.Truncated, err)
	}
}

const newsSitemap = `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://daily.test/2026/11/glacier</loc><lastmod>2026-11-27T08:00:00+01:00</lastmod>
  <news:news><news:publication><news:name>Daily</news:name><news:language>en</news:language></news:publication>
  <news:publication_date>2026-11-27T07:30:00Z</news:publication_date><news:title>Glacier retreats</news:title></news:news></url>
<url><loc>https://daily.test/2026/11/reef</loc><lastmod>2026-11-26</lastmod></url>
</urlset>`

func TestParseNewsSitemap(t *testing.T) {
	sm, err := ParseSitemap([]byte(newsSitemap), "https://daily.test/news-sitemap.xml", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if sm.Index || len(sm.Entries) != 2 || sm.Truncated {
		t.Fatalf("sitemap = %+v", sm)
	}
	e := sm.Entries[0]
	if e.URL != "https://daily.test/2026/11/glacier" || !sameTime(e.Lastmod, "2026-11-27T07:00:00Z") ||
		!sameTime(e.NewsPublicationDate, "2026-11-27T07:30:00Z") || e.Title != "Glacier retreats" || e.Position != 1 {
		t.Errorf("news entry = %+v", e)
	}
	if e := sm.Entries[1]; !sameTime(e.Lastmod, "2026-11-26T00:00:00Z") || e.NewsPublicationDate != nil || e.Position != 2 {
		t.Errorf("plain entry = %+v", e)
	}
}

func TestParseSitemapIndexAndGzip(t *testing.T) {
	index := `<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>/news-sitemap.xml</loc><lastmod>2026-11-27</lastmod></sitemap>
<sitemap><loc>https://daily.test/archive-2019.xml.gz</loc></sitemap></sitemapindex>`
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(index))
	zw.Close()
	body, err := Decode(buf.Bytes(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	sm, err := ParseSitemap(body, "https://daily.test/sitemap.xml.gz", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !sm.Index || len(sm.Sitemaps) != 2 || sm.Sitemaps[0].URL != "https://daily.test/news-sitemap.xml" ||
		!sameTime(sm.Sitemaps[0].Lastmod, "2026-11-27T00:00:00Z") || sm.Sitemaps[1].Lastmod != nil {
		t.Errorf("index = %+v", sm)
	}
}

func TestParseSitemapCutShortKeepsEntries(t *testing.T) {
	cut := newsSitemap[:strings.Index(newsSitemap, "<url><loc>https://daily.test/2026/11/reef")+30]
	sm, err := ParseSitemap([]byte(cut), "https://daily.test/s.xml", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sm.Entries) != 1 || !sm.Truncated {
		t.Errorf("cut sitemap: %d entries, truncated %v", len(sm.Entries), sm.Truncated)
	}
	if _, err := ParseSitemap([]byte(rss), "https://daily.test/s.xml", Limits{}); err == nil || !strings.Contains(err.Error(), "neither") {
		t.Errorf("RSS parsed as a sitemap: %v", err)
	}
}

func TestDecodeBoundsBombs(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(bytes.Repeat([]byte("a"), 1<<20))
	zw.Close()
	if _, err := Decode(buf.Bytes(), "", 64<<10); !errors.Is(err, ErrTooLarge) {
		t.Errorf("1 MiB bomb with a 64 KiB limit: %v", err)
	}
	if out, err := Decode(buf.Bytes(), "", 2<<20); err != nil || len(out) != 1<<20 {
		t.Errorf("within limit: %d bytes, %v", len(out), err)
	}
	if _, err := Decode([]byte("x"), "br", 0); err == nil {
		t.Error("unknown content encoding accepted")
	}
}

func TestFeedLinks(t *testing.T) {
	page := `<!doctype html><html><head><base href="https://www.daily.test/section/">
<link rel="alternate" type="application/rss+xml" title="Climate" href="climate.rss">
<link rel="Alternate" type="application/atom+xml; charset=utf-8" href="/atom.xml">
<link rel="alternate" type="text/html" hreflang="fr" href="/fr/">
<link rel="stylesheet" href="/s.css">
<link rel="alternate" type="application/rss+xml" href="climate.rss">
</head><body><a href="/feed">not a link element</a></body></html>`
	got := FeedLinks([]byte(page), "https://www.daily.test/topics/climate")
	want := []string{"https://www.daily.test/section/climate.rss", "https://www.daily.test/atom.xml"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("FeedLinks = %v, want %v", got, want)
	}
}

func TestSniff(t *testing.T) {
	for body, want := range map[string]string{
		newsSitemap: "sitemap", rss: "feed", atom: "feed",
		"<!DOCTYPE html><html></html>": "html", "plain": "",
	} {
		if got := Sniff([]byte(body)); got != want {
			t.Errorf("Sniff(%.30q) = %q, want %q", body, got, want)
		}
	}
}
