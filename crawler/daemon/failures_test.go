package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/crawler"
	"github.com/archivist-project/archivist/crawler/frontier"
)

func TestRetryPolicyDelays(t *testing.T) {
	p := DefaultRetryPolicy()
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute,
		32 * time.Minute, 64 * time.Minute, 128 * time.Minute, 256 * time.Minute, 6 * time.Hour, 6 * time.Hour}
	for i, w := range want {
		if got := p.Delay(i+1, 0.5); got != w {
			t.Errorf("attempt %d without jitter: %s, want %s", i+1, got, w)
		}
		lo, hi := p.Delay(i+1, 0), p.Delay(i+1, 0.999999)
		if lo < time.Duration(float64(w)*0.8)-time.Millisecond || hi > min(time.Duration(float64(w)*1.2), p.Max) || lo >= hi && w < p.Max {
			t.Errorf("attempt %d jitter range [%s, %s] for %s", i+1, lo, hi, w)
		}
	}
}

// flakySite serves /flaky (503 for the first `fails` requests, then an
// article), /gone (404), /broken (always 500) and /pdf (not HTML).
func flakySite(s *site, fails int) *host {
	h := s.host("flaky.test")
	var n atomic.Int32
	h.mux.HandleFunc("/flaky", func(w http.ResponseWriter, r *http.Request) {
		if int(n.Add(1)) <= fails {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, articleHTML("Flaky", "Finally."))
	})
	h.mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	h.mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "bug", http.StatusInternalServerError) })
	h.static("/pdf", "application/pdf", "%PDF-1.7")
	h.page("/", func() string { return listingHTML("Flaky", "", "/flaky", "/gone", "/broken", "/pdf") })
	return h
}

func TestRetryBackoffScheduleAndPermanentFailures(t *testing.T) {
	clock := newClock()
	s := newSite(t, clock)
	h := flakySite(s, 2)
	fr := openFrontier(t, t.TempDir(), clock)
	cfg := testConfig(t, s, clock, Source{Name: "flaky", URL: h.url("/"), Kind: KindPage, Interval: 365 * 24 * time.Hour})
	cfg.Retry.MaxAttempts = 3
	sink := &testSink{}
	m := NewMetrics(nil)
	start(t, cfg, fr, sink, m)
	settle(t, fr, clock)

	// Permanent failures: recorded with their reason, never retried.
	for path, reason := range map[string]string{"/gone": "HTTP 404", "/pdf": "not HTML (application/pdf)"} {
		if e := entry(t, fr, h.url(path)); e.State != frontier.StateFailed || e.FailKind != frontier.FailPermanent || e.LastError != reason {
			t.Errorf("%s: %+v, want failed permanently with %q", path, e, reason)
		}
	}
	// Transient: retried after 1m, then 2m (no jitter in this test).
	e := entry(t, fr, h.url("/flaky"))
	if e.State != frontier.StatePending || e.Attempts != 1 || !e.Due.Equal(t0.Add(time.Minute)) || e.LastError != "HTTP 503" {
		t.Fatalf("flaky after one failure: %+v, want retry at +1m", e)
	}
	clock.Set(t0.Add(time.Minute))
	settle(t, fr, clock)
	if e := entry(t, fr, h.url("/flaky")); e.Attempts != 2 || !e.Due.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("flaky after two failures: %+v, want retry at +3m", e)
	}
	if e := entry(t, fr, h.url("/broken")); e.Attempts != 2 || !e.Due.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("broken after two failures: %+v", e)
	}
	clock.Set(t0.Add(3 * time.Minute))
	settle(t, fr, clock)
	if e := entry(t, fr, h.url("/flaky")); e.State != frontier.StateDone || e.Captures != 1 || e.Attempts != 0 {
		t.Errorf("flaky after recovering: %+v", e)
	}
	// Out of attempts (3): failed for good, with the count and last reason.
	if e := entry(t, fr, h.url("/broken")); e.State != frontier.StateFailed || e.FailKind != frontier.FailExhausted ||
		e.LastError != "gave up after 3 attempts: HTTP 500" {
		t.Errorf("broken: %+v", e)
	}
	clock.Advance(24 * time.Hour)
	time.Sleep(50 * time.Millisecond)
	for path, want := range map[string]int{"/gone": 1, "/pdf": 1, "/broken": 3, "/flaky": 3} {
		if got := s.hits("flaky.test", path); got != want {
			t.Errorf("%s requested %d times, want %d", path, got, want)
		}
	}
	if got := testutil.ToFloat64(m.Fetches.WithLabelValues("503")); got != 2 {
		t.Errorf("fetches{code=503} = %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.Fetches.WithLabelValues("404")); got != 1 {
		t.Errorf("fetches{code=404} = %v, want 1", got)
	}
	stats, _ := fr.SourceStats(ctxb())
	if st := stats[0]; st.Failed != 3 || st.Archived != 1 || st.Pending != 0 {
		t.Errorf("source stats = %+v", st)
	}
}

