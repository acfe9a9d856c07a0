package crawler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
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

// robotsCache fetches robots.txt once per origin per run, through the same
// guarded, polite transport as pages, and answers per URL. Colly's built-in
// check cannot be used: it reports only allowed or not, while each Exchange
// records how the decision was reached.
type robotsCache struct {
	ctx       context.Context // the run's: one fetch's cancellation must not poison the cache
	client    *http.Client
	userAgent string
	log       *slog.Logger

	mu      sync.Mutex
	origins map[string]*robotsEntry
}

type robotsEntry struct {
	ready      chan struct{} // closed once the fields below are set
	data       *robotstxt.RobotsData
	result     string // "" (parsed), robotsNone or robotsUnavailable
	crawlDelay time.Duration
}

func newRobotsCache(ctx context.Context, rt http.RoundTripper, userAgent string, log *slog.Logger) *robotsCache {
	client := &http.Client{
		Transport: rt,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) > maxRobotsRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRobotsRedirects)
			}
			return nil
		},
	}
	return &robotsCache{ctx: ctx, client: client, userAgent: userAgent, log: log, origins: make(map[string]*robotsEntry)}
}

// decide returns the robots.txt decision for rawURL, fetching the origin's
// robots.txt first if this run has not yet. The error is only the run's
// cancellation.
func (c *robotsCache) decide(ctx context.Context, rawURL string) (archive.RobotsDecision, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return archive.RobotsDecision{}, fmt.Errorf("check robots.txt for %s: %w", rawURL, err)
	}
	robotsURL := u.Scheme + "://" + u.Host + "/robots.txt"
	d := archive.RobotsDecision{Policy: "obey", RobotsURL: robotsURL}

	c.mu.Lock()
	e, ok := c.origins[robotsURL]
	if !ok {
		e = &robotsEntry{ready: make(chan struct{})}
		c.origins[robotsURL] = e
	}
	c.mu.Unlock()
	if !ok {
		c.load(e, robotsURL)
	}
	select {
	case <-e.ready:
	case <-ctx.Done():
		return d, ctx.Err()
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

// load fetches and parses one robots.txt and publishes the result.
func (c *robotsCache) load(e *robotsEntry, robotsURL string) {
	defer close(e.ready)
	log := c.log.With("robots_url", robotsURL)
	status, body, err := c.fetch(robotsURL)
	switch {
	case err != nil:
		e.result = robotsUnavailable
		log.Warn("robots.txt unavailable; crawling as if allowed", "error", err)
		return
	case status >= 400 && status < 500:
		e.result = robotsNone
		log.Info("no robots.txt", "http_status", status)
		return
	case status < 200 || status >= 300:
		e.result = robotsUnavailable
		log.Warn("robots.txt unavailable; crawling as if allowed", "http_status", status)
		return
	}
	data, err := parseRobots(body)
	if err != nil {
		e.result = robotsUnavailable
		log.Warn("robots.txt unreadable; crawling as if allowed", "error", err)
		return
	}
	e.data = data
	e.crawlDelay = data.FindGroup(strings.ToLower(RobotsProductToken)).CrawlDelay
	log.Info("robots.txt loaded", "http_status", status, "bytes", len(body), "crawl_delay", e.crawlDelay)
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
