package local

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"testing"
)

// captureObjects are one capture's three objects as the Recorder writes
// them: a 40 KB WARC, an 8 KB Article, a 2 KB provenance record.
var captureObjects = []struct {
	name string
	data []byte
}{
	{"capture.warc.gz", bytes.Repeat([]byte("w"), 40<<10)},
	{"article.json.gz", bytes.Repeat([]byte("a"), 8<<10)},
	{"provenance.json", bytes.Repeat([]byte("p"), 2<<10)},
}

// BenchmarkPutCapture writes one capture's three objects into the capture's
// new directory, one after the other, as the Recorder does. cpu-ms/op is
// the process's user+system CPU time (getrusage), which, unlike ns/op, does
// not count the time spent waiting for the disk to flush.
func BenchmarkPutCapture(b *testing.B) {
	for _, mode := range benchModes {
		b.Run(mode.name, func(b *testing.B) {
			st := openBenchStore(b, mode.fallback)
			ctx := context.Background()
			b.ReportAllocs()
			cpu0 := processCPU()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				putBenchCapture(ctx, b, st, int64(i))
			}
			b.StopTimer()
			reportCPU(b, cpu0)
		})
	}
}

// BenchmarkPutCaptureParallel is BenchmarkPutCapture from 8 goroutines at
// once, the crawl's default parallelism, where writers contend for the same
// directories.
func BenchmarkPutCaptureParallel(b *testing.B) {
	for _, mode := range benchModes {
		b.Run(mode.name, func(b *testing.B) {
			st := openBenchStore(b, mode.fallback)
			ctx := context.Background()
			var next atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(8)
			cpu0 := processCPU()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					putBenchCapture(ctx, b, st, next.Add(1))
				}
			})
			b.StopTimer()
			reportCPU(b, cpu0)
		})
	}
}

var benchModes = []struct {
	name     string
	fallback bool
}{
	{"tmpfile", false},
	{"fallback", true},
}

func openBenchStore(b *testing.B, fallback bool) *Store {
	b.Helper()
	st, err := open(b.TempDir(), options{noTmpfile: fallback})
	if err != nil {
		b.Fatal(err)
	}
	return st
}

func putBenchCapture(ctx context.Context, b *testing.B, st *Store, i int64) {
	prefix := fmt.Sprintf("captures/2026/11/27/20261127T000000Z-%010d/", i)
	for _, o := range captureObjects {
		if err := st.Put(ctx, prefix+o.name, bytes.NewReader(o.data), int64(len(o.data))); err != nil {
			b.Error(err)
			return
		}
	}
}

func reportCPU(b *testing.B, cpu0 float64) {
	if cpu := processCPU(); cpu > 0 {
		b.ReportMetric((cpu-cpu0)*1e3/float64(b.N), "cpu-ms/op")
	}
}
