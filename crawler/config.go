package crawler

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/archivist-project/archivist/crawler/netguard"
	"github.com/archivist-project/archivist/crawler/scope"
)

// ProjectURL is named in the default User-Agent so site operators can find
// out who is crawling them.
const ProjectURL = "https://github.com/archivist-project/archivist"

// RobotsProductToken is the name matched against User-agent lines in
// robots.txt, before falling back to "*".
const RobotsProductToken = "Archivist"

// Config controls a crawl. Start from DefaultConfig; the zero value is not
// valid.
type Config struct {
	// Version is Archivist's version, sent in the default User-Agent.
	Version string
	// UserAgent overrides the User-Agent header. Empty means
	// "Archivist/<Version> (+<ProjectURL>[; contact: <Contact>])".
	UserAgent string
	// Contact (an email address or URL) is added to the default User-Agent
	// so site operators can reach whoever runs this crawl.
	Contact string
	// ObeyRobots makes the crawler fetch and obey robots.txt.
	ObeyRobots bool
	// MaxDepth is how many links away from a seed the crawl goes
	// (0: seeds only, 1: seeds and the pages they link to).
	MaxDepth int
	// Include and Exclude are regular expressions on the normalised URL of
	// discovered links (seeds are always fetched). With Include set, a link
	// must match at least one; any Exclude match rejects it.
	Include []string
	Exclude []string
	// PerHostParallelism caps concurrent requests to one host.
	PerHostParallelism int
	// PerHostDelay is the minimum time between the starts of two requests
	// to one host.
	PerHostDelay time.Duration
	// Parallelism is the number of pages processed at once across all hosts.
	Parallelism int
	// RequestTimeout bounds each HTTP round trip (one redirect hop),
	// from sending the request to the end of the body. Waiting for a
	// politeness slot does not count.
	RequestTimeout time.Duration
	// MaxBodyBytes caps the body read per response; longer bodies are cut
	// and marked Truncated "length".
	MaxBodyBytes int64
	// MaxRedirects is how many redirects one fetch follows (0: none).
	MaxRedirects int
	// AllowPrivateNetworks lets the crawler connect to loopback, private,
	// link-local and other non-public addresses. Off by default: links and
	// redirects come from untrusted pages.
	AllowPrivateNetworks bool
	// RunID names the crawl run in every Exchange; a new id is generated
	// for each Run when empty.
	RunID string
	// OnResult, when set, receives each URL's result as it is decided,
	// one at a time, instead of Summary.Results collecting them: a crawl
	// of many pages then keeps no per-URL record in memory. It must not
	// call back into the crawler.
	OnResult func(URLResult)
	// Clock stamps fetch times (default time.Now). Politeness waits use
	// the real clock regardless.
	Clock func() time.Time
	// Resolver and Dialer replace the system resolver and dialer of the
	// network guard (tests, special deployments). The guard still checks
	// every resolved address and dials the checked IP.
	Resolver netguard.Resolver
	Dialer   netguard.Dialer
	// RobotsTTL is how long a fetched robots.txt is trusted before it is
	// fetched again (0: for the Fetcher's lifetime, as in one crawl run).
	// It is measured on Clock.
	RobotsTTL time.Duration
	// MaxCrawlDelay caps the robots.txt Crawl-delay honoured as a minimum
	// per-host delay (0: no cap). A site asking for an hour between
	// requests would otherwise never get its news archived.
	MaxCrawlDelay time.Duration
	// MaxRetryAfter caps how long a 429 or 503 Retry-After may back a host
	// off (0: no cap).
	MaxRetryAfter time.Duration
	// CookieLifetime bounds how long cookies are kept (0: for the
	// Fetcher's lifetime). A long-running daemon starts a fresh cookie jar
	// after it, so metered paywalls and tracking state do not build up
	// over months of revisits. Measured on Clock.
	CookieLifetime time.Duration
	// OnRequest, when set, is called after every HTTP round trip (pages,
	// redirect hops, robots.txt, feeds) with the host and the wall-clock
	// times the request held its politeness slot. Tests and activity
	// displays use it; it must be quick and safe for concurrent use.
	OnRequest func(RequestEvent)
	// URLMemoryBytes bounds the memory a run's URLs take: its queue and
	// its de-duplication sets, about a quarter KB a URL. Past it, a run
	// moves URLs to a scratch file in SpillDir, so that its memory stays
	// flat however many pages it crawls. 0 keeps every URL in memory.
	URLMemoryBytes int
	// SpillDir is where that scratch file goes ("": the system's
	// temporary directory, which may be in memory). The run removes the
	// file when it ends; files of killed runs are removed by the next run
	// that spills to the same directory.
	SpillDir string
	// HostGate, when set, holds every request until the host has a slot
	// across all the processes sharing the gate (several daemons on one
	// frontier); nil keeps politeness in-process.
	HostGate HostGate
}

