package crawler

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"
)

// testClock is an injected clock for robots lifetimes and back-offs.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

var fetchT0 = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

func newTestFetcher(t *testing.T, cfg Config) *Fetcher {
	t.Helper()
	f, err := NewFetcher(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

func TestFetchOutcomes(t *testing.T) {
	s := newSite(t, "out.test")
	s.robots("User-agent: *\nDisallow: /private/\n")
	s.html("/ok", article("OK", "", ""))
	s.html("/private/x", article("X", "", ""))
	for path, code := range map[string]int{"/gone": 404, "/teapot": 418, "/boom": 500, "/slow": 408, "/unavailable": 503, "/forbidden": 403} {
		s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "x", code) })
	}
	s.mux.HandleFunc("/pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		fmt.Fprint(w, "%PDF-1.7")
	})
	cfg := testConfig(t, newTestResolver("out.test"))
	f := newTestFetcher(t, cfg)
	for path, want := range map[string]FetchOutcome{
		"/ok": FetchOK, "/private/x": FetchBlocked, "/pdf": FetchNotHTML,
		"/gone": FetchPermanent, "/teapot": FetchPermanent, "/forbidden": FetchPermanent,
		"/boom": FetchTransient, "/slow": FetchTransient, "/unavailable": FetchTransient,
	} {
		res := f.Fetch(context.Background(), FetchRequest{URL: s.url(path)})
		if res.Outcome != want {
			t.Errorf("%s: %s (%s), want %s", path, res.Outcome, res.Reason, want)
		}
	}
	// Any type is fine for feeds and sitemaps.
	if res := f.Fetch(context.Background(), FetchRequest{URL: s.url("/pdf"), AnyType: true}); res.Outcome != FetchOK || res.MediaType != "application/pdf" {
		t.Errorf("AnyType fetch = %+v", res)
	}
	if res := f.Fetch(context.Background(), FetchRequest{URL: "http://nowhere.test/"}); res.Outcome != FetchTransient {
		t.Errorf("unresolvable host: %s (%s), want transient", res.Outcome, res.Reason)
	}
	cfg.AllowPrivateNetworks = false
	guarded := newTestFetcher(t, cfg)
	if res := guarded.Fetch(context.Background(), FetchRequest{URL: s.url("/ok")}); res.Outcome != FetchPermanent {
		t.Errorf("loopback with the guard on: %s (%s), want permanent", res.Outcome, res.Reason)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res := f.Fetch(ctx, FetchRequest{URL: s.url("/ok")}); res.Outcome != FetchCanceled {
		t.Errorf("canceled fetch: %s", res.Outcome)
	}
}

func TestConditionalGET(t *testing.T) {
	s := newSite(t, "cond.test")
	s.mux.HandleFunc("/a", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Fri, 27 Nov 2026 07:00:00 GMT")
		if r.Header.Get("If-None-Match") == `"v1"` || r.Header.Get("If-Modified-Since") == "Fri, 27 Nov 2026 07:00:00 GMT" {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, article("A", "", ""))
	})
	f := newTestFetcher(t, testConfig(t, newTestResolver("cond.test")))
	first := f.Fetch(context.Background(), FetchRequest{URL: s.url("/a")})
	if first.Outcome != FetchOK || first.ETag != `"v1"` || first.LastModified != "Fri, 27 Nov 2026 07:00:00 GMT" {
		t.Fatalf("first fetch = %+v", first)
	}
	for _, req := range []FetchRequest{
		{URL: s.url("/a"), ETag: first.ETag},
		{URL: s.url("/a"), LastModified: first.LastModified},
	} {
		if res := f.Fetch(context.Background(), req); res.Outcome != FetchNotModified || res.HTTPStatus != 304 {
			t.Errorf("conditional fetch %+v = %s (%s)", req, res.Outcome, res.Reason)
		}
	}
	if h := s.requestHeaders("/a"); h.Get("If-Modified-Since") != first.LastModified {
		t.Errorf("If-Modified-Since sent = %q", h.Get("If-Modified-Since"))
	}
}