func testRetryAfter(t *testing.T, date bool) {
	clock := newClock()
	s := newSite(t, clock)
	n := newNews(s)
	backoffEnds := t0.Add(time.Hour)
	n.busyHost(backoffEnds, date, 3)
	fr := openFrontier(t, t.TempDir(), clock)
	sources := []Source{
		{Name: "busy", URL: n.busy.url("/"), Kind: KindPage, Interval: 365 * 24 * time.Hour},
		{Name: "climate", URL: n.daily.url("/topics/climate"), Kind: KindPage, Interval: 365 * 24 * time.Hour},
	}
	cfg := testConfig(t, s, clock, sources...)
	// One request at a time: a second one already on the wire when the
	// first answer comes could not be called back.
	cfg.HostLimits = map[string]HostLimit{"busy.test": {Parallelism: 1}}
	sink := &testSink{}
	m := NewMetrics(nil)
	r1 := start(t, cfg, fr, sink, m)
	// The first story request gets the 429/503; the other hosts go on.
	waitFor(t, "a story request to busy.test", func() bool { return len(s.requests("busy.test", "")) >= 2 })
	waitFor(t, "the daily articles", func() bool { return len(sink.captured(n.glacier)) == 1 && len(sink.captured(n.reef)) == 1 })
	stories := func() []request {
		var out []request
		for _, r := range s.requests("busy.test", "") {
			if strings.HasPrefix(r.path, "/story/") {
				out = append(out, r)
			}
		}
		return out
	}
	// Half an hour on, nothing may have gone to busy.test since.
	clock.Set(t0.Add(30 * time.Minute))
	time.Sleep(100 * time.Millisecond)
	if got := stories(); len(got) != 1 {
		t.Fatalf("busy.test got %d story requests before its Retry-After time (%v)", len(got), sortedPaths(got))
	}
	code := "429"
	if date {
		code = "503"
	}
	if got := testutil.ToFloat64(m.Fetches.WithLabelValues(code)); got != 1 {
		t.Errorf("fetches{code=%s} = %v, want 1", code, got)
	}
	r1.stop()
	if got := testutil.ToFloat64(m.HostsInBackoff); got != 1 {
		t.Errorf("hosts_in_backoff = %v, want 1", got)
	}
	hb, err := fr.HostsInBackoff(ctxb(), clock.Now())
	if err != nil || len(hb) != 1 || hb[0].Host != "busy.test" || !hb[0].Until.Equal(backoffEnds) {
		t.Errorf("persisted back-offs = %+v, %v", hb, err)
	}
	// A restart keeps honouring it.
	start(t, cfg, fr, sink, m)
	time.Sleep(100 * time.Millisecond)
	if got := stories(); len(got) != 1 {
		t.Fatalf("after a restart busy.test got %d story requests before its Retry-After time", len(got))
	}
	// At the Retry-After time the host is asked again and all stories come.
	clock.Set(backoffEnds)
	waitFor(t, "the busy stories", func() bool {
		return len(sink.captured(n.busy.url("/story/0")))+len(sink.captured(n.busy.url("/story/1")))+len(sink.captured(n.busy.url("/story/2"))) == 3
	})
	for _, r := range stories()[1:] {
		if r.clockAt.Before(backoffEnds) {
			t.Errorf("request %s at %s, before the back-off ended", r.path, r.clockAt)
		}
	}
	if got := len(stories()); got != 4 {
		t.Errorf("%d story requests, want 4 (one refused, three after the wait)", got)
	}
}

