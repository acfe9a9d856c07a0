package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/capture"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/catalog/sqlite"
	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/archive/store/local"
	"github.com/archivist-project/archivist/archive/store/s3"
	"github.com/archivist-project/archivist/archive/store/s3/minioserver"
	"github.com/archivist-project/archivist/archive/warc"
	"github.com/archivist-project/archivist/cmd/archivist/internal/benchsite"
	"github.com/archivist-project/archivist/crawler"
	"github.com/archivist-project/archivist/crawler/urlnorm"
	"github.com/archivist-project/archivist/extract"
)

// page is one page (an article or a section page) on its way through the
// stages.
type page struct {
	url, seed string
	listing   bool // a section page, not an article
	ex        *archive.Exchange
	ext       *extract.Result
	id        string
	prefix    string
	warc      bytes.Buffer
	wres      warc.Result
	article   []byte // Article JSON
	prov      []byte // provenance JSON
	entry     catalog.Entry
}

// stageRun is what runStages found.
type stageRun struct {
	stages        []Stage
	meanPageBytes float64
}

// stageSpec is one stage: its name, what it runs, its workers and the
// work for one page.
type stageSpec struct {
	name, what string
	workers    int
	inCeiling  bool
	fn         func(ctx context.Context, worker int, p *page) error
	m          meter
	server     func() (cpuTimes, bool) // CPU of the server it talks to
	serverCPU  time.Duration
}

// runStages pushes the fixture's articles through each stage alone, a
// batch at a time: every page is fetched, then every page of the batch
// extracted, and so on, each stage's work timed in its own window. Batches
// keep memory bounded whatever the page count.
func runStages(ctx context.Context, cfg Config, site *benchsite.Site, port, dir string) (*stageRun, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bench: create %s: %w", dir, err)
	}
	r, err := newStageRig(ctx, cfg, dir)
	if err != nil {
		return nil, err
	}
	defer r.close()
	specs := r.specs(cfg)

	// The pages the crawl captures: every article and every section page,
	// so that the stages' CPU per page and the crawl's are over the same
	// pages.
	articles := site.ArticleURLs(port)
	urls := append(articles, site.SeedURLs(port)...)
	fmt.Fprintf(cfg.Out, "bench: stages, each alone over the same %d pages (%d articles, %d section pages), %d at a time\n",
		len(urls), len(articles), len(urls)-len(articles), cfg.Batch)
	if cfg.Progress != nil {
		cfg.Progress.Phase("stages", int64(len(urls)))
		defer cfg.Progress.Done()
	}
	hp := startHeapPeak(5 * time.Millisecond)
	defer hp.close()
	var bodyBytes int64
	for start := 0; start < len(urls); start += cfg.Batch {
		batch := make([]*page, 0, cfg.Batch)
		for i := start; i < min(start+cfg.Batch, len(urls)); i++ {
			p := &page{url: urls[i], seed: urls[i], listing: i >= len(articles)}
			if !p.listing {
				p.seed = site.ListingOf(i, port)
			}
			batch = append(batch, p)
		}
		for _, s := range specs {
			var before cpuTimes
			if s.server != nil {
				before, _ = s.server()
			}
			err := s.m.measure(hp, func() error { return forEach(ctx, s.workers, batch, s.fn) })
			if err != nil {
				return nil, fmt.Errorf("bench: stage %s: %w", s.name, err)
			}
			if s.server != nil {
				if after, ok := s.server(); ok {
					s.serverCPU += after.sub(before).total()
				}
			}
		}
		for _, p := range batch {
			bodyBytes += int64(len(p.ex.Final().Body))
		}
		if cfg.Progress != nil {
			cfg.Progress.Add(len(batch))
		}
	}
	out := &stageRun{meanPageBytes: float64(bodyBytes) / float64(len(urls))}
	for _, s := range specs {
		st := s.result(len(urls))
		switch {
		case s.name == "extract" && r.notArticles.Load() > 0:
			st.Note = fmt.Sprintf("%d pages not classified as articles", r.notArticles.Load())
		case s.name == "recorder" && r.notArchived.Load() > 0:
			st.Note = fmt.Sprintf("%d pages not archived", r.notArchived.Load())
		}
		out.stages = append(out.stages, st)
	}
	return out, nil
}

