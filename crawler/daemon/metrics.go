package daemon

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/archivist-project/archivist/crawler"
)

// metricsEvery is how often (real time) queue gauges are refreshed at
// most.
const metricsEvery = 5 * time.Second

// queueCountShare bounds the CPU the queue gauges take: after a count
// that took d, the next waits at least queueCountShare·d (at most
// metricsStale), so counting a frontier of millions of URLs never takes
// more than about 2 % of a core.
const queueCountShare = 50

// metricsStale is the longest the queue gauges go without a refresh.
const metricsStale = time.Minute

// Metrics are the daemon's Prometheus collectors, all named archivist_*.
type Metrics struct {
	// Fetches counts HTTP fetches by final status code ("error" when no
	// response arrived).
	Fetches *prometheus.CounterVec
	// Captures counts fetches the Sink stored (captures and revisit records).
	Captures prometheus.Counter
	// QueueDepth is the frontier by state: due, scheduled, leased.
	QueueDepth *prometheus.GaugeVec
	// HostsInBackoff counts hosts that asked to wait (Retry-After).
	HostsInBackoff prometheus.Gauge
	// StoreErrors counts Sink errors wrapping store.ErrUnavailable.
	StoreErrors prometheus.Counter
	// ExtractionFailures counts Sink errors wrapping crawler.ErrExtraction
	// or extract.ErrNotHTML.
	ExtractionFailures prometheus.Counter
	// SinkErrors counts other Sink errors (retried).
	SinkErrors prometheus.Counter
	// Polls counts source polls by source and result (ok, not_modified,
	// error).
	Polls *prometheus.CounterVec
	// NewURLs counts URLs discovered for the first time, by source.
	NewURLs *prometheus.CounterVec
	// Outcomes counts finished work by outcome (archived, not_archived,
	// not_modified, retry, failed, robots, backed_off, returned).
	Outcomes *prometheus.CounterVec
	// FrontierErrors counts failed frontier operations.
	FrontierErrors prometheus.Counter
	// InFlight is the number of URLs being processed.
	InFlight prometheus.Gauge
}

// NewMetrics creates the collectors and registers them with reg (nil: not
// registered, e.g. in tests). Like prometheus.MustRegister it panics if
// they are already registered with reg: that is a wiring bug at start-up.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "archivist_fetches_total", Help: "HTTP fetches by final status code (error: no response).",
		}, []string{"code"}),
		Captures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "archivist_captures_total", Help: "Fetches stored by the capture pipeline (captures and revisit records).",
		}),
		QueueDepth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "archivist_queue_depth", Help: "Frontier items by state: due now, scheduled later, leased to a worker.",
		}, []string{"state"}),
		HostsInBackoff: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "archivist_hosts_in_backoff", Help: "Hosts that asked the crawler to wait (429/503 with Retry-After).",
		}),
		StoreErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "archivist_store_errors_total", Help: "Captures that failed because the store was unavailable.",
		}),
		ExtractionFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "archivist_extraction_failures_total", Help: "Fetched pages that could not be extracted.",
		}),
		SinkErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "archivist_sink_errors_total", Help: "Other capture pipeline errors (retried).",
		}),
		Polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "archivist_source_polls_total", Help: "Source polls by source and result.",
		}, []string{"source", "result"}),
		NewURLs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "archivist_discovered_urls_total", Help: "URLs discovered for the first time, by source.",
		}, []string{"source"}),
		Outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "archivist_work_outcomes_total", Help: "Finished work items by outcome.",
		}, []string{"outcome"}),
		FrontierErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "archivist_frontier_errors_total", Help: "Frontier operations that failed.",
		}),
		InFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "archivist_in_flight", Help: "URLs being fetched or captured now.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.Fetches, m.Captures, m.QueueDepth, m.HostsInBackoff, m.StoreErrors, m.ExtractionFailures,
			m.SinkErrors, m.Polls, m.NewURLs, m.Outcomes, m.FrontierErrors, m.InFlight)
	}
	return m
}

// fetched counts one fetch that sent a request.
func (m *Metrics) fetched(res crawler.FetchResult) {
	if res.Exchange == nil {
		return
	}
	code := "error"
	if res.HTTPStatus != 0 {
		code = strconv.Itoa(res.HTTPStatus)
	}
	m.Fetches.WithLabelValues(code).Inc()
}

func (m *Metrics) outcome(o string) { m.Outcomes.WithLabelValues(o).Inc() }

// watchQueue refreshes the queue gauges until ctx ends. It runs beside
// the scheduler rather than in its loop, since counting a large frontier
// would hold up leasing, and it waits longer between counts that take
// long (queueCountShare).
func (d *Daemon) watchQueue(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		began := time.Now()
		d.refreshMetrics(ctx)
		timer.Reset(min(max(metricsEvery, queueCountShare*time.Since(began)), metricsStale))
	}
}

// refreshMetrics updates the queue gauges.
func (d *Daemon) refreshMetrics(ctx context.Context) {
	st, err := d.fr.Stats(ctx, d.cfg.Clock())
	if err != nil {
		if ctx.Err() == nil {
			d.m.FrontierErrors.Inc()
			d.log.Warn("count frontier queue failed", "error", err)
		}
		return
	}
	d.m.QueueDepth.WithLabelValues("due").Set(float64(st.Due))
	d.m.QueueDepth.WithLabelValues("scheduled").Set(float64(st.Scheduled))
	d.m.QueueDepth.WithLabelValues("leased").Set(float64(st.Leased))
	d.m.HostsInBackoff.Set(float64(len(d.fetcher.BackedOff())))
}
