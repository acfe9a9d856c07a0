package config

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/archivist-project/archivist/crawler/daemon"
	"github.com/archivist-project/archivist/crawler/urlnorm"
)

// Source is one news source the daemon watches.
type Source struct {
	// Name identifies the source in status, logs and every capture's
	// provenance: lower-case letters, digits, '-', '_' and '.'.
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
	// Kind is "page" (a topic or section page), "feed" (RSS or Atom),
	// "sitemap" (sitemap index, sitemap or news sitemap) or "auto" (find
	// feeds and sitemaps from the page and robots.txt). Default auto.
	Kind string `yaml:"kind,omitempty"`
	// Interval is how often the source is polled (default 15m).
	Interval Duration `yaml:"interval,omitempty"`
	// Include and Exclude are regular expressions on normalised URLs
	// found through this source.
	Include []string `yaml:"include,omitempty"`
	Exclude []string `yaml:"exclude,omitempty"`
	// MaxHops is how many links are followed from the source page (1 to
	// 10, default 1); articles found in feeds and sitemaps are one hop
	// away.
	MaxHops *int `yaml:"max_hops,omitempty"`
	// Tags are carried into every capture made for this source.
	Tags []string `yaml:"tags,omitempty"`
	// Revisit fetches this source's articles again on the revisit
	// schedule (default true).
	Revisit *bool `yaml:"revisit,omitempty"`
}

// Source defaults.
const (
	DefaultSourceKind     = "auto"
	DefaultSourceInterval = 15 * time.Minute
	DefaultSourceMaxHops  = 1
)

// sourceKindsText lists the valid values of Source.Kind for messages.
const sourceKindsText = "page, feed, sitemap or auto"

func validSourceKind(k string) bool {
	switch k {
	case "page", "feed", "sitemap", "auto":
		return true
	}
	return false
}

// fillDefaults sets every field the YAML left out to its default.
func (s *Source) fillDefaults() {
	if s.Kind == "" {
		s.Kind = DefaultSourceKind
	}
	if s.Interval == 0 {
		s.Interval = Duration(DefaultSourceInterval)
	}
	if s.MaxHops == nil {
		h := DefaultSourceMaxHops
		s.MaxHops = &h
	}
	if s.Revisit == nil {
		r := true
		s.Revisit = &r
	}
}

// Hops returns MaxHops or its default.
func (s Source) Hops() int {
	if s.MaxHops == nil {
		return DefaultSourceMaxHops
	}
	return *s.MaxHops
}

// Revisits returns Revisit or its default.
func (s Source) Revisits() bool { return s.Revisit == nil || *s.Revisit }

// HostLimit overrides the politeness limits of one host.
type HostLimit struct {
	// Parallelism caps concurrent requests to the host (0: the crawl
	// default, crawl.per_host_parallelism).
	Parallelism int `yaml:"parallelism"`
	// Delay is the minimum time between request starts to the host (0:
	// the crawl default, crawl.per_host_delay).
	Delay Duration `yaml:"delay"`
}

// Serve configures `archivist serve`.
type Serve struct {
	// Listen is the address of /healthz and /metrics (default
	// 127.0.0.1:8080: loopback only).
	Listen string `yaml:"listen"`
	// Workers is how many URLs are fetched at once across all hosts.
	Workers int `yaml:"workers"`
	// DrainTimeout bounds a graceful stop: in-flight captures get this
	// long to finish, then their URLs go back to the frontier.
	DrainTimeout Duration `yaml:"drain_timeout"`
	// Lease is how long a worker may hold a URL before the frontier
	// hands it out again.
	Lease Duration `yaml:"lease"`
	// StoreRetry is how long a URL waits before it is tried again when
	// the store was unavailable (S3 down, disk full); such waits do not
	// use up the URL's attempts.
	StoreRetry Duration `yaml:"store_retry"`
	// Retry schedules the retries of transient failures (timeouts, 5xx,
	// 429): attempt n waits base·2^(n−1), at most max, spread by ±jitter;
	// after max_attempts the URL fails for good.
	Retry Retry `yaml:"retry"`
}

