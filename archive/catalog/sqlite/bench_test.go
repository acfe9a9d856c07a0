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
//	go test ./archive/catalog/sqlite -run '^$' -bench 'Put$' -benchtime 3000x
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

// BenchmarkPutBatch measures batches of 32, 64 and 256 entries per
// transaction (reindex, migrate-catalog); one op is one batch:
//
//	go test ./archive/catalog/sqlite -run '^$' -bench 'PutBatch' -benchtime 12000x
//
// (-benchtime counts batches; 12000x would be a lot: the sub-benchmarks
// stop at 48 000 entries each via the op count given.)
func BenchmarkPutBatch(b *testing.B) {
	for _, size := range []int{32, 64, 256} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			c := openTemp(b)
			next := benchPool(b)
			batch := make([]catalog.Entry, size)
			b.ReportAllocs()
			start := cpuTime()
			n := 0
			for b.Loop() {
				for j := range batch {
					batch[j] = next(n + j)
				}
				if err := c.PutBatch(b.Context(), batch); err != nil {
					b.Fatal(err)
				}
				n += size
			}
			reportCPU(b, start, n)
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(n), "ms/entry")
		})
	}
}
