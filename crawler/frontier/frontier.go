// Package frontier defines the daemon's durable queue of work: source polls
// and discovered URLs, with at-least-once leases, retry and revisit
// scheduling, conditional-GET validators, host back-offs, per-source poll
// records and the discovery log.
//
// The interface is backend-neutral: every time is passed in by the caller
// (whose clock may be a test's), leases carry an owner and a sequence
// number instead of living in process memory, and nothing needs more than
// plain SQL. Package frontier/sqlite implements it on one SQLite file; a
// PostgreSQL backend shared by several daemons can implement it too.
//
// Life of a URL item: Discover inserts it pending (de-duplicated by
// urlnorm.Key); Lease hands it to one worker until a deadline; the worker
// ends the lease with Complete (done, or pending again at a revisit time),
// Retry (pending again later) or Fail (never again). A lease not ended by
// its deadline (the worker died) makes the item leasable again, so work is
// done at least once. A source's poll is an item too, which Complete
// reschedules one interval later and which is never done.
//
// A frontier moves between backends as batches of neutral rows (Rows, see
// copy.go): the SQLite backend exports them, the PostgreSQL one imports
// them, for `archivist migrate-catalog`.
package frontier

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/archivist-project/archivist/archive"
)

// Kind is what an item is.
type Kind string

// Item kinds.
const (
	KindSource Kind = "source" // a source's recurring poll
	KindURL    Kind = "url"    // a discovered URL (article or followed page)
)

// Item states, as Lookup reports them.
const (
	StatePending = "pending"
	StateLeased  = "leased"
	StateDone    = "done"
	StateFailed  = "failed"
)

// FailKind says why an item failed for good.
type FailKind string

// Failure kinds. SourceStat counts FailRobots apart from the others.
const (
	FailPermanent FailKind = "permanent" // 4xx, refused address, not HTML...
	FailRobots    FailKind = "robots"    // disallowed by robots.txt
	FailExhausted FailKind = "exhausted" // transient failures until the attempts ran out
)

// ErrLeaseLost is returned when ending a lease that expired and was given
// to another worker (or whose item was removed). The caller's result is
// dropped; the new holder does the work again.
var ErrLeaseLost = errors.New("lease lost: it expired and the item was leased again or removed")

// ErrNotFound is returned by Lookup for a URL the frontier does not know.
var ErrNotFound = errors.New("not in the frontier")

// SourceSpec is a configured source as the frontier keeps it.
type SourceSpec struct {
	Name     string
	URL      string // normalised
	Kind     string // page, feed, sitemap, auto
	Interval time.Duration
}

// Validators are the conditional-GET validators of a URL's last good fetch.
type Validators struct {
	ETag         string
	LastModified string
}

// Lease identifies one grant of an item to a worker.
type Lease struct {
	Owner string // the daemon process (run id) holding it
	Seq   int64  // increases with every lease of the item
	Until time.Time
}

// Item is a unit of work handed out by Lease.
type Item struct {
	ID     int64
	Kind   Kind
	URL    string // normalised
	Key    string // de-duplication key (urlnorm.Key, or "source:NAME")
	Host   string // lower-case host name, for politeness
	Source string // source that found it (or whose poll it is)
	Via    string // page, feed or sitemap it was found on
	Depth  int    // link hops from the source (0 for a poll)
	// Attempts counts transient failures since the last success.
	Attempts     int
	DiscoveredAt time.Time
	// FirstCaptureAt is the first successful capture (zero before), which
	// revisit offsets count from.
	FirstCaptureAt time.Time
	Captures       int
	LastCaptureID  string
	// Validators of the last good fetch, for a conditional GET.
	Validators Validators
	// Discovery is the first discovery log entry of this URL by its source.
	Discovery *archive.Discovery
	Lease     Lease
}

// Discovered is one URL found by a source poll or on a fetched page.
type Discovered struct {
	URL   string // normalised
	Depth int    // link hops from the source
	// Discovery is the discovery log entry: Source, Kind, FoundAt, Via,
	// Position and whatever dates and titles the feed or sitemap gave.
	Discovery archive.Discovery
}