// Retry is serve.retry, the daemon's daemon.RetryPolicy.
type Retry struct {
	Base        Duration `yaml:"base"`
	Max         Duration `yaml:"max"`
	MaxAttempts int      `yaml:"max_attempts"`
	// Jitter is a fraction: 0.2 spreads each wait over ±20 % so the URLs
	// of one outage do not all return at once.
	Jitter float64 `yaml:"jitter"`
}

func retryFrom(p daemon.RetryPolicy) Retry {
	return Retry{Base: Duration(p.Base), Max: Duration(p.Max), MaxAttempts: p.MaxAttempts, Jitter: p.Jitter}
}

// Policy returns the daemon's form of serve.retry.
func (r Retry) Policy() daemon.RetryPolicy {
	return daemon.RetryPolicy{Base: time.Duration(r.Base), Max: time.Duration(r.Max), MaxAttempts: r.MaxAttempts, Jitter: r.Jitter}
}

var sourceNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// HostKey normalises a host as the hosts section keys it: lower case,
// without "www.".
func HostKey(h string) string {
	return strings.TrimPrefix(strings.ToLower(strings.TrimSpace(h)), "www.")
}

// validateDaemon checks the sections that `archivist serve` uses.
func (c *Config) validateDaemon(bad func(field, format string, args ...any)) {
	validateSources(c.Sources, "sources", bad)
	if len(c.RevisitSchedule) > 20 {
		bad("revisit_schedule", "%d entries is too many: use at most 20", len(c.RevisitSchedule))
	}
	for i, d := range c.RevisitSchedule {
		field := fmt.Sprintf("revisit_schedule[%d]", i)
		switch {
		case d < Duration(time.Second):
			bad(field, "%s is too short: each revisit is at least 1s after the first capture (e.g. 1h, 6h, 24h)", time.Duration(d))
		case i > 0 && d <= c.RevisitSchedule[i-1]:
			bad(field, "%s is not after the entry before it (%s): list the times in increasing order", time.Duration(d), time.Duration(c.RevisitSchedule[i-1]))
		}
	}
	for h, l := range c.Hosts {
		field := "hosts." + h
		if h == "" || strings.ContainsAny(h, "/ ") || strings.Contains(h, "://") {
			bad(field, "%q is not a host name: write it like example.com (no scheme or path)", h)
		} else if _, _, err := net.SplitHostPort(h); err == nil {
			bad(field, "%q has a port: write the host alone (limits apply to every port of a host)", h)
		} else if h != HostKey(h) {
			bad(field, "write the host in lower case without \"www.\": %s", HostKey(h))
		}
		if l.Parallelism < 0 || l.Parallelism > 64 {
			bad(field+".parallelism", "%d is out of range: use 1 to 64 (0: crawl.per_host_parallelism)", l.Parallelism)
		}
		if l.Delay < 0 {
			bad(field+".delay", "must not be negative")
		}
	}
	s := &c.Serve
	if host, port, err := net.SplitHostPort(s.Listen); err != nil {
		bad("serve.listen", "%q is not an address: write it like 127.0.0.1:8080", s.Listen)
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		bad("serve.listen", "port %q is not a number from 0 to 65535", port)
	} else if host == "" {
		bad("serve.listen", "%q listens on every interface: name the address (127.0.0.1 keeps it local; 0.0.0.0 if you mean every interface)", s.Listen)
	}
	if s.Workers < 1 || s.Workers > 1024 {
		bad("serve.workers", "%d is out of range: use 1 to 1024", s.Workers)
	}
	if s.DrainTimeout <= 0 || s.DrainTimeout > Duration(10*time.Minute) {
		bad("serve.drain_timeout", "%s is out of range: use more than 0 and at most 10m (default 30s)", time.Duration(s.DrainTimeout))
	}
	if s.Lease < Duration(10*time.Second) {
		bad("serve.lease", "%s is too short: a lease must outlast a fetch and its capture; use at least 10s (default 5m)", time.Duration(s.Lease))
	}
	if s.StoreRetry < Duration(time.Second) || s.StoreRetry > Duration(time.Hour) {
		bad("serve.store_retry", "%s is out of range: use 1s to 1h (default 1m)", time.Duration(s.StoreRetry))
	}
	validateRetry(s.Retry, bad)
}

