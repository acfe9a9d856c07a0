// Package daemon is the crawling engine of `archivist serve`: it polls
// configured sources on their intervals, discovers articles through pages,
// feeds and sitemaps, and has a pool of workers lease URLs from a durable
// frontier, fetch them politely and hand them to the capture pipeline (a
// crawler.Sink), then complete, retry or fail them and schedule revisits.
//
// Work is at-least-once. Everything discovered is in the frontier before
// the poll that found it is marked done; a URL is marked done only after
// the Sink returned; a worker that dies leaves a lease that expires (or
// that the next start reclaims at once, since one daemon owns its
// frontier). The one window this leaves, a capture stored and the process
// killed before Complete, makes the URL be fetched again: the Sink then
// finds the same payload in the catalog and records a revisit, not a
// second capture.
//
// Scheduling uses the injected Clock, so tests move through hours of
// polls, retries and revisits without sleeping; politeness delays between
// requests to one host are real time.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/crawler"
	"github.com/archivist-project/archivist/crawler/frontier"
	"github.com/archivist-project/archivist/crawler/urlnorm"
)

// writeTimeout bounds frontier writes that must happen even while shutting
// down (returning work, recording results).
const writeTimeout = 30 * time.Second

// Daemon runs sources against a frontier. Create it with New.
type Daemon struct {
	cfg     Config
	fr      frontier.Frontier
	sink    crawler.Sink
	log     *slog.Logger
	m       *Metrics
	fetcher *crawler.Fetcher
	runID   string
	links   *urlnorm.Memo // pages' links, normalised

	wake chan struct{} // a worker finished or sources changed

	mu       sync.Mutex
	sources  map[string]*source
	running  bool
	ready    bool      // start finished: sources synced, leases reclaimed
	lastLoop time.Time // real time of the scheduler's last turn
	inflight map[int64]*job
	paused   bool // an operator paused leasing; in-flight work still finishes
}

// job is one leased item being worked on.
type job struct {
	item    frontier.Item
	started time.Time // Clock
}

// InFlight is one URL being worked on.
type InFlight struct {
	URL     string
	Source  string
	Kind    string // "poll" for a source poll, "fetch" for a URL
	Started time.Time
}