func TestRetryAfterBacksOffTheHost(t *testing.T) {
	clock := &testClock{now: fetchT0}
	s := newSite(t, "busy.test")
	s.mux.HandleFunc("/a", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	})
	s.html("/b", article("B", "", ""))
	cfg := testConfig(t, newTestResolver("busy.test"))
	cfg.Clock = clock.Now
	f := newTestFetcher(t, cfg)
	res := f.Fetch(context.Background(), FetchRequest{URL: s.url("/a")})
	if res.Outcome != FetchTransient || !res.RetryAfter.Equal(fetchT0.Add(2*time.Minute)) {
		t.Fatalf("429 = %+v", res)
	}
	hits := s.totalHits()
	res = f.Fetch(context.Background(), FetchRequest{URL: s.url("/b")})
	if res.Outcome != FetchBackedOff || !res.RetryAfter.Equal(fetchT0.Add(2*time.Minute)) || s.totalHits() != hits {
		t.Errorf("fetch during the back-off = %+v, %d new requests", res, s.totalHits()-hits)
	}
	if d := f.readyIn("busy.test"); d != hostBackedOff {
		t.Errorf("readyIn of a backed-off host = %v, want hostBackedOff", d)
	}
	if b := f.BackedOff(); len(b) != 1 || !b["busy.test"].Equal(fetchT0.Add(2*time.Minute)) {
		t.Errorf("BackedOff = %v", b)
	}
	clock.Advance(2 * time.Minute)
	if res := f.Fetch(context.Background(), FetchRequest{URL: s.url("/b")}); res.Outcome != FetchOK {
		t.Errorf("after the back-off: %s (%s)", res.Outcome, res.Reason)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := fetchT0
	for in, want := range map[string]time.Duration{
		"120":                           2 * time.Minute,
		"0":                             0,
		"Fri, 27 Nov 2026 09:00:00 GMT": time.Hour,
		"Fri, 27 Nov 2026 07:00:00 GMT": 0, // in the past: now
		"99999999999999":                365 * 24 * time.Hour,
	} {
		got, ok := ParseRetryAfter(in, now)
		if !ok || got.Sub(now) != want {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want now+%s", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "-5", "soon", "1.5"} {
		if _, ok := ParseRetryAfter(in, now); ok {
			t.Errorf("ParseRetryAfter(%q) accepted", in)
		}
	}
}

func TestRobotsCachedForItsLifetime(t *testing.T) {
	clock := &testClock{now: fetchT0}
	s := newSite(t, "rules.test")
	rules := "User-agent: *\nDisallow: /a\n"
	var mu sync.Mutex
	s.mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprint(w, rules)
	})
	s.html("/a", article("A", "", ""))
	cfg := testConfig(t, newTestResolver("rules.test"))
	cfg.Clock = clock.Now
	cfg.RobotsTTL = time.Hour
	f := newTestFetcher(t, cfg)
	if res := f.Fetch(context.Background(), FetchRequest{URL: s.url("/a")}); res.Outcome != FetchBlocked {
		t.Fatalf("first fetch: %s", res.Outcome)
	}
	mu.Lock()
	rules = "User-agent: *\nDisallow: /b\n"
	mu.Unlock()
	clock.Advance(59 * time.Minute)
	if res := f.Fetch(context.Background(), FetchRequest{URL: s.url("/a")}); res.Outcome != FetchBlocked || s.hitCount("/robots.txt") != 1 {
		t.Errorf("within the lifetime: %s, robots.txt fetched %d times", res.Outcome, s.hitCount("/robots.txt"))
	}
	clock.Advance(time.Minute)
	if res := f.Fetch(context.Background(), FetchRequest{URL: s.url("/a")}); res.Outcome != FetchOK || s.hitCount("/robots.txt") != 2 {
		t.Errorf("after the lifetime: %s, robots.txt fetched %d times", res.Outcome, s.hitCount("/robots.txt"))
	}
}

