package crawler

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sync"
	"time"

	"github.com/gocolly/colly/v2"
	"golang.org/x/net/publicsuffix"
)

// newCollector builds the colly collector of a Fetcher. colly.NewCollector
// is avoided on purpose: it applies COLLY_* environment variables after the
// options, so COLLY_USER_AGENT, COLLY_MAX_BODY_SIZE or COLLY_CACHE_DIR in
// the daemon's environment would silently override this configuration.
// Init sets the same defaults without reading the environment, and every
// setting the environment could touch is then set explicitly.
func newCollector(userAgent string, rt http.RoundTripper, jar http.CookieJar, checkRedirect func(*http.Request, []*http.Request) error) *colly.Collector {
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
	c.WithTransport(keepEncoded{rt})
	// Some sites set a cookie and redirect to the same URL, so a jar is
	// needed; its lifetime is the Fetcher's (one run) or CookieLifetime.
	c.SetCookieJar(jar)
	c.SetRedirectHandler(checkRedirect)
	return c
}

// sessionJar is a cookie jar that starts afresh once it is older than
// lifetime (0: never).
type sessionJar struct {
	lifetime time.Duration
	clock    func() time.Time

	mu      sync.Mutex
	jar     *cookiejar.Jar
	created time.Time
}

func newSessionJar(lifetime time.Duration, clock func() time.Time) *sessionJar {
	return &sessionJar{lifetime: lifetime, clock: clock}
}

func (s *sessionJar) current() *cookiejar.Jar {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock()
	if s.jar == nil || (s.lifetime > 0 && now.Sub(s.created) >= s.lifetime) {
		// cookiejar.New cannot fail with these options.
		s.jar, _ = cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
		s.created = now
	}
	return s.jar
}

// SetCookies implements http.CookieJar.
func (s *sessionJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	s.current().SetCookies(u, cookies)
}

// Cookies implements http.CookieJar.
func (s *sessionJar) Cookies(u *url.URL) []*http.Cookie { return s.current().Cookies(u) }

// checkRedirect is the redirect policy: a hop limit and robots.txt for each
// new URL. Private addresses need no check here: the dial refuses them.
func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	st := fetchStateFrom(req.Context())
	refuse := func(err error) error {
		if st != nil {
			st.mu.Lock()
			st.policyErr = err
			st.mu.Unlock()
		}
		return err
	}
	if f.cfg.MaxRedirects == 0 {
		return http.ErrUseLastResponse
	}
	if len(via) > f.cfg.MaxRedirects {
		return refuse(fmt.Errorf("stopped after %d redirects (max_redirects)", f.cfg.MaxRedirects))
	}
	if !f.cfg.ObeyRobots {
		return nil
	}
	d, err := f.robots.decide(req.Context(), req.URL.String())
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
