package crawler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/temoto/robotstxt"

	"github.com/archivist-project/archivist/archive"
)

// maxRobotsBytes caps the robots.txt read; RFC 9309 asks crawlers to parse
// at least 500 KiB.
const maxRobotsBytes = 512 << 10

// maxRobotsRedirects follows RFC 9309's "at least five" redirects.
const maxRobotsRedirects = 5

// Robots results recorded in archive.RobotsDecision.Result.
const (
	robotsAllowed     = "allowed"
	robotsDisallowed  = "disallowed"
	robotsNone        = "no-robots"
	robotsUnavailable = "unavailable"
	robotsNotChecked  = "not-checked"
)

// errBlockedByRobots marks a fetch refused by robots.txt.
var errBlockedByRobots = errors.New("blocked by robots.txt")

// unavailableRobotsTTL bounds how long a robots.txt that could not be
// fetched is treated as absent: a site that was briefly down gets its
// rules read again soon rather than a day later.
const unavailableRobotsTTL = 30 * time.Minute

// pruneEvery is how many new cache entries pass between sweeps of expired
// ones, so a daemon visiting many hosts over months does not keep them all.
const pruneEvery = 256

// robotsCache fetches robots.txt once per origin per lifetime, through the
// same guarded, polite transport as pages, and answers per URL. Colly's
// built-in check cannot be used: it reports only allowed or not, while each
// Exchange records how the decision was reached.
type robotsCache struct {
	ctx       context.Context // the fetcher's: one fetch's cancellation must not poison the cache
	client    *http.Client
	userAgent string
	log       *slog.Logger
	ttl       time.Duration // 0: entries never expire (one crawl run)
	maxDelay  time.Duration // cap on Crawl-delay
	clock     func() time.Time

	mu      sync.Mutex
	origins map[string]*robotsEntry
	delays  map[string]time.Duration // host name -> largest Crawl-delay of its origins
	added   int
}

type robotsEntry struct {
	ready   chan struct{} // closed once the fields below are set
	host    string
	expires time.Time // zero: never
	data    *robotstxt.RobotsData
	result  string // "" (parsed), robotsNone or robotsUnavailable
	// crawlDelay is guarded by robotsCache.mu.
	crawlDelay time.Duration
}

func newRobotsCache(ctx context.Context, rt http.RoundTripper, cfg Config, userAgent string, log *slog.Logger) *robotsCache {
	client := &http.Client{
		Transport: rt,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) > maxRobotsRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRobotsRedirects)
			}
			return nil
		},
	}
	return &robotsCache{
		ctx: ctx, client: client, userAgent: userAgent, log: log,
		ttl: cfg.RobotsTTL, maxDelay: cfg.MaxCrawlDelay, clock: cfg.Clock,
		origins: make(map[string]*robotsEntry), delays: make(map[string]time.Duration),
	}
}

// crawlDelay returns the Crawl-delay that applies to host, for the limiter.
func (c *robotsCache) crawlDelay(host string) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.delays[strings.ToLower(host)]
}

