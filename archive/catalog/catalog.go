// Package catalog defines the queryable index of captures that researchers
// search and list. The catalog is derived data: every row is built from
// objects in the store, and `archivist reindex` rebuilds it from the store
// alone.
//
// Backends live in sub-packages (sqlite, postgres) and all pass the
// shared suite in catalogtest.
package catalog

import (
	"context"
	"errors"
	"time"

	"github.com/archivist-project/archivist/archive"
)

// ErrNotFound: no capture matches.
var ErrNotFound = errors.New("capture not found")

// Entry is one capture as the catalog knows it.
type Entry struct {
	CaptureID    string
	URL          string // the requested URL, normalised
	FinalURL     string // after redirects
	CanonicalURL string // rel=canonical or og:url when trusted, else ""
	// URLKey is the normalised URL used for lookups (see crawler/urlnorm).
	// An entry is found by its URLKey and by CanonicalKey.
	URLKey        string
	CanonicalKey  string
	Host          string // lower-case host of FinalURL, without "www."
	FetchedAt     time.Time
	Status        int
	ContentType   string
	PageType      string // "article", "listing", "other"
	Title         string
	Authors       []string
	Published     *time.Time
	SiteName      string
	Language      string
	Description   string
	WordCount     int
	Text          string // plain article text, indexed for full-text search
	PayloadSHA256 string
	Seed          string
	RunID         string
	// Source names the configured source the capture came from ("" for a
	// one-off crawl); Tags are that source's tags.
	Source string
	Tags   []string
	// Kind is "response" for a full capture, "revisit" when the payload was
	// identical to an earlier capture's and only a WARC revisit record was
	// stored.
	Kind string
	// PreviousCaptureID links a capture to the one before it of the same
	// page, forming the version chain ("" for the first).
	PreviousCaptureID string
	// ExtractorVersion is the extractor that produced the indexed Article.
	ExtractorVersion string
	// Paywalled is set when the extractor saw a paywall or consent wall.
	Paywalled  bool
	WARC       archive.ObjectRef
	Article    archive.ObjectRef
	Provenance archive.ObjectRef
}

// Filter selects captures. Zero fields do not filter.
type Filter struct {
	URLKey string    // exact normalised URL (matches URLKey or CanonicalKey)
	Host   string    // host, without "www."
	Since  time.Time // FetchedAt >= Since
	Until  time.Time // FetchedAt <= Until
	Limit  int       // 0: no limit

	Source         string    // exact source name
	Tag            string    // captures whose Tags include this tag
	Language       string    // exact language code, e.g. "en"
	Author         string    // case-insensitive substring of any author
	PageType       string    // "article", "listing", "other"
	PublishedSince time.Time // Published >= PublishedSince (unknown dates excluded)
	PublishedUntil time.Time // Published <= PublishedUntil
}

// Hit is one full-text search result.
type Hit struct {
	Entry   Entry
	Snippet string  // text around the matches, matches in [brackets]
	Score   float64 // higher is better
}

// RankWindow is how many matches a search ranks at a time. Ranking costs
// a few microseconds a match in either backend (SQLite's BM25 reads each
// match's positions and sizes, PostgreSQL's ts_rank its tsvector), so a
// common word matching half of a million captures took seconds to rank
// whole. Matches are ranked in windows instead, the most recently indexed
// first: the first page shows the best of the latest RankWindow matches
// that pass the filter, and paging continues into the next window when
// one is used up. A query with fewer matches is ranked whole.
//
// The window's size trades latency for how far back the first page looks:
// at a million captures, ranking a window took SQLite about 5 µs a match
// (its positions and its document length), so 50 ms for 10,000, the
// largest part of a search once term weights stopped being counted over
// the whole catalog. 5,000 latest matches reach back further than any
// reader pages, and the search's 95th percentile there went from about
// 105 to 80 ms of CPU.
const RankWindow = 5000

// Query is a full-text search.
type Query struct {
	// Text uses the backend's syntax subset shared by all backends: words
	// (all must match), "quoted phrases", OR between terms, -word to exclude.
	Text   string
	Filter Filter
	Limit  int // default 20
	Offset int
}

// Catalog is the index of captures.
//
// Implementations are safe for concurrent use.
type Catalog interface {
	// Put adds or replaces the entry with e.CaptureID. It is idempotent:
	// putting the same entry twice leaves one row.
	Put(ctx context.Context, e Entry) error
	// Get returns the entry with the capture id, or ErrNotFound.
	Get(ctx context.Context, captureID string) (Entry, error)
	// Nearest returns the capture of urlKey (matched against URLKey and
	// CanonicalKey) fetched closest to at; a zero at means the latest.
	// ErrNotFound when the URL was never captured.
	Nearest(ctx context.Context, urlKey string, at time.Time) (Entry, error)
	// List calls fn for each entry matching f, oldest first, streaming:
	// implementations must not hold all rows in memory.
	List(ctx context.Context, f Filter, fn func(Entry) error) error
	// Search runs a ranked full-text query over title and text. Matches
	// are ranked in windows of RankWindow, the most recently indexed
	// first (see RankWindow); paging through every offset reaches each
	// match exactly once.
	Search(ctx context.Context, q Query) ([]Hit, error)
	// Count returns how many entries match f.
	Count(ctx context.Context, f Filter) (int, error)
	// FirstByPayload returns the earliest full capture (Kind "response",
	// by FetchedAt, then CaptureID) whose PayloadSHA256 is sha256, under
	// any URL, or ErrNotFound. The capture pipeline uses it to store a
	// payload the archive already holds as a revisit record instead of a
	// second copy.
	FirstByPayload(ctx context.Context, sha256 string) (Entry, error)
	// Close releases the catalog.
	Close() error
}

// Selection is the query behind a dataset: the list filters, an optional
// full-text query, and optionally only the latest capture of each page.
type Selection struct {
	// Filter selects as in List; its Limit applies last, after Text and
	// LatestOnly.
	Filter Filter
	// Text is a full-text query in Query's syntax; "" selects without
	// one. A query with nothing searchable in it selects nothing, as in
	// Search.
	Text string
	// LatestOnly keeps, among the captures Filter and Text select, only
	// the latest of each page: a page is its CanonicalKey, or its URLKey
	// when it has none. The latest is the greatest (FetchedAt, CaptureID).
	LatestOnly bool
}

// Selector streams a Selection. It is separate from Catalog so that
// adding it broke no implementation; every backend must provide it (the
// shared suite in catalogtest requires it).
type Selector interface {
	// Select calls fn for each entry of s, oldest first (by FetchedAt,
	// then CaptureID), streaming like List. An error from fn stops the
	// selection and is returned as is.
	Select(ctx context.Context, s Selection, fn func(Entry) error) error
}
