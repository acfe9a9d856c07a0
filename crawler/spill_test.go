package crawler

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/crawler/internal/spill"
)

// With a memory budget of a few items, the frontier keeps the rest in the
// spill file, and still hands out every item once, each host's in order,
// hosts in turn.
func TestFrontierSpillsPastItsBudget(t *testing.T) {
	f := newFrontier(func(string) time.Duration { return 0 })
	file := spill.New(t.TempDir(), nil)
	defer file.Close()
	budget := 5 * itemBytes(urlItem("h0", "/p000"))
	f.spillTo(file, budget, testLogger(t))
	want := map[string][]string{}
	peak := 0
	for i := range 300 {
		host := fmt.Sprintf("h%d", i%3)
		it := urlItem(host, fmt.Sprintf("/p%03d", i))
		f.push(it)
		want[host] = append(want[host], it.url)
		peak = max(peak, f.memBytes)
	}
	if file.Path() == "" {
		t.Fatal("nothing went to the spill file")
	}
	got := map[string][]string{}
	var order []string
	for {
		f.mu.Lock()
		if f.queued == 0 {
			f.mu.Unlock()
			break
		}
		f.mu.Unlock()
		it, ok := f.next()
		if !ok {
			t.Fatal("frontier ended with items queued")
		}
		f.done()
		got[it.host] = append(got[it.host], it.url)
		order = append(order, it.host)
		peak = max(peak, f.memBytes)
	}
	for host, urls := range want {
		if strings.Join(got[host], " ") != strings.Join(urls, " ") {
			t.Errorf("host %s: got %d items %v\nwant %d %v", host, len(got[host]), got[host], len(urls), urls)
		}
	}
	// Round robin holds across refills: no host twice in a row while
	// all three have items.
	for i := 1; i < 297; i++ {
		if order[i] == order[i-1] {
			t.Fatalf("host %s twice in a row at %d: %v", order[i], i, order[:i+1])
		}
	}
	// In memory: the budget, plus at most one refill batch a host.
	if limit := budget + 3*refillBatch*itemBytes(urlItem("h0", "/p000")); peak > limit {
		t.Errorf("peak of items in memory %d bytes, want at most %d", peak, limit)
	}
	if f.memBytes != 0 {
		t.Errorf("memBytes %d after every item was taken", f.memBytes)
	}
}

// A spill file that cannot be written leaves the frontier working from
// memory: nothing queued is lost.
func TestFrontierKeepsItemsWhenTheSpillFileFails(t *testing.T) {
	notDir := t.TempDir() + "/file"
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f := newFrontier(func(string) time.Duration { return 0 })
	f.spillTo(spill.New(notDir, nil), 1, testLogger(t))
	f.push(urlItem("a", "/1"), urlItem("b", "/1"), urlItem("a", "/2"))
	f.push(urlItem("a", "/3"))
	got := takeN(t, f, 4)
	if want := "https://a/1 https://b/1 https://a/2 https://a/3"; strings.Join(got, " ") != want {
		t.Errorf("got %v, want %s", got, want)
	}
}

// A spill file that cannot be written leaves de-duplication in memory:
// it still knows every URL.
func TestDedupKeepsKeysWhenTheSpillFileFails(t *testing.T) {
	notDir := t.TempDir() + "/file"
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	d := newDedup(spill.New(notDir, nil), 1, testLogger(t))
	for i := range 100 {
		if !d.markSeen(fmt.Sprint(i), "u") {
			t.Fatalf("key %d not new", i)
		}
	}
	for i := range 100 {
		if d.markSeen(fmt.Sprint(i), "u") {
			t.Fatalf("key %d new again", i)
		}
	}
}

// De-duplication answers the same after its entries moved to the file:
// seen URLs stay seen with their first URL, claims hold, and a released
// claim is free again.
func TestDedupRemembersPastItsBudget(t *testing.T) {
	file := spill.New(t.TempDir(), nil)
	defer file.Close()
	d := newDedup(file, 4096, testLogger(t))
	key := func(i int) string { return fmt.Sprintf("example.org/%05d", i) }
	url := func(i int) string { return "https://" + key(i) }
	for i := range 2000 {
		if !d.markSeen(key(i), url(i)) {
			t.Fatalf("key %d not new", i)
		}
		if i%10 == 0 {
			if _, ok := d.claim(key(i)+"#c", url(i)); !ok {
				t.Fatalf("claim %d refused", i)
			}
		}
	}
	if file.Path() == "" {
		t.Fatal("nothing went to the spill file")
	}
	if d.seen.bytes() > 3072+entryBytes(key(0), url(0)) || d.canonical.bytes() > 1024+entryBytes(key(0)+"#c", url(0)) {
		t.Errorf("memory over budget: seen %d bytes, canonical %d", d.seen.bytes(), d.canonical.bytes())
	}
	for i := range 2000 {
		if d.markSeen(key(i), "https://other/") {
			t.Fatalf("key %d new again", i)
		}
		if first := d.seenBy(key(i), "https://other/"); first != url(i) {
			t.Fatalf("seenBy(%d) = %q, want %q", i, first, url(i))
		}
	}
	if owner, ok := d.claim(key(0)+"#c", "https://other/"); ok || owner != url(0) {
		t.Errorf("claim of a spilled canonical = %q, %v; want refused, owner %s", owner, ok, url(0))
	}
	if owner, ok := d.claim(key(0)+"#c", url(0)); !ok || owner != url(0) {
		t.Errorf("the owner's own claim again = %q, %v", owner, ok)
	}
	d.release([]string{key(0) + "#c", key(10) + "#c"}, url(0))
	if o := d.canonicalOwner(key(0) + "#c"); o != "" {
		t.Errorf("released claim still owned by %q", o)
	}
	if o := d.canonicalOwner(key(10) + "#c"); o != url(10) {
		t.Errorf("another URL's claim was released: owner %q", o)
	}
	if owner, ok := d.claim(key(0)+"#c", "https://other/"); !ok || owner != "https://other/" {
		t.Errorf("claim after release = %q, %v", owner, ok)
	}
}

