package sqlite

import (
	"fmt"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/catalog/catalogtest"
)

// benchPool returns entries made by the scale generator (real article
// text, so the full-text index does the work it does on a crawl) and a
// function giving the i-th entry to write: the pool's entries over and
// over, each with a capture id of its own.
func benchPool(b *testing.B) func(i int) catalog.Entry {
	gen := catalogtest.NewGenerator(loadCorpus(b), 4096, 1)
	pool := make([]catalog.Entry, gen.N())
	for i := range pool {
		pool[i] = gen.Entry(i)
	}
	return func(i int) catalog.Entry {
		e := pool[i%len(pool)]
		if i >= len(pool) {
			e.CaptureID = fmt.Sprintf("%s-%d", e.CaptureID, i)
		}
		return e
	}
}

// reportCPU reports the process's CPU time per entry since start.
func reportCPU(b *testing.B, start time.Duration, entries int) {
	b.ReportMetric(float64((cpuTime()-start).Microseconds())/1000/float64(entries), "cpu-ms/entry")
}

// BenchmarkPut measures one entry per transaction, the daemon's path:
//
//	go test ./archive/catalog/sqlite -run '^$' -bench 'Put' -benchtime 4096x
func BenchmarkPut(b *testing.B) {
	c := openTemp(b)
	next := benchPool(b)
	b.ReportAllocs()
	start := cpuTime()
	i := 0
	for b.Loop() {
		if err := c.Put(b.Context(), next(i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportCPU(b, start, i)
}

// BenchmarkPutBatch measures batches of 4 and 8 entries per transaction
// (a crawl's group commits hold 1 to 8) and of 32 and 256 (reindex,
// migrate-catalog). One op is one entry, so that every batch size writes
// the same number of entries:
//
//	go test ./archive/catalog/sqlite -run '^$' -bench 'Put' -benchtime 4096x
func BenchmarkPutBatch(b *testing.B) {
	for _, size := range []int{4, 8, 32, 256} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			c := openTemp(b)
			next := benchPool(b)
			batch := make([]catalog.Entry, 0, size)
			b.ReportAllocs()
			start := cpuTime()
			n := 0
			for b.Loop() {
				batch = append(batch, next(n))
				n++
				if len(batch) == size {
					if err := c.PutBatch(b.Context(), batch); err != nil {
						b.Fatal(err)
					}
					batch = batch[:0]
				}
			}
			if err := c.PutBatch(b.Context(), batch); err != nil {
				b.Fatal(err)
			}
			reportCPU(b, start, n)
		})
	}
}

// filledCatalog returns a catalog holding the first n pool entries, and
// the entries.
func filledCatalog(b *testing.B, n int) (*Catalog, []catalog.Entry) {
	c := openTemp(b)
	next := benchPool(b)
	entries := make([]catalog.Entry, n)
	for i := range entries {
		entries[i] = next(i)
	}
	for i := 0; i < n; i += 256 {
		if err := c.PutBatch(b.Context(), entries[i:min(n, i+256)]); err != nil {
			b.Fatal(err)
		}
	}
	return c, entries
}

// BenchmarkNearest measures the lookup `archivist get URL` makes, and the
// capture pipeline twice per page (by canonical and final URL):
//
//	go test ./archive/catalog/sqlite -run '^$' -bench 'Nearest|FirstByPayload' -benchmem
func BenchmarkNearest(b *testing.B) {
	c, entries := filledCatalog(b, 4096)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		e := entries[(i*7919)%len(entries)]
		if _, err := c.Nearest(b.Context(), e.URLKey, time.Time{}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkFirstByPayload measures the archive-wide deduplication lookup
// the capture pipeline makes once per page.
func BenchmarkFirstByPayload(b *testing.B) {
	c, entries := filledCatalog(b, 4096)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		e := entries[(i*7919)%len(entries)]
		if _, err := c.FirstByPayload(b.Context(), e.PayloadSHA256); err != nil && e.Kind == "response" {
			b.Fatal(err)
		}
		i++
	}
}
