// Package hostilesite is a test fixture: a news site on loopback that
// serves, beside ordinary articles, every kind of hostile or broken page a
// crawler meets: a gzip bomb, a 100 MB page, a response dripping a byte a
// second, an endless redirect loop, a page of 100,000 links, malformed and
// deeply nested HTML, invalid UTF-8 and a wrong declared charset, a PDF and
// an image behind HTML links, very long URLs, a huge robots.txt and one
// that is an HTML page, and (on request) links and redirects to loopback,
// private and link-local addresses.
//
// The site has three hosts, each its own listener on 127.0.0.1, because
// robots.txt is per host: RoleNews (the listing, the hostile pages and the
// articles), RoleHugeRobots and RoleHTMLRobots. Links between them are
// absolute, written with Options.Authority, so a test may name the hosts
// (and route the names to the listeners with its own resolver and dialer)
// or use the listener addresses as they are.
//
// Every request is recorded (Served) with its start, its end and the bytes
// written, so a test can bound how long the crawler held each connection.
package hostilesite

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"html"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Roles: the site's hosts.
const (
	RoleNews       = "news"
	RoleHugeRobots = "hugerobots"
	RoleHTMLRobots = "htmlrobots"
)

// Roles lists every role.
func Roles() []string { return []string{RoleNews, RoleHugeRobots, RoleHTMLRobots} }

// Sizes of the hostile pages.
const (
	// BombBytes is what the gzip bomb inflates to; it is sent as about
	// 1 MB of gzip.
	BombBytes = 1 << 30
	// HugeBytes is the size of the huge page.
	HugeBytes = 100 << 20
	// ManyLinks is how many links the link-farm page has.
	ManyLinks = 100_000
	// NestingDepth is how deep the nested page's elements go.
	NestingDepth = 100_000
	// HugeRobotsBytes is the size of the huge robots.txt.
	HugeRobotsBytes = 5 << 20
	// LongURLBytes is the length of the very long link and redirect.
	LongURLBytes = 100 << 10
)

// Options configure a Site.
type Options struct {
	// Authority returns the host[:port] written in absolute links to
	// role. Nil writes each listener's 127.0.0.1:port.
	Authority func(role string) string
	// PrivateLinks adds to the listing links to loopback, private and
	// link-local addresses (PrivateTargets) and a redirect to a
	// link-local one. Only for tests whose network guard is on: with
	// the guard off a crawler would try to reach them.
	PrivateLinks bool
	// Articles is the number of ordinary articles (default 6).
	Articles int
	// DripEvery is the pause between the drip page's bytes (default 1s).
	DripEvery time.Duration
}

// Served is one request the site answered.
type Served struct {
	Role, Path string
	Start, End time.Time
	Bytes      int64 // body bytes written before the handler returned
}

// Site is a running fixture. Close it when done.
type Site struct {
	opts    Options
	addrs   map[string]string
	servers []*http.Server
	bomb    []byte // the gzip bomb, built once

	mu     sync.Mutex
	served []Served
}

// Start serves the site on loopback.
func Start(opts Options) (*Site, error) {
	if opts.Articles <= 0 {
		opts.Articles = 6
	}
	if opts.DripEvery <= 0 {
		opts.DripEvery = time.Second
	}
	bomb, err := gzipBomb(BombBytes)
	if err != nil {
		return nil, err
	}
	s := &Site{opts: opts, addrs: map[string]string{}, bomb: bomb}
	for _, role := range Roles() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("hostilesite: listen for %s: %w", role, err)
		}
		s.addrs[role] = ln.Addr().String()
		srv := &http.Server{Handler: s.handler(role), ReadHeaderTimeout: 10 * time.Second}
		s.servers = append(s.servers, srv)
		go srv.Serve(ln)
	}
	return s, nil
}

// Close stops every listener and open connection (the drip included).
func (s *Site) Close() {
	for _, srv := range s.servers {
		srv.Close()
	}
}

// Addr returns the listener address (127.0.0.1:port) of role.
func (s *Site) Addr(role string) string { return s.addrs[role] }

// URL returns the absolute URL of path on role, as the site links to it.
func (s *Site) URL(role, path string) string {
	a := s.addrs[role]
	if s.opts.Authority != nil {
		a = s.opts.Authority(role)
	}
	return "http://" + a + path
}

// ListingURL is the page that links to everything else: the source.
func (s *Site) ListingURL() string { return s.URL(RoleNews, "/") }