// validateRetry checks serve.retry. A week bounds the wait so that a
// typo cannot park a URL for a year; a 1s base keeps a flapping site from
// being retried in a tight loop.
func validateRetry(r Retry, bad func(field, format string, args ...any)) {
	if r.Base < Duration(time.Second) || r.Base > Duration(time.Hour) {
		bad("serve.retry.base", "%s is out of range: use 1s to 1h (default 1m)", FormatDuration(time.Duration(r.Base)))
	}
	if r.Max < r.Base || r.Max > Duration(7*24*time.Hour) {
		bad("serve.retry.max", "%s is out of range: use serve.retry.base (%s) to 168h (default 6h)", FormatDuration(time.Duration(r.Max)), FormatDuration(time.Duration(r.Base)))
	}
	if r.MaxAttempts < 1 || r.MaxAttempts > 100 {
		bad("serve.retry.max_attempts", "%d is out of range: use 1 (no retry) to 100 (default 8)", r.MaxAttempts)
	}
	// Near 1, some waits would shrink to nothing and defeat the back-off;
	// the negated range refuses .nan as well.
	if !(r.Jitter >= 0 && r.Jitter <= 0.9) {
		bad("serve.retry.jitter", "%v is out of range: use a fraction from 0 (no spread) to 0.9 (default 0.2)", r.Jitter)
	}
}

// validateSources checks a list of sources; prefix names the list in
// messages ("sources").
func validateSources(sources []Source, prefix string, bad func(field, format string, args ...any)) {
	names := map[string]int{}
	for i, src := range sources {
		field := fmt.Sprintf("%s[%d]", prefix, i)
		if src.Name == "" {
			bad(field+".name", "every source needs a name, e.g. name: cbc-politics")
		} else if !sourceNameRE.MatchString(src.Name) {
			bad(field+".name", "%q is not a valid name: use lower-case letters, digits, '-', '_' and '.' (at most 64)", src.Name)
		} else if j, dup := names[src.Name]; dup {
			bad(field+".name", "%q is already the name of %s[%d]: names must be unique", src.Name, prefix, j)
		} else {
			names[src.Name] = i
		}
		if src.URL == "" {
			bad(field+".url", "every source needs a url")
		} else if _, err := urlnorm.Normalize(src.URL); err != nil {
			bad(field+".url", "%v", err)
		}
		if !validSourceKind(src.Kind) {
			bad(field+".kind", "%q is not a source kind: use %s", src.Kind, sourceKindsText)
		}
		if src.Interval < Duration(time.Second) {
			bad(field+".interval", "%s is too short: poll at most once a second (news sites: 5m or more)", time.Duration(src.Interval))
		}
		if h := src.Hops(); h < 1 || h > 10 {
			bad(field+".max_hops", "%d is out of range: use 1 (the articles a source lists) to 10", h)
		}
		for j, p := range src.Include {
			if _, err := regexp.Compile(p); err != nil {
				bad(fmt.Sprintf("%s.include[%d]", field, j), "bad regular expression %q: %v", p, err)
			}
		}
		for j, p := range src.Exclude {
			if _, err := regexp.Compile(p); err != nil {
				bad(fmt.Sprintf("%s.exclude[%d]", field, j), "bad regular expression %q: %v", p, err)
			}
		}
		for j, tag := range src.Tags {
			if strings.TrimSpace(tag) == "" || strings.ContainsAny(tag, "\r\n") {
				bad(fmt.Sprintf("%s.tags[%d]", field, j), "%q is not a tag: use a non-empty single-line word or phrase", tag)
			}
		}
	}
}