func TestRetryAfterSecondsHonoured(t *testing.T)  { testRetryAfter(t, false) }
func TestRetryAfterHTTPDateHonoured(t *testing.T) { testRetryAfter(t, true) }

func TestStoreOutageWaitsWithoutUsingAttempts(t *testing.T) {
	clock := newClock()
	s := newSite(t, clock)
	n := newNews(s)
	fr := openFrontier(t, t.TempDir(), clock)
	cfg := testConfig(t, s, clock, Source{Name: "rss", URL: n.daily.url("/feeds/climate.rss"), Kind: KindFeed, Interval: 365 * 24 * time.Hour})
	cfg.Retry.MaxAttempts = 2
	var down atomic.Bool
	down.Store(true)
	sink := &testSink{fail: func(ex *archive.Exchange) error {
		if down.Load() {
			return fmt.Errorf("capture %s: store objects: %w: disk full", ex.RequestedURL, store.ErrUnavailable)
		}
		return nil
	}}
	m := NewMetrics(nil)
	start(t, cfg, fr, sink, m)
	settle(t, fr, clock)
	for i := range 3 {
		e := entry(t, fr, n.glacier)
		if e.State != frontier.StatePending || e.Attempts != 0 || !e.Due.Equal(clock.Now().Add(cfg.StoreRetry)) {
			t.Fatalf("outage round %d: %+v, want pending at +StoreRetry with no attempt used", i, e)
		}
		clock.Advance(cfg.StoreRetry)
		settle(t, fr, clock)
	}
	if got := testutil.ToFloat64(m.StoreErrors); got < 6 {
		t.Errorf("store_errors_total = %v, want at least 6 (2 articles x 3 rounds)", got)
	}
	down.Store(false)
	clock.Advance(cfg.StoreRetry)
	settle(t, fr, clock)
	if len(sink.captured(n.glacier)) != 1 || len(sink.captured(n.storm)) != 1 {
		t.Errorf("after the outage: glacier %d, storm %d captures", len(sink.captured(n.glacier)), len(sink.captured(n.storm)))
	}
}

func TestExtractionFailureIsPermanentAndCounted(t *testing.T) {
	clock := newClock()
	s := newSite(t, clock)
	n := newNews(s)
	fr := openFrontier(t, t.TempDir(), clock)
	cfg := testConfig(t, s, clock, Source{Name: "rss", URL: n.daily.url("/feeds/climate.rss"), Kind: KindFeed})
	sink := &testSink{fail: func(ex *archive.Exchange) error {
		if strings.HasSuffix(ex.RequestedURL, "/storm") {
			return fmt.Errorf("capture %s: %w: markup nested too deep", ex.RequestedURL, crawler.ErrExtraction)
		}
		if strings.HasSuffix(ex.RequestedURL, "/glacier") {
			panic("extractor bug")
		}
		return nil
	}}
	m := NewMetrics(nil)
	start(t, cfg, fr, sink, m)
	settle(t, fr, clock)
	for _, u := range []string{n.storm, n.glacier} {
		if e := entry(t, fr, u); e.State != frontier.StateFailed || e.FailKind != frontier.FailPermanent || !strings.HasPrefix(e.LastError, "extraction: ") {
			t.Errorf("%s: %+v", u, e)
		}
	}
	if got := testutil.ToFloat64(m.ExtractionFailures); got != 2 {
		t.Errorf("extraction_failures_total = %v, want 2", got)
	}
}

// deadFrontier is a frontier whose process "died": once dead, every call
// fails, so nothing more the old daemon does reaches the database.
type deadFrontier struct {
	frontier.Frontier
	dead atomic.Bool
}

var errDead = errors.New("process killed")

type ctxT = context.Context

func (f *deadFrontier) Complete(ctx ctxT, it frontier.Item, c frontier.Completion) error {
	if f.dead.Load() {
		return errDead
	}
	return f.Frontier.Complete(ctx, it, c)
}