// ArticleURLs are the ordinary articles, which a crawler must archive
// whatever the hostile pages beside them do, plus one on each robots host.
func (s *Site) ArticleURLs() []string {
	var out []string
	for i := 1; i <= s.opts.Articles; i++ {
		out = append(out, s.URL(RoleNews, fmt.Sprintf("/news/story-%d", i)))
	}
	return append(out, s.URL(RoleHugeRobots, "/story"), s.URL(RoleHTMLRobots, "/story"))
}

// Served returns the requests answered so far for path on role ("" for
// every path), in order of arrival.
func (s *Site) Served(role, path string) []Served {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Served
	for _, r := range s.served {
		if r.Role == role && (path == "" || r.Path == path) {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}

// countingWriter counts the body bytes a handler wrote.
type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n += int64(n)
	return n, err
}

func (c *countingWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *Site) handler(role string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw := &countingWriter{ResponseWriter: w}
		start := time.Now()
		defer func() {
			s.mu.Lock()
			s.served = append(s.served, Served{Role: role, Path: r.URL.Path, Start: start, End: time.Now(), Bytes: cw.n})
			s.mu.Unlock()
		}()
		switch role {
		case RoleNews:
			s.serveNews(cw, r)
		case RoleHugeRobots:
			s.serveHugeRobots(cw, r)
		case RoleHTMLRobots:
			s.serveHTMLRobots(cw, r)
		}
	})
}

// gzipBomb returns a gzip stream of an HTML page padded with n spaces,
// about n/1000 bytes long. It is built as many gzip members (which every
// gzip reader concatenates) repeating one compressed 16 MiB member, so it
// costs milliseconds to build rather than compressing n bytes.
func gzipBomb(n int) ([]byte, error) {
	member := func(data []byte) ([]byte, error) {
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			return nil, err
		}
		if _, err := zw.Write(data); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	const chunk = 16 << 20
	head, err := member([]byte("<!doctype html><html><head><title>Bomb</title></head><body><p>"))
	if err != nil {
		return nil, err
	}
	pad, err := member(bytes.Repeat([]byte{' '}, chunk))
	if err != nil {
		return nil, err
	}
	tail, err := member([]byte("</p></body></html>"))
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), head...)
	for written := 0; written < n; written += chunk {
		out = append(out, pad...)
	}
	return append(out, tail...), nil
}

// drip writes one byte every d until the client goes away.
func drip(ctx context.Context, w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	t := time.NewTicker(d)
	defer t.Stop()
	page := []byte("<!doctype html><html><head><title>Drip</title></head><body><p>" + strings.Repeat("drip ", 1000))
	for i := 0; ; i++ {
		if _, err := w.Write(page[i%len(page) : i%len(page)+1]); err != nil {
			return
		}
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// streamHuge writes n bytes of an article-shaped page, stopping when the
// client stops reading.
func streamHuge(w http.ResponseWriter, n int64) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", fmt.Sprint(n))
	head := "<!doctype html><html lang=\"en\"><head><title>A very long report</title></head><body><article><h1>A very long report</h1>\n"
	para := []byte("<p>The committee heard evidence for a further day, and the chair said the report would run to many volumes before it was done.</p>\n")
	var written int64
	k, _ := w.Write([]byte(head))
	written += int64(k)
	for written < n {
		chunk := para
		if rest := n - written; rest < int64(len(chunk)) {
			chunk = chunk[:rest]
		}
		k, err := w.Write(chunk)
		written += int64(k)
		if err != nil {
			return
		}
	}
}

// article is an ordinary news story.
func article(title, body string) string {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>` + html.EscapeString(title) + `</title>
<meta property="og:type" content="article"><meta name="author" content="Ana Ruiz">
<meta property="article:published_time" content="2025-07-08T10:00:00Z"></head>
<body><article><h1>` + html.EscapeString(title) + `</h1>` + body + `</article></body></html>`
}

func paragraphs(topic string) string {
	return `<p>` + topic + ` was the subject of a long hearing on Monday, in which lawyers for both sides set out how they read the statute and what the minister knew when she signed the order.</p>
<p>The court heard that the review relied on information that was never shared with the company, and that it had no chance to answer the concerns before the decision was announced last month.</p>
<p>A ruling is expected later this year; until then the order stands, and the company's offices remain closed while its staff wait to hear whether they will be kept on.</p>`
}
