package daemon

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// news is the fixture's news world at the fake clock:
//
//   - www.daily.test: a climate topic page, an RSS feed, a sitemap index
//     pointing at a news sitemap (current) and a 2019 archive sitemap
//     (old, never read), robots.txt with a Crawl-delay, a Disallow and a
//     Sitemap line, and the glacier article whose headline and body change
//     five hours after t0;
//   - www.herald.test: a home page announcing an Atom feed through
//     <link rel="alternate">, and the feed;
//   - busy.test: a host that answers 429 with Retry-After for its first
//     hour (see TestRetryAfterHonoured).
type news struct {
	s                    *site
	daily, herald, busy  *host
	changeAt             time.Time // when the glacier story is updated
	glacier, reef, storm string    // article URLs
	flood, memo          string
}

func newNews(s *site) *news {
	n := &news{s: s, changeAt: t0.Add(5 * time.Hour)}
	n.daily, n.herald = s.host("www.daily.test"), s.host("www.herald.test")
	d, h := n.daily, n.herald
	n.glacier, n.reef, n.storm = d.url("/2026/11/glacier"), d.url("/2026/11/reef"), d.url("/2026/11/storm")
	n.flood, n.memo = h.url("/world/flood"), d.url("/private/memo")

	d.static("/robots.txt", "text/plain", "User-agent: *\nDisallow: /private/\nCrawl-delay: 0.02\nSitemap: "+d.url("/sitemap-index.xml")+"\n")
	d.page("/topics/climate", func() string {
		return listingHTML("Climate", "", "/2026/11/glacier", "/2026/11/reef", "/private/memo", n.flood,
			"https://www.facebook.com/sharer/sharer.php?u=x", "/topics/climate")
	})
	d.page("/2026/11/glacier", func() string {
		if s.clock.Now().Before(n.changeAt) {
			return articleHTML("Glacier retreat accelerates", "The glacier lost 3 km of ice.")
		}
		return articleHTML("Glacier retreat accelerates, new data show", "The glacier lost 5 km of ice, satellite data show.")
	})
	d.page("/2026/11/reef", func() string { return articleHTML("Reef bleaching", "Corals whiten.") })
	d.page("/2026/11/storm", func() string { return articleHTML("Storm warning", "Winds rise.") })
	d.page("/private/memo", func() string { return articleHTML("Memo", "Internal.") })
	d.static("/feeds/climate.rss", "application/rss+xml", `<?xml version="1.0"?>
<rss version="2.0"><channel><title>Daily climate</title>
<item><title>Glacier retreat accelerates</title><link>/2026/11/glacier</link><guid isPermaLink="false">daily-1001</guid><pubDate>Fri, 27 Nov 2026 07:30:00 GMT</pubDate></item>
<item><title>Storm warning</title><link>`+n.storm+`</link><guid isPermaLink="false">daily-1002</guid><pubDate>Fri, 27 Nov 2026 07:45:00 GMT</pubDate></item>
</channel></rss>`)
	// The index never changes; the news sitemap gains a story at t0+10m.
	d.doc("/sitemap-index.xml", "application/xml", func() string {
		return `<?xml version="1.0"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>` + d.url("/news-sitemap.xml") + `</loc></sitemap>
<sitemap><loc>` + d.url("/archive-2019.xml") + `</loc><lastmod>2019-12-31</lastmod></sitemap>
</sitemapindex>`
	})
	d.doc("/news-sitemap.xml", "application/xml", func() string {
		late := ""
		if !s.clock.Now().Before(t0.Add(10 * time.Minute)) {
			late = `<url><loc>` + d.url("/2026/11/late") + `</loc></url>`
		}
		return `<?xml version="1.0"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>` + n.reef + `</loc><lastmod>2026-11-27T06:00:00Z</lastmod>
<news:news><news:publication><news:name>Daily</news:name><news:language>en</news:language></news:publication>
<news:publication_date>2026-11-27T05:55:00Z</news:publication_date><news:title>Reef bleaching</news:title></news:news></url>
<url><loc>` + n.storm + `</loc><lastmod>2026-11-27T07:46:00Z</lastmod></url>` + late + `
</urlset>`
	})
	d.page("/2026/11/late", func() string { return articleHTML("Late story", "Breaking.") })
	d.static("/archive-2019.xml", "application/xml", `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>`+d.url("/2019/old")+`</loc></url></urlset>`)

	h.page("/", func() string {
		return listingHTML("Herald", `<link rel="alternate" type="application/atom+xml" title="World" href="/atom.xml">`, "/world/flood")
	})
	h.static("/atom.xml", "application/atom+xml", `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Herald world</title>
<entry><title>Flood</title><id>tag:herald.test,2026:flood</id><link rel="alternate" href="/world/flood"/>
<published>2026-11-27T06:30:00Z</published><updated>2026-11-27T07:00:00Z</updated></entry>
</feed>`)
	h.page("/world/flood", func() string { return articleHTML("Flood", "Rivers rise.") })
	return n
}

// busyHost adds busy.test: its articles answer 429 with Retry-After
// (seconds, or an HTTP date when date is set) until the fake clock reaches
// until, and its listing page links to count articles.
func (n *news) busyHost(until time.Time, date bool, count int) {
	n.busy = n.s.host("busy.test")
	var hrefs []string
	for i := range count {
		hrefs = append(hrefs, fmt.Sprintf("/story/%d", i))
	}
	n.busy.page("/", func() string { return listingHTML("Busy", "", hrefs...) })
	n.busy.mux.HandleFunc("/story/", func(w http.ResponseWriter, r *http.Request) {
		now := n.s.clock.Now()
		if now.Before(until) {
			if date {
				w.Header().Set("Retry-After", until.UTC().Format(http.TimeFormat))
			} else {
				w.Header().Set("Retry-After", fmt.Sprint(int(until.Sub(now).Seconds())))
			}
			code := http.StatusTooManyRequests
			if date {
				code = http.StatusServiceUnavailable
			}
			http.Error(w, "slow down", code)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, articleHTML("Busy "+strings.TrimPrefix(r.URL.Path, "/story/"), "Text."))
	})
}
