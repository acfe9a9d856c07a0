package crawler

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLimiterCapsParallelismPerHost(t *testing.T) {
	l := newHostLimiter(2, 0)
	ctx := context.Background()
	canceled, cancel := context.WithCancel(ctx)
	cancel()

	rel1, _, err1 := l.acquire(ctx, "a.test")
	_, _, err2 := l.acquire(ctx, "A.test")
	if err1 != nil || err2 != nil {
		t.Fatalf("first two acquires: %v, %v", err1, err2)
	}
	// Full: a third acquire can only end through its context.
	if _, _, err := l.acquire(canceled, "a.test"); err == nil {
		t.Fatal("third concurrent acquire on a.test succeeded with parallelism 2")
	}
	if l.readyIn("a.test") == 0 {
		t.Error("ready reports a full host as ready")
	}
	// Other hosts are independent.
	if _, _, err := l.acquire(canceled, "b.test"); err != nil {
		t.Errorf("acquire on another host blocked: %v", err)
	}
	rel1()
	rel1() // idempotent: must not free a second slot
	if _, _, err := l.acquire(canceled, "a.test"); err != nil {
		t.Errorf("acquire after release: %v", err)
	}
	if _, _, err := l.acquire(canceled, "a.test"); err == nil {
		t.Error("double release freed two slots")
	}
}

func TestLimiterSpacesStarts(t *testing.T) {
	const delay = 30 * time.Millisecond
	l := newHostLimiter(3, delay)
	var starts []time.Time
	for range 4 {
		release, started, err := l.acquire(context.Background(), "a.test")
		if err != nil {
			t.Fatal(err)
		}
		release()
		starts = append(starts, started)
	}
	for i := 1; i < len(starts); i++ {
		if gap := starts[i].Sub(starts[i-1]); gap < delay {
			t.Errorf("start %d came %s after the previous one, want >= %s", i, gap, delay)
		}
	}
}

// busySite serves a listing of n pages whose handler holds every request
// until `want` requests are in flight across all busy sites (or 2s pass),
// so the test observes the highest concurrency the crawler allows.
type busySite struct {
	*site
	inflight, max atomic.Int32
}

func newBusySite(t *testing.T, host string, n int, global *atomic.Int32, globalMax *atomic.Int32, want int32, reached chan struct{}, once *sync.Once) *busySite {
	b := &busySite{site: newSite(t, host)}
	var hrefs []string
	for i := range n {
		hrefs = append(hrefs, fmt.Sprintf("/a/%d", i))
	}
	b.html("/topic", listing("Busy", hrefs...))
	b.mux.HandleFunc("/a/", func(w http.ResponseWriter, r *http.Request) {
		in := b.inflight.Add(1)
		defer b.inflight.Add(-1)
		raise(&b.max, in)
		g := global.Add(1)
		defer global.Add(-1)
		raise(globalMax, g)
		if g >= want {
			once.Do(func() { close(reached) })
		}
		select {
		case <-reached:
		case <-time.After(2 * time.Second):
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, article("Busy "+r.URL.Path, "", ""))
	})
	return b
}

func raise(max *atomic.Int32, v int32) {
	for {
		m := max.Load()
		if v <= m || max.CompareAndSwap(m, v) {
			return
		}
	}
}

func TestPerHostParallelismNeverExceeded(t *testing.T) {
	var global, globalMax atomic.Int32
	reached := make(chan struct{})
	var once sync.Once
	const perHost = 2
	one := newBusySite(t, "one.test", 8, &global, &globalMax, 2*perHost, reached, &once)
	two := newBusySite(t, "two.test", 8, &global, &globalMax, 2*perHost, reached, &once)
	seedSite := newSite(t, "seed.test")
	seedSite.html("/", listing("Seeds", one.url("/topic"), two.url("/topic")))

	cfg := testConfig(t, newTestResolver("one.test", "two.test", "seed.test"))
	cfg.PerHostParallelism = perHost
	// A worker for every page: no host can starve the other of workers, so
	// both reach their limit together and the barrier always opens.
	cfg.Parallelism = 20
	cfg.MaxDepth = 2
	sum := runCrawl(t, cfg, newTestSink(), seedSite.url("/"))

	if sum.Archived != 16 {
		t.Fatalf("archived %d pages, want 16: %+v", sum.Archived, sum.Results)
	}
	for _, b := range []*busySite{one, two} {
		if m := b.max.Load(); m > perHost {
			t.Errorf("%s: %d requests in flight at once, limit %d", b.host, m, perHost)
		}
	}
	// The limit is per host, not global: both hosts were served at full
	// parallelism at the same time.
	if m := globalMax.Load(); m != 2*perHost {
		t.Errorf("highest concurrency across hosts = %d, want %d", m, 2*perHost)
	}
}

func TestPerHostDelayHonoured(t *testing.T) {
	const delay = 50 * time.Millisecond
	s := newSite(t, "slow.test")
	var hrefs []string
	for i := range 5 {
		p := fmt.Sprintf("/a/%d", i)
		hrefs = append(hrefs, p)
		s.html(p, article("Slow "+p, "", ""))
	}
	s.html("/topic", listing("Slow", hrefs...))
	cfg := testConfig(t, newTestResolver("slow.test"))
	cfg.PerHostDelay = delay
	cfg.PerHostParallelism = 2
	cfg.Parallelism = 4
	sink := newTestSink()
	sum := runCrawl(t, cfg, sink, s.url("/topic"))
	if sum.Archived != 5 || s.totalHits() != 7 { // robots.txt, topic, 5 articles
		t.Fatalf("archived %d with %d requests, want 5 with 7", sum.Archived, s.totalHits())
	}

	// Request starts as the crawler recorded them: spaced by the delay.
	// The allowance covers a goroutine being descheduled between taking
	// its slot and reading the clock.
	const allowance = 5 * time.Millisecond
	var starts []time.Time
	for _, ex := range sink.exchanges {
		starts = append(starts, ex.Hops[0].Start)
	}
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	var gaps []string
	for i := 1; i < len(starts); i++ {
		gap := starts[i].Sub(starts[i-1])
		gaps = append(gaps, gap.Round(time.Millisecond).String())
		if gap < delay-allowance {
			t.Errorf("requests %d and %d started %s apart, want %s or more", i-1, i, gap, delay)
		}
	}
	t.Logf("gaps between request starts: %s", strings.Join(gaps, " "))

	// The server saw the same pacing. Arrival times also carry network and
	// scheduling latency, so only the whole span is checked, loosely:
	// without the delay it would be a few milliseconds.
	s.mu.Lock()
	arrivals := slices.Clone(s.arrivals)
	s.mu.Unlock()
	slices.SortFunc(arrivals, func(a, b time.Time) int { return a.Compare(b) })
	if span, want := arrivals[len(arrivals)-1].Sub(arrivals[0]), 6*delay; span < want*4/5 {
		t.Errorf("7 requests arrived within %s, want about %s", span, want)
	}
}
