// Package config loads Archivist's YAML configuration: defaults first, then
// the file, then validation that names each bad field and what to do.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/archivist-project/archivist/crawler"
	"github.com/archivist-project/archivist/crawler/daemon"
	"github.com/archivist-project/archivist/extract"
)

// Config is the whole configuration. Command-line flags override it.
type Config struct {
	// Data is the data directory: catalog, local store, state.
	Data string `yaml:"data"`
	// Store is the store URL (file://PATH or s3://BUCKET/PREFIX?endpoint=...).
	// Empty means the data dir's own store (the one it was created with, or
	// file://DATA/store).
	Store string `yaml:"store"`
	// DB is where the catalog and the daemon's frontier live: empty for
	// the SQLite files in the data directory (the default), or a
	// postgres://USER@HOST:PORT/DBNAME URL shared by several replicas.
	DB    string `yaml:"db"`
	Crawl Crawl  `yaml:"crawl"`
	Log   Log    `yaml:"log"`

	// Sources are what `archivist serve` watches (merged with the ones
	// `archivist sources add` keeps in DATA/sources.yaml).
	Sources []Source `yaml:"sources"`
	// RevisitSchedule is when articles are fetched again after their
	// first capture, to record new versions.
	RevisitSchedule []Duration `yaml:"revisit_schedule"`
	// Hosts overrides politeness per host (lower case, without "www.").
	Hosts map[string]HostLimit `yaml:"hosts"`
	// Serve configures the daemon: its HTTP endpoint and its workers.
	Serve Serve `yaml:"serve"`
	// PageTypes tunes how extracted pages are classified (article,
	// listing, other) by crawl, serve, extract and reextract.
	PageTypes PageTypes `yaml:"page_types"`

	// lines locates each setting in the file it came from.
	lines lineIndex
}