func (s *stageSpec) result(pages int) Stage {
	n := float64(pages)
	st := Stage{
		Name: s.name, What: s.what, Workers: s.workers, Pages: pages, InCeiling: s.inCeiling,
		WallSeconds: s.m.wall.Seconds(), CPUSeconds: s.m.cpu.total().Seconds(),
		UserSeconds: s.m.cpu.user.Seconds(), SysSeconds: s.m.cpu.sys.Seconds(),
		CPUMsPerPage:      float64(s.m.cpu.total().Microseconds()) / 1000 / n,
		AllocBytesPerPage: float64(s.m.allocBytes) / n, AllocsPerPage: float64(s.m.allocs) / n,
		PeakHeapBytes: s.m.peakHeap,
	}
	if s.m.wall > 0 {
		st.PagesPerSecond = n / s.m.wall.Seconds()
	}
	if s.serverCPU > 0 {
		st.ServerCPUMsPerPage = float64(s.serverCPU.Microseconds()) / 1000 / n
	}
	return st
}

// forEach runs fn over the pages with the given number of workers and
// returns the first error (the rest of the batch is then skipped).
func forEach(ctx context.Context, workers int, pages []*page, fn func(context.Context, int, *page) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range min(workers, len(pages)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(pages) || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, w, pages[i]); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// stageRig holds what the stages write to: each store and catalog is its
// own, so no stage finds another's rows or objects.
type stageRig struct {
	fetcher   *crawler.Fetcher
	writers   []*warc.Writer
	encoder   archive.RecordEncoder // reuses gzip writers, as the Recorder's does
	local     store.Store
	minio     *minioserver.Server
	s3        store.Store
	cat       *sqlite.Catalog
	catWriter *capture.CatalogWriter // the Recorder's group commit
	recStore  store.Store
	recCat    *sqlite.Catalog
	rec       *capture.Recorder
	runID     string
	software  archive.Component
	capCfg    capture.Config
	// notArticles counts articles the extractor did not call articles, and
	// notArchived those the Recorder did not keep: both should stay 0.
	notArticles atomic.Int64
	notArchived atomic.Int64
}

func newStageRig(ctx context.Context, cfg Config, dir string) (_ *stageRig, err error) {
	r := &stageRig{runID: "bench-" + time.Now().UTC().Format("20060102T150405"), software: archive.Software(), capCfg: cfg.Capture}
	defer func() {
		if err != nil {
			r.close()
		}
	}()
	// The crawl's fetcher with politeness off: this stage measures what a
	// fetch costs, not how long hosts make it wait.
	fc := cfg.Crawler
	fc.PerHostDelay = 0
	fc.PerHostParallelism = fetchWorkers()
	fc.Parallelism = fetchWorkers()
	fc.AllowPrivateNetworks = true
	fc.Resolver = benchsite.Resolver{}
	fc.RunID = r.runID
	if r.fetcher, err = crawler.NewFetcher(fc, cfg.Log); err != nil {
		return r, fmt.Errorf("bench: fetcher: %w", err)
	}
	for range runtime.NumCPU() {
		w, err := warc.NewWriter(0) // the level the capture pipeline uses
		if err != nil {
			return r, fmt.Errorf("bench: warc writer: %w", err)
		}
		r.writers = append(r.writers, w)
	}
	if r.local, err = local.Open(filepath.Join(dir, "store")); err != nil {
		return r, fmt.Errorf("bench: %w", err)
	}
	if r.cat, err = sqlite.Open(ctx, filepath.Join(dir, "catalog.db"), cfg.Log); err != nil {
		return r, fmt.Errorf("bench: %w", err)
	}
	r.catWriter = capture.NewCatalogWriter(r.cat)
	if r.recStore, err = local.Open(filepath.Join(dir, "recorder-store")); err != nil {
		return r, fmt.Errorf("bench: %w", err)
	}
	if r.recCat, err = sqlite.Open(ctx, filepath.Join(dir, "recorder-catalog.db"), cfg.Log); err != nil {
		return r, fmt.Errorf("bench: %w", err)
	}
	r.rec = capture.NewRecorder(r.recStore, r.recCat, r.software, cfg.Capture, cfg.Log)
	if cfg.MinioBin != "" {
		fmt.Fprintf(cfg.Out, "bench: starting MinIO (%s) on loopback\n", cfg.MinioBin)
		if r.minio, err = minioserver.Start(cfg.MinioBin, filepath.Join(dir, "minio")); err != nil {
			return r, fmt.Errorf("bench: %w (pass --minio-bin none to skip the MinIO stage)", err)
		}
		r.s3, err = s3.Open(ctx, s3.Config{Endpoint: r.minio.Endpoint, Bucket: "bench", AccessKey: r.minio.AccessKey, SecretKey: r.minio.SecretKey})
		if err != nil {
			return r, fmt.Errorf("bench: %w", err)
		}
	}
	return r, nil
}

func (r *stageRig) close() {
	if r.fetcher != nil {
		r.fetcher.Close()
	}
	for _, c := range []*sqlite.Catalog{r.cat, r.recCat} {
		if c != nil {
			c.Close()
		}
	}
	for _, s := range []store.Store{r.local, r.recStore, r.s3} {
		if s != nil {
			s.Close()
		}
	}
	if r.minio != nil {
		r.minio.Stop()
	}
}

// fetchWorkers is a few fetches per CPU: over loopback a fetch waits on
// the server more than it computes.
func fetchWorkers() int { return 4 * runtime.NumCPU() }

// specs lists the stages in pipeline order. Those in the ceiling are the
// capture's work split into parts; MinIO and the Recorder are measured
// beside them.
func (r *stageRig) specs(cfg Config) []*stageSpec {
	ncpu := runtime.NumCPU()
	specs := []*stageSpec{
		{name: "fetch", what: "colly Fetcher.Fetch over loopback, robots.txt obeyed, politeness off", workers: fetchWorkers(), inCeiling: true, fn: r.fetch},
		{name: "extract", what: "capture.DecodeBody + extract.Extract with capture.ExtractOptions", workers: ncpu, inCeiling: true, fn: r.extract},
		{name: "readability", what: "reference, not a part of a capture: html.Parse + readeck FromDocument + RenderText of the same decoded pages, the library alone (the issue's \"readeck extraction\")", workers: ncpu, fn: r.readabilityAlone},
		{name: "warc", what: "warc.Writer.WriteCapture into memory (gzip per record)", workers: ncpu, inCeiling: true, fn: r.writeWARC},
		{name: "records", what: "archive.RecordEncoder of the Article (gzipped JSON) and provenance, object digests, capture.NewEntry", workers: ncpu, inCeiling: true, fn: r.records},
		{name: "store-local", what: "local store Put of WARC, Article, provenance (fsync)", workers: cfg.Parallelism, inCeiling: true, fn: r.putTo(func() store.Store { return r.local })},
	}
	if r.s3 != nil {
		s := &stageSpec{name: "store-minio", what: "S3 store Put of the same objects to MinIO on loopback", workers: cfg.Parallelism, fn: r.putTo(func() store.Store { return r.s3 })}
		s.server = func() (cpuTimes, bool) { return procCPU(r.minio.PID()) }
		specs = append(specs, s)
	}
	return append(specs,
		&stageSpec{name: "catalog", what: "SQLite: the Recorder's lookups (previous capture, payload digest) and its group-committed Put", workers: cfg.Parallelism, inCeiling: true, fn: r.catalog},
		&stageSpec{name: "recorder", what: "cross-check: Recorder.Capture (extract to catalog, local store), as crawl calls it", workers: cfg.Parallelism, fn: r.record},
	)
}

func (r *stageRig) fetch(ctx context.Context, _ int, p *page) error {
	req := crawler.FetchRequest{URL: p.url, Seed: p.seed, Via: p.seed, Depth: 1, RunID: r.runID}
	if p.listing {
		req.Via, req.Depth = "", 0 // a seed, as in the crawl
	}
	res := r.fetcher.Fetch(ctx, req)
	if res.Outcome != crawler.FetchOK {
		return fmt.Errorf("fetch %s: %s (%s)", p.url, res.Outcome, res.Reason)
	}
	p.ex = res.Exchange
	return nil
}

func (r *stageRig) extract(_ context.Context, _ int, p *page) error {
	final := p.ex.Final()
	body, err := capture.DecodeBody(final.Body, final.ResponseHeader.Get("Content-Encoding"), r.capCfg.MaxBodyBytes)
	if err != nil {
		return err
	}
	if p.ext, err = extract.Extract(body, capture.ExtractOptions(final, p.ex.FetchEnd, p.ex.Discovery)); err != nil {
		return err
	}
	if !p.listing && p.ext.Article.PageType != extract.PageArticle {
		r.notArticles.Add(1)
	}
	return nil
}

// readabilityAlone runs the extraction library as its own tests and
// extract-eval's readeck-xhtml run it, with none of Extract's metadata,
// evidence or page typing: the floor of the extract stage.
func (r *stageRig) readabilityAlone(_ context.Context, _ int, p *page) error {
	final := p.ex.Final()
	body, err := capture.DecodeBody(final.Body, final.ResponseHeader.Get("Content-Encoding"), r.capCfg.MaxBodyBytes)
	if err != nil {
		return err
	}
	u, err := url.Parse(final.URL)
	if err != nil {
		return err
	}
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		return err
	}
	// A page the library finds no article in costs what it cost: that is
	// not an error of the measurement (Extract's stage reports it).
	if art, err := readability.FromDocument(doc, u); err == nil && art.Node != nil {
		return art.RenderText(io.Discard)
	}
	return nil
}

