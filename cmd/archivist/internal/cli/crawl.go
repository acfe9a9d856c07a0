package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/capture"
	"github.com/archivist-project/archivist/cmd/archivist/internal/config"
	"github.com/archivist-project/archivist/crawler"
	"github.com/archivist-project/archivist/crawler/urlnorm"
	"github.com/archivist-project/archivist/extract"
)

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func runCrawl(ctx context.Context, args []string, io IO) error {
	fs := newFlagSet("crawl", io, "[--data DIR] [--store URL] [--depth N] [--config FILE] SEED_URL...")
	var c common
	c.register(fs)
	storeURL := fs.String("store", "", "store URL for a new archive: file://PATH or s3://BUCKET[/PREFIX]?endpoint=HOST:PORT (default: the data dir's own store)")
	depth := fs.Int("depth", -1, "link hops to follow from each seed (default 1)")
	var include, exclude listFlag
	fs.Var(&include, "include", "only follow URLs matching this regular expression (repeatable)")
	fs.Var(&exclude, "exclude", "never follow URLs matching this regular expression (repeatable)")
	allowPrivate := fs.Bool("allow-private-networks", false, "allow fetching loopback and private addresses (testing, intranets)")
	delay := fs.Duration("delay", -1, "delay between requests to the same host (default 1s)")
	contact := fs.String("contact", "", "contact (URL or e-mail) added to the User-Agent")
	seeds, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(seeds) == 0 {
		fs.Usage()
		return usagef("crawl: give at least one SEED_URL")
	}
	var bad []string
	for _, s := range seeds {
		if _, err := urlnorm.Normalize(s); err != nil {
			bad = append(bad, err.Error())
		}
	}
	if len(bad) == len(seeds) {
		return usagef("crawl: no valid seed URL: %s", strings.Join(bad, "; "))
	}
	cfg, err := c.load(io)
	if err != nil {
		return err
	}
	if *depth >= 0 {
		cfg.Crawl.Depth = *depth
	}
	cfg.Crawl.Include = append(cfg.Crawl.Include, include...)
	cfg.Crawl.Exclude = append(cfg.Crawl.Exclude, exclude...)
	if *allowPrivate {
		cfg.Crawl.AllowPrivateNetworks = true
	}
	if *delay >= 0 {
		cfg.Crawl.PerHostDelay = config.Duration(*delay)
	}
	if *contact != "" {
		cfg.Crawl.Contact = *contact
	}
	if err := cfg.Validate(); err != nil {
		return usagef("crawl: %v", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	a, err := openArchive(ctx, cfg, *storeURL, true, io)
	if err != nil {
		return err
	}
	defer a.Close()

	// A crawl killed between a capture's last object and its catalog row
	// left that capture uncatalogued; index it first, so this crawl records
	// the page as a revisit instead of a second full capture.
	now := time.Now()
	if n, err := capture.IndexRecentOrphans(ctx, a.store, a.catalog, now.Add(-orphanWindow), now.Add(time.Hour)); err != nil {
		return fmt.Errorf("crawl: %w", err)
	} else if n > 0 {
		a.log.Warn("indexed captures left uncatalogued by an earlier crash", "captures", n)
	}

	rec := capture.NewRecorder(a.store, a.catalog, archive.Software(), captureConfig(cfg), a.log)
	cc := crawlerConfig(cfg)
	cc.Resolver = io.Resolver
	if io.Getenv(loopbackOnlyEnv) == "1" {
		// As `serve` does, for tests and `archivist bench` running the real
		// binary: names resolve to loopback only (and the benchmark
		// fixture's *.bench.test hosts to 127.0.0.1).
		cc.Resolver = testModeResolver{}
		a.log.Warn("test mode: host names resolve to loopback addresses only", "env", loopbackOnlyEnv)
	}
	// Each URL's line is printed as it is decided: a long crawl shows its
	// progress, and keeps no list of every URL in memory.
	cc.OnResult = func(r crawler.URLResult) { printResult(io, r) }
	// On the data directory's disk, which was sized for the archive: the
	// system's temporary directory may be memory.
	cc.SpillDir = filepath.Join(a.dir, "tmp")
	cr, err := crawler.New(cc, sinkFunc(rec), a.log)
	if err != nil {
		return usagef("crawl: %v", err)
	}
	tuneForCapture(io, a.log)
	stopProfile, err := startCPUProfile(io)
	if err != nil {
		return err
	}
	start := time.Now()
	sum, runErr := cr.Run(ctx, seeds)
	stopProfile()
	if n := rec.Settle(ctx); n > 0 {
		a.log.Warn("captures whose last write had an uncertain outcome stay uncatalogued until the store answers; the next crawl or `archivist verify --repair` indexes them", "captures", n)
	}
	printSummary(io, sum, time.Since(start))
	if runErr != nil {
		return runErr
	}
	if sum.Failed > 0 {
		return &PartialError{Msg: fmt.Sprintf("crawl: %d of %d URLs failed (see the list above)", sum.Failed, sum.URLs)}
	}
	return nil
}

func crawlerConfig(cfg config.Config) crawler.Config {
	cc := crawler.DefaultConfig()
	cr := cfg.Crawl
	if cr.UserAgent != "" {
		cc.UserAgent = cr.UserAgent
	}
	// The User-Agent product version must be a single token.
	cc.Version = strings.Trim(archive.Software().Version, "()")
	cc.Contact = cr.Contact
	cc.ObeyRobots = cr.ObeyRobots
	cc.MaxDepth = cr.Depth
	cc.Include = cr.Include
	cc.Exclude = cr.Exclude
	cc.PerHostParallelism = cr.PerHostParallelism
	cc.PerHostDelay = time.Duration(cr.PerHostDelay)
	cc.Parallelism = cr.Parallelism
	cc.RequestTimeout = time.Duration(cr.RequestTimeout)
	cc.MaxBodyBytes = int64(cr.MaxBodyBytes)
	cc.MaxRedirects = cr.MaxRedirects
	cc.URLMemoryBytes = int(cr.URLMemory)
	cc.AllowPrivateNetworks = cr.AllowPrivateNetworks
	cc.RobotsTTL = time.Duration(cr.RobotsTTL)
	cc.MaxCrawlDelay = time.Duration(cr.MaxCrawlDelay)
	cc.MaxRetryAfter = time.Duration(cr.MaxRetryAfter)
	if cr.CookieLifetime != nil { // unset: the crawler's default, one jar per run
		cc.CookieLifetime = time.Duration(*cr.CookieLifetime)
	}
	return cc
}

// captureConfig is the capture pipeline's configuration: crawl, serve
// and bench build their Recorder from it.
func captureConfig(cfg config.Config) capture.Config {
	return capture.Config{
		KeepListings: cfg.Crawl.KeepListings,
		MaxBodyBytes: int64(cfg.Crawl.MaxBodyBytes) * 4,
		Operator:     cfg.Crawl.Contact,
		PageTypes:    pageTypes(cfg),
	}
}

// pageTypes is the page-type rule that page_types configures, for every
// command that extracts.
func pageTypes(cfg config.Config) *extract.PageTypeRules {
	r := cfg.PageTypes.Rules()
	return &r
}

// sinkFunc adapts the capture pipeline to the crawler's Sink.
func sinkFunc(rec *capture.Recorder) crawler.Sink { return recorderSink{rec} }

type recorderSink struct{ rec *capture.Recorder }

func (s recorderSink) Capture(ctx context.Context, ex *archive.Exchange, claim crawler.ClaimFunc) (crawler.Outcome, error) {
	r, err := s.rec.Capture(ctx, ex, capture.ClaimFunc(claim))
	if errors.Is(err, capture.ErrExtraction) {
		err = fmt.Errorf("%w: %w", crawler.ErrExtraction, err)
	}
	return crawler.Outcome{
		CaptureID: r.CaptureID, Archived: r.Archived, PageType: r.PageType,
		CanonicalURL: r.CanonicalURL, Links: r.Links, Reason: r.Reason,
	}, err
}

func printSummary(io IO, s crawler.Summary, took time.Duration) {
	fmt.Fprintf(io.Out, "crawl %s: %d pages fetched, %d archived, %d skipped, %d failed in %s\n",
		s.RunID, s.Fetched, s.Archived, s.Skipped, s.Failed, took.Round(time.Millisecond))
}

func printResult(io IO, r crawler.URLResult) {
	detail := r.Reason
	if r.CaptureID != "" {
		detail = "capture " + r.CaptureID
	}
	fmt.Fprintf(io.Out, "  %-8s %s  %s\n", r.Status, r.URL, detail)
}