// LeaseRequest asks for due work.
type LeaseRequest struct {
	Owner string
	Max   int       // at most this many items
	Now   time.Time // items due at or before Now
	Until time.Time // lease deadline
	// SkipHosts are hosts the caller cannot fetch from right now (all
	// politeness slots busy); their items stay queued.
	SkipHosts []string
	// PerHost caps the items of one host in this batch (0: no cap).
	PerHost int
}

// Completion ends a lease successfully.
type Completion struct {
	Now       time.Time
	Captured  bool   // the Sink stored a capture (or revisit record)
	CaptureID string // its id
	// Validators replaces the stored validators when not nil.
	Validators *Validators
	// Next, when not zero, makes the item pending again from Next (the next
	// revisit or poll); zero means done.
	Next time.Time
	// Result describes the fetch for Lookup ("archived", "not modified"...).
	Result string
}

// RetryRequest ends a lease with a failure worth retrying.
type RetryRequest struct {
	Now       time.Time
	NotBefore time.Time
	Reason    string
	// CountAttempt adds one to Attempts. Off for failures that are not the
	// URL's fault: a host's Retry-After, the store being down, shutdown.
	CountAttempt bool
}

// Failure ends a lease for good.
type Failure struct {
	Now    time.Time
	Kind   FailKind
	Reason string
}

// PollResult records one poll of a source.
type PollResult struct {
	Source     string
	At         time.Time
	OK         bool
	Result     string // "12 found, 3 new", "not modified", "HTTP 503"...
	HTTPStatus int
	Found      int // URLs the poll listed (in scope)
	New        int // of which the frontier had never seen
}

// HostBackoff is a host asked to wait (Retry-After).
type HostBackoff struct {
	Host   string
	Until  time.Time
	Reason string
}

// QueueStats counts queued items for metrics.
type QueueStats struct {
	Due       int64 // pending and due now
	Scheduled int64 // pending, due later (retries, revisits, next polls)
	Leased    int64
}

// Entry is what the frontier knows about one URL.
type Entry struct {
	Item
	State      string // StatePending, StateLeased, StateDone, StateFailed
	Due        time.Time
	FailKind   FailKind
	LastError  string
	LastResult string
}

// PollRecord is what the frontier remembers of a source's polls.
type PollRecord struct {
	Polls          int
	LastPoll       time.Time // zero: never polled
	LastOK         bool
	LastResult     string
	LastHTTPStatus int
}

// SourceStat is one source's health, for `archivist status`.
type SourceStat struct {
	Name     string
	URL      string
	Kind     string
	Interval time.Duration
	// AddedAt is when the frontier first saw the source.
	AddedAt time.Time
	PollRecord
	NextPoll time.Time
	// URLs found by the source (distinct), and what became of those it
	// owns (a URL found by several sources belongs to the first).
	Found           int64
	Archived        int64
	Pending         int64
	Failed          int64
	BlockedByRobots int64
	// LastNew is the last poll that found a URL never seen before.
	LastNew time.Time
	// UsualGap is the median time between polls that found something new
	// (zero until there are two).
	UsualGap time.Duration
	// Stalled: nothing new for longer than StallThreshold.
	Stalled bool
}