func (r *stageRig) writeWARC(_ context.Context, worker int, p *page) error {
	p.id = archive.NewCaptureID(p.ex.FetchStart)
	prefix, err := archive.CapturePrefix(p.id)
	if err != nil {
		return err
	}
	p.prefix = prefix
	// The Recorder hashes the payload once, for its duplicate lookup, and
	// hands the sum to the writer; the catalog stage reuses it.
	info := warc.Info{
		Software: r.software, CaptureID: p.id, RunID: p.ex.RunID, UserAgent: p.ex.UserAgent,
		Robots: p.ex.Robots.Policy, Operator: r.capCfg.Operator, Payload: warc.SumPayload(p.ex.Final().Body),
	}
	p.wres, err = r.writers[worker].WriteCapture(&p.warc, p.ex, info)
	return err
}

// records builds what the Recorder stores beside the WARC, as it does for
// a first capture of a page.
func (r *stageRig) records(_ context.Context, _ int, p *page) error {
	art := &p.ext.Article
	final := p.ex.Final()
	var err error
	if p.article, err = r.encoder.Encode(archive.ArticleName, art); err != nil {
		return fmt.Errorf("encode article of %s: %w", final.URL, err)
	}
	prov := capture.NewProvenance(p.id, p.ex, p.wres.PayloadSHA256, r.software, art.Extractor)
	prov.Response = &archive.WARCRecordRef{RecordID: p.wres.ResponseRecordID, TargetURI: final.URL, Date: final.Start.UTC()}
	prov.Objects = map[string]archive.ObjectRef{
		"warc":    objectRef(p.prefix+archive.WARCName, p.warc.Bytes()),
		"article": objectRef(p.prefix+archive.ArticleName, p.article),
	}
	if p.prov, err = r.encoder.Encode(archive.ProvenanceName, prov); err != nil {
		return fmt.Errorf("encode provenance of %s: %w", final.URL, err)
	}
	p.entry = capture.NewEntry(prov, art, objectRef(p.prefix+archive.ProvenanceName, p.prov))
	return nil
}