func TestCrawlDelayAndSitemapsFromRobots(t *testing.T) {
	s := newSite(t, "delay.test")
	s.robots("User-agent: *\nCrawl-delay: 0.08\nSitemap: https://delay.test/news.xml\nSitemap: https://delay.test/all.xml\n")
	for i := range 3 {
		s.html(fmt.Sprintf("/%d", i), article("D", "", ""))
	}
	cfg := testConfig(t, newTestResolver("delay.test"))
	var mu sync.Mutex
	var starts []time.Time
	cfg.OnRequest = func(e RequestEvent) {
		mu.Lock()
		starts = append(starts, e.Start)
		mu.Unlock()
	}
	f := newTestFetcher(t, cfg)
	maps, err := f.Sitemaps(context.Background(), s.url("/"))
	if err != nil || len(maps) != 2 || maps[0] != "https://delay.test/news.xml" {
		t.Errorf("Sitemaps = %v, %v", maps, err)
	}
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() { f.Fetch(context.Background(), FetchRequest{URL: s.url(fmt.Sprintf("/%d", i))}) })
	}
	wg.Wait()
	if len(starts) != 4 {
		t.Fatalf("%d requests logged, want robots.txt and 3 pages", len(starts))
	}
	for i := 2; i < len(starts); i++ { // page to page
		if gap := starts[i].Sub(starts[i-1]); gap < 80*time.Millisecond {
			t.Errorf("pages %d and %d started %s apart; Crawl-delay is 80ms", i-2, i-1, gap)
		}
	}
	// A cap bounds what a site may ask for.
	cfg.MaxCrawlDelay = 10 * time.Millisecond
	capped := newTestFetcher(t, cfg)
	if _, err := capped.Sitemaps(context.Background(), s.url("/")); err != nil {
		t.Fatal(err)
	}
	if d := capped.robots.crawlDelay("delay.test"); d != 10*time.Millisecond {
		t.Errorf("capped Crawl-delay = %s, want 10ms", d)
	}
}

func TestHostLimitOverrides(t *testing.T) {
	l := newHostLimiter(2, 0)
	l.setOverrides(map[string]HostLimit{"www.Solo.test:8080": {Parallelism: 1}, "slow.test": {Delay: time.Hour}})
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := l.acquire(context.Background(), "solo.test"); err != nil {
		t.Fatal(err)
	}
	// The override (keyed without www.) applies to www.solo.test too, but
	// slots are per host name, so it has its own.
	if _, _, err := l.acquire(canceled, "www.solo.test"); err != nil {
		t.Fatalf("first request to www.solo.test: %v", err)
	}
	if _, _, err := l.acquire(canceled, "www.solo.test"); err == nil {
		t.Error("second request to www.solo.test allowed with an override of parallelism 1")
	}
	if _, _, err := l.acquire(canceled, "solo.test"); err == nil {
		t.Error("second request to solo.test allowed with an override of parallelism 1")
	}
	if _, _, err := l.acquire(context.Background(), "slow.test"); err != nil {
		t.Fatal(err)
	}
	if l.readyIn("slow.test") == 0 {
		t.Error("slow.test ready within its 1h override delay")
	}
	if busy := l.busy(); len(busy) != 3 {
		t.Errorf("busy hosts = %v, want solo.test, www.solo.test and slow.test", busy)
	}
	for in, want := range map[string]string{"WWW.Daily.Test": "daily.test", "daily.test:8443": "daily.test", "[::1]:80": "::1", "news.daily.test": "news.daily.test"} {
		if got := LimitKey(in); got != want {
			t.Errorf("LimitKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSessionJarStartsAfresh(t *testing.T) {
	clock := &testClock{now: fetchT0}
	j := newSessionJar(time.Hour, clock.Now)
	u, _ := url.Parse("https://paper.test/")
	j.SetCookies(u, []*http.Cookie{{Name: "meter", Value: "3"}})
	if got := j.Cookies(u); len(got) != 1 {
		t.Fatalf("cookies = %v", got)
	}
	clock.Advance(time.Hour)
	if got := j.Cookies(u); len(got) != 0 {
		t.Errorf("cookies kept past the lifetime: %v", got)
	}
	forever := newSessionJar(0, clock.Now)
	forever.SetCookies(u, []*http.Cookie{{Name: "a", Value: "1"}})
	clock.Advance(1000 * time.Hour)
	if got := forever.Cookies(u); len(got) != 1 {
		t.Errorf("lifetime 0 dropped cookies")
	}
}
