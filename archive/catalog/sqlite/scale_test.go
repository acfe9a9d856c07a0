package sqlite

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/catalog/catalogtest"
	"github.com/archivist-project/archivist/crawler/urlnorm"
)

// corpusPath is the extraction benchmark's ground truth, whose articles
// the scale generator mixes into catalog text.
const corpusPath = "../../../../shared/eval/article-extraction-benchmark/ground-truth.json"

// scaleGeneration names the generator's output in cache file names: bump
// it when the generator changes, so no stale catalog is reused.
const scaleGeneration = 1

func loadCorpus(tb testing.TB) *catalogtest.Corpus {
	tb.Helper()
	c, err := catalogtest.LoadCorpus(corpusPath)
	if errors.Is(err, os.ErrNotExist) {
		tb.Skipf("corpus not found (%v): it lives in ../shared/eval", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func envInt(tb testing.TB, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		tb.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// cpuTime is the process's user plus system CPU time so far: what the
// work cost, whatever else the shared machine was running.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// threadCPU is the calling thread's CPU time so far; the caller must be
// locked to its thread. Per-call CPU times are what the shared 2-core
// machine leaves steady: wall times there include waits for a core.
func threadCPU() time.Duration {
	const clockThreadCPUTime = 3 // CLOCK_THREAD_CPUTIME_ID, Linux: exact, unlike getrusage's ticks
	var ts syscall.Timespec
	if _, _, errno := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}

// BenchmarkScale builds (or reuses) a catalog of N generated captures
// (catalogtest.Generator; 20,000 by default) and measures what researchers
// and the capture pipeline ask of it: `get` (Nearest), about 200 searches
// of eight kinds, list by host, URL and source, FirstByPayload, and writes
// one per transaction and in batches of 32 and 256:
//
//	ARCHIVIST_BENCH_CAPTURES=1000000 go test ./archive/catalog/sqlite -run '^$' -bench Scale -benchtime 1x -timeout 180m -v
//
// (-v prints the table; without it the test framework cuts the log.) The
// catalog is kept as $ARCHIVIST_BENCH_DIR (default $TMPDIR)
// /archivist-bench-catalog-gG-N.db and reused by later runs, since
// building a million captures takes over an hour here (11 KB and about
// 1.6 ms of CPU a capture); delete it to build again. Each call's wall
// time and thread CPU time are recorded: on a shared machine the wall
// percentiles include waits for a core, the CPU ones do not.
func BenchmarkScale(b *testing.B) {
	n := envInt(b, "ARCHIVIST_BENCH_CAPTURES", 20000)
	dir := os.Getenv("ARCHIVIST_BENCH_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, fmt.Sprintf("archivist-bench-catalog-g%d-%d.db", scaleGeneration, n))
	gen := catalogtest.NewGenerator(loadCorpus(b), n, 1)
	ctx := context.Background()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		buildScaleCatalog(b, gen, path)
	} else if err != nil {
		b.Fatal(err)
	} else {
		b.Logf("reusing %s", path)
	}
	start, wall := cpuTime(), time.Now()
	c, err := Open(ctx, path, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.Logf("open (with any migration): %s, %.1f s CPU", time.Since(wall).Round(time.Second), (cpuTime() - start).Seconds())
	if fi, err := os.Stat(path); err == nil {
		b.ReportMetric(float64(fi.Size())/float64(n), "db-bytes/capture")
	}
	rounds := envInt(b, "ARCHIVIST_BENCH_ROUNDS", 1)
	// One thread runs every measured call, so that threadCPU counts it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for b.Loop() {
		s := newScaleRun(b, c, gen)
		for range rounds {
			s.gets(ctx, 2000)
			s.searches(ctx)
			s.lists(ctx, 200)
			s.payloads(ctx, 1000)
		}
		s.puts(ctx)
		s.report()
	}
}

// buildScaleCatalog fills a new catalog at path with gen's entries in
// batches of 256, beside path first so that an interrupted build is never
// reused.
func buildScaleCatalog(b *testing.B, gen *catalogtest.Generator, path string) {
	tmp := path + ".building"
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(tmp + suffix)
	}
	ctx := context.Background()
	c, err := Open(ctx, tmp, nil)
	if err != nil {
		b.Fatal(err)
	}
	const batchSize = 256
	batch := make([]catalog.Entry, 0, batchSize)
	step := max(gen.N()/10, batchSize)
	// CPU is counted around PutBatch only, leaving the generator out.
	var cpuAll, cpuStep time.Duration
	wall0 := time.Now()
	stepStart, wallStep := 0, wall0
	for i := range gen.N() {
		batch = append(batch, gen.Entry(i))
		if len(batch) < batchSize && i < gen.N()-1 {
			continue
		}
		cpu := cpuTime()
		if err := c.PutBatch(ctx, batch); err != nil {
			b.Fatal(err)
		}
		cpuStep += cpuTime() - cpu
		batch = batch[:0]
		if done := i + 1; done-stepStart >= step || done == gen.N() {
			b.Logf("built %d/%d: last %d at %.3f ms CPU/capture in PutBatch, %.0f captures/s with the generator",
				done, gen.N(), done-stepStart, float64(cpuStep.Microseconds())/1000/float64(done-stepStart),
				float64(done-stepStart)/time.Since(wallStep).Seconds())
			cpuAll += cpuStep
			cpuStep, stepStart, wallStep = 0, done, time.Now()
		}
	}
	if err := c.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(cpuAll.Microseconds())/1000/float64(gen.N()), "build-cpu-ms/capture")
	b.Logf("built %s: %d captures in %s", path, gen.N(), time.Since(wall0).Round(time.Second))
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
}

// scaleRun collects one run's measurements.
type scaleRun struct {
	b      *testing.B
	c      *Catalog
	gen    *catalogtest.Generator
	r      *rand.Rand
	series map[string]*series
	order  []string
}

// series is the latencies and CPU of one kind of call: wall and thread
// CPU time of each call, and the process's CPU over all of them (which
// adds garbage collection and any other thread's work).
type series struct {
	wall, thread []time.Duration
	cpu          time.Duration
}

func newScaleRun(b *testing.B, c *Catalog, gen *catalogtest.Generator) *scaleRun {
	return &scaleRun{b: b, c: c, gen: gen, r: rand.New(rand.NewPCG(3, 5)), series: map[string]*series{}}
}

// time runs fn, recording its wall time and CPU under name.
func (s *scaleRun) time(name string, fn func() error) {
	sr := s.series[name]
	if sr == nil {
		sr = &series{}
		s.series[name] = sr
		s.order = append(s.order, name)
	}
	cpu, thread, wall := cpuTime(), threadCPU(), time.Now()
	if err := fn(); err != nil {
		s.b.Fatalf("%s: %v", name, err)
	}
	sr.wall = append(sr.wall, time.Since(wall))
	sr.thread = append(sr.thread, threadCPU()-thread)
	sr.cpu += cpuTime() - cpu
}

// gets does what `archivist get URL [--at T]` asks of the catalog:
// normalise the URL to its key, then Nearest; half with --at a time
// around the capture.
func (s *scaleRun) gets(ctx context.Context, n int) {
	for k := range n {
		e := s.gen.Entry(s.r.IntN(s.gen.N()))
		var at time.Time
		if k%2 == 1 {
			at = e.FetchedAt.Add(time.Duration(s.r.Int64N(int64(48*time.Hour))) - 24*time.Hour)
		}
		s.time("get", func() error {
			got, err := s.c.Nearest(ctx, urlnorm.Key(e.URL), at)
			if err == nil && got.URLKey != e.URLKey && got.CanonicalKey != e.URLKey {
				err = fmt.Errorf("Nearest(%s) = capture of %s", e.URL, got.URLKey)
			}
			return err
		})
	}
}

// searches runs every generated query, as `archivist search` does.
func (s *scaleRun) searches(ctx context.Context) {
	for _, q := range s.gen.Queries() {
		var hits int
		s.time("search", func() error {
			h, err := s.c.Search(ctx, q.Query)
			hits = len(h)
			return err
		})
		sr := s.series["search"]
		d, th := sr.wall[len(sr.wall)-1], sr.thread[len(sr.thread)-1]
		cs := s.series["search:"+q.Class]
		if cs == nil {
			cs = &series{}
			s.series["search:"+q.Class] = cs
		}
		cs.wall, cs.thread = append(cs.wall, d), append(cs.thread, th)
		if th > 50*time.Millisecond {
			s.b.Logf("slow search (%d hits): %v in %s, %s CPU", hits, q, d.Round(time.Millisecond), th.Round(time.Millisecond))
		}
	}
}

// lists runs `archivist list --host H` (all of a host's captures), `list
// --url U`, and the first page of `list --source S --limit 100`.
func (s *scaleRun) lists(ctx context.Context, n int) {
	count := func(f catalog.Filter) func() error {
		return func() error {
			return s.c.List(ctx, f, func(catalog.Entry) error { return nil })
		}
	}
	for range n {
		e := s.gen.Entry(s.r.IntN(s.gen.N()))
		s.time("list-host", count(catalog.Filter{Host: e.Host}))
		s.time("list-url", count(catalog.Filter{URLKey: urlnorm.Key(e.URL)}))
		s.time("list-source-100", count(catalog.Filter{Source: e.Source, Limit: 100}))
	}
}

// payloads is the capture pipeline's dedup lookup, once per capture.
func (s *scaleRun) payloads(ctx context.Context, n int) {
	for range n {
		e := s.gen.Entry(s.r.IntN(s.gen.N()))
		s.time("first-by-payload", func() error {
			_, err := s.c.FirstByPayload(ctx, e.PayloadSHA256)
			if errors.Is(err, catalog.ErrNotFound) && e.Kind == "revisit" {
				return nil // a revisit whose response fell past N
			}
			return err
		})
	}
}

// puts measures writes into the full catalog: captures of another seed,
// one per transaction (the daemon's path) and in batches, removed again
// afterwards so that the cached catalog stays as built.
func (s *scaleRun) puts(ctx context.Context) {
	extra := catalogtest.NewGenerator(s.gen.Corpus(), 1024+4*256, 2)
	var ids []string
	defer func() {
		if err := s.c.deleteCaptures(ctx, ids); err != nil {
			s.b.Errorf("remove the captures the benchmark added: %v", err)
		}
	}()
	i := 0
	for range 1024 {
		e := extra.Entry(i)
		i++
		ids = append(ids, e.CaptureID)
		s.time("put-1", func() error { return s.c.Put(ctx, e) })
	}
	for _, size := range []int{32, 256} {
		for range 512 / size {
			batch := make([]catalog.Entry, size)
			for j := range batch {
				batch[j] = extra.Entry(i)
				ids = append(ids, batch[j].CaptureID)
				i++
			}
			name := fmt.Sprintf("put-batch-%d", size)
			s.time(name, func() error { return s.c.PutBatch(ctx, batch) })
		}
	}
}

// pct is the q-quantile of sorted durations, in milliseconds.
func pct(sorted []time.Duration, q float64) float64 {
	i := min(len(sorted)-1, max(0, int(q*float64(len(sorted))+0.5)-1))
	return float64(sorted[i].Microseconds()) / 1000
}

func (s *scaleRun) report() {
	for _, name := range s.order {
		sr := s.series[name]
		w := slices.Sorted(slices.Values(sr.wall))
		th := slices.Sorted(slices.Values(sr.thread))
		perCall, unit := 1, "call"
		if name == "put-1" {
			unit = "entry"
		}
		if size, ok := strings.CutPrefix(name, "put-batch-"); ok {
			perCall, _ = strconv.Atoi(size)
			unit = "entry"
		}
		cpu := float64(sr.cpu.Microseconds()) / 1000 / float64(len(w)*perCall)
		s.b.Logf("%-16s %5d calls  wall p50 %7.2f p95 %7.2f p99 %7.2f ms | thread CPU p50 %7.2f p95 %7.2f p99 %7.2f ms | process CPU %.3f ms/%s",
			name, len(w), pct(w, 0.5), pct(w, 0.95), pct(w, 0.99), pct(th, 0.5), pct(th, 0.95), pct(th, 0.99), cpu, unit)
		if unit == "entry" {
			s.b.ReportMetric(cpu, name+"-cpu-ms/entry")
			continue
		}
		s.b.ReportMetric(pct(w, 0.99), name+"-p99-ms")
		s.b.ReportMetric(pct(th, 0.99), name+"-cpu-p99-ms")
		if name == "get" || name == "search" {
			s.b.ReportMetric(pct(w, 0.5), name+"-p50-ms")
			s.b.ReportMetric(pct(w, 0.95), name+"-p95-ms")
			s.b.ReportMetric(pct(th, 0.95), name+"-cpu-p95-ms")
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.series)) {
		if class, ok := strings.CutPrefix(name, "search:"); ok {
			w := slices.Sorted(slices.Values(s.series[name].wall))
			th := slices.Sorted(slices.Values(s.series[name].thread))
			s.b.Logf("  search %-8s %3d queries  wall p50 %7.2f p95 %7.2f max %7.2f ms | thread CPU p50 %7.2f p95 %7.2f max %7.2f ms",
				class, len(w), pct(w, 0.5), pct(w, 0.95), pct(w, 1), pct(th, 0.5), pct(th, 0.95), pct(th, 1))
		}
	}
}

// deleteCaptures removes captures by id, in one transaction.
func (c *Catalog) deleteCaptures(ctx context.Context, ids []string) error {
	tx, err := c.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `DELETE FROM captures WHERE capture_id = ?`, id); err != nil {
			return err
		}
	}
	return tx.Commit()
}