// Crawl holds the fetching and politeness settings.
type Crawl struct {
	UserAgent            string   `yaml:"user_agent"`
	Contact              string   `yaml:"contact"`
	Depth                int      `yaml:"depth"`
	Include              []string `yaml:"include"`
	Exclude              []string `yaml:"exclude"`
	ObeyRobots           bool     `yaml:"obey_robots"`
	PerHostParallelism   int      `yaml:"per_host_parallelism"`
	PerHostDelay         Duration `yaml:"per_host_delay"`
	Parallelism          int      `yaml:"parallelism"`
	RequestTimeout       Duration `yaml:"request_timeout"`
	MaxBodyBytes         Size     `yaml:"max_body_bytes"`
	MaxRedirects         int      `yaml:"max_redirects"`
	AllowPrivateNetworks bool     `yaml:"allow_private_networks"`
	// KeepListings archives seed pages even when they are not articles.
	KeepListings bool `yaml:"keep_listings"`
	// RobotsTTL is how long a fetched robots.txt is trusted: a daemon
	// running for months must notice a site's new rules.
	RobotsTTL Duration `yaml:"robots_ttl"`
	// MaxCrawlDelay caps the robots.txt Crawl-delay honoured (0: no cap),
	// so that a site asking for an hour between requests still gets its
	// news archived.
	MaxCrawlDelay Duration `yaml:"max_crawl_delay"`
	// MaxRetryAfter caps how long a 429 or 503 Retry-After backs a host
	// off (0: no cap).
	MaxRetryAfter Duration `yaml:"max_retry_after"`
	// CookieLifetime is how long cookies are kept before a fresh jar (0:
	// for the whole run or daemon process). Unset keeps each command's
	// default: a crawl keeps them for its run, serve for an hour, so that
	// months of revisits do not build up metered-paywall state.
	CookieLifetime *Duration `yaml:"cookie_lifetime"`
	// URLMemory bounds the memory `crawl` gives its queued and seen URLs;
	// past it they go to a scratch file in DATA/tmp (0: no bound).
	URLMemory Size `yaml:"url_memory"`
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// Default returns the configuration used when nothing is set. The
// settings the libraries also default (robots and Retry-After limits,
// retries, page types) are taken from them, so an unset key keeps
// exactly what the library would do.
func Default() Config {
	cc := crawler.DefaultConfig()
	return Config{
		Data: "archivist-data",
		Crawl: Crawl{
			Depth:              1,
			ObeyRobots:         true,
			PerHostParallelism: 2,
			PerHostDelay:       Duration(time.Second),
			Parallelism:        8,
			RequestTimeout:     Duration(30 * time.Second),
			MaxBodyBytes:       10 << 20,
			MaxRedirects:       10,
			KeepListings:       true,
			RobotsTTL:          Duration(cc.RobotsTTL),
			MaxCrawlDelay:      Duration(cc.MaxCrawlDelay),
			MaxRetryAfter:      Duration(cc.MaxRetryAfter),
			URLMemory:          Size(cc.URLMemoryBytes),
		},
		Log: Log{Level: "info", Format: "text"},
		RevisitSchedule: []Duration{
			Duration(time.Hour), Duration(6 * time.Hour), Duration(24 * time.Hour),
			Duration(7 * 24 * time.Hour), Duration(30 * 24 * time.Hour),
		},
		Serve: Serve{
			Listen:       "127.0.0.1:8080",
			Workers:      8,
			DrainTimeout: Duration(30 * time.Second),
			Lease:        Duration(5 * time.Minute),
			StoreRetry:   Duration(time.Minute),
			Retry:        retryFrom(daemon.DefaultRetryPolicy()),
		},
		PageTypes: pageTypesFrom(extract.DefaultPageTypeRules()),
	}
}

// Load reads the file at path over the defaults. Unknown keys are errors.
func Load(path string) (Config, error) {
	c := Default()
	data, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("read config: %w", err)
	}
	if err := Parse(data, &c); err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes YAML into c, keeping the values the YAML does not set,
// and fills in the defaults of each source.
func Parse(data []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		if errors.Is(err, io.EOF) { // an empty file sets nothing
			return nil
		}
		return fmt.Errorf("%v (see the README's configuration section for the valid keys)", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	c.lines = indexLines(data)
	for i := range c.Sources {
		c.Sources[i].fillDefaults()
	}
	return nil
}

// FieldError names a bad setting and, when it came from a file, its line.
type FieldError struct {
	Field string
	Line  int // 0 when unknown (a default, a flag)
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s (line %d): %s", e.Field, e.Line, e.Msg)
	}
	return e.Field + ": " + e.Msg
}

// Validate checks every field and returns all problems found, joined.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Line: c.lines.line(field), Msg: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(c.Data) == "" {
		bad("data", "must name a directory")
	}
	if c.DB != "" && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") {
		bad("db", "must be empty (SQLite in the data directory) or a postgres://USER@HOST:5432/DBNAME URL")
	}
	cr := &c.Crawl
	if cr.Depth < 0 || cr.Depth > 10 {
		bad("crawl.depth", "%d is out of range: use 0 (seeds only) to 10", cr.Depth)
	}
	if cr.PerHostParallelism < 1 || cr.PerHostParallelism > 64 {
		bad("crawl.per_host_parallelism", "%d is out of range: use 1 to 64", cr.PerHostParallelism)
	}
	if cr.Parallelism < 1 || cr.Parallelism > 1024 {
		bad("crawl.parallelism", "%d is out of range: use 1 to 1024", cr.Parallelism)
	}
	if cr.PerHostDelay < 0 {
		bad("crawl.per_host_delay", "must not be negative")
	}
	if cr.RequestTimeout <= 0 {
		bad("crawl.request_timeout", "must be positive, e.g. 30s")
	}
	if cr.MaxBodyBytes < 1024 {
		bad("crawl.max_body_bytes", "%d is too small: use at least 1KiB (default 10MiB)", cr.MaxBodyBytes)
	}
	if cr.URLMemory < 0 {
		bad("crawl.url_memory", "must not be negative (0: no bound; default 8MiB)")
	}
	if cr.MaxRedirects < 0 || cr.MaxRedirects > 50 {
		bad("crawl.max_redirects", "%d is out of range: use 0 to 50", cr.MaxRedirects)
	}
	for i, p := range cr.Include {
		if _, err := regexp.Compile(p); err != nil {
			bad(fmt.Sprintf("crawl.include[%d]", i), "bad regular expression %q: %v", p, err)
		}
	}
	for i, p := range cr.Exclude {
		if _, err := regexp.Compile(p); err != nil {
			bad(fmt.Sprintf("crawl.exclude[%d]", i), "bad regular expression %q: %v", p, err)
		}
	}
	c.validateCrawlLimits(bad)
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q is not one of debug, info, warn, error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format", "%q is not one of text, json", c.Log.Format)
	}
	c.validateDaemon(bad)
	c.validatePageTypes(bad)
	return errors.Join(errs...)
}