func (f *deadFrontier) Retry(ctx ctxT, it frontier.Item, r frontier.RetryRequest) error {
	if f.dead.Load() {
		return errDead
	}
	return f.Frontier.Retry(ctx, it, r)
}

func (f *deadFrontier) Lease(ctx ctxT, r frontier.LeaseRequest) ([]frontier.Item, error) {
	if f.dead.Load() {
		return nil, errDead
	}
	return f.Frontier.Lease(ctx, r)
}

func (f *deadFrontier) Discover(ctx ctxT, found []frontier.Discovered) (int, error) {
	if f.dead.Load() {
		return 0, errDead
	}
	return f.Frontier.Discover(ctx, found)
}

func TestCrashedDaemonsLeasesAreReclaimed(t *testing.T) {
	clock := newClock()
	s := newSite(t, clock)
	n := newNews(s)
	dir := t.TempDir()
	src := Source{Name: "climate", URL: n.daily.url("/topics/climate"), Kind: KindPage, Interval: 365 * 24 * time.Hour}
	// The first daemon stores captures, but the process dies before any
	// article's Complete reaches the frontier: captures are in the
	// "catalog", leases are held by a dead owner.
	base := openFrontier(t, dir, clock)
	dying := &deadFrontier{Frontier: base}
	gate := make(chan struct{})
	first := &testSink{gate: gate}
	r1 := start(t, testConfig(t, s, clock, src), dying, first, nil)
	waitFor(t, "articles in flight", func() bool { st, _ := base.Stats(ctxb(), clock.Now()); return st.Leased >= 3 })
	dying.dead.Store(true)
	close(gate)
	waitFor(t, "the dying daemon's captures", func() bool { return first.count() >= 3 })
	r1.stop()

	// The next start, on the same file, takes the dead leases back at once
	// (no waiting out the 5-minute lease) and finishes the work.
	fr := openFrontier(t, dir, clock)
	second := &testSink{}
	start(t, testConfig(t, s, clock, src), fr, second, nil)
	settle(t, fr, clock)
	for _, u := range []string{n.glacier, n.reef, n.flood} {
		if e := entry(t, fr, u); e.State != frontier.StateDone || e.Captures != 1 {
			t.Errorf("%s after restart: %+v", u, e)
		}
		// The URL is fetched again: the real Sink finds the same payload in
		// its catalog and records a revisit, not a second capture.
		if got := len(second.captured(u)); got != 1 {
			t.Errorf("%s handed to the Sink %d times after restart, want 1", u, got)
		}
	}
	if !clock.Now().Equal(t0) {
		t.Error("clock moved: reclaim must not wait for lease expiry")
	}
}

func TestGracefulDrainReturnsUnfinishedWork(t *testing.T) {
	clock := newClock()
	s := newSite(t, clock)
	n := newNews(s)
	fr := openFrontier(t, t.TempDir(), clock)
	cfg := testConfig(t, s, clock, Source{Name: "rss", URL: n.daily.url("/feeds/climate.rss"), Kind: KindFeed})
	cfg.DrainTimeout = 200 * time.Millisecond
	sink := &testSink{gate: make(chan struct{})} // never opens: captures hang
	r := start(t, cfg, fr, sink, nil)
	fetches := func() []InFlight {
		var out []InFlight
		for _, a := range r.d.Activity() {
			if a.Kind == "fetch" {
				out = append(out, a)
			}
		}
		return out
	}
	waitFor(t, "captures in flight", func() bool { return len(fetches()) == 2 })
	for _, a := range fetches() {
		if a.Source != "rss" || !a.Started.Equal(t0) || (a.URL != n.glacier && a.URL != n.storm) {
			t.Errorf("activity = %+v", a)
		}
	}
	began := time.Now()
	r.stop()
	if took := time.Since(began); took > 10*time.Second {
		t.Errorf("drain took %s with a 200ms drain timeout", took)
	}
	if err := r.d.Healthy(); err == nil {
		t.Error("Healthy after Run returned")
	}
	for _, u := range []string{n.glacier, n.storm} {
		e := entry(t, fr, u)
		if e.State != frontier.StatePending || e.Attempts != 0 || !e.Due.Equal(t0) {
			t.Errorf("%s after drain: %+v, want returned to the queue, due now, no attempt used", u, e)
		}
	}
}