// entry returns the loaded cache entry for rawURL's origin, loading it
// first when missing or expired. The error is ctx's or a URL parse error.
func (c *robotsCache) entry(ctx context.Context, rawURL string) (*robotsEntry, *url.URL, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, "", fmt.Errorf("check robots.txt for %s: %w", rawURL, err)
	}
	robotsURL := u.Scheme + "://" + u.Host + "/robots.txt"
	now := c.clock()
	c.mu.Lock()
	e, ok := c.origins[robotsURL]
	// expires is written before ready is closed: read it only after.
	if ok && isClosed(e.ready) && !e.expires.IsZero() && !now.Before(e.expires) {
		ok = false
	}
	if !ok {
		e = &robotsEntry{ready: make(chan struct{}), host: strings.ToLower(u.Hostname())}
		c.origins[robotsURL] = e
		c.added++
		if c.ttl > 0 && c.added%pruneEvery == 0 {
			c.pruneLocked(now)
		}
	}
	c.mu.Unlock()
	if !ok {
		c.load(e, robotsURL)
	}
	select {
	case <-e.ready:
		return e, u, robotsURL, nil
	case <-ctx.Done():
		return nil, u, robotsURL, ctx.Err()
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// pruneLocked drops expired entries; mu is held.
func (c *robotsCache) pruneLocked(now time.Time) {
	for k, e := range c.origins {
		if isClosed(e.ready) && !e.expires.IsZero() && !now.Before(e.expires) {
			delete(c.origins, k)
		}
	}
	c.recomputeDelaysLocked()
}

func (c *robotsCache) recomputeDelaysLocked() {
	clear(c.delays)
	for _, e := range c.origins {
		if e.crawlDelay > c.delays[e.host] {
			c.delays[e.host] = e.crawlDelay
		}
	}
}

// decide returns the robots.txt decision for rawURL, fetching the origin's
// robots.txt first if it is not cached. The error is only ctx's.
func (c *robotsCache) decide(ctx context.Context, rawURL string) (archive.RobotsDecision, error) {
	e, u, robotsURL, err := c.entry(ctx, rawURL)
	d := archive.RobotsDecision{Policy: "obey", RobotsURL: robotsURL}
	if err != nil {
		return d, err
	}
	if e.result != "" {
		d.Result = e.result
		return d, nil
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	// FindGroup picks the longest User-agent line that prefixes the token,
	// falling back to "*".
	if e.data.FindGroup(strings.ToLower(RobotsProductToken)).Test(path) {
		d.Result = robotsAllowed
	} else {
		d.Result = robotsDisallowed
	}
	return d, nil
}

// sitemaps returns the Sitemap: lines of the robots.txt of rawURL's origin.
func (c *robotsCache) sitemaps(ctx context.Context, rawURL string) ([]string, error) {
	e, _, _, err := c.entry(ctx, rawURL)
	if err != nil || e.data == nil {
		return nil, err
	}
	return slices.Clone(e.data.Sitemaps), nil
}

// load fetches and parses one robots.txt and publishes the result.
func (c *robotsCache) load(e *robotsEntry, robotsURL string) {
	defer close(e.ready)
	if c.ttl > 0 {
		e.expires = c.clock().Add(c.ttl)
	}
	unavailable := func() {
		e.result = robotsUnavailable
		if c.ttl > 0 {
			e.expires = c.clock().Add(min(c.ttl, unavailableRobotsTTL))
		}
	}
	log := c.log.With("robots_url", robotsURL)
	status, body, err := c.fetch(robotsURL)
	switch {
	case err != nil:
		unavailable()
		log.Warn("robots.txt unavailable; crawling as if allowed", "error", err)
		return
	case status >= 400 && status < 500:
		e.result = robotsNone
		log.Info("no robots.txt", "http_status", status)
		return
	case status < 200 || status >= 300:
		unavailable()
		log.Warn("robots.txt unavailable; crawling as if allowed", "http_status", status)
		return
	}
	data, err := parseRobots(body)
	if err != nil {
		unavailable()
		log.Warn("robots.txt unreadable; crawling as if allowed", "error", err)
		return
	}
	e.data = data
	delay := data.FindGroup(strings.ToLower(RobotsProductToken)).CrawlDelay
	if c.maxDelay > 0 && delay > c.maxDelay {
		log.Warn("robots.txt Crawl-delay capped (raise max_crawl_delay to honour it fully)", "crawl_delay", delay, "max_crawl_delay", c.maxDelay)
		delay = c.maxDelay
	}
	c.mu.Lock() // crawlDelay is read by recomputeDelaysLocked under mu
	e.crawlDelay = delay
	c.recomputeDelaysLocked()
	c.mu.Unlock()
	log.Info("robots.txt loaded", "http_status", status, "bytes", len(body), "crawl_delay", delay, "sitemaps", len(data.Sitemaps))
}

func (c *robotsCache) fetch(robotsURL string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(c.ctx, http.MethodGet, robotsURL, nil)
	if err != nil {
		return 0, nil, fmt.Errorf("fetch %s: %w", robotsURL, err)
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "text/plain,*/*;q=0.5")
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRobotsBytes))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("read %s: %w", robotsURL, err)
	}
	return resp.StatusCode, body, nil
}

// parseRobots parses untrusted bytes with a third-party parser, which must
// not take the crawl down if it panics.
func parseRobots(body []byte) (data *robotstxt.RobotsData, err error) {
	defer func() {
		if p := recover(); p != nil {
			data, err = nil, fmt.Errorf("parse robots.txt: parser panicked: %v", p)
		}
	}()
	data, err = robotstxt.FromBytes(body)
	if err != nil {
		return nil, fmt.Errorf("parse robots.txt: %w", err)
	}
	return data, nil
}
