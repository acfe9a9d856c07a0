// Package demosite serves a small news site on loopback: a topic page that
// lists one story from five outlets (modelled on a real "#HikvisionCanada"
// topic page, one outlet carrying a syndicated Reuters copy), the five
// articles on five separate hosts, and the awkward cases a crawler meets: a
// redirect, a 404, a PDF, a robots.txt rule, share buttons and a page in
// windows-1252. For the daemon it also has an RSS feed of the topic, and a
// "wire" host with a developing story whose headline, byline, dates and
// body change on a clock the caller moves (Advance), an Atom feed, a
// sitemap index with a news sitemap, and a robots.txt naming it.
// `archivist demo` crawls it, and the end-to-end tests use it as their
// fixture.
package demosite

import (
	"context"
	"embed"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

//go:embed site/*.html
var pages embed.FS

// Outlets are the hosts of the site; "daily8" carries the topic page and
// its RSS feed, "wire" a developing story that changes over time, with an
// Atom feed and a news sitemap.
var Outlets = []string{"daily8", "toi", "ctv", "reuters", "aljazeera", "businesstimes", "wire"}

// ArticlePaths are the paths of the five articles, by outlet.
var ArticlePaths = map[string]string{
	"toi":           "/world/canada/chinese-spy-tech-giant-fights-back/articleshow/122301234.cms",
	"ctv":           "/politics/chinese-surveillance-company-hikvision-seeks-to-overturn-ban-in-canada-1.7591234",
	"reuters":       "/world/china/chinas-hikvision-says-it-is-challenging-canadas-shut-down-order-2025-07-07/",
	"aljazeera":     "/news/2025/6/30/china-claims-canadas-order-for-hikvision-closure-damages-trade-relations",
	"businesstimes": "/international/global/china-urges-canada-correct-wrongdoing-over-hikvision-shutdown",
}

// TopicPath is the topic page's path on the daily8 host.
const TopicPath = "/topics/hikvisioncanada"

// Request is one request the site received.
type Request struct {
	Outlet    string
	Path      string
	Query     string
	UserAgent string
	Start     time.Time
	End       time.Time
}

// Site is a running demo site.
type Site struct {
	mu        sync.Mutex
	onRequest func(outlet, path string)
	origins   map[string]string
	servers   []*http.Server
	requests  []Request
	// started and offset make the site's clock (see Advance).
	started time.Time
	offset  time.Duration
}

// Start serves every outlet on its own 127.0.0.1 port.
func Start() (*Site, error) {
	s := &Site{origins: map[string]string{}, started: time.Now()}
	listeners := map[string]net.Listener{}
	for _, o := range Outlets {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			return nil, fmt.Errorf("start demo site: %w", err)
		}
		listeners[o] = ln
		s.origins[o] = "http://" + ln.Addr().String()
	}
	for _, o := range Outlets {
		srv := &http.Server{Handler: s.handler(o), ReadHeaderTimeout: 10 * time.Second}
		s.servers = append(s.servers, srv)
		go srv.Serve(listeners[o])
	}
	return s, nil
}

// Close stops every server.
func (s *Site) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range s.servers {
		srv.Shutdown(ctx)
	}
}

// URL returns the absolute URL of path on an outlet.
func (s *Site) URL(outlet, path string) string { return s.origins[outlet] + path }

// TopicURL is the seed to crawl.
func (s *Site) TopicURL() string { return s.URL("daily8", TopicPath) }

// ArticleURL returns the canonical URL of an outlet's article.
func (s *Site) ArticleURL(outlet string) string { return s.URL(outlet, ArticlePaths[outlet]) }

// OnRequest sets a function called before each request is served (tests
// use it to inject faults at a precise moment).
func (s *Site) OnRequest(fn func(outlet, path string)) {
	s.mu.Lock()
	s.onRequest = fn
	s.mu.Unlock()
}

// Requests returns every request received so far.
func (s *Site) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Site) page(name string) ([]byte, error) {
	data, err := pages.ReadFile("site/" + name + ".html")
	if err != nil {
		return nil, err
	}
	pairs := make([]string, 0, 2*len(s.origins))
	for o, origin := range s.origins {
		pairs = append(pairs, "{origin:"+o+"}", origin)
	}
	return []byte(strings.NewReplacer(pairs...).Replace(string(data))), nil
}

func (s *Site) handler(outlet string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		defer func() {
			s.mu.Lock()
			s.requests = append(s.requests, Request{Outlet: outlet, Path: r.URL.Path, Query: r.URL.RawQuery, UserAgent: r.UserAgent(), Start: start, End: time.Now()})
			s.mu.Unlock()
		}()
		s.mu.Lock()
		hook := s.onRequest
		s.mu.Unlock()
		if hook != nil {
			hook(outlet, r.URL.Path)
		}
		s.serve(outlet, w, r)
	})
}

func (s *Site) serve(outlet string, w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case strings.HasPrefix(path, BulkListPath) && s.serveBulk(outlet, w, r):
		return
	case path == "/robots.txt" && outlet == "daily8":
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
		return
	case path == "/robots.txt" && outlet == "reuters":
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "User-agent: *\nAllow: /\nDisallow: /pf/\n")
		return
	case outlet == "wire":
		if s.serveWire(w, r) {
			return
		}
	case outlet == "daily8" && path == RSSPath:
		serveXML(w, r, "application/rss+xml", s.editionTime(s.LiveEdition()), s.rssFeed())
		return
	case outlet == "daily8" && path == TopicPath:
		s.writePage(w, "topic", "text/html; charset=utf-8")
		return
	case outlet == "daily8" && (path == "/" || path == "/about" || path == "/private/drafts" ||
		strings.HasPrefix(path, "/topics/") || strings.HasPrefix(path, "/tags/") || strings.HasPrefix(path, "/sources/")):
		s.writePage(w, "about", "text/html; charset=utf-8")
		return
	case outlet == "daily8" && (path == "/media/hikvision-report.pdf" || path == "/download"):
		w.Header().Set("Content-Type", "application/pdf")
		fmt.Fprint(w, "%PDF-1.4\n% not a real report\n")
		return
	case outlet == "aljazeera" && path == "/news/hikvision-closure-trade":
		http.Redirect(w, r, ArticlePaths["aljazeera"], http.StatusMovedPermanently)
		return
	case path == ArticlePaths[outlet]:
		ct := "text/html; charset=utf-8"
		if outlet == "ctv" {
			ct = "text/html; charset=windows-1252"
		}
		s.writePage(w, outlet, ct)
		return
	}
	http.NotFound(w, r)
}

func (s *Site) writePage(w http.ResponseWriter, name, contentType string) {
	data, err := s.page(name)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Last-Modified", "Mon, 07 Jul 2025 10:05:00 GMT")
	w.Write(data)
}