// validateCrawlLimits checks the robots, Retry-After and cookie limits.
func (c *Config) validateCrawlLimits(bad func(field, format string, args ...any)) {
	cr := &c.Crawl
	// RFC 9309 (2.4) asks crawlers not to use a cached robots.txt for
	// more than 24 hours; below a minute every fetch would re-read it.
	if cr.RobotsTTL < Duration(time.Minute) || cr.RobotsTTL > Duration(24*time.Hour) {
		bad("crawl.robots_ttl", "%s is out of range: use 1m to 24h (RFC 9309 asks crawlers to re-read robots.txt at least daily; default 24h)", FormatDuration(time.Duration(cr.RobotsTTL)))
	}
	if cr.MaxCrawlDelay < 0 || cr.MaxCrawlDelay > Duration(24*time.Hour) {
		bad("crawl.max_crawl_delay", "%s is out of range: use 0 (honour any Crawl-delay) to 24h (default 1m)", FormatDuration(time.Duration(cr.MaxCrawlDelay)))
	}
	switch {
	case cr.MaxRetryAfter < 0 || cr.MaxRetryAfter > Duration(7*24*time.Hour):
		bad("crawl.max_retry_after", "%s is out of range: use 0 (no cap) or 1m to 168h (default 24h)", FormatDuration(time.Duration(cr.MaxRetryAfter)))
	case cr.MaxRetryAfter > 0 && cr.MaxRetryAfter < Duration(time.Minute):
		bad("crawl.max_retry_after", "%s is too short: a site asking to be left alone would be asked again at once; use at least 1m, or 0 for no cap (default 24h)", FormatDuration(time.Duration(cr.MaxRetryAfter)))
	}
	if l := cr.CookieLifetime; l != nil && (*l < 0 || *l > 0 && *l < Duration(time.Minute)) {
		bad("crawl.cookie_lifetime", "%s is out of range: use 0 (keep cookies for the whole run or process) or at least 1m; leave it out for the default (crawl: the run, serve: 1h)", FormatDuration(time.Duration(*l)))
	}
}

// Duration is a time.Duration written as "1.5s" or "200ms" in YAML.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration: write it like 500ms, 2s or 1m", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as Go does, without zero units
// ("1h", "1h30m", "90s").
func (d Duration) MarshalYAML() (any, error) { return FormatDuration(time.Duration(d)), nil }

// FormatDuration prints d without trailing zero units: 1h, 1h30m, 2m30s.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Size is a byte count written as 1048576, "512KiB", "10MiB" or "1GiB".
type Size int64

// UnmarshalYAML parses a byte size.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*s = Size(v)
	return nil
}

// ParseSize parses a byte count with an optional KiB, MiB or GiB suffix.
func ParseSize(v string) (int64, error) {
	t := strings.TrimSpace(v)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size: write it like 1048576, 512KiB or 10MiB", v)
	}
	return n * mult, nil
}
