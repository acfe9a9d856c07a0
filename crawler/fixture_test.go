package crawler

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/extract"
)

// site is an httptest news outlet on 127.0.0.1 that records every request.
type site struct {
	t    *testing.T
	srv  *httptest.Server
	host string // fake host name the test resolver maps to 127.0.0.1
	mux  *http.ServeMux

	mu       sync.Mutex
	hits     map[string]int         // request URI -> count
	headers  map[string]http.Header // request URI -> headers of the last request
	arrivals []time.Time
}

func newSite(t *testing.T, host string) *site {
	t.Helper()
	s := &site{t: t, host: host, mux: http.NewServeMux(), hits: map[string]int{}, headers: map[string]http.Header{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.RequestURI()]++
		h := r.Header.Clone()
		h.Set("Host", r.Host)
		s.headers[r.URL.RequestURI()] = h
		s.arrivals = append(s.arrivals, time.Now())
		s.mu.Unlock()
		s.mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// url returns an absolute URL on this site under its fake host name.
func (s *site) url(path string) string {
	_, port, _ := net.SplitHostPort(s.srv.Listener.Addr().String())
	return "http://" + s.host + ":" + port + path
}

func (s *site) hitCount(requestURI string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[requestURI]
}

func (s *site) requestHeaders(requestURI string) http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.headers[requestURI]
}

func (s *site) totalHits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.hits {
		n += c
	}
	return n
}

func (s *site) html(path, body string) {
	s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, body)
	})
}

func (s *site) redirect(path, target string, code int) {
	s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target, code)
	})
}

func (s *site) robots(body string) {
	s.mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, body)
	})
}

// article renders a minimal article page; extra goes into the body.
func article(title, canonical, extra string) string {
	head := ""
	if canonical != "" {
		head = `<link rel="canonical" href="` + canonical + `">`
	}
	return "<!doctype html><html><head><title>" + title + "</title>" + head +
		"</head><body><article><h1>" + title + "</h1><p>Text.</p></article>" + extra + "</body></html>"
}

// listing renders a topic page linking to hrefs.
func listing(title string, hrefs ...string) string {
	var b bytes.Buffer
	b.WriteString(`<!doctype html><html><head><title>` + title + `</title><meta name="page-type" content="listing"></head><body><ul>`)
	for _, h := range hrefs {
		b.WriteString(`<li><a href="` + h + `">link</a></li>`)
	}
	b.WriteString("</ul></body></html>")
	return b.String()
}

// testResolver maps fake host names to addresses and fails every other
// lookup, so a scope bug can never send a packet beyond loopback.
type testResolver struct {
	mu      sync.Mutex
	hosts   map[string]string
	lookups []string
}

func newTestResolver(hosts ...string) *testResolver {
	r := &testResolver{hosts: map[string]string{}}
	for _, h := range hosts {
		r.hosts[h] = "127.0.0.1"
	}
	return r
}

// set maps host to ip.
func (r *testResolver) set(host, ip string) *testResolver {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hosts[host] = ip
	return r
}

func (r *testResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lookups = append(r.lookups, host)
	ip, ok := r.hosts[host]
	if !ok {
		return nil, fmt.Errorf("test resolver: unknown host %s", host)
	}
	return []netip.Addr{netip.MustParseAddr(ip)}, nil
}

func (r *testResolver) looked(host string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, h := range r.lookups {
		if h == host {
			return true
		}
	}
	return false
}

// testSink stands in for the capture pipeline: it records exchanges, finds
// links and the canonical URL with regular expressions, treats pages with
// a page-type listing meta tag as listings and archives the rest.
type testSink struct {
	mu        sync.Mutex
	exchanges map[string]*archive.Exchange // by requested URL
	fail      func(ex *archive.Exchange) error
}

var (
	hrefPattern      = regexp.MustCompile(`<a\s[^>]*href="([^"]*)"`)
	canonicalPattern = regexp.MustCompile(`<link rel="canonical" href="([^"]*)"`)
)

func newTestSink() *testSink { return &testSink{exchanges: map[string]*archive.Exchange{}} }

func (s *testSink) Capture(_ context.Context, ex *archive.Exchange, claim ClaimFunc) (Outcome, error) {
	s.mu.Lock()
	s.exchanges[ex.RequestedURL] = ex
	fail := s.fail
	s.mu.Unlock()
	if fail != nil {
		if err := fail(ex); err != nil {
			return Outcome{}, err
		}
	}
	final := ex.Final()
	base, err := url.Parse(final.URL)
	if err != nil {
		return Outcome{}, err
	}
	var out Outcome
	for _, m := range hrefPattern.FindAllSubmatch(final.Body, -1) {
		if ref, err := base.Parse(string(m[1])); err == nil {
			out.Links = append(out.Links, extract.Link{URL: ref.String()})
		} else {
			out.Links = append(out.Links, extract.Link{URL: string(m[1])})
		}
	}
	if m := canonicalPattern.FindSubmatch(final.Body); m != nil {
		if ref, err := base.Parse(string(m[1])); err == nil {
			out.CanonicalURL = ref.String()
		}
	}
	if bytes.Contains(final.Body, []byte(`name="page-type" content="listing"`)) {
		out.PageType, out.Reason = "listing", "not an article (listing)"
		return out, nil
	}
	out.PageType = "article"
	id := out.CanonicalURL
	if id == "" {
		id = final.URL
	}
	if first, ok := claim(id); !ok {
		out.Reason = "duplicate of " + first
		return out, nil
	}
	out.Archived, out.CaptureID = true, archive.NewCaptureID(time.Now())
	return out, nil
}

func (s *testSink) exchange(requestedURL string) *archive.Exchange {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exchanges[requestedURL]
}

// testConfig is a fast configuration for loopback fixtures.
func testConfig(t *testing.T, resolver *testResolver) Config {
	t.Helper()
	clearProxyEnv(t)
	cfg := DefaultConfig()
	cfg.Version = "9.9.9-test"
	cfg.Contact = "archive@example.org"
	cfg.AllowPrivateNetworks = true // the fixtures live on 127.0.0.1
	cfg.PerHostDelay = 0
	cfg.Parallelism = 4
	cfg.RequestTimeout = 10 * time.Second
	cfg.Resolver = resolver
	return cfg
}

func clearProxyEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "REQUEST_METHOD"} {
		t.Setenv(k, "")
	}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func runCrawl(t *testing.T, cfg Config, sink Sink, seeds ...string) Summary {
	t.Helper()
	c, err := New(cfg, sink, testLogger(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	sum, err := c.Run(context.Background(), seeds)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return sum
}

// resultFor returns the result for a requested URL (normalised form).
func resultFor(t *testing.T, sum Summary, u string) URLResult {
	t.Helper()
	for _, r := range sum.Results {
		if r.URL == u {
			return r
		}
	}
	var got []string
	for _, r := range sum.Results {
		got = append(got, r.URL+" "+r.Status)
	}
	sort.Strings(got)
	t.Fatalf("no result for %s; results:\n%v", u, got)
	return URLResult{}
}

func hasResult(sum Summary, u string) bool {
	for _, r := range sum.Results {
		if r.URL == u {
			return true
		}
	}
	return false
}
