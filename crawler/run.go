package crawler

import (
	"context"
	"log/slog"
	"sync"

	"github.com/archivist-project/archivist/crawler/internal/spill"
	"github.com/archivist-project/archivist/crawler/urlnorm"
)

// item is one URL waiting to be fetched.
type item struct {
	url   string // normalised
	key   string // urlnorm.Key(url)
	host  string // host name, for politeness
	via   string // final URL of the page that linked to it
	seed  string
	depth int
}

func newSeedItem(raw string) (item, error) {
	n, err := urlnorm.Normalize(raw)
	if err != nil {
		return item{}, err
	}
	return newItem(n, "", n, 0), nil
}

// newItem makes a queue item of a normalised URL.
func newItem(normalized, via, seed string, depth int) item {
	return item{
		url: normalized, key: urlnorm.KeyOfNormalized(normalized), host: urlnorm.HostOfNormalized(normalized),
		via: via, seed: seed, depth: depth,
	}
}

// run holds the state of one Run: everything is fresh per run, so robots.txt,
// cookies and de-duplication never leak from one crawl into the next.
type run struct {
	ctx     context.Context
	cfg     Config
	crawler *Crawler
	id      string
	log     *slog.Logger

	fetcher  *Fetcher
	frontier *frontier
	dedup    *dedup
	spill    *spill.File   // nil: URLMemoryBytes is 0
	links    *urlnorm.Memo // discovered links, normalised

	// robots.txt prefetches: one per new host, at most Parallelism at once.
	robotsSem chan struct{}
	robotsWG  sync.WaitGroup
	hostsMu   sync.Mutex
	hosts     map[string]bool // hosts whose robots.txt was prefetched

	mu      sync.Mutex
	counts  Summary     // running totals; Results unused
	results []URLResult // only without Config.OnResult
}

func newRun(ctx context.Context, c *Crawler, id string) (*run, error) {
	log := c.logger.With("run_id", id)
	f, err := NewFetcher(c.cfg, log)
	if err != nil {
		return nil, err
	}
	r := &run{
		ctx:     ctx,
		cfg:     c.cfg,
		crawler: c,
		id:      id,
		log:     log,
		fetcher: f,
		links:   urlnorm.NewMemo(urlnorm.DefaultMemoSize),

		robotsSem: make(chan struct{}, max(1, c.cfg.Parallelism)),
		hosts:     make(map[string]bool),
	}
	r.frontier = newFrontier(f.readyIn)
	if budget := c.cfg.URLMemoryBytes; budget > 0 {
		r.spill = spill.New(c.cfg.SpillDir, log)
		// Half for the queue, half for de-duplication: a queue fills
		// faster than politeness drains it, a seen set grows with every
		// link.
		r.frontier.spillTo(r.spill, budget/2, log)
		r.dedup = newDedup(r.spill, budget/2, log)
	} else {
		r.dedup = newDedup(nil, 0, log)
	}
	return r, nil
}

func (r *run) close() {
	r.fetcher.Close()
	if r.spill == nil {
		return
	}
	if path := r.spill.Path(); path != "" {
		r.log.Info("crawl kept URLs beyond its memory budget in a spill file", "file", path)
	}
	if err := r.spill.Close(); err != nil {
		r.log.Warn("could not remove the crawl spill file", "error", err)
	}
}

// work runs Parallelism workers until the frontier drains or ctx ends.
func (r *run) work() {
	stop := context.AfterFunc(r.ctx, r.frontier.stop)
	defer stop()
	var wg sync.WaitGroup
	for range r.cfg.Parallelism {
		wg.Go(func() {
			for {
				it, ok := r.frontier.next()
				if !ok {
					return
				}
				// stop runs after ctx ends, not with it: don't start
				// work picked up in between.
				if r.ctx.Err() == nil {
					r.process(it)
				}
				r.frontier.done()
			}
		})
	}
	wg.Wait()
	r.robotsWG.Wait()
}

// enqueue queues items, and starts loading the robots.txt of hosts seen
// for the first time.
func (r *run) enqueue(items ...item) {
	for _, it := range items {
		r.hostsMu.Lock()
		fresh := !r.hosts[it.host]
		r.hosts[it.host] = true
		r.hostsMu.Unlock()
		if fresh {
			u := it.url
			r.robotsWG.Go(func() {
				select {
				case r.robotsSem <- struct{}{}:
				case <-r.ctx.Done():
					return
				}
				defer func() { <-r.robotsSem }()
				r.fetcher.PrefetchRobots(r.ctx, u)
			})
		}
	}
	r.frontier.push(items...)
}

func (r *run) record(res URLResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts.add(res)
	if r.cfg.OnResult != nil {
		// Called under mu so that results reach it one at a time, in the
		// order they were decided.
		r.cfg.OnResult(res)
		return
	}
	r.results = append(r.results, res)
}

// add counts one result into s.
func (s *Summary) add(res URLResult) {
	s.URLs++
	if res.HTTPStatus != 0 {
		s.Fetched++
	}
	switch res.Status {
	case StatusArchived:
		s.Archived++
	case StatusSkipped:
		s.Skipped++
	case StatusFailed:
		s.Failed++
	}
}

func (r *run) summary() Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.counts
	s.RunID = r.id
	s.Results = append([]URLResult(nil), r.results...)
	return s
}