// A crawl whose URLs all go through the spill file decides exactly as one
// that keeps them in memory, and removes the file when it ends.
func TestCrawlWithTinyURLMemory(t *testing.T) {
	const hosts, pages = 4, 30
	var sites []*site
	var names []string
	for h := range hosts {
		names = append(names, fmt.Sprintf("www.outlet%d.test", h))
	}
	resolver := newTestResolver(names...)
	var seeds []string
	for h := range hosts {
		s := newSite(t, names[h])
		var hrefs []string
		for p := range pages {
			path := fmt.Sprintf("/news/%02d", p)
			hrefs = append(hrefs, path)
			// Every article links to the section and to all articles:
			// most links are repeats, as navigation is.
			s.html(path, article(fmt.Sprintf("Story %d of %s", p, names[h]), "", "")+listingLinks(hrefs))
		}
		s.html("/news/", listing("News", hrefs...))
		sites = append(sites, s)
		seeds = append(seeds, s.url("/news/"))
	}
	spillDir := t.TempDir()
	for _, mem := range []int{0, 1} {
		t.Run(fmt.Sprintf("url_memory=%d", mem), func(t *testing.T) {
			cfg := testConfig(t, resolver)
			cfg.MaxDepth = 2
			cfg.URLMemoryBytes = mem
			cfg.SpillDir = spillDir
			sink := newTestSink()
			var spilled atomic.Bool
			sink.fail = func(*archive.Exchange) error {
				if files, _ := os.ReadDir(spillDir); len(files) > 0 {
					spilled.Store(true)
				}
				return nil
			}
			before := make([]int, hosts)
			for h, s := range sites {
				before[h] = s.totalHits()
			}
			sum := runCrawl(t, cfg, sink, seeds...)
			if sum.Archived != hosts*pages || sum.Failed != 0 {
				t.Errorf("archived %d, failed %d; want %d, 0", sum.Archived, sum.Failed, hosts*pages)
			}
			for h, s := range sites {
				// The section, robots.txt and each article: once each.
				if n := s.totalHits() - before[h]; n != pages+2 {
					t.Errorf("%s: %d requests, want %d", names[h], n, pages+2)
				}
			}
			if spilled.Load() != (mem > 0) {
				t.Errorf("spill file seen during the crawl: %v, want %v", spilled.Load(), mem > 0)
			}
			left, _ := os.ReadDir(spillDir)
			if len(left) != 0 {
				t.Errorf("spill directory holds %d files after the crawl", len(left))
			}
		})
	}
}

// listingLinks is a list of links to append to a page.
func listingLinks(hrefs []string) string {
	var b strings.Builder
	for _, h := range hrefs {
		fmt.Fprintf(&b, `<a href="%s">%s</a>`, h, h)
	}
	return b.String()
}

// BenchmarkDedupPage is the de-duplication a page's links cost: 60 links,
// 59 of them navigation seen on earlier pages of its host (100 hosts),
// one new. "memory" keeps every URL in memory; "spilled" has the default
// budget, which the new URLs outgrow after about 20,000 pages (run it
// with -benchtime 60000x to see the steady state).
func BenchmarkDedupPage(b *testing.B) {
	for _, c := range []struct {
		name   string
		budget int
	}{{"memory", 0}, {"spilled", DefaultURLMemoryBytes / 2}} {
		b.Run(c.name, func(b *testing.B) {
			file := spill.New(b.TempDir(), nil)
			defer file.Close()
			var d *dedup
			if c.budget > 0 {
				d = newDedup(file, c.budget, nil)
			} else {
				d = newDedup(nil, 0, nil)
			}
			key := func(host, i int) string {
				return fmt.Sprintf("www.outlet%03d.example/news/2026/11/story-%07d", host, i)
			}
			b.ReportAllocs()
			for page := range b.N {
				host := page % 100
				for l := range 59 {
					k := key(host, (page/100+l)%400)
					d.markSeen(k, k)
				}
				k := key(1000+host, page)
				if !d.markSeen(k, k) {
					b.Fatal("a new URL was seen")
				}
			}
			b.ReportMetric(float64(d.seen.bytes()+d.canonical.bytes())/(1<<20), "MiB-in-memory")
		})
	}
}
