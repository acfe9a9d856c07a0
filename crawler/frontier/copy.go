package frontier

import (
	"time"

	"github.com/archivist-project/archivist/archive"
)

// Copying a frontier between backends (`archivist migrate-catalog` moves
// the embedded SQLite frontier into PostgreSQL) goes through the
// backend-neutral rows below: one backend exports its tables in batches
// of Rows, another imports them. Rows carry no database ids; every
// reference (a claim's item, a discovery's URL) is by key, which the
// importing side resolves to its own ids.

// Table names one table of the frontier schema that a copy carries.
type Table string

// The tables a copy carries. PostgreSQL's frontier_owners (the live
// replicas' sessions) is not one of them: it means nothing elsewhere.
const (
	TableSources     Table = "sources"
	TableItems       Table = "items"
	TableDiscoveries Table = "discoveries"
	TablePolls       Table = "polls"
	TableHosts       Table = "hosts"
	TableValidators  Table = "validators"
	TableClaims      Table = "claims"
)

// Tables lists the tables in the order a copy writes them: claims name
// items by key, so they come after the items.
func Tables() []Table {
	return []Table{TableSources, TableItems, TableDiscoveries, TablePolls, TableHosts, TableValidators, TableClaims}
}

// ItemRow is one queued item as stored, with its state and schedule.
type ItemRow struct {
	Key    string // urlnorm.Key of the URL, or SourceKey for a poll
	Kind   Kind
	URL    string
	Host   string
	Source string
	Via    string
	Depth  int
	State  string    // StatePending, StateLeased, StateDone, StateFailed
	Due    time.Time // zero for done and failed items
	Lease  Lease     // the last lease (Until is Due while leased)

	Attempts       int
	FailKind       FailKind
	LastError      string
	LastResult     string
	DiscoveredAt   time.Time
	LastFetchAt    time.Time // zero: never fetched
	FirstCaptureAt time.Time
	Captures       int
	LastCaptureID  string
}

// DiscoveryRow is one entry of the discovery log: a URL found by a source
// on one page, with when it was first and last seen there.
type DiscoveryRow struct {
	Key        string // urlnorm.Key of URL
	URL        string
	Discovery  archive.Discovery // FoundAt is the first sighting
	LastSeenAt time.Time
	Seen       int
}

// SourceRow is a source as the frontier remembers it: its configuration
// and its last poll.
type SourceRow struct {
	SourceSpec
	Active  bool
	AddedAt time.Time
	PollRecord
	LastNew time.Time // zero: never found anything new
}

// ValidatorRow is a document's conditional-GET validators under its key.
type ValidatorRow struct {
	Key        string
	Validators Validators
	UpdatedAt  time.Time
}

// ClaimRow is a canonical URL's claim, naming the claiming item by its key.
type ClaimRow struct {
	Key     string // urlnorm.Key of the canonical URL
	ItemKey string
}

// Rows is one batch of one table's rows: the slice of Table is set, the
// others are empty.
type Rows struct {
	Table       Table
	Sources     []SourceRow
	Items       []ItemRow
	Discoveries []DiscoveryRow
	Polls       []PollResult
	Hosts       []HostBackoff
	Validators  []ValidatorRow
	Claims      []ClaimRow
}

// Len is the number of rows in the batch.
func (r Rows) Len() int {
	return len(r.Sources) + len(r.Items) + len(r.Discoveries) + len(r.Polls) + len(r.Hosts) + len(r.Validators) + len(r.Claims)
}

// ImportResult counts what an import did with a batch: rows added, rows
// updated from the copy, and rows the target kept because its own were
// at least as recent. Added+Updated+Kept is the batch's length.
type ImportResult struct {
	Added   int
	Updated int
	Kept    int
}

// Add sums two results.
func (r ImportResult) Add(o ImportResult) ImportResult {
	return ImportResult{Added: r.Added + o.Added, Updated: r.Updated + o.Updated, Kept: r.Kept + o.Kept}
}

// Total is Added+Updated+Kept.
func (r ImportResult) Total() int { return r.Added + r.Updated + r.Kept }