// Frontier is the durable work queue. Implementations are safe for
// concurrent use.
type Frontier interface {
	// SyncSources makes the configured sources the active ones: new
	// sources get a poll due at once (or one interval after their last
	// recorded poll, if they were configured before), a changed URL is
	// polled at once, a changed interval counts from the last poll, and
	// sources no longer configured stop being polled (their URLs stay).
	SyncSources(ctx context.Context, sources []SourceSpec, now time.Time) error
	// Discover adds URLs not seen before as pending items, due from their
	// FoundAt, and logs every discovery (once per URL, source and page;
	// later sightings update its last-seen time). It returns how many
	// URLs were new.
	Discover(ctx context.Context, found []Discovered) (int, error)
	// Lease hands out due items, oldest first, skipping hosts backed off
	// or listed in SkipHosts. Items whose lease expired are due again.
	Lease(ctx context.Context, req LeaseRequest) ([]Item, error)
	// Extend moves the deadline of leases still held.
	Extend(ctx context.Context, items []Item, until time.Time) error
	// Complete, Retry and Fail end a lease. Each returns ErrLeaseLost when
	// the lease is no longer the item's, and nil when this same lease was
	// already ended (so a repeated call is harmless).
	Complete(ctx context.Context, it Item, c Completion) error
	Retry(ctx context.Context, it Item, r RetryRequest) error
	Fail(ctx context.Context, it Item, f Failure) error
	// Claim reserves a canonical URL (by its urlnorm.Key) for the item's
	// captures, so two URLs of one article are archived once. It returns
	// the URL of the item holding it when that is another item; a URL so
	// claimed is not queued when discovered later. Fail releases an item's
	// claims.
	Claim(ctx context.Context, canonicalURL string, it Item) (ownerURL string, claimed bool, err error)
	// Validators and SetValidators keep conditional-GET validators of
	// documents that are not items (a source's feeds and sitemaps), under
	// a caller-chosen key.
	Validators(ctx context.Context, key string) (Validators, error)
	SetValidators(ctx context.Context, key string, v Validators, now time.Time) error
	// RecordPoll appends a source poll to its history.
	RecordPoll(ctx context.Context, p PollResult) error
	// BackoffHost keeps the host's items from being leased until until.
	BackoffHost(ctx context.Context, host string, until time.Time, reason string) error
	// HostsInBackoff lists hosts backed off at now.
	HostsInBackoff(ctx context.Context, now time.Time) ([]HostBackoff, error)
	// Recover makes the leases of every other owner due at once. A daemon
	// that owns its frontier alone calls it at start: those owners are
	// dead processes.
	Recover(ctx context.Context, owner string, now time.Time) (int, error)
	// Stats counts the queue.
	Stats(ctx context.Context, now time.Time) (QueueStats, error)
	// Lookup returns what the frontier knows about a URL (ErrNotFound).
	Lookup(ctx context.Context, rawURL string) (Entry, error)
	// Discoveries returns a URL's discovery log, oldest first.
	Discoveries(ctx context.Context, rawURL string) ([]archive.Discovery, error)
	// SourceStats reports every active source, by name.
	SourceStats(ctx context.Context) ([]SourceStat, error)
	// Ping checks that the frontier answers.
	Ping(ctx context.Context) error
	Close() error
}

// SourceKey is the Key of a source's poll item.
func SourceKey(name string) string { return "source:" + name }

// StallThreshold is how long a source may find nothing new before it is
// flagged: three times its usual gap between new finds, and never less
// than three poll intervals.
func StallThreshold(usualGap, interval time.Duration) time.Duration {
	return max(3*usualGap, 3*interval)
}

// IsStalled tells whether a source that last found something new at
// lastNew (zero: never, in which case addedAt counts) is stalled at now.
func IsStalled(now, lastNew, addedAt time.Time, usualGap, interval time.Duration) bool {
	since := lastNew
	if since.IsZero() {
		since = addedAt
	}
	if since.IsZero() {
		return false
	}
	return now.Sub(since) > StallThreshold(usualGap, interval)
}

// MedianGap returns the median gap between consecutive times (in any
// order), or 0 with fewer than two.
func MedianGap(times []time.Time) time.Duration {
	if len(times) < 2 {
		return 0
	}
	ts := slices.Clone(times)
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	gaps := make([]time.Duration, 0, len(ts)-1)
	for i := 1; i < len(ts); i++ {
		gaps = append(gaps, ts[i].Sub(ts[i-1]))
	}
	slices.Sort(gaps)
	n := len(gaps)
	if n%2 == 1 {
		return gaps[n/2]
	}
	return (gaps[n/2-1] + gaps[n/2]) / 2
}
