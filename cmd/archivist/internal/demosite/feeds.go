package demosite

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"time"
)

// serveXML serves a feed or sitemap with Last-Modified and an ETag, and
// answers conditional requests with 304 Not Modified, as news sites'
// feeds do.
func serveXML(w http.ResponseWriter, r *http.Request, contentType string, mod time.Time, body []byte) {
	w.Header().Set("Content-Type", contentType+"; charset=utf-8")
	w.Header().Set("ETag", fmt.Sprintf(`"%x"`, mod.Unix()))
	http.ServeContent(w, r, "", mod, bytes.NewReader(body))
}

// rssItem is one item of the topic's RSS feed.
type rssItem struct {
	title, link, guid, pubDate string
}

// rssFeed lists the topic page's five articles and the developing story.
func (s *Site) rssFeed() []byte {
	items := []rssItem{
		{LiveHeadline(s.LiveEdition()), s.LiveURL(), "wire-live-1", "Tue, 08 Jul 2025 14:00:00 GMT"},
		{"China's Hikvision says it is challenging Canada's shut down order", s.ArticleURL("reuters") + "?utm_source=rss", "daily8-3", "Mon, 07 Jul 2025 09:41:00 GMT"},
		{"Chinese surveillance company Hikvision seeks to overturn ban in Canada", s.ArticleURL("ctv"), "daily8-2", "Sun, 06 Jul 2025 18:00:00 GMT"},
		{"Chinese spy tech giant fights back as Canada kicks out Hikvision", s.ArticleURL("toi"), "daily8-1", "Sun, 06 Jul 2025 08:30:00 GMT"},
		{"China urges Canada to correct wrongdoing over Hikvision shutdown", s.ArticleURL("businesstimes"), "daily8-5", "Thu, 03 Jul 2025 06:00:00 GMT"},
		{"China claims Canada's order for Hikvision closure damages trade relations", s.URL("aljazeera", "/news/hikvision-closure-trade"), "daily8-4", "Mon, 30 Jun 2025 12:00:00 GMT"},
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
<title>Daily8: #HikvisionCanada</title>
<link>%s</link>
<description>Stories on the Hikvision shutdown order in Canada</description>
`, s.TopicURL())
	for _, it := range items {
		fmt.Fprintf(&b, "<item><title>%s</title><link>%s</link><guid isPermaLink=\"false\">%s</guid><pubDate>%s</pubDate></item>\n",
			html.EscapeString(it.title), html.EscapeString(it.link), it.guid, it.pubDate)
	}
	b.WriteString("</channel></rss>\n")
	return b.Bytes()
}

// atomFeed lists the wire's developing story.
func (s *Site) atomFeed(n int) []byte {
	e := liveEditionOf(n)
	return []byte(fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<title>Wire</title>
<id>%s</id>
<updated>%s</updated>
<link rel="self" href="%s"/>
<entry>
<title>%s</title>
<id>urn:wire:hikvision-court-hearing</id>
<link rel="alternate" href="%s"/>
<published>%s</published>
<updated>%s</updated>
<author><name>%s</name></author>
</entry>
</feed>
`, s.URL("wire", "/"), e.modified, s.URL("wire", AtomPath), html.EscapeString(e.headline), s.LiveURL(), e.published, e.modified, html.EscapeString(e.authors[0])))
}

// sitemapIndex names the news sitemap.
func (s *Site) sitemapIndex(mod time.Time) []byte {
	return []byte(fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>%s</loc><lastmod>%s</lastmod></sitemap>
</sitemapindex>
`, s.URL("wire", NewsSitemapPath), mod.UTC().Format(time.RFC3339)))
}

// newsSitemap is a Google News sitemap of the developing story.
func (s *Site) newsSitemap(n int) []byte {
	e := liveEditionOf(n)
	e.modified = s.editionTime(n).Format(time.RFC3339)
	return []byte(fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url>
<loc>%s</loc>
<lastmod>%s</lastmod>
<news:news>
<news:publication><news:name>Wire</news:name><news:language>en</news:language></news:publication>
<news:publication_date>%s</news:publication_date>
<news:title>%s</news:title>
</news:news>
</url>
</urlset>
`, s.LiveURL(), e.modified, e.published, html.EscapeString(e.headline)))
}