// New checks cfg and returns a Daemon that works the frontier fr and
// hands pages to sink. A nil logger discards logs; nil metrics are
// created unregistered.
func New(cfg Config, fr frontier.Frontier, sink crawler.Sink, logger *slog.Logger, m *Metrics) (*Daemon, error) {
	if fr == nil || sink == nil {
		return nil, errors.New("new daemon: frontier and sink are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	sources, err := compileSources(cfg.Sources)
	if err != nil {
		return nil, fmt.Errorf("new daemon: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	cfg.Revisits = sortedDurations(cfg.Revisits)
	runID := cfg.RunID
	if runID == "" {
		runID = "serve-" + archive.NewCaptureID(cfg.Clock())
	}
	cc := cfg.Crawler
	cc.Clock = cfg.Clock
	cc.RunID = runID
	logger = logger.With("run_id", runID)
	f, err := crawler.NewFetcher(cc, logger)
	if err != nil {
		return nil, fmt.Errorf("new daemon: %w", err)
	}
	f.SetHostLimits(cfg.HostLimits)
	return &Daemon{
		cfg: cfg, fr: fr, sink: sink, log: logger, m: m, fetcher: f, runID: runID,
		links:    urlnorm.NewMemo(urlnorm.DefaultMemoSize),
		wake:     make(chan struct{}, 1),
		sources:  sources,
		inflight: make(map[int64]*job),
	}, nil
}

func sortedDurations(in []time.Duration) []time.Duration {
	out := append([]time.Duration(nil), in...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// RunID returns the id this daemon leases under and stamps on captures.
func (d *Daemon) RunID() string { return d.runID }

// Run works until ctx ends, then stops leasing, lets in-flight work finish
// or returns it to the frontier within DrainTimeout, and returns nil. It
// returns an error only when it cannot start (frontier unreachable,
// already running).
func (d *Daemon) Run(ctx context.Context) error {
	d.mu.Lock()
	if d.running {
		d.mu.Unlock()
		return errors.New("run daemon: already running")
	}
	d.running = true
	d.lastLoop = time.Now()
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.running, d.ready = false, false
		d.mu.Unlock()
		d.fetcher.CloseIdle()
	}()

	if err := d.start(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // asked to stop while starting
		}
		return err
	}
	d.mu.Lock()
	d.ready = true
	d.mu.Unlock()
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	jobs := make(chan frontier.Item)
	var wg sync.WaitGroup
	for range d.cfg.Workers {
		wg.Go(func() {
			for it := range jobs {
				d.work(workCtx, it)
			}
		})
	}
	var gauges sync.WaitGroup
	gauges.Go(func() { d.watchQueue(ctx) })
	d.schedule(ctx, jobs)
	close(jobs)
	gauges.Wait()
	d.drain(&wg, cancelWork)
	d.refreshMetrics(context.Background())
	d.log.Info("daemon stopped")
	return nil
}

// start reclaims dead leases, syncs sources and restores host back-offs.
func (d *Daemon) start(ctx context.Context) error {
	now := d.cfg.Clock()
	n, err := d.fr.Recover(ctx, d.runID, now)
	if err != nil {
		return fmt.Errorf("run daemon: reclaim leases of earlier runs: %w", err)
	}
	if err := d.fr.SyncSources(ctx, d.specs(), now); err != nil {
		return fmt.Errorf("run daemon: %w", err)
	}
	hosts, err := d.fr.HostsInBackoff(ctx, now)
	if err != nil {
		return fmt.Errorf("run daemon: %w", err)
	}
	for _, h := range hosts {
		d.fetcher.BackOff(h.Host, h.Until)
	}
	d.log.Info("daemon started", "sources", len(d.specs()), "workers", d.cfg.Workers,
		"reclaimed_leases", n, "hosts_in_backoff", len(hosts), "user_agent", d.fetcher.UserAgent())
	return nil
}

// schedule leases due work for idle workers until ctx ends.
func (d *Daemon) schedule(ctx context.Context, jobs chan<- frontier.Item) {
	for ctx.Err() == nil {
		d.mu.Lock()
		d.lastLoop = time.Now()
		free := d.cfg.Workers - len(d.inflight)
		if d.paused {
			free = 0
		}
		d.mu.Unlock()
		d.extendLeases(ctx)

		leased := 0
		if free > 0 {
			now := d.cfg.Clock()
			items, err := d.fr.Lease(ctx, frontier.LeaseRequest{
				Owner: d.runID, Max: free, Now: now, Until: now.Add(d.cfg.Lease),
				SkipHosts: d.skipHosts(), PerHost: 1,
			})
			if err != nil && ctx.Err() == nil {
				d.m.FrontierErrors.Inc()
				d.log.Error("lease work from the frontier failed; retrying", "error", err)
			}
			for _, it := range items {
				d.mu.Lock()
				if j, ok := d.inflight[it.ID]; ok {
					// Our own lease expired under a worker still at it (the
					// clock jumped): the worker ends the new lease instead.
					j.item = it
					d.mu.Unlock()
					continue
				}
				d.inflight[it.ID] = &job{item: it, started: now}
				d.m.InFlight.Set(float64(len(d.inflight)))
				d.mu.Unlock()
				jobs <- it
				leased++
			}
		}
		if leased > 0 {
			continue
		}
		timer := time.NewTimer(d.cfg.IdlePoll)
		select {
		case <-ctx.Done():
		case <-d.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// Pause stops leasing new work: fetches and polls in flight finish, and
// nothing new starts until Resume. The pause is not persisted: a restarted
// daemon runs.
func (d *Daemon) Pause() {
	d.mu.Lock()
	d.paused = true
	d.mu.Unlock()
	d.log.Info("crawl paused")
}

// Resume undoes Pause.
func (d *Daemon) Resume() {
	d.mu.Lock()
	d.paused = false
	d.mu.Unlock()
	d.log.Info("crawl resumed")
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Paused reports whether leasing is paused.
func (d *Daemon) Paused() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.paused
}

// skipHosts are hosts whose politeness slots are all taken right now.
func (d *Daemon) skipHosts() []string { return d.fetcher.BusyHosts() }

// extendLeases keeps the leases of long-running work (a sitemap poll, a
// host with a long Crawl-delay) from expiring under it.
func (d *Daemon) extendLeases(ctx context.Context) {
	now := d.cfg.Clock()
	var due []frontier.Item
	d.mu.Lock()
	for _, j := range d.inflight {
		if j.item.Lease.Until.Sub(now) < d.cfg.Lease/2 {
			due = append(due, j.item)
		}
	}
	d.mu.Unlock()
	if len(due) == 0 {
		return
	}
	until := now.Add(d.cfg.Lease)
	if err := d.fr.Extend(ctx, due, until); err != nil {
		if ctx.Err() == nil {
			d.m.FrontierErrors.Inc()
			d.log.Warn("extend leases failed", "error", err)
		}
		return
	}
	d.mu.Lock()
	for _, it := range due {
		if j, ok := d.inflight[it.ID]; ok {
			j.item.Lease.Until = until
		}
	}
	d.mu.Unlock()
}

// drain waits for in-flight work up to DrainTimeout, then cancels it; the
// workers return canceled work to the frontier.
func (d *Daemon) drain(wg *sync.WaitGroup, cancelWork context.CancelFunc) {
	d.mu.Lock()
	n := len(d.inflight)
	d.mu.Unlock()
	d.log.Info("daemon stopping: no new work taken", "in_flight", n, "drain_timeout", d.cfg.DrainTimeout)
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	timer := time.NewTimer(d.cfg.DrainTimeout)
	defer timer.Stop()
	select {
	case <-done:
		return
	case <-timer.C:
	}
	d.mu.Lock()
	n = len(d.inflight)
	d.mu.Unlock()
	d.log.Warn("drain timeout: canceling in-flight work and returning it to the frontier", "in_flight", n)
	cancelWork()
	<-done
}

// work processes one item; a panic fails only this item.
func (d *Daemon) work(ctx context.Context, it frontier.Item) {
	defer func() {
		if p := recover(); p != nil {
			d.log.Error("worker panicked; retrying the item later", "url", it.URL, "panic", fmt.Sprint(p))
			d.retry(it, fmt.Sprintf("internal error: %v", p), time.Time{}, true)
		}
		d.mu.Lock()
		delete(d.inflight, it.ID)
		d.m.InFlight.Set(float64(len(d.inflight)))
		d.mu.Unlock()
		select {
		case d.wake <- struct{}{}:
		default:
		}
	}()
	if it.Kind == frontier.KindSource {
		d.poll(ctx, it)
		return
	}
	d.fetchURL(ctx, it)
}

// current returns the item with the lease the daemon holds now (it may
// have been re-leased to this daemon after expiring), so that ending the
// lease matches.
func (d *Daemon) current(it frontier.Item) frontier.Item {
	d.mu.Lock()
	defer d.mu.Unlock()
	if j, ok := d.inflight[it.ID]; ok {
		return j.item
	}
	return it
}

// Reload applies a new source list and host limits without a restart:
// new sources are polled, removed ones stop, changed ones take effect at
// their next poll (a changed URL at once).
func (d *Daemon) Reload(sources []Source, limits map[string]HostLimit) error {
	compiled, err := compileSources(sources)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	for host, l := range limits {
		if l.Parallelism < 0 || l.Delay < 0 {
			return fmt.Errorf("reload: host_limits[%s]: parallelism and delay must not be negative", host)
		}
	}
	d.mu.Lock()
	d.sources = compiled
	running := d.running
	d.mu.Unlock()
	d.fetcher.SetHostLimits(limits)
	if running {
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		defer cancel()
		if err := d.fr.SyncSources(ctx, d.specs(), d.cfg.Clock()); err != nil {
			return fmt.Errorf("reload: %w", err)
		}
		select {
		case d.wake <- struct{}{}:
		default:
		}
	}
	d.log.Info("sources reloaded", "sources", len(compiled), "host_limits", len(limits))
	return nil
}

// specs lists the sources for the frontier.
func (d *Daemon) specs() []frontier.SourceSpec {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]frontier.SourceSpec, 0, len(d.sources))
	for _, s := range d.sources {
		out = append(out, frontier.SourceSpec{Name: s.Name, URL: s.URL, Kind: s.Kind, Interval: s.Interval})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (d *Daemon) source(name string) *source {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sources[name]
}

// Healthy returns nil while Run's scheduler is turning and the frontier
// answers.
func (d *Daemon) Healthy() error {
	d.mu.Lock()
	running, ready, last := d.running, d.ready, d.lastLoop
	d.mu.Unlock()
	if !running {
		return errors.New("daemon is not running")
	}
	if !ready {
		return errors.New("daemon is starting")
	}
	// The scheduler turns at least every IdlePoll; a long silence means it
	// is stuck (a frontier call hanging, say).
	if stale := time.Since(last); stale > max(30*time.Second, 10*d.cfg.IdlePoll) {
		return fmt.Errorf("daemon scheduler has not run for %s", stale.Round(time.Second))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.fr.Ping(ctx); err != nil {
		return fmt.Errorf("daemon frontier: %w", err)
	}
	return nil
}

// Activity lists the work in progress, oldest first.
func (d *Daemon) Activity() []InFlight {
	d.mu.Lock()
	out := make([]InFlight, 0, len(d.inflight))
	for _, j := range d.inflight {
		kind := "fetch"
		if j.item.Kind == frontier.KindSource {
			kind = "poll"
		}
		out = append(out, InFlight{URL: j.item.URL, Source: j.item.Source, Kind: kind, Started: j.started})
	}
	d.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Started.Before(out[j].Started) })
	return out
}
