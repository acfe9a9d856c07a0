package hostilesite

import (
	"fmt"
	"html"
	"net/http"
	"strings"
)

// Page is one hostile page and what a crawler must make of it.
type Page struct {
	Name string
	URL  string
	// Path is the request path the site records it under.
	Path string
	// Role is the host it is served from.
	Role string
}

// Pages lists the hostile pages the listing links to (private targets
// aside, see PrivateTargets).
func (s *Site) Pages() []Page {
	p := func(name, path string) Page {
		return Page{Name: name, URL: s.URL(RoleNews, path), Path: path, Role: RoleNews}
	}
	return []Page{
		p("gzip bomb", "/bomb.html"),
		p("100 MB page", "/huge.html"),
		p("drip", "/drip.html"),
		p("redirect loop", "/loop/a"),
		p("100,000 links", "/links.html"),
		p("deeply nested", "/nested.html"),
		p("malformed", "/malformed.html"),
		p("invalid UTF-8", "/bad-utf8.html"),
		p("wrong charset", "/wrong-charset.html"),
		p("PDF behind an HTML link", "/report.html"),
		p("image served as HTML", "/photo.html"),
		p("redirect to a very long URL", "/long-redirect"),
		{Name: "robots.txt disallows (huge robots.txt)", URL: s.URL(RoleHugeRobots, "/blocked/1"), Path: "/blocked/1", Role: RoleHugeRobots},
	}
}

// LongLink is the very long URL (LongURLBytes) the listing links to.
func (s *Site) LongLink() string {
	return s.URL(RoleNews, "/long/"+strings.Repeat("x", LongURLBytes))
}

// PrivateTargets are the loopback, private and link-local URLs the listing
// links to with Options.PrivateLinks, and the one /redirect-private
// redirects to. intranet.hostile.test is a name: a test's resolver should
// answer a private address for it, as a hostile DNS server would.
func (s *Site) PrivateTargets() []string {
	port := s.addrs[RoleNews][strings.LastIndex(s.addrs[RoleNews], ":")+1:]
	return []string{
		"http://10.0.0.5/admin",
		"http://192.168.1.1/",
		"http://169.254.169.254/latest/meta-data/",
		"http://127.0.0.1:" + port + "/secret",
		"http://[::1]:" + port + "/secret",
		"http://localhost:" + port + "/secret",
		"http://[fe80::1]/",
		"http://[fc00::1]/",
		"http://intranet.hostile.test/admin",
	}
}

// PrivateRedirect is the page that redirects to a link-local address.
func (s *Site) PrivateRedirect() string { return s.URL(RoleNews, "/redirect-private") }

// PrivateRedirectTarget is where PrivateRedirect sends the crawler.
const PrivateRedirectTarget = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"

func (s *Site) listing() string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hostile coverage</title></head><body><main><h1>Today</h1><ul>`)
	link := func(u, text string) {
		fmt.Fprintf(&b, "<li><a href=\"%s\">%s</a></li>\n", html.EscapeString(u), html.EscapeString(text))
	}
	for i, u := range s.ArticleURLs() {
		link(u, fmt.Sprintf("Story %d", i+1))
	}
	for _, p := range s.Pages() {
		link(p.URL, p.Name)
	}
	link(s.LongLink(), "a very long link")
	if s.opts.PrivateLinks {
		for _, u := range s.PrivateTargets() {
			link(u, "internal")
		}
		link(s.PrivateRedirect(), "redirect inside")
	}
	b.WriteString("</ul></main></body></html>")
	return b.String()
}

func (s *Site) serveNews(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	htmlType := func() { w.Header().Set("Content-Type", "text/html; charset=utf-8") }
	switch {
	case path == "/robots.txt":
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
	case path == "/":
		htmlType()
		fmt.Fprint(w, s.listing())
	case strings.HasPrefix(path, "/news/story-"):
		htmlType()
		n := strings.TrimPrefix(path, "/news/story-")
		fmt.Fprint(w, article("Ordinary story "+n, paragraphs("Ordinary story "+n)))
	case path == "/bomb.html":
		htmlType()
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(s.bomb)
	case path == "/huge.html":
		streamHuge(w, HugeBytes)
	case path == "/drip.html":
		drip(r.Context(), w, s.opts.DripEvery)
	case path == "/loop/a":
		http.Redirect(w, r, "/loop/b", http.StatusFound)
	case path == "/loop/b":
		http.Redirect(w, r, "/loop/a", http.StatusFound)
	case path == "/links.html":
		htmlType()
		var b strings.Builder
		b.WriteString("<!doctype html><html><head><title>Every link</title></head><body><article><h1>Every link</h1><p>")
		for i := range ManyLinks {
			fmt.Fprintf(&b, `<a href="/farm/%d">link %d</a> `, i, i)
		}
		b.WriteString("</p></article></body></html>")
		fmt.Fprint(w, b.String())
	case path == "/nested.html":
		htmlType()
		fmt.Fprint(w, "<!doctype html><html><head><title>Nested</title></head><body>"+strings.Repeat("<div>", NestingDepth)+"deep"+strings.Repeat("</div>", NestingDepth)+"</body></html>")
	case path == "/malformed.html":
		// Unclosed and misnested tags, unquoted and duplicated attributes,
		// stray end tags, a NUL, no </body> or </html>: what a browser
		// still renders.
		htmlType()
		fmt.Fprint(w, `<html><head><title>Malformed but readable</title><meta property=og:type content=article><meta charset=utf-8 charset=latin1>