func objectRef(key string, data []byte) archive.ObjectRef {
	sum := sha256.Sum256(data)
	return archive.ObjectRef{Key: key, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
}

// putTo writes a capture's three objects in the Recorder's order, the
// provenance last.
func (r *stageRig) putTo(st func() store.Store) func(context.Context, int, *page) error {
	return func(ctx context.Context, _ int, p *page) error {
		s := st()
		for _, o := range []struct {
			name string
			data []byte
		}{{archive.WARCName, p.warc.Bytes()}, {archive.ArticleName, p.article}, {archive.ProvenanceName, p.prov}} {
			if err := s.Put(ctx, p.prefix+o.name, bytes.NewReader(o.data), int64(len(o.data))); err != nil {
				return err
			}
		}
		return nil
	}
}

// catalog does the catalog work of a first capture: the Recorder looks up
// the page's latest capture by canonical and final URL and the payload
// digest anywhere in the archive before it adds the row.
func (r *stageRig) catalog(ctx context.Context, _ int, p *page) error {
	final := p.ex.Final()
	seen := map[string]bool{}
	for _, u := range []string{p.entry.CanonicalURL, final.URL} {
		key := urlnorm.Key(u)
		if u == "" || key == "" || seen[key] {
			continue
		}
		seen[key] = true
		if _, err := r.cat.Nearest(ctx, key, time.Time{}); err != nil && !errors.Is(err, catalog.ErrNotFound) {
			return err
		}
	}
	if _, err := r.cat.FirstByPayload(ctx, p.wres.PayloadSHA256); err != nil && !errors.Is(err, catalog.ErrNotFound) {
		return err
	}
	return r.catWriter.Put(ctx, p.entry)
}

func (r *stageRig) record(ctx context.Context, _ int, p *page) error {
	res, err := r.rec.Capture(ctx, p.ex, nil)
	if err != nil {
		return err
	}
	if !res.Archived {
		r.notArchived.Add(1)
	}
	return nil
}
