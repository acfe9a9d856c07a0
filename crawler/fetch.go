package crawler

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"

	"github.com/gocolly/colly/v2"
	"golang.org/x/net/publicsuffix"

	"github.com/archivist-project/archivist/archive"
)

// newCollector builds the colly collector of a run. colly.NewCollector is
// avoided on purpose: it applies COLLY_* environment variables after the
// options, so COLLY_USER_AGENT, COLLY_MAX_BODY_SIZE or COLLY_CACHE_DIR in
// the daemon's environment would silently override this configuration.
// Init sets the same defaults without reading the environment, and every
// setting the environment could touch is then set explicitly.
func newCollector(userAgent string, rt http.RoundTripper, checkRedirect func(*http.Request, []*http.Request) error) *colly.Collector {
	c := &colly.Collector{}
	c.Init()
	c.UserAgent = userAgent
	c.MaxDepth = 0 // depth is the crawler's business (scope)
	c.MaxRequests = 0
	c.AllowedDomains = nil
	c.DisallowedDomains = nil
	c.CacheDir = ""
	c.DetectCharset = false
	c.TraceHTTP = false
	c.Async = false          // workers call it synchronously
	c.AllowURLRevisit = true // de-duplication is the crawler's (urlnorm keys, canonicals)
	c.IgnoreRobotsTxt = true // robots.txt is the crawler's, to record each decision
	c.ParseHTTPErrorResponse = true
	c.MaxBodySize = 0      // the recording transport already cut the body at max_body_bytes
	c.SetRequestTimeout(0) // per hop, in the recording transport
	c.WithTransport(rt)
	// A jar per run: some sites set a cookie and redirect to the same URL.
	// cookiejar.New cannot fail with these options.
	jar, _ := cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
	c.SetCookieJar(jar)
	c.SetRedirectHandler(checkRedirect)
	return c
}

// checkRedirect is the redirect policy: a hop limit and robots.txt for each
// new URL. Private addresses need no check here: the dial refuses them.
func (r *run) checkRedirect(req *http.Request, via []*http.Request) error {
	st := fetchStateFrom(req.Context())
	refuse := func(err error) error {
		if st != nil {
			st.mu.Lock()
			st.policyErr = err
			st.mu.Unlock()
		}
		return err
	}
	if r.cfg.MaxRedirects == 0 {
		return http.ErrUseLastResponse
	}
	if len(via) > r.cfg.MaxRedirects {
		return refuse(fmt.Errorf("stopped after %d redirects (max_redirects)", r.cfg.MaxRedirects))
	}
	if !r.cfg.ObeyRobots {
		return nil
	}
	d, err := r.robots.decide(req.Context(), req.URL.String())
	if err != nil {
		return refuse(err)
	}
	if d.Result == robotsDisallowed {
		return refuse(fmt.Errorf("redirect to %s: %w", req.URL, errBlockedByRobots))
	}
	if st != nil {
		st.mu.Lock()
		st.robots = d
		st.mu.Unlock()
	}
	return nil
}

// fetch requests it.url through colly and returns the recorded exchange,
// the per-fetch state and colly's own error.
func (r *run) fetch(ctx context.Context, it item, robots archive.RobotsDecision) (*archive.Exchange, *fetchState, error) {
	st := &fetchState{robots: robots}
	fctx, cancel := context.WithCancel(withFetchState(ctx, st))
	defer cancel()

	// A clone shares the transport, jar and settings but carries its own
	// context, which is how this fetch's state reaches the transport.
	cc := r.collector.Clone()
	cc.Context = fctx
	start := r.cfg.Clock()
	err := safeRequest(cc, it.url, r.requestHeader())
	end := r.cfg.Clock()

	st.mu.Lock()
	defer st.mu.Unlock()
	ex := &archive.Exchange{
		RequestedURL: it.url,
		Hops:         st.hops,
		FetchStart:   start.UTC(),
		FetchEnd:     end.UTC(),
		Seed:         it.seed,
		Via:          it.via,
		Depth:        it.depth,
		Robots:       st.robots,
		RunID:        r.id,
		UserAgent:    r.userAgent,
	}
	return ex, st, err
}

// safeRequest runs colly, which decodes untrusted bodies (charsets, gzip),
// and turns a panic into an error so one page cannot stop the crawl.
func safeRequest(c *colly.Collector, url string, hdr http.Header) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("fetch %s: colly panicked: %v", url, p)
		}
	}()
	return c.Request(http.MethodGet, url, nil, nil, hdr)
}