func TestReloadAddsAndRemovesSources(t *testing.T) {
	clock := newClock()
	s := newSite(t, clock)
	n := newNews(s)
	fr := openFrontier(t, t.TempDir(), clock)
	rss := Source{Name: "rss", URL: n.daily.url("/feeds/climate.rss"), Kind: KindFeed, Interval: time.Hour}
	r := start(t, testConfig(t, s, clock, rss), fr, &testSink{}, nil)
	settle(t, fr, clock)
	herald := Source{Name: "herald", URL: n.herald.url("/atom.xml"), Kind: KindFeed, Interval: time.Hour}
	if err := r.d.Reload([]Source{herald}, map[string]HostLimit{"daily.test": {Parallelism: 1}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new source's poll", func() bool { return s.hits("www.herald.test", "/atom.xml") == 1 })
	settle(t, fr, clock)
	clock.Advance(2 * time.Hour)
	settle(t, fr, clock)
	if got := s.hits("www.daily.test", "/feeds/climate.rss"); got != 1 {
		t.Errorf("removed source polled %d times, want only the first poll", got)
	}
	if got := s.hits("www.herald.test", "/atom.xml"); got != 2 {
		t.Errorf("added source polled %d times, want 2", got)
	}
	if err := r.d.Reload([]Source{{Name: "Bad Name", URL: "ftp://x"}}, nil); err == nil {
		t.Error("Reload accepted an invalid source")
	}
}

func TestMetricsRegisterAndHealth(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	clock := newClock()
	s := newSite(t, clock)
	n := newNews(s)
	fr := openFrontier(t, t.TempDir(), clock)
	r := start(t, testConfig(t, s, clock, Source{Name: "rss", URL: n.daily.url("/feeds/climate.rss"), Kind: KindFeed}), fr, &testSink{}, m)
	settle(t, fr, clock)
	if err := r.d.Healthy(); err != nil {
		t.Errorf("Healthy while running: %v", err)
	}
	r.stop()
	if got := testutil.ToFloat64(m.Captures); got != 2 {
		t.Errorf("captures_total = %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.QueueDepth.WithLabelValues("scheduled")); got != 1 {
		t.Errorf("queue_depth{state=scheduled} = %v, want 1 (the next poll)", got)
	}
	names, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, mf := range names {
		have[mf.GetName()] = true
	}
	for _, want := range []string{"archivist_fetches_total", "archivist_captures_total", "archivist_queue_depth",
		"archivist_hosts_in_backoff", "archivist_source_polls_total", "archivist_discovered_urls_total"} {
		if !have[want] {
			t.Errorf("metric %s not exported", want)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	clock := newClock()
	s := newSite(t, clock)
	fr := openFrontier(t, t.TempDir(), clock)
	for name, mutate := range map[string]func(*Config){
		"duplicate names": func(c *Config) {
			c.Sources = []Source{{Name: "a", URL: "https://a.test/"}, {Name: "a", URL: "https://b.test/"}}
		},
		"bad kind":    func(c *Config) { c.Sources = []Source{{Name: "a", URL: "https://a.test/", Kind: "rss"}} },
		"bad name":    func(c *Config) { c.Sources = []Source{{Name: "A B", URL: "https://a.test/"}} },
		"bad url":     func(c *Config) { c.Sources = []Source{{Name: "a", URL: "mailto:x@y"}} },
		"bad pattern": func(c *Config) { c.Sources = []Source{{Name: "a", URL: "https://a.test/", Include: []string{"("}}} },
		"tiny interval": func(c *Config) {
			c.Sources = []Source{{Name: "a", URL: "https://a.test/", Interval: time.Millisecond}}
		},
		"no workers":    func(c *Config) { c.Workers = 0 },
		"bad revisit":   func(c *Config) { c.Revisits = []time.Duration{-time.Hour} },
		"crawler error": func(c *Config) { c.Crawler.PerHostParallelism = 0 },
	} {
		cfg := testConfig(t, s, clock)
		mutate(&cfg)
		if _, err := New(cfg, fr, &testSink{}, nil, nil); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}
