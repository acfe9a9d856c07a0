package demosite

import (
	"fmt"
	"html"
	"net/http"
	"strings"
	"time"
)

// LivePath is the path, on the "wire" outlet, of a developing story whose
// headline, byline, modified date and body change LiveUpdateAfter into the
// site's clock (see Advance): the fixture for article versions.
const LivePath = "/2025/07/08/hikvision-court-hearing"

// LiveUpdateAfter is when, after Start on the site's clock, the developing
// story gets its second edition.
const LiveUpdateAfter = time.Hour

// Feed, sitemap and section paths.
const (
	RSSPath          = "/feeds/hikvision.rss" // on daily8: the topic's articles and the live story
	AtomPath         = "/feed.atom"           // on wire: the wire's stories
	SitemapIndexPath = "/sitemap.xml"         // on wire: a sitemap index, named in its robots.txt
	NewsSitemapPath  = "/sitemap-news.xml"    // on wire: a Google News sitemap
	WireHomePath     = "/"                    // on wire: a section page that advertises the Atom feed
)

// LiveURL is the developing story's URL.
func (s *Site) LiveURL() string { return s.URL("wire", LivePath) }

// Advance moves the site's clock forward by d: pages that change over
// time (the developing story, the feeds' dates) change as if d had passed,
// with no sleeping.
func (s *Site) Advance(d time.Duration) {
	s.mu.Lock()
	s.offset += d
	s.mu.Unlock()
}

// Now is the site's clock: the real time plus every Advance.
func (s *Site) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Add(s.offset)
}

// LiveEdition is the developing story's edition now: 1, then 2 from
// LiveUpdateAfter after Start.
func (s *Site) LiveEdition() int {
	s.mu.Lock()
	elapsed := time.Since(s.started) + s.offset
	s.mu.Unlock()
	if elapsed >= LiveUpdateAfter {
		return 2
	}
	return 1
}

// liveEdition is one edition of the developing story.
type liveEdition struct {
	headline  string
	authors   []string
	published string
	modified  string
	paras     []string
}

// LiveHeadline is the developing story's headline in edition n (1 or 2).
func LiveHeadline(n int) string { return liveEditionOf(n).headline }

func liveEditionOf(n int) liveEdition {
	first := liveEdition{
		headline:  "Canadian court hears Hikvision challenge to shutdown order",
		authors:   []string{"Ana Lima"},
		published: "2025-07-08T14:00:00Z",
		modified:  "2025-07-08T14:00:00Z",
		paras: []string{
			"OTTAWA, July 8 - Lawyers for Hikvision asked the Federal Court on Tuesday to suspend the government's order that the Chinese camera maker wind up its Canadian business while the court reviews it.",
			"The company argued that the national security review behind the order was unfair because it was never told what evidence the government relied on.",
			"Government lawyers said some of the evidence could not be disclosed without harming national security, and that the review followed the Investment Canada Act.",
			"Judge Marie Tremblay said she would hear the rest of the arguments on Wednesday morning.",
			"Hikvision employs about 200 people in Canada, according to the company's filing.",
		},
	}
	if n < 2 {
		return first
	}
	return liveEdition{
		headline:  "Canadian court rejects Hikvision bid to block shutdown order",
		authors:   []string{"Ana Lima", "Tom Becker"},
		published: first.published,
		modified:  "2025-07-08T18:30:00Z",
		paras: []string{
			first.paras[0],
			"The company argued that the secret national security review behind the order was unfair because it was never told what evidence the government relied on.",
			first.paras[2],
			"Judge Marie Tremblay dismissed the application late on Tuesday, ruling that Hikvision had not shown it would suffer irreparable harm before the review is decided.",
			first.paras[4],
			"Hikvision said it was studying the decision and considering an appeal.",
		},
	}
}

// livePage renders an edition of the developing story.
func (s *Site) livePage(n int) []byte {
	e := liveEditionOf(n)
	var b strings.Builder
	canonical := s.LiveURL()
	authorsLD := make([]string, len(e.authors))
	for i, a := range e.authors {
		authorsLD[i] = fmt.Sprintf(`{"@type": "Person", "name": %q}`, a)
	}
	fmt.Fprintf(&b, `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>%s | Wire</title>
<link rel="canonical" href="%s">
<meta property="og:type" content="article">
<meta property="og:site_name" content="Wire">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle", "headline": %q, "datePublished": %q, "dateModified": %q, "author": [%s], "publisher": {"@type": "Organization", "name": "Wire"}, "inLanguage": "en"}</script>
</head>
<body>
<header><a href="/">Wire</a></header>
<main><article>
<h1>%s</h1>
<p class="byline">By %s</p>
<p><time datetime="%s">July 8, 2025</time></p>
`, html.EscapeString(e.headline), canonical, e.headline, e.published, e.modified, strings.Join(authorsLD, ", "),
		html.EscapeString(e.headline), html.EscapeString(strings.Join(e.authors, " and ")), e.published)
	for _, p := range e.paras {
		fmt.Fprintf(&b, "<p>%s</p>\n", html.EscapeString(p))
	}
	b.WriteString("</article></main>\n<footer><p>Wire news service</p></footer>\n</body>\n</html>\n")
	return []byte(b.String())
}

// serveWire serves the wire outlet: the developing story, its section
// page, Atom feed, sitemaps and robots.txt. It reports whether it handled
// the path.
func (s *Site) serveWire(w http.ResponseWriter, r *http.Request) bool {
	n := s.LiveEdition()
	mod := s.editionTime(n)
	switch r.URL.Path {
	case LivePath:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Last-Modified", liveModTime(n).Format(http.TimeFormat))
		w.Write(s.livePage(n))
	case "/robots.txt":
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "User-agent: *\nDisallow: /internal/\nSitemap: %s\n", s.URL("wire", SitemapIndexPath))
	case WireHomePath:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Wire: latest</title>
<link rel="alternate" type="application/atom+xml" title="Wire" href="%s">
</head><body><h1>Latest from the wire</h1><ul><li><a href="%s">%s</a></li></ul></body></html>
`, AtomPath, LivePath, html.EscapeString(liveEditionOf(n).headline))
	case AtomPath:
		serveXML(w, r, "application/atom+xml", mod, s.atomFeed(n))
	case SitemapIndexPath:
		serveXML(w, r, "application/xml", mod, s.sitemapIndex(mod))
	case NewsSitemapPath:
		serveXML(w, r, "application/xml", mod, s.newsSitemap(n))
	default:
		return false
	}
	return true
}

// editionTime is when, on the site's clock, edition n appeared: what the
// feeds and sitemaps give as their modification time, so that they look
// fresh to a crawler that skips stale sitemaps.
func (s *Site) editionTime(n int) time.Time {
	t := s.started.UTC().Truncate(time.Second)
	if n >= 2 {
		t = t.Add(LiveUpdateAfter)
	}
	return t
}

// liveModTime is the modified date the story itself states.
func liveModTime(n int) time.Time {
	t, _ := time.Parse(time.RFC3339, liveEditionOf(n).modified)
	return t
}
