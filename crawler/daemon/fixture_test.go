package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/crawler"
	"github.com/archivist-project/archivist/crawler/frontier"
	"github.com/archivist-project/archivist/crawler/frontier/sqlite"
	"github.com/archivist-project/archivist/extract"
)

// t0 is when every fixture story begins.
var t0 = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

// fakeClock is the injected clock: it moves only when a test says so.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// request is one request a fixture host received.
type request struct {
	host    string
	path    string // request URI
	at      time.Time
	clockAt time.Time // the fake clock at arrival
	header  http.Header
}

// host is one fixture web site on 127.0.0.1 under a fake name.
type host struct {
	name                  string
	srv                   *httptest.Server
	mux                   *http.ServeMux
	inflight, maxInflight atomic.Int32
	hold                  time.Duration // each request is held this long (concurrency tests)
}

func (h *host) url(path string) string {
	_, port, _ := net.SplitHostPort(h.srv.Listener.Addr().String())
	return "http://" + h.name + ":" + port + path
}

// site is the fixture: hosts whose pages change with the fake clock,
// resolved by a test resolver so nothing leaves loopback.
type site struct {
	t     *testing.T
	clock *fakeClock

	mu    sync.Mutex
	hosts map[string]*host
	reqs  []request
}

func newSite(t *testing.T, clock *fakeClock) *site {
	return &site{t: t, clock: clock, hosts: map[string]*host{}}
}

// host returns (creating) the fixture host called name.
func (s *site) host(name string) *host {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h, ok := s.hosts[name]; ok {
		return h
	}
	h := &host{name: name, mux: http.NewServeMux()}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := h.inflight.Add(1)
		defer h.inflight.Add(-1)
		for {
			m := h.maxInflight.Load()
			if n <= m || h.maxInflight.CompareAndSwap(m, n) {
				break
			}
		}
		s.mu.Lock()
		s.reqs = append(s.reqs, request{host: name, path: r.URL.RequestURI(), at: time.Now(), clockAt: s.clock.Now(), header: r.Header.Clone()})
		s.mu.Unlock()
		if h.hold > 0 {
			time.Sleep(h.hold)
		}
		h.mux.ServeHTTP(w, r)
	}))
	s.t.Cleanup(h.srv.Close)
	s.hosts[name] = h
	return h
}

// resolver maps every fixture host to 127.0.0.1 and fails all else.
func (s *site) LookupNetIP(_ context.Context, _, name string) ([]netip.Addr, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.hosts[name]; ok {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	return nil, fmt.Errorf("fixture resolver: unknown host %s", name)
}

// requests returns the requests received for host and path ("" = any).
func (s *site) requests(hostName, path string) []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []request
	for _, r := range s.reqs {
		if r.host == hostName && (path == "" || r.path == path) {
			out = append(out, r)
		}
	}
	return out
}

func (s *site) hits(hostName, path string) int { return len(s.requests(hostName, path)) }

// page serves body (HTML) with an ETag, answering 304 to a matching
// If-None-Match. body is called per request, so it may change with time.
func (h *host) page(path string, body func() string) { h.doc(path, "text/html; charset=utf-8", body) }

// doc is page for any content type.
func (h *host) doc(path, contentType string, body func() string) {
	h.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		b := body()
		etag := fmt.Sprintf(`"%x"`, hash(b))
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", contentType)
		fmt.Fprint(w, b)
	})
}

func (h *host) static(path, contentType, body string) {
	h.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		fmt.Fprint(w, body)
	})
}

func hash(s string) uint32 {
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

func articleHTML(title, body string) string {
	return "<!doctype html><html><head><title>" + title + "</title></head><body><article><h1>" + title +
		"</h1><p>" + body + "</p></article></body></html>"
}

func listingHTML(title string, head string, hrefs ...string) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html><head><title>` + title + `</title><meta name="page-type" content="listing">` + head + `</head><body><ul>`)
	for _, h := range hrefs {
		b.WriteString(`<li><a href="` + h + `">` + h + `</a></li>`)
	}
	b.WriteString("</ul></body></html>")
	return b.String()
}

// sinkCall is one Capture call the test Sink received.
type sinkCall struct {
	url       string // requested
	finalURL  string
	source    string
	tags      []string
	depth     int
	discovery *archive.Discovery
	title     string
	captureID string
	fetchedAt time.Time
	runID     string
}

// testSink stands in for the capture pipeline: pages marked as listings
// are archived only at depth 0 (like keep_listings), everything else is
// an article. Links are found with a regular expression.
type testSink struct {
	mu    sync.Mutex
	calls []sinkCall
	n     int
	// fail, when set, decides an error for a call (before anything is
	// "stored").
	fail func(ex *archive.Exchange) error
	// gate, when set, is waited on by every Capture of an article
	// (depth > 0), or until ctx ends.
	gate chan struct{}
}

var (
	hrefRE  = regexp.MustCompile(`<a\s[^>]*href="([^"]*)"`)
	titleRE = regexp.MustCompile(`<h1>([^<]*)</h1>|<title>([^<]*)</title>`)
)

