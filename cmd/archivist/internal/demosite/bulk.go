package demosite

import (
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
)

// The bulk section gives a crawl many articles per host, which the five
// outlets' single stories do not: tests of politeness and of several
// daemons sharing one crawl need hosts with a queue. BulkListPath on the
// daily8 host lists BulkPerHost articles on each of BulkHosts; nothing
// else links to it, so the demo crawl never sees it.
const (
	BulkListPath = "/bulk/"
	BulkPerHost  = 12
	bulkPrefix   = "/bulk/story-"
)

// BulkHosts are the outlets carrying bulk articles.
var BulkHosts = []string{"daily8", "toi", "ctv"}

// BulkListURL is the listing of every bulk article.
func (s *Site) BulkListURL() string { return s.URL("daily8", BulkListPath) }

// BulkArticleURL is the URL of bulk article n (1..BulkPerHost) on outlet.
func (s *Site) BulkArticleURL(outlet string, n int) string {
	return s.URL(outlet, bulkPrefix+strconv.Itoa(n))
}

// IsBulkArticle tells whether a request path is a bulk article's.
func IsBulkArticle(path string) bool { return strings.HasPrefix(path, bulkPrefix) }

// serveBulk serves the bulk listing and articles; false when the path is
// not one of them.
func (s *Site) serveBulk(outlet string, w http.ResponseWriter, r *http.Request) bool {
	path := r.URL.Path
	if path == BulkListPath && outlet == "daily8" {
		var b strings.Builder
		b.WriteString("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Bulk coverage | Daily8</title></head><body><main><h1>Bulk coverage</h1><ul>\n")
		for _, o := range BulkHosts {
			for n := 1; n <= BulkPerHost; n++ {
				fmt.Fprintf(&b, "<li><a href=\"%s\">%s</a></li>\n", html.EscapeString(s.BulkArticleURL(o, n)), html.EscapeString(bulkTitle(o, n)))
			}
		}
		b.WriteString("</ul></main></body></html>\n")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, b.String())
		return true
	}
	n, err := strconv.Atoi(strings.TrimPrefix(path, bulkPrefix))
	if !IsBulkArticle(path) || err != nil || n < 1 || n > BulkPerHost || !isBulkHost(outlet) {
		return false
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Last-Modified", "Mon, 07 Jul 2025 10:05:00 GMT")
	fmt.Fprint(w, bulkArticle(s.BulkArticleURL(outlet, n), outlet, n))
	return true
}

func isBulkHost(outlet string) bool {
	for _, o := range BulkHosts {
		if o == outlet {
			return true
		}
	}
	return false
}

func bulkTitle(outlet string, n int) string {
	return fmt.Sprintf("Harbour report %d from the %s desk", n, outlet)
}

// bulkWords make the bulk articles' bodies: each article picks its own
// sequence, so no two share a payload or a text.
var bulkWords = strings.Fields(`council harbour ferry lighthouse budget vote tariff
	weather river bridge school hospital election court review ministry port
	cargo fleet storm tide engineer inspector mayor committee report study`)

// bulkArticle is a complete news article page.
func bulkArticle(canonical, outlet string, n int) string {
	title := bulkTitle(outlet, n)
	var body strings.Builder
	seed := n*31 + len(outlet)*7
	for p := range 6 {
		body.WriteString("<p>")
		fmt.Fprintf(&body, "Paragraph %d of report %d from %s. ", p+1, n, outlet)
		for i := range 40 {
			seed = (seed*1103515245 + 12345) & 0x7fffffff
			body.WriteString(bulkWords[seed%len(bulkWords)])
			if i%9 == 8 {
				body.WriteString(". ")
			} else {
				body.WriteString(" ")
			}
		}
		body.WriteString("</p>\n")
	}
	return fmt.Sprintf(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>%[1]s</title>
<link rel="canonical" href="%[2]s">
<meta property="og:type" content="article">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "%[1]s", "datePublished": "2025-07-08T10:15:00Z", "author": [{"@type": "Person", "name": "Desk %[3]s"}]}</script>
</head>
<body><main><article>
<h1>%[1]s</h1><p class="byline">By Desk %[3]s</p><p><time datetime="2025-07-08T10:15:00Z">8 July 2025</time></p>
%[4]s</article></main></body></html>
`, html.EscapeString(title), html.EscapeString(canonical), html.EscapeString(outlet), body.String())
}
