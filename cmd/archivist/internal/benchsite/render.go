package benchsite

import (
	"bytes"
	"fmt"
	"html"
	"time"
)

// Page is one rendered response.
type Page struct {
	Body         []byte
	ContentType  string
	LastModified time.Time
}

// Render returns the page at target (path and query) on host name, with
// absolute links for a server on port, or false when there is none.
func (s *Site) Render(name, port, target string) (Page, bool) {
	h, ok := s.byName[name]
	if !ok {
		return Page{}, false
	}
	r, ok := s.hosts[h].routes[target]
	if !ok {
		return Page{}, false
	}
	switch r.kind {
	case pageArticle:
		return s.renderArticle(r.index, port), true
	case pageListing:
		return s.renderListing(h, r.index, port), true
	case pageFeed:
		return s.renderFeed(h, port), true
	case pageSitemap:
		return s.renderSitemap(h, port), true
	default:
		return Page{
			Body:         []byte("User-agent: *\nAllow: /\n\nSitemap: " + s.origin(h, port) + "/sitemap.xml\n"),
			ContentType:  "text/plain; charset=utf-8",
			LastModified: epoch,
		}, true
	}
}

// ArticleBody renders article i as served on port, for callers that need
// the bytes without a server.
func (s *Site) ArticleBody(i int, port string) []byte { return s.renderArticle(i, port).Body }

// renderArticle is the source page with the fixture's identity: canonical
// link and og:url at the top of <head>, a dateline with the story number
// before the first paragraph, related links before </body>. The source's
// parts are copied once into a buffer sized for them.
func (s *Site) renderArticle(i int, port string) Page {
	a := s.articles[i]
	src := &s.corpus.sources[a.src]
	self := html.EscapeString(s.ArticleURL(i, port))
	identity := `<link rel="canonical" href="` + self + `"><meta property="og:url" content="` + self + `">`
	dateline := fmt.Sprintf(`<p class="bench-dateline">%s, %s: story %d of %d, from %s.</p>`,
		s.hosts[a.host].name, a.published.Format("2 January 2006 15:04 MST"), i+1, len(s.articles), html.EscapeString(src.id[:12]))
	var related bytes.Buffer
	if len(a.related) > 0 {
		related.WriteString(`<aside class="bench-related"><h2>Related</h2><ul>`)
		for _, j := range a.related {
			fmt.Fprintf(&related, `<li><a href="%s">%s</a></li>`, html.EscapeString(s.ArticleURL(j, port)), html.EscapeString(s.articles[j].title))
		}
		related.WriteString(`</ul></aside>`)
	}
	n := len(src.head) + len(identity) + len(src.intro) + len(dateline) + len(src.body) + related.Len() + len(src.tail)
	b := make([]byte, 0, n)
	b = append(b, src.head...)
	b = append(b, identity...)
	b = append(b, src.intro...)
	b = append(b, dateline...)
	b = append(b, src.body...)
	b = append(b, related.Bytes()...)
	b = append(b, src.tail...)
	return Page{Body: b, ContentType: "text/html; charset=" + src.charset, LastModified: a.published.Add(2 * time.Hour)}
}

// renderListing is a section page listing its articles as teasers, with
// links to its other page when the section is paginated.
func (s *Site) renderListing(h, p int, port string) Page {
	hs := &s.hosts[h]
	var b bytes.Buffer
	site := hs.name[:len(hs.name)-len(Domain)-1]
	self := html.EscapeString(s.origin(h, port) + listingTarget(hs.section, p))
	fmt.Fprintf(&b, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>%s | %s News</title>
<link rel="canonical" href="%s">
<link rel="alternate" type="application/rss+xml" title="%s" href="/feed.xml">
<meta property="og:type" content="website">
</head><body><main><h1>%s</h1>
`, hs.section, site, self, hs.section, hs.section)
	var newest time.Time
	for _, i := range hs.listings[p] {
		a := s.articles[i]
		newest = maxTime(newest, a.published)
		fmt.Fprintf(&b, `<article class="teaser"><h2><a href="%s">%s</a></h2><p>Filed %s. Read the full story from the %s desk.</p></article>
`, html.EscapeString(s.ArticleURL(i, port)), html.EscapeString(a.title), a.published.Format("2 Jan 2006 15:04"), hs.section)
	}
	b.WriteString(`<nav class="pagination">`)
	if p > 0 {
		fmt.Fprintf(&b, `<a rel="prev" href="%s">Newer stories</a>`, html.EscapeString(s.origin(h, port)+listingTarget(hs.section, p-1)))
	}
	if p+1 < len(hs.listings) {
		fmt.Fprintf(&b, `<a rel="next" href="%s">Older stories</a>`, html.EscapeString(s.origin(h, port)+listingTarget(hs.section, p+1)))
	}
	b.WriteString("</nav></main></body></html>\n")
	return Page{Body: b.Bytes(), ContentType: "text/html; charset=utf-8", LastModified: newest}
}

// renderFeed is an RSS 2.0 feed of the host's articles, newest first.
func (s *Site) renderFeed(h int, port string) Page {
	hs := &s.hosts[h]
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>%s</title><link>%s/</link><description>%s news</description>
`, hs.name, s.origin(h, port), hs.section)
	var newest time.Time
	for _, l := range hs.listings {
		for _, i := range l {
			a := s.articles[i]
			newest = maxTime(newest, a.published)
			u := html.EscapeString(s.ArticleURL(i, port))
			fmt.Fprintf(&b, "<item><title>%s</title><link>%s</link><guid>%s</guid><pubDate>%s</pubDate></item>\n",
				html.EscapeString(a.title), u, u, a.published.Format(time.RFC1123Z))
		}
	}
	b.WriteString("</channel></rss>\n")
	return Page{Body: b.Bytes(), ContentType: "application/rss+xml; charset=utf-8", LastModified: newest}
}

// renderSitemap is a sitemap of the host's section pages and articles.
func (s *Site) renderSitemap(h int, port string) Page {
	hs := &s.hosts[h]
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
`)
	var newest time.Time
	for p, l := range hs.listings {
		fmt.Fprintf(&b, "<url><loc>%s</loc></url>\n", html.EscapeString(s.origin(h, port)+listingTarget(hs.section, p)))
		for _, i := range l {
			a := s.articles[i]
			newest = maxTime(newest, a.published)
			fmt.Fprintf(&b, "<url><loc>%s</loc><lastmod>%s</lastmod></url>\n", html.EscapeString(s.ArticleURL(i, port)), a.published.Format(time.RFC3339))
		}
	}
	b.WriteString("</urlset>\n")
	return Page{Body: b.Bytes(), ContentType: "application/xml; charset=utf-8", LastModified: newest}
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