func (s *testSink) Capture(ctx context.Context, ex *archive.Exchange, claim crawler.ClaimFunc) (crawler.Outcome, error) {
	s.mu.Lock()
	fail, gate := s.fail, s.gate
	s.mu.Unlock()
	if gate != nil && ex.Depth > 0 {
		select {
		case <-gate:
		case <-ctx.Done():
			return crawler.Outcome{}, ctx.Err()
		}
	}
	if fail != nil {
		if err := fail(ex); err != nil {
			return crawler.Outcome{}, err
		}
	}
	final := ex.Final()
	base, _ := url.Parse(final.URL)
	var out crawler.Outcome
	for _, m := range hrefRE.FindAllSubmatch(final.Body, -1) {
		if ref, err := base.Parse(string(m[1])); err == nil {
			out.Links = append(out.Links, extract.Link{URL: ref.String()})
		}
	}
	title := ""
	if m := titleRE.FindSubmatch(final.Body); m != nil {
		title = string(m[1]) + string(m[2])
	}
	listing := strings.Contains(string(final.Body), `content="listing"`)
	out.PageType = "article"
	if listing {
		out.PageType = "listing"
		if ex.Depth > 0 {
			out.Reason = "not an article (listing)"
			return out, nil
		}
	}
	if owner, ok := claim(final.URL); !ok {
		out.Reason = "duplicate of " + owner
		return out, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	out.Archived, out.CaptureID = true, fmt.Sprintf("cap-%d", s.n)
	s.calls = append(s.calls, sinkCall{
		url: ex.RequestedURL, finalURL: final.URL, source: ex.Source, tags: ex.Tags, depth: ex.Depth,
		discovery: ex.Discovery, title: title, captureID: out.CaptureID, fetchedAt: ex.FetchStart, runID: ex.RunID,
	})
	return out, nil
}

// captured returns the Capture calls stored for requested URL u.
func (s *testSink) captured(u string) []sinkCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []sinkCall
	for _, c := range s.calls {
		if c.url == u {
			out = append(out, c)
		}
	}
	return out
}

func (s *testSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

// testConfig is a fast daemon configuration for the fixture.
func testConfig(t *testing.T, s *site, clock *fakeClock, sources ...Source) Config {
	t.Helper()
	for _, k := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "REQUEST_METHOD"} {
		t.Setenv(k, "")
	}
	cfg := DefaultConfig()
	cfg.Crawler.Version = "9.9.9-test"
	cfg.Crawler.AllowPrivateNetworks = true // the fixture lives on 127.0.0.1
	cfg.Crawler.PerHostDelay = 0
	cfg.Crawler.RequestTimeout = 10 * time.Second
	cfg.Crawler.Resolver = s
	cfg.Clock = clock.Now
	cfg.Sources = sources
	cfg.Workers = 4
	cfg.IdlePoll = 5 * time.Millisecond
	cfg.DrainTimeout = 5 * time.Second
	cfg.Rand = func() float64 { return 0.5 } // no jitter: exact schedules
	return cfg
}

func openFrontier(t *testing.T, dir string, clock *fakeClock) *sqlite.Frontier {
	t.Helper()
	f, err := sqlite.Open(context.Background(), filepath.Join(dir, "frontier.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	f.SetClock(clock.Now)
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// running is a Daemon started in the background.
type running struct {
	t      *testing.T
	d      *Daemon
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

func start(t *testing.T, cfg Config, fr frontier.Frontier, sink crawler.Sink, m *Metrics) *running {
	t.Helper()
	d, err := New(cfg, fr, sink, testLogger(t), m)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{t: t, d: d, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- d.Run(ctx) }()
	t.Cleanup(func() { r.stop() })
	waitFor(t, "the daemon to start", func() bool { return d.Healthy() == nil })
	return r
}

// stop cancels Run and waits for it (generously: it only must terminate).
func (r *running) stop() {
	r.t.Helper()
	r.once.Do(func() {
		r.cancel()
		select {
		case err := <-r.done:
			if err != nil {
				r.t.Errorf("Run returned %v", err)
			}
		case <-time.After(30 * time.Second):
			r.t.Error("Run did not return after cancellation")
		}
	})
}

// waitFor polls cond (real time) until it holds, failing after a generous
// bound: the daemon's scheduler runs every few milliseconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// settle waits until the frontier has nothing due at the current fake
// time and nothing leased: the daemon has done everything it can now.
func settle(t *testing.T, fr frontier.Frontier, clock *fakeClock) {
	t.Helper()
	waitFor(t, "the daemon to finish the work due now", func() bool {
		st, err := fr.Stats(context.Background(), clock.Now())
		return err == nil && st.Due == 0 && st.Leased == 0
	})
}

func entry(t *testing.T, fr frontier.Frontier, u string) frontier.Entry {
	t.Helper()
	e, err := fr.Lookup(context.Background(), u)
	if err != nil {
		t.Fatalf("Lookup %s: %v", u, err)
	}
	return e
}

func sortedPaths(reqs []request) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.path)
	}
	slices.Sort(out)
	return out
}
