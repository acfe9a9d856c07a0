package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/crawler/frontier"
	"github.com/archivist-project/archivist/crawler/frontier/frontiertest"
)

// largeEnv sets the pending URLs of BenchmarkLargeFrontier (default
// 100,000; the daemon's target is 1,000,000).
const largeEnv = "ARCHIVIST_BENCH_FRONTIER"

// urlsPerHost is the backlog of each host in the large frontier.
const urlsPerHost = 100

// busyHosts is how many hosts the scheduler skips in the large frontier's
// lease benchmark: the hosts fetched in the last politeness delay (1 s)
// at a few dozen pages a second.
const busyHosts = 64

// fillClustered queues n URLs host by host, urlsPerHost at a time, as
// sitemap polls of many sites do: due order is clustered by host, the
// hard case for a scheduler that spreads work over hosts.
func fillClustered(b *testing.B, f *Frontier, n int) {
	b.Helper()
	ctx := context.Background()
	const batch = 20 * urlsPerHost
	ds := make([]frontier.Discovered, 0, batch)
	for i := 0; i < n; i++ {
		host := i / urlsPerHost
		ds = append(ds, frontier.Discovered{URL: fmt.Sprintf("https://h%d.test/news/2026/story-%d", host, i), Depth: 1, Discovery: archive.Discovery{
			Source: "s", Kind: "sitemap", FoundAt: t0.Add(time.Duration(host) * time.Second), Via: fmt.Sprintf("https://h%d.test/sitemap.xml", host), Position: i%urlsPerHost + 1,
		}})
		if len(ds) == batch || i == n-1 {
			if _, err := f.Discover(ctx, ds); err != nil {
				b.Fatal(err)
			}
			ds = ds[:0]
		}
	}
}

// cpuTime is the CPU time (user and system) this process used so far:
// on a machine shared with other work, wall time per op says little.
func cpuTime(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per op since began, and per unit when
// units is not zero.
func reportCPU(b *testing.B, began time.Duration, units int, unit string) {
	cpu := cpuTime(b) - began
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	if units > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(units), "cpu-µs/"+unit)
	}
}

func largeSize(b *testing.B) int {
	b.Helper()
	n := 100000
	if v := os.Getenv(largeEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 10*urlsPerHost {
			b.Fatalf("%s=%q: want a number of URLs, at least %d", largeEnv, v, 10*urlsPerHost)
		}
	}
	return n
}

// BenchmarkLargeFrontier measures the daemon's frontier operations on a
// frontier of N pending URLs (ARCHIVIST_BENCH_FRONTIER, default 100,000)
// over N/100 hosts, queued host by host. Filling it is not timed.
func BenchmarkLargeFrontier(b *testing.B) {
	n := largeSize(b)
	path := filepath.Join(b.TempDir(), "large.db")
	f, err := Open(context.Background(), path, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	began, cpu := time.Now(), cpuTime(b)
	fillClustered(b, f, n)
	b.Logf("filled %d URLs over %d hosts in %s, %.0f µs CPU a URL", n, n/urlsPerHost, time.Since(began).Round(time.Millisecond),
		float64((cpuTime(b)-cpu).Microseconds())/float64(n))
	if st, err := os.Stat(path); err == nil {
		b.Logf("frontier file: %d MB", st.Size()>>20)
	}
	ctx := context.Background()
	now := t0.Add(30 * 24 * time.Hour)

	// A scheduler turn as the daemon takes it: lease up to 8, one per
	// host, skipping the hosts leased in the last busyHosts leases (busy
	// in their politeness delay); complete each with a revisit due later.
	b.Run("LeaseTurn", func(b *testing.B) {
		sched := frontiertest.Scheduler{Busy: busyHosts}
		leased := 0
		b.ReportAllocs()
		cpu := cpuTime(b)
		for b.Loop() {
			n, err := sched.Turn(ctx, f, now)
			if err != nil {
				b.Fatal(err)
			}
			leased += n
		}
		b.ReportMetric(float64(leased)/float64(b.N), "items/op")
		reportCPU(b, cpu, leased, "item")
	})
	b.Run("Stats", func(b *testing.B) {
		b.ReportAllocs()
		cpu := cpuTime(b)
		for b.Loop() {
			if _, err := f.Stats(ctx, now); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu, 0, "")
	})
	b.Run("SourceStats", func(b *testing.B) {
		if err := f.SyncSources(ctx, []frontier.SourceSpec{{Name: "s", URL: "https://h0.test/sitemap.xml", Kind: "sitemap", Interval: time.Hour}}, now); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		cpu := cpuTime(b)
		for b.Loop() {
			st, err := f.SourceStats(ctx)
			if err != nil || len(st) != 1 || st[0].Found != int64(n) {
				b.Fatalf("SourceStats = %+v, %v; want %d found", st, err, n)
			}
		}
		reportCPU(b, cpu, 0, "")
	})
	// Discovering a page's links: 50 a page, 40 already queued (links
	// repeat from page to page), 10 new.
	b.Run("Discover50", func(b *testing.B) {
		next := n
		b.ReportAllocs()
		cpu := cpuTime(b)
		for i := 0; b.Loop(); i++ {
			host := (i * 7) % (n / urlsPerHost)
			ds := make([]frontier.Discovered, 0, 50)
			for j := range 40 {
				k := host*urlsPerHost + (i+j)%urlsPerHost
				ds = append(ds, frontier.Discovered{URL: fmt.Sprintf("https://h%d.test/news/2026/story-%d", host, k), Depth: 2, Discovery: archive.Discovery{
					Source: "s", Kind: "page", FoundAt: now, Via: fmt.Sprintf("https://h%d.test/page-%d", host, i), Position: j + 1,
				}})
			}
			for j := range 10 {
				ds = append(ds, frontier.Discovered{URL: fmt.Sprintf("https://h%d.test/news/2026/story-%d", host, next), Depth: 2, Discovery: archive.Discovery{
					Source: "s", Kind: "page", FoundAt: now, Via: fmt.Sprintf("https://h%d.test/page-%d", host, i), Position: 41 + j,
				}})
				next++
			}
			if _, err := f.Discover(ctx, ds); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu, 50*b.N, "url")
	})
}