// DefaultURLMemoryBytes is the default URLMemoryBytes: about 30,000 URLs.
const DefaultURLMemoryBytes = 8 << 20

// RequestEvent describes one HTTP round trip as the politeness limiter saw
// it. Times are wall-clock (time.Now), not Clock: politeness is real time.
type RequestEvent struct {
	Host   string // host name, lower case, without port
	URL    string
	Start  time.Time // when the request took its slot
	End    time.Time // when the slot was released (body read or failure)
	Status int       // HTTP status, 0 when no response arrived
}

// DefaultConfig returns the configuration a polite news crawl should use.
func DefaultConfig() Config {
	return Config{
		Version:            "dev",
		ObeyRobots:         true,
		MaxDepth:           1,
		PerHostParallelism: 2,
		PerHostDelay:       time.Second,
		Parallelism:        8,
		RequestTimeout:     30 * time.Second,
		MaxBodyBytes:       10 << 20,
		MaxRedirects:       10,
		Clock:              time.Now,
		RobotsTTL:          24 * time.Hour,
		MaxCrawlDelay:      time.Minute,
		MaxRetryAfter:      24 * time.Hour,
		URLMemoryBytes:     DefaultURLMemoryBytes,
	}
}

// EffectiveUserAgent returns the User-Agent header the crawler sends.
func (c Config) EffectiveUserAgent() string {
	if c.UserAgent != "" {
		return c.UserAgent
	}
	ua := RobotsProductToken + "/" + c.Version + " (+" + ProjectURL
	if c.Contact != "" {
		ua += "; contact: " + c.Contact
	}
	return ua + ")"
}

// Validate reports every invalid setting, each named as in configuration
// files (snake_case).
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("crawler config: "+format, args...))
	}
	if c.UserAgent == "" && (c.Version == "" || strings.ContainsAny(c.Version, " /()\t\r\n")) {
		bad("version %q must be non-empty without spaces, slashes or parentheses (it goes into the User-Agent)", c.Version)
	}
	if strings.ContainsAny(c.Contact, "()\r\n") {
		bad("contact %q must not contain parentheses or line breaks", c.Contact)
	}
	if strings.ContainsAny(c.UserAgent, "\r\n") {
		bad("user_agent must be a single line")
	}
	if c.MaxDepth < 0 {
		bad("max_depth must be 0 or more, got %d", c.MaxDepth)
	}
	if c.PerHostParallelism < 1 {
		bad("per_host_parallelism must be at least 1, got %d", c.PerHostParallelism)
	}
	if c.PerHostDelay < 0 {
		bad("per_host_delay must not be negative, got %s", c.PerHostDelay)
	}
	if c.Parallelism < 1 {
		bad("parallelism must be at least 1, got %d", c.Parallelism)
	}
	if c.RequestTimeout <= 0 {
		bad("request_timeout must be positive, got %s", c.RequestTimeout)
	}
	if c.MaxBodyBytes <= 0 {
		bad("max_body_bytes must be positive, got %d", c.MaxBodyBytes)
	}
	if c.URLMemoryBytes < 0 {
		bad("url_memory_bytes must be 0 (no limit) or more, got %d", c.URLMemoryBytes)
	}
	if c.MaxRedirects < 0 {
		bad("max_redirects must be 0 or more, got %d", c.MaxRedirects)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"robots_ttl", c.RobotsTTL}, {"max_crawl_delay", c.MaxCrawlDelay}, {"max_retry_after", c.MaxRetryAfter}, {"cookie_lifetime", c.CookieLifetime}} {
		if d.v < 0 {
			bad("%s must not be negative, got %s", d.name, d.v)
		}
	}
	if strings.ContainsFunc(c.RunID, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}) {
		bad("run_id %q may only contain letters, digits, '-', '_' and '.'", c.RunID)
	}
	if _, err := scope.New(c.Include, c.Exclude, max(c.MaxDepth, 0)); err != nil {
		errs = append(errs, fmt.Errorf("crawler config: %w", err))
	}
	return errors.Join(errs...)
}
