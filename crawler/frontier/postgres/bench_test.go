package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/crawler/frontier"
)

// fill queues n URLs spread over hosts hosts, in batches as sitemap polls
// would.
func fill(b *testing.B, f *Frontier, n, hosts int) {
	b.Helper()
	const batch = 5000
	for i := 0; i < n; i += batch {
		ds := make([]frontier.Discovered, 0, batch)
		for j := i; j < min(n, i+batch); j++ {
			u := fmt.Sprintf("https://h%d.test/story/%d", j%hosts, j)
			ds = append(ds, frontier.Discovered{URL: u, Depth: 1, Discovery: archive.Discovery{
				Source: "s", Kind: "sitemap", FoundAt: t0().Add(time.Duration(j) * time.Millisecond), Via: "https://h.test/sitemap.xml", Position: j - i + 1,
			}})
		}
		if _, err := f.Discover(context.Background(), ds); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDiscover measures queueing new URLs (per URL).
func BenchmarkDiscover(b *testing.B) {
	f := open(b, migrated(b))
	b.ResetTimer()
	fill(b, f, b.N, 1000)
}

// BenchmarkLeaseLargeQueue measures one scheduler turn (lease 8, one per
// host, skipping 4 busy hosts, then complete them, each in its own
// transaction) on a queue of 200,000 due URLs over 1,000 hosts.
func BenchmarkLeaseLargeQueue(b *testing.B) {
	f := open(b, migrated(b))
	fill(b, f, 200000, 1000)
	if _, err := f.pool.Exec(context.Background(), `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var size int64
	if err := f.pool.QueryRow(ctx, `SELECT pg_total_relation_size('frontier_items') + pg_total_relation_size('frontier_discoveries')`).Scan(&size); err != nil {
		b.Fatal(err)
	}
	now := t0().Add(24 * time.Hour)
	skip := []string{"h0.test", "h1.test", "h2.test", "h3.test"}
	b.ResetTimer()
	for range b.N {
		items, err := f.Lease(ctx, frontier.LeaseRequest{Owner: "b", Max: 8, Now: now, Until: now.Add(time.Minute), SkipHosts: skip, PerHost: 1})
		if err != nil || len(items) != 8 {
			b.Fatalf("leased %d: %v", len(items), err)
		}
		for _, it := range items {
			if err := f.Complete(ctx, it, frontier.Completion{Now: now, Captured: true}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(size)/200000, "bytes/url")
}
