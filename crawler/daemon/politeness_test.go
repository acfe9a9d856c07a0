package daemon

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/archivist-project/archivist/crawler"
)

// requestLog records the crawler's own view of every request: when it took
// its politeness slot and when it gave it back.
type requestLog struct {
	mu     sync.Mutex
	events []crawler.RequestEvent
}

func (l *requestLog) add(e crawler.RequestEvent) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
}

func (l *requestLog) forHost(host string, pages bool) []crawler.RequestEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []crawler.RequestEvent
	for _, e := range l.events {
		if e.Host == host && (!pages || !strings.HasSuffix(e.URL, "/robots.txt")) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b crawler.RequestEvent) int { return a.Start.Compare(b.Start) })
	return out
}

// maxOverlap is the largest number of [Start, End) intervals open at once.
func maxOverlap(events []crawler.RequestEvent) int {
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, e := range events {
		edges = append(edges, edge{e.Start, +1}, edge{e.End, -1})
	}
	// Ends before starts at the same instant: a released slot is reusable.
	slices.SortFunc(edges, func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.delta - b.delta
	})
	open, most := 0, 0
	for _, e := range edges {
		open += e.delta
		most = max(most, open)
	}
	return most
}

// TestPolitenessLimitsPerHost crawls three hosts with different limits
// (a per-host override, the defaults, a robots.txt Crawl-delay) through
// eight workers and checks, from the crawler's own request log and from
// the servers' concurrency counters, that no host saw more than its limit.
func TestPolitenessLimitsPerHost(t *testing.T) {
	clock := newClock()
	s := newSite(t, clock)
	const stories = 8
	const hold = 40 * time.Millisecond // each response takes this long
	limits := map[string]struct {
		parallelism int
		gap         time.Duration
	}{
		"a.test": {1, 10 * time.Millisecond},  // override: one at a time
		"b.test": {2, 5 * time.Millisecond},   // the defaults below
		"c.test": {2, 100 * time.Millisecond}, // Crawl-delay: 0.1
	}
	var items strings.Builder
	for _, name := range []string{"a.test", "b.test", "c.test"} {
		h := s.host(name)
		h.hold = hold
		if name == "c.test" {
			h.static("/robots.txt", "text/plain", "User-agent: *\nCrawl-delay: 0.1\n")
		}
		for i := range stories {
			path := fmt.Sprintf("/story/%d", i)
			h.page(path, func() string { return articleHTML(name+path, "Text.") })
			fmt.Fprintf(&items, "<item><title>%s</title><link>%s</link></item>", name+path, h.url(path))
		}
	}
	wire := s.host("wire.test")
	wire.static("/feed.rss", "application/rss+xml", `<rss version="2.0"><channel><title>Wire</title>`+items.String()+`</channel></rss>`)

	log := &requestLog{}
	cfg := testConfig(t, s, clock, Source{Name: "wire", URL: wire.url("/feed.rss"), Kind: KindFeed, Interval: 365 * 24 * time.Hour})
	cfg.Workers = 8
	cfg.Crawler.PerHostParallelism = 2
	cfg.Crawler.PerHostDelay = 5 * time.Millisecond
	cfg.HostLimits = map[string]HostLimit{"a.test": {Parallelism: 1, Delay: 10 * time.Millisecond}}
	cfg.Crawler.OnRequest = log.add
	fr := openFrontier(t, t.TempDir(), clock)
	sink := &testSink{}
	start(t, cfg, fr, sink, nil)
	settle(t, fr, clock)
	if got := sink.count(); got != 3*stories {
		t.Fatalf("archived %d stories, want %d", got, 3*stories)
	}

	for name, lim := range limits {
		all := log.forHost(name, false)
		if n := len(s.requests(name, "")); n != len(all) {
			t.Errorf("%s: server saw %d requests, crawler logged %d", name, n, len(all))
		}
		if got := maxOverlap(all); got > lim.parallelism {
			t.Errorf("%s: crawler had %d requests open at once, limit %d", name, got, lim.parallelism)
		}
		if got := int(s.host(name).maxInflight.Load()); got > lim.parallelism {
			t.Errorf("%s: server saw %d concurrent requests, limit %d", name, got, lim.parallelism)
		}
		// Crawl-delay is known once robots.txt is read, so gaps are checked
		// between page requests; the limiter's own start times are exact.
		pages := log.forHost(name, true)
		var gaps []string
		for i := 1; i < len(pages); i++ {
			gap := pages[i].Start.Sub(pages[i-1].Start)
			gaps = append(gaps, gap.Round(time.Millisecond).String())
			if gap < lim.gap {
				t.Errorf("%s: requests %d and %d started %s apart, minimum %s", name, i-1, i, gap, lim.gap)
			}
		}
		t.Logf("%s: %d requests, max %d at once (server %d), gaps %s", name, len(all), maxOverlap(all),
			s.host(name).maxInflight.Load(), strings.Join(gaps, " "))
	}
}