<body><div class=a class=b><article><h1>Malformed but readable</h1>
<p>The council voted on Tuesday to keep the library open for <b><i>another year</b></i>, after a petition signed by more than four thousand residents
<p>Officials said the decision would be reviewed in the spring, when the budget for the next two years is set, and that no staff would lose their jobs before then
<p>Residents who spoke at the meeting said the library was the only quiet place in the district to study, and that the reading room was full every evening.</span></font>
<table><tr><td>stray cell<td></tbody></tfoot></form>`+"\x00"+`
</article>`)
	case path == "/bad-utf8.html":
		htmlType()
		w.Write([]byte(article("Invalid \xff\xfe bytes in the headline", paragraphs("Invalid \xc3\x28 UTF-8 \xed\xa0\x80 surrogates"))))
	case path == "/wrong-charset.html":
		// Declared UTF-8, written in windows-1251 (Cyrillic).
		htmlType()
		w.Write([]byte(article("Wrong charset \xcd\xee\xe2\xee\xf1\xf2\xe8", paragraphs("\xcd\xee\xe2\xee\xf1\xf2\xe8 \xe4\xed\xff"))))
	case path == "/report.html":
		w.Header().Set("Content-Type", "application/pdf")
		w.Write([]byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"))
	case path == "/photo.html":
		// PNG bytes behind a link and a Content-Type that say HTML.
		htmlType()
		w.Write(append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"), make([]byte, 4096)...))
	case path == "/long-redirect":
		http.Redirect(w, r, "/long/"+strings.Repeat("y", LongURLBytes), http.StatusFound)
	case strings.HasPrefix(path, "/long/"):
		htmlType()
		fmt.Fprint(w, article("At the end of a very long URL", paragraphs("A very long URL")))
	case path == "/redirect-private":
		http.Redirect(w, r, PrivateRedirectTarget, http.StatusFound)
	default:
		http.NotFound(w, r)
	}
}

// serveHugeRobots serves a robots.txt of HugeRobotsBytes: it disallows
// /blocked/ at the top, then pads with rules for other agents, and
// disallows everything at the very end, past what a crawler reads.
func (s *Site) serveHugeRobots(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/robots.txt":
		w.Header().Set("Content-Type", "text/plain")
		head := "User-agent: *\nDisallow: /blocked/\n\n"
		tail := "\nUser-agent: *\nDisallow: /\n"
		w.Write([]byte(head))
		line := []byte("User-agent: padding-bot\nDisallow: /padding/0123456789abcdef\n")
		for n := int64(len(head)); n < HugeRobotsBytes-int64(len(tail)); n += int64(len(line)) {
			if _, err := w.Write(line); err != nil {
				return
			}
		}
		w.Write([]byte(tail))
	case "/story":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, article("Story behind a huge robots.txt", paragraphs("The huge robots.txt")))
	case "/blocked/1":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, article("Blocked story", paragraphs("A blocked story")))
	default:
		http.NotFound(w, r)
	}
}

// serveHTMLRobots answers robots.txt with an HTML page (as a CMS that
// routes every path to its front page does).
func (s *Site) serveHTMLRobots(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	switch r.URL.Path {
	case "/robots.txt":
		fmt.Fprint(w, "<!doctype html><html><head><title>Welcome</title></head><body><h1>Disallow: / is not a rule here</h1><p>User-agent: * Disallow: /</p></body></html>")
	case "/story":
		fmt.Fprint(w, article("Story behind an HTML robots.txt", paragraphs("The HTML robots.txt")))
	default:
		http.NotFound(w, r)
	}
}
