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
// timed. Times are wall time of this process and the server together.
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
	if _, err := f.pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("filled %d URLs over %d hosts in %s", n, n/urlsPerHost, time.Since(began).Round(time.Millisecond))
	now := t0().Add(30 * 24 * time.Hour)
	sched := frontiertest.Scheduler{Busy: busyHosts}
	explain := func(name, query string, args ...any) {
		rows, err := f.pool.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+query, args...)
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

	b.Run("LeaseTurn", func(b *testing.B) {
		leased := 0
		for b.Loop() {
			n, err := sched.Turn(ctx, f, now)
			if err != nil {
				b.Fatal(err)
			}
			leased += n
		}
		b.ReportMetric(float64(leased)/float64(b.N), "items/op")
	})
	b.Run("Stats", func(b *testing.B) {
		for b.Loop() {
			if _, err := f.Stats(ctx, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SourceStats", func(b *testing.B) {
		if err := f.SyncSources(ctx, []frontier.SourceSpec{{Name: "s", URL: "https://h0.test/sitemap.xml", Kind: "sitemap", Interval: time.Hour}}, now); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := f.SourceStats(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The lease's candidate scan, without taking anything.
	explain("lease candidates", `SELECT id, host, due FROM frontier_items
		WHERE due IS NOT NULL AND due <= $1
		  AND host NOT IN (SELECT host FROM frontier_hosts WHERE backoff_until > $1)
		  AND NOT (host = ANY ($2::text[]))
		ORDER BY due, id LIMIT $3`, now, sched.Recent(), 8*leaseScanFactor)
	explain("queue stats", `SELECT count(*) FILTER (WHERE state = 'pending' AND due <= $1), count(*) FILTER (WHERE state = 'pending' AND due > $1),
		count(*) FILTER (WHERE state = 'leased') FROM frontier_items WHERE due IS NOT NULL`, now)
	explain("source counts", `SELECT state, fail_kind, captures > 0, count(*) FROM frontier_items WHERE source = $1 AND kind = 'url' GROUP BY 1, 2, 3`, "s")
	explain("source found", `SELECT count(DISTINCT ukey) FROM frontier_discoveries WHERE source = $1`, "s")
}
