package crawler

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gocolly/colly/v2"

	"github.com/archivist-project/archivist/archive"
)

// FetchOutcome classifies what one Fetch came to.
type FetchOutcome string

// Fetch outcomes. Only FetchOK carries a response worth archiving or
// parsing; FetchTransient is worth retrying later, FetchPermanent,
// FetchBlocked and FetchNotHTML are not.
const (
	FetchOK          FetchOutcome = "ok"           // a 2xx response of an accepted type
	FetchNotModified FetchOutcome = "not-modified" // 304 to a conditional GET
	FetchBlocked     FetchOutcome = "blocked"      // robots.txt disallows the URL or a redirect target
	FetchNotHTML     FetchOutcome = "not-html"     // 2xx, but not a page (HTML required)
	FetchPermanent   FetchOutcome = "permanent"    // 4xx (not 408/429), refused address, redirect loop...
	FetchTransient   FetchOutcome = "transient"    // timeout, connection error, 5xx, 408, 429
	FetchBackedOff   FetchOutcome = "backed-off"   // not sent: the host asked to wait (Retry-After)
	FetchCanceled    FetchOutcome = "canceled"     // the caller's context ended
)

// FetchRequest is one URL to fetch.
type FetchRequest struct {
	URL   string // absolute http(s) URL, normalised
	Seed  string // discovery context copied into the Exchange
	Via   string
	Depth int
	RunID string
	// ETag and LastModified, from an earlier fetch of the URL, make the
	// request conditional (If-None-Match, If-Modified-Since).
	ETag         string
	LastModified string
	// AnyType accepts any media type as FetchOK (feeds, sitemaps);
	// otherwise a 2xx that is not HTML is FetchNotHTML.
	AnyType bool
	// Accept replaces the default Accept header (HTML first).
	Accept string
}

// FetchResult is what one Fetch came to.
type FetchResult struct {
	Outcome FetchOutcome
	// Reason says why the outcome is not FetchOK, in words for logs and
	// status pages ("HTTP 404", "blocked by robots.txt", ...).
	Reason string
	// Exchange is the recorded round trips; nil when no request was sent.
	Exchange *archive.Exchange
	// HTTPStatus and FinalURL describe the last response (0, "" if none).
	HTTPStatus int
	FinalURL   string
	// MediaType of the final 2xx response.
	MediaType string
	// RetryAfter is when the host may be asked again, when it said so
	// (429 or 503 with Retry-After) or is still backed off from before.
	RetryAfter time.Time
	// ETag and LastModified are the validators of the final response, for
	// the next conditional fetch.
	ETag         string
	LastModified string
	// Robots is the robots.txt decision that applied.
	Robots archive.RobotsDecision
}

// Fetcher fetches single URLs politely: robots.txt (cached with a
// lifetime, Crawl-delay honoured), the dial-time network guard, per-host
// concurrency and delay (with per-host overrides), host back-off on
// Retry-After, the recording transport, redirects and size and time caps.
// A crawl Run and the daemon share it. It is safe for concurrent use.
type Fetcher struct {
	cfg       Config
	log       *slog.Logger
	userAgent string
	ctx       context.Context // ends at Close; robots.txt loads run under it
	cancel    context.CancelFunc
	limiter   *hostLimiter
	backoff   *hostBackoff
	transport *recordingTransport
	collector *colly.Collector
	robots    *robotsCache
}

// NewFetcher checks cfg and returns a Fetcher logging to logger (nil:
// discard). Close releases its connections.
func NewFetcher(cfg Config, logger *slog.Logger) (*Fetcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &Fetcher{
		cfg:       cfg,
		log:       logger,
		userAgent: cfg.EffectiveUserAgent(),
		ctx:       ctx,
		cancel:    cancel,
		limiter:   newHostLimiter(cfg.PerHostParallelism, cfg.PerHostDelay),
		backoff:   newHostBackoff(cfg.Clock),
	}
	f.transport = newRecordingTransport(cfg, f.limiter, f.backoff)
	f.robots = newRobotsCache(ctx, f.transport, cfg, f.userAgent, logger)
	f.limiter.minDelay = f.robots.crawlDelay
	jar := newSessionJar(cfg.CookieLifetime, cfg.Clock)
	f.collector = newCollector(f.userAgent, f.transport, jar, f.checkRedirect)
	return f, nil
}

// Close stops robots.txt loads and closes idle connections.
func (f *Fetcher) Close() {
	f.cancel()
	f.transport.closeIdle()
}

// CloseIdle closes idle connections; the Fetcher stays usable.
func (f *Fetcher) CloseIdle() { f.transport.closeIdle() }

// UserAgent returns the User-Agent header sent.
func (f *Fetcher) UserAgent() string { return f.userAgent }

// SetHostLimits replaces the per-host overrides (keys as LimitKey spells
// hosts). Requests waiting for a slot see the new limits at once.
func (f *Fetcher) SetHostLimits(limits map[string]HostLimit) {
	f.limiter.setOverrides(maps.Clone(limits))
}

