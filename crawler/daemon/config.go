package daemon

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/archivist-project/archivist/crawler"
	"github.com/archivist-project/archivist/crawler/scope"
	"github.com/archivist-project/archivist/crawler/urlnorm"
)

// Source kinds.
const (
	KindPage    = "page"    // a topic or section page: captured as a listing, its links followed
	KindFeed    = "feed"    // an RSS, Atom or JSON feed
	KindSitemap = "sitemap" // a sitemap, sitemap index or news sitemap
	KindAuto    = "auto"    // a page whose feeds (<link rel=alternate>) and robots.txt sitemaps are used
)

// Defaults of a Source's zero fields.
const (
	DefaultInterval = 15 * time.Minute
	DefaultMaxHops  = 1
	// MinInterval keeps a typo from polling a site every millisecond.
	MinInterval = time.Second
	// MaxMaxHops bounds how far a source's crawl may wander.
	MaxMaxHops = 10
)

// Source is a configured news source.
type Source struct {
	Name     string        // unique, [a-z0-9-_.]+
	URL      string        // the page, feed or sitemap
	Kind     string        // KindPage, KindFeed, KindSitemap or KindAuto ("" is auto)
	Interval time.Duration // poll interval (0: DefaultInterval)
	// Include and Exclude are regular expressions on normalised URLs found
	// by the source (as for the crawl command).
	Include, Exclude []string
	// MaxHops is how many links away from the source page URLs are
	// followed (0: DefaultMaxHops). Feed and sitemap entries are one hop.
	MaxHops int
	Tags    []string // copied into every capture of the source's URLs
	Revisit bool     // revisit its articles on the Revisits schedule
}

// HostLimit overrides politeness for one host (zero fields keep the
// defaults of Config.Crawler).
type HostLimit = crawler.HostLimit

// RetryPolicy schedules retries of transient failures: attempt n waits
// Base·2^(n−1), at most Max, spread by ±Jitter (a fraction) so that the
// URLs of one outage do not all return at once. After MaxAttempts
// transient failures a URL fails for good ("exhausted").
type RetryPolicy struct {
	Base        time.Duration
	Max         time.Duration
	MaxAttempts int
	Jitter      float64
}

// DefaultRetryPolicy is 1m, 2m, 4m ... up to 6h, 8 attempts, ±20 %.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{Base: time.Minute, Max: 6 * time.Hour, MaxAttempts: 8, Jitter: 0.2}
}

// Delay returns the wait before retry attempt (1-based) given a random
// number r in [0, 1).
func (p RetryPolicy) Delay(attempt int, r float64) time.Duration {
	d := p.Base
	for i := 1; i < attempt && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	spread := time.Duration(float64(d) * p.Jitter * (2*r - 1))
	return max(min(d+spread, p.Max), 0)
}

// Config controls a Daemon. Start from DefaultConfig.
type Config struct {
	// Crawler holds fetch, politeness and guard settings. Its Clock is
	// replaced by Clock and its RunID by RunID; MaxDepth, Include, Exclude
	// (sources have their own scope) and Parallelism (see Workers) are not
	// used.
	Crawler crawler.Config
	// HostLimits are per-host politeness overrides, keyed by host as in
	// the URL, lower case, without "www." (a port is ignored).
	HostLimits map[string]HostLimit
	Sources    []Source
	// Revisits are the offsets after an article's first capture at which
	// it is fetched again, for sources with Revisit.
	Revisits []time.Duration
	// Workers is how many URLs are processed at once.
	Workers int
	// Lease is how long a URL handed to a worker stays its own; a URL not
	// finished by then (the process died) returns to the queue. The daemon
	// extends the leases of work still in progress.
	Lease time.Duration
	// DrainTimeout bounds shutdown: in-flight work that has not finished by
	// then is canceled and returned to the frontier.
	DrainTimeout time.Duration
	// Clock is the time source for scheduling, leases, back-offs and
	// capture times (default time.Now). Politeness delays are real time.
	Clock func() time.Time

	// Retry schedules transient failures.
	Retry RetryPolicy
	// StoreRetry is how long a URL waits when the Sink reports the store
	// unavailable (not counted as an attempt: not the site's fault).
	StoreRetry time.Duration
	// IdlePoll is how long (real time) the scheduler sleeps when nothing is
	// due before looking again.
	IdlePoll time.Duration
	// MaxSitemaps caps the child sitemaps of an index read per poll (the
	// most recently modified first; older than SitemapMaxAge are skipped).
	MaxSitemaps   int
	SitemapMaxAge time.Duration
	// MaxFeeds caps the feeds an auto source uses.
	MaxFeeds int
	// RunID names this process: lease owner, and RunID of its Exchanges
	// (default: generated).
	RunID string
	// Rand returns a number in [0, 1) for retry jitter (default
	// math/rand/v2.Float64).
	Rand func() float64
}

