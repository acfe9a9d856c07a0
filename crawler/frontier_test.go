package crawler

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// readiness is a settable readyIn for frontier tests.
type readiness struct {
	mu sync.Mutex
	in map[string]time.Duration
}

func (r *readiness) set(host string, d time.Duration) {
	r.mu.Lock()
	r.in[host] = d
	r.mu.Unlock()
}

func (r *readiness) readyIn(host string) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.in[host]
}

func urlItem(host, path string) item {
	return item{url: "https://" + host + path, key: host + path, host: host}
}

func takeN(t *testing.T, f *frontier, n int) []string {
	t.Helper()
	var got []string
	for range n {
		it, ok := f.next()
		if !ok {
			t.Fatalf("frontier ended after %v", got)
		}
		got = append(got, it.url)
		f.done()
	}
	return got
}

func TestFrontierRoundRobinAcrossHosts(t *testing.T) {
	r := &readiness{in: map[string]time.Duration{}}
	f := newFrontier(r.readyIn)
	f.push(urlItem("a", "/1"), urlItem("a", "/2"), urlItem("a", "/3"), urlItem("b", "/1"), urlItem("c", "/1"))
	got := takeN(t, f, 5)
	want := []string{"https://a/1", "https://b/1", "https://c/1", "https://a/2", "https://a/3"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order = %v, want %v: one host's URLs must not hold back the others", got, want)
		}
	}
	if _, ok := f.next(); ok {
		t.Fatal("next after the last item and done: want drained")
	}
}

func TestFrontierSkipsHostsThatMustWait(t *testing.T) {
	r := &readiness{in: map[string]time.Duration{"slow": time.Hour, "full": hostFull, "gone": hostBackedOff}}
	f := newFrontier(r.readyIn)
	f.push(urlItem("slow", "/1"), urlItem("full", "/1"), urlItem("gone", "/1"), urlItem("fast", "/1"), urlItem("fast", "/2"))
	got := takeN(t, f, 3)
	// A backed-off host's URL is handed out (its fetch fails at once); the
	// host in its delay and the full host are passed over.
	want := map[string]bool{"https://gone/1": true, "https://fast/1": true, "https://fast/2": true}
	for _, u := range got {
		if !want[u] {
			t.Fatalf("handed out %s while it had to wait (got %v)", u, got)
		}
	}
	// Now only waiting hosts are left: next must block until one is ready.
	result := make(chan string, 1)
	go func() {
		it, ok := f.next()
		if ok {
			result <- it.url
			f.done()
		}
		close(result)
	}()
	select {
	case u := <-result:
		t.Fatalf("next returned %s while every host had to wait", u)
	case <-time.After(50 * time.Millisecond):
	}
	r.set("full", 0)
	f.done() // a finished fetch frees a slot and wakes the waiters
	select {
	case u := <-result:
		if u != "https://full/1" {
			t.Fatalf("after the full host freed a slot next gave %s, want https://full/1", u)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("next did not wake when a host became ready")
	}
}

func TestFrontierWakesWhenTheDelayPasses(t *testing.T) {
	at := time.Now().Add(30 * time.Millisecond)
	f := newFrontier(func(string) time.Duration { return max(0, time.Until(at)) })
	f.push(urlItem("a", "/1"))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, ok := f.next(); !ok {
			t.Error("frontier ended before handing out its item")
		}
	}()
	select {
	case <-done:
		if time.Now().Before(at) {
			t.Fatal("item handed out before its host's delay passed")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("next never woke up after the delay (no push or done came)")
	}
}

func TestFrontierReclaimsALongHostQueue(t *testing.T) {
	f := newFrontier(func(string) time.Duration { return 0 })
	for i := range 1000 {
		f.push(urlItem("a", "/"+string(rune('a'+i%26))+time.Duration(i).String()))
		if i%2 == 1 {
			takeN(t, f, 1)
		}
	}
	q := f.hosts["a"]
	if q == nil || len(q.items)-q.head != 500 {
		t.Fatalf("host queue holds %v, want 500 pending", q)
	}
	if len(q.items) > 2*500+64 {
		t.Fatalf("host queue slice is %d long for 500 pending: taken items are not reclaimed", len(q.items))
	}
}

// With one worker and a politeness delay, a host's robots.txt must not
// wait behind another host's delay: robots.txt of every seed host is
// loaded as soon as the host is queued, so the worker finds the hosts
// ready one after the other instead of sitting out each delay in turn.
func TestRobotsPrefetchedForNewHosts(t *testing.T) {
	hosts := []string{"a.example", "b.example", "c.example"}
	resolver := newTestResolver(hosts...)
	var mu sync.Mutex
	var order []string
	var seeds []string
	for _, h := range hosts {
		s := newSite(t, h)
		s.robots("User-agent: *\nAllow: /\n")
		s.html("/", listing("front page of "+h))
		seeds = append(seeds, s.url("/"))
		inner := s.srv.Config.Handler
		s.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			order = append(order, h+r.URL.Path)
			mu.Unlock()
			inner.ServeHTTP(w, r)
		})
	}
	cfg := testConfig(t, resolver)
	cfg.Parallelism = 1
	cfg.PerHostDelay = time.Second
	sum := runCrawl(t, cfg, newTestSink(), seeds...)
	if sum.Fetched != len(hosts) {
		t.Fatalf("fetched %d pages, want %d: %+v", sum.Fetched, len(hosts), sum.Results)
	}
	mu.Lock()
	defer mu.Unlock()
	pages := 0
	for _, r := range order {
		if strings.HasSuffix(r, "/robots.txt") {
			if pages > 0 {
				t.Fatalf("request order %v: a robots.txt waited behind another host's page", order)
			}
			continue
		}
		pages++
	}
}