// readyIn tells the run's frontier how long until a request to
// host may start, or hostBackedOff when its fetch would fail at once.
func (f *Fetcher) readyIn(host string) time.Duration {
	if _, err := f.backoff.check(host); err != nil {
		return hostBackedOff
	}
	return f.limiter.readyIn(host)
}

// PrefetchRobots loads the robots.txt of rawURL's origin into the cache
// unless robots.txt is ignored. A crawl calls it when a host's first URL
// is queued: the load then takes the host's first politeness slot while
// workers fetch other hosts, instead of holding a worker for the host's
// delay between robots.txt and the page.
func (f *Fetcher) PrefetchRobots(ctx context.Context, rawURL string) {
	if !f.cfg.ObeyRobots {
		return
	}
	_, _ = f.robots.decide(ctx, rawURL) // the only error is ctx's
}

// BusyHosts returns the hosts that cannot take a request right now: all
// their slots in use or their delay not yet passed, here or, with a
// HostGate, in any process sharing it. A scheduler leases
// work for other hosts meanwhile, so no worker sits waiting on one host.
func (f *Fetcher) BusyHosts() []string { return gateBusy(f.cfg.HostGate, f.limiter.busy()) }

// BackOff keeps every request away from host until t, as a Retry-After
// does (used to restore back-offs recorded before a restart).
func (f *Fetcher) BackOff(host string, t time.Time) { f.backoff.set(host, t) }

// BackedOff returns the hosts backed off now and until when.
func (f *Fetcher) BackedOff() map[string]time.Time { return f.backoff.active() }

// Sitemaps returns the Sitemap: lines of the robots.txt for rawURL's
// origin (fetching it if not cached).
func (f *Fetcher) Sitemaps(ctx context.Context, rawURL string) ([]string, error) {
	return f.robots.sitemaps(ctx, rawURL)
}

// Fetch requests one URL and classifies the result. It never panics on
// hostile input: colly's decoding runs under recover.
func (f *Fetcher) Fetch(ctx context.Context, req FetchRequest) FetchResult {
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return FetchResult{Outcome: FetchPermanent, Reason: fmt.Sprintf("fetch %q: not an absolute http(s) URL", req.URL)}
	}
	if until, err := f.backoff.check(u.Hostname()); err != nil {
		return FetchResult{Outcome: FetchBackedOff, Reason: err.Error(), RetryAfter: until}
	}
	robots := archive.RobotsDecision{Policy: "ignore", Result: robotsNotChecked}
	if f.cfg.ObeyRobots {
		d, err := f.robots.decide(ctx, req.URL)
		if err != nil {
			return FetchResult{Outcome: FetchCanceled, Reason: "canceled before fetch: " + err.Error()}
		}
		if d.Result == robotsDisallowed {
			return FetchResult{Outcome: FetchBlocked, Reason: errBlockedByRobots.Error(), Robots: d}
		}
		robots = d
	}
	ex, st, collyErr := f.fetch(ctx, req, robots)
	res := FetchResult{Exchange: ex, Robots: ex.Robots}
	if final := ex.Final(); final != nil {
		res.FinalURL, res.HTTPStatus = final.URL, final.Status
	}
	f.classify(ctx, req, st, ex.Final(), collyErr, &res)
	return res
}

// fetch requests req.URL through colly and returns the recorded exchange,
// the per-fetch state and colly's own error.
func (f *Fetcher) fetch(ctx context.Context, req FetchRequest, robots archive.RobotsDecision) (*archive.Exchange, *fetchState, error) {
	st := &fetchState{robots: robots}
	fctx, cancel := context.WithCancel(withFetchState(ctx, st))
	defer cancel()

	// A clone shares the transport, jar and settings but carries its own
	// context, which is how this fetch's state reaches the transport.
	cc := f.collector.Clone()
	cc.Context = fctx
	start := f.cfg.Clock()
	err := safeRequest(cc, req.URL, f.requestHeader(req))
	end := f.cfg.Clock()

	st.mu.Lock()
	defer st.mu.Unlock()
	ex := &archive.Exchange{
		RequestedURL: req.URL,
		Hops:         st.hops,
		FetchStart:   start.UTC(),
		FetchEnd:     end.UTC(),
		Seed:         req.Seed,
		Via:          req.Via,
		Depth:        req.Depth,
		Robots:       st.robots,
		RunID:        req.RunID,
		UserAgent:    f.userAgent,
	}
	return ex, st, err
}

// requestHeader is what a request sends. Accept-Encoding identity keeps
// bodies exactly as the server has them, so the WARC needs no re-encoding
// and Content-Length matches the stored payload.
func (f *Fetcher) requestHeader(req FetchRequest) http.Header {
	accept := req.Accept
	if accept == "" {
		accept = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
	}
	h := http.Header{
		"User-Agent":      {f.userAgent},
		"Accept":          {accept},
		"Accept-Encoding": {"identity"},
	}
	if req.ETag != "" {
		h.Set("If-None-Match", req.ETag)
	}
	if req.LastModified != "" {
		h.Set("If-Modified-Since", req.LastModified)
	}
	return h
}

// HostOf returns the lower-case host name of a URL ("" if it has none):
// the key of politeness, back-off and frontier host columns.
func HostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}