// DefaultConfig returns the defaults: polite crawler settings, revisits
// after 1 h, 6 h, 1 d, 7 d and 30 d, 8 workers, 5 minute leases and a 30 s
// drain.
func DefaultConfig() Config {
	cc := crawler.DefaultConfig()
	// Months of revisits should not build up cookie state (metered paywalls).
	cc.CookieLifetime = time.Hour
	return Config{
		Crawler:       cc,
		Revisits:      []time.Duration{time.Hour, 6 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour},
		Workers:       8,
		Lease:         5 * time.Minute,
		DrainTimeout:  30 * time.Second,
		Clock:         time.Now,
		Retry:         DefaultRetryPolicy(),
		StoreRetry:    time.Minute,
		IdlePoll:      time.Second,
		MaxSitemaps:   20,
		SitemapMaxAge: 30 * 24 * time.Hour,
		MaxFeeds:      3,
	}
}

// validate checks everything but the sources.
func (c Config) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("daemon config: "+format, args...)) }
	if c.Workers < 1 {
		bad("workers must be at least 1, got %d", c.Workers)
	}
	if c.Lease < time.Second {
		bad("lease must be at least 1s, got %s", c.Lease)
	}
	if c.DrainTimeout < 0 {
		bad("drain_timeout must not be negative, got %s", c.DrainTimeout)
	}
	if c.IdlePoll <= 0 {
		bad("idle_poll must be positive, got %s", c.IdlePoll)
	}
	if c.StoreRetry <= 0 {
		bad("store_retry must be positive, got %s", c.StoreRetry)
	}
	if c.Retry.Base <= 0 || c.Retry.Max < c.Retry.Base || c.Retry.MaxAttempts < 1 || c.Retry.Jitter < 0 || c.Retry.Jitter >= 1 {
		bad("retry policy needs 0 < base <= max, max_attempts >= 1 and 0 <= jitter < 1, got %+v", c.Retry)
	}
	if c.MaxSitemaps < 1 || c.MaxFeeds < 1 {
		bad("max_sitemaps and max_feeds must be at least 1, got %d and %d", c.MaxSitemaps, c.MaxFeeds)
	}
	for i, r := range c.Revisits {
		if r <= 0 {
			bad("revisits[%d] must be positive, got %s", i, r)
		}
	}
	for host, l := range c.HostLimits {
		if l.Parallelism < 0 || l.Delay < 0 {
			bad("host_limits[%s]: parallelism and delay must not be negative", host)
		}
	}
	return errors.Join(errs...)
}

// source is a Source with its defaults applied and scope compiled.
type source struct {
	Source
	rules *scope.Rules
}

// compileSources checks and prepares sources: names unique and well
// formed, URLs absolute http(s), kinds known, scopes compiling.
func compileSources(in []Source) (map[string]*source, error) {
	out := make(map[string]*source, len(in))
	var errs []error
	for i, s := range in {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("source %d (%s): "+format, append([]any{i + 1, s.Name}, args...)...))
		}
		if !validName(s.Name) {
			bad("name must be non-empty lower-case letters, digits, '-', '_' or '.'")
		}
		if _, dup := out[s.Name]; dup {
			bad("name is used twice; give each source its own name")
		}
		n, err := urlnorm.Normalize(s.URL)
		if err != nil {
			bad("url: %v", err)
		}
		s.URL = n
		if s.Kind == "" {
			s.Kind = KindAuto
		}
		if !slices.Contains([]string{KindPage, KindFeed, KindSitemap, KindAuto}, s.Kind) {
			bad("kind %q is not one of page, feed, sitemap, auto", s.Kind)
		}
		if s.Interval == 0 {
			s.Interval = DefaultInterval
		}
		if s.Interval < MinInterval {
			bad("interval %s is below the minimum %s", s.Interval, MinInterval)
		}
		if s.MaxHops == 0 {
			s.MaxHops = DefaultMaxHops
		}
		if s.MaxHops < 1 || s.MaxHops > MaxMaxHops {
			bad("max_hops must be between 1 and %d, got %d", MaxMaxHops, s.MaxHops)
		}
		rules, err := scope.New(s.Include, s.Exclude, max(s.MaxHops, 1))
		if err != nil {
			bad("%v", err)
		}
		s.Tags = slices.Clone(s.Tags)
		out[s.Name] = &source{Source: s, rules: rules}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func validName(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}
