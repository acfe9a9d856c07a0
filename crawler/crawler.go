// Package crawler discovers and fetches news pages and hands each fetch to
// a Sink that archives it.
//
// Fetcher fetches one URL politely and classifies the result (ok, not
// modified, blocked, permanent or transient failure, host backed off); both
// a one-off crawl Run and the daemon (package crawler/daemon) use it.
//
// A run starts from seed URLs (topic pages, section fronts, feeds), fetches
// them with colly through a recording transport that keeps every byte of
// every redirect hop, asks the Sink to archive each HTML page, and follows
// the links the Sink reports within the scope rules (package scope) up to
// MaxDepth. Politeness is per host (parallelism and delay), robots.txt is
// obeyed by default, URLs are normalised and de-duplicated (package
// urlnorm), and connections to private networks are refused at the dial
// (package netguard).
package crawler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/crawler/scope"
)

// Crawler runs crawls with one configuration and Sink. It keeps no state
// between runs; concurrent Runs are independent.
type Crawler struct {
	cfg    Config
	sink   Sink
	logger *slog.Logger
	scope  *scope.Rules
}

// Result statuses of a URL.
const (
	StatusArchived = "archived"
	StatusSkipped  = "skipped"
	StatusFailed   = "failed"
)

// Summary reports a run.
type Summary struct {
	RunID    string
	URLs     int // URLs the run decided about
	Fetched  int // URLs that got an HTTP response (any status)
	Archived int
	Skipped  int
	Failed   int
	// Results holds one entry per URL the run decided about, in the order
	// decisions were made. Links dropped by scope or de-duplication before
	// being queued are not listed. It is empty when Config.OnResult is set:
	// a long crawl then streams its results instead of keeping them all.
	Results []URLResult
}

// URLResult is what happened to one URL.
type URLResult struct {
	URL        string // normalised requested URL (the raw text for invalid seeds)
	FinalURL   string // URL of the final response after redirects, if any
	Via        string // page that linked to it ("" for seeds)
	Depth      int
	Status     string // StatusArchived, StatusSkipped or StatusFailed
	Reason     string // why skipped or failed
	CaptureID  string
	HTTPStatus int // final HTTP status, 0 when no response was received
}

// New checks cfg and returns a Crawler that hands fetches to sink and logs
// to logger (nil: discard).
func New(cfg Config, sink Sink, logger *slog.Logger) (*Crawler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if sink == nil {
		return nil, errors.New("new crawler: sink is nil; pass the capture pipeline")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	rules, err := scope.New(cfg.Include, cfg.Exclude, cfg.MaxDepth)
	if err != nil {
		return nil, fmt.Errorf("new crawler: %w", err)
	}
	return &Crawler{cfg: cfg, sink: sink, logger: logger, scope: rules}, nil
}

// Run crawls from seeds until every reachable in-scope URL is decided or ctx
// ends. Invalid seeds become failed results and the crawl goes on with the
// others; Run returns an error only when no seed is usable or ctx ends, and
// then still returns the partial Summary.
func (c *Crawler) Run(ctx context.Context, seeds []string) (Summary, error) {
	runID := c.cfg.RunID
	if runID == "" {
		runID = archive.NewCaptureID(c.cfg.Clock())
	}
	r, err := newRun(ctx, c, runID)
	if err != nil {
		return Summary{RunID: runID}, fmt.Errorf("crawl: %w", err)
	}
	defer r.close()
	log := r.log
	log.Info("crawl started", "seeds", len(seeds), "max_depth", c.cfg.MaxDepth,
		"user_agent", r.fetcher.UserAgent(), "obey_robots", c.cfg.ObeyRobots)

	var bad []string
	queued := 0
	for _, s := range seeds {
		it, err := newSeedItem(s)
		if err != nil {
			bad = append(bad, s)
			r.record(URLResult{URL: s, Status: StatusFailed, Reason: "invalid seed: " + err.Error()})
			log.Warn("invalid seed", "seed", s, "error", err)
			continue
		}
		if r.dedup.markSeen(it.key, it.url) {
			r.enqueue(it)
			queued++
		}
	}
	if queued == 0 {
		sum := r.summary()
		if len(seeds) == 0 {
			return sum, errors.New("crawl: no seeds given; pass at least one http(s) URL")
		}
		return sum, fmt.Errorf("crawl: none of the %d seeds is a valid http(s) URL: %s", len(seeds), strings.Join(bad, ", "))
	}

	r.work()
	sum := r.summary()
	log.Info("crawl finished", "fetched", sum.Fetched, "archived", sum.Archived,
		"skipped", sum.Skipped, "failed", sum.Failed, "invalid_seeds", len(bad))
	if err := ctx.Err(); err != nil {
		return sum, fmt.Errorf("crawl %s stopped early: %w", runID, err)
	}
	return sum, nil
}
