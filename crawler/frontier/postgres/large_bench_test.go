package postgres

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/crawler/frontier"
	"github.com/archivist-project/archivist/crawler/frontier/frontiertest"
)

// Settings of BenchmarkLargeFrontier, as in the SQLite backend's.
const (
	largeEnv    = "ARCHIVIST_BENCH_FRONTIER"
	urlsPerHost = 100
	busyHosts   = 64
)

// BenchmarkLargeFrontier measures the scheduler's and `status`'s frontier
// calls on N pending URLs (ARCHIVIST_BENCH_FRONTIER, default 100,000) over
// N/100 hosts, queued host by host as sitemap polls of many sites queue
// them, and logs the plans PostgreSQL chooses for them. Filling is not
// timed. Times are wall time; cpu-µs is the CPU of this process and the
// server together (cpuMeter).
func BenchmarkLargeFrontier(b *testing.B) {
	n := 100000
	if v := os.Getenv(largeEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 10*urlsPerHost {
			b.Fatalf("%s=%q: want a number of URLs, at least %d", largeEnv, v, 10*urlsPerHost)
		}
	}
	f := open(b, migrated(b))
	ctx := context.Background()
	began := time.Now()
	ds := make([]frontier.Discovered, 0, 20*urlsPerHost)
	for i := range n {
		host := i / urlsPerHost
		ds = append(ds, frontier.Discovered{URL: fmt.Sprintf("https://h%d.test/news/2026/story-%d", host, i), Depth: 1, Discovery: archive.Discovery{
			Source: "s", Kind: "sitemap", FoundAt: t0().Add(time.Duration(host) * time.Second), Via: fmt.Sprintf("https://h%d.test/sitemap.xml", host), Position: i%urlsPerHost + 1,
		}})
		if len(ds) == cap(ds) || i == n-1 {
			if _, err := f.Discover(ctx, ds); err != nil {
				b.Fatal(err)
			}
			ds = ds[:0]
		}
	}
	// What autovacuum does to a table after so many inserts: statistics,
	// and the visibility map that lets counts read the indexes alone.
	if _, err := f.pool.Exec(ctx, `VACUUM ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("filled %d URLs over %d hosts in %s", n, n/urlsPerHost, time.Since(began).Round(time.Millisecond))
	now := t0().Add(30 * 24 * time.Hour)
	sched := frontiertest.Scheduler{Busy: busyHosts}
	// explain runs the query in a transaction it rolls back, so that
	// explaining the lease leases nothing.
	explain := func(name, query string, args ...any) {
		tx, err := f.pool.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer tx.Rollback(ctx)
		rows, err := tx.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+query, args...)
		if err != nil {
			b.Fatalf("explain %s: %v", name, err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				b.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		b.Logf("%s:\n%s", name, strings.Join(plan, "\n"))
	}

	cpu := newCPUMeter(ctx, f.pool)
	b.Run("LeaseTurn", func(b *testing.B) {
		leased := 0
		began := cpu.now(b)
		for b.Loop() {
			n, err := sched.Turn(ctx, f, now)
			if err != nil {
				b.Fatal(err)
			}
			leased += n
		}
		b.ReportMetric(float64(leased)/float64(b.N), "items/op")
		cpu.report(b, began, leased, "item")
	})
	b.Run("Stats", func(b *testing.B) {
		began := cpu.now(b)
		for b.Loop() {
			if _, err := f.Stats(ctx, now); err != nil {
				b.Fatal(err)
			}
		}
		cpu.report(b, began, 0, "")
	})
	b.Run("SourceStats", func(b *testing.B) {
		if err := f.SyncSources(ctx, []frontier.SourceSpec{{Name: "s", URL: "https://h0.test/sitemap.xml", Kind: "sitemap", Interval: time.Hour}}, now); err != nil {
			b.Fatal(err)
		}
		began := cpu.now(b)
		for b.Loop() {
			if _, err := f.SourceStats(ctx); err != nil {
				b.Fatal(err)
			}
		}
		cpu.report(b, began, 0, "")
	})
	explain("lease hosts", hostsByDue, now, sched.Recent(), 8*leaseHostFactor, 8*leaseWalkFactor)
	explain("lease hosts, fallback", hostsByHead, now, sched.Recent(), 8*leaseHostFactor)
	var hosts []string
	if err := f.pool.QueryRow(ctx, hostsByDue, now, sched.Recent(), 8*leaseHostFactor, 8*leaseWalkFactor).Scan(&hosts, new(bool)); err != nil {
		b.Fatal(err)
	}
	explain("lease", leaseItems, hosts, now, 8, 1, now.Add(time.Minute), "b")
	explain("queue stats", queueStats, now)
	explain("source counts", `SELECT state, fail_kind, captures > 0, count(*) FROM frontier_items WHERE source = $1 AND kind = 'url' GROUP BY 1, 2, 3`, "s")
	explain("source found", `SELECT count(DISTINCT ukey) FROM frontier_discoveries WHERE source = $1`, "s")
}
