package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/archivist-project/archivist/crawler/frontier"
)

// Import writes one batch of rows exported from another frontier (the
// embedded SQLite one, by `archivist migrate-catalog`) into this one, in
// one transaction, and reads the batch's keys back before committing. It
// is safe while replicas work the frontier: it takes row locks only, on
// the batch's rows, in key order (as Discover does), for one batch.
//
// Rows get this frontier's own ids; references are resolved by key. It is
// idempotent, and never moves the target backwards. Per table, a row the
// target already has is:
//
//   - items: replaced by the copy only when the copy was fetched later
//     (last_fetch_at) than the target's row, which a replica does not hold
//     leased; otherwise kept. So a URL the replicas archived, retried or
//     re-queued since keeps their state, and a URL they only rediscovered
//     takes the copy's history (captures, revisit schedule, attempts).
//     Items leased in the copy (leases of a stopped daemon) arrive
//     pending, due at now.
//   - discoveries: merged: the first sighting (found_at and what the page
//     said then) is the earlier one, last_seen_at the later, seen the
//     larger count (not the sum, so copying twice counts nothing twice).
//   - sources: the target's configuration (url, kind, interval, active) is
//     kept, since the replicas sync it; added_at is the earlier, the last
//     poll's fields those of the later last poll, last_new_at the later,
//     polls the larger count.
//   - polls: appended unless the target has a poll of that source at that
//     time.
//   - hosts: the later back-off wins; validators: the later update wins.
//   - claims: the target's claim wins; a new claim names the target's item
//     of the same key.
func (f *Frontier) Import(ctx context.Context, rows frontier.Rows, now time.Time) (frontier.ImportResult, error) {
	if rows.Len() == 0 {
		return frontier.ImportResult{}, nil
	}
	w, ok := importers()[rows.Table]
	if !ok {
		return frontier.ImportResult{}, fmt.Errorf("import into frontier %s: unknown table %q: export and import with the same archivist", f.where, rows.Table)
	}
	stmts := w(rows, now.UTC())
	// Rows are written in key order, the order Discover locks items in, so
	// the copy and a replica cannot deadlock on each other's rows. Polls
	// are only appended (no lock to order) and keep the order they were
	// taken in, so the target's ids, which trimming and the usual gap go
	// by, agree with their times.
	if rows.Table != frontier.TablePolls {
		slices.SortStableFunc(stmts, func(a, b importStmt) int { return strings.Compare(a.key, b.key) })
	}
	var res frontier.ImportResult
	err := f.tx(ctx, fmt.Sprintf("import %d %s", len(stmts), rows.Table), func(tx pgx.Tx) error {
		res = frontier.ImportResult{} // again from zero when tx retries
		var batch pgx.Batch
		for _, s := range stmts {
			batch.Queue(s.sql, s.args...)
		}
		br := tx.SendBatch(ctx, &batch)
		for _, s := range stmts {
			var inserted bool
			err := br.QueryRow().Scan(&inserted)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				res.Kept++
			case err != nil:
				br.Close()
				return fmt.Errorf("write %s %q: %w", rows.Table, s.key, err)
			case inserted:
				res.Added++
			default:
				res.Updated++
			}
		}
		if err := br.Close(); err != nil {
			return err
		}
		return readBack(ctx, tx, rows, stmts)
	})
	return res, err
}

// importStmt writes one row and returns one row, (xmax = 0): true when it
// inserted, false when it updated; no row when the target's row was kept.
type importStmt struct {
	key  string
	sql  string
	args []any
}

func importers() map[frontier.Table]func(frontier.Rows, time.Time) []importStmt {
	return map[frontier.Table]func(frontier.Rows, time.Time) []importStmt{
		frontier.TableSources:     importSources,
		frontier.TableItems:       importItems,
		frontier.TableDiscoveries: importDiscoveries,
		frontier.TablePolls:       importPolls,
		frontier.TableHosts:       importHosts,
		frontier.TableValidators:  importValidators,
		frontier.TableClaims:      importClaims,
	}
}

// upsertItem inserts an item, or replaces the target's when the copy was
// fetched later and no replica holds the target's leased. The id stays
// (claims name it); the lease sequence never goes back, so no earlier
// lease of the target's can end the row.
const upsertItem = `INSERT INTO frontier_items AS t (ukey, kind, url, host, source, via, depth, state, due, lease_owner, lease_seq,
		attempts, fail_kind, last_error, last_result, discovered_at, last_fetch_at, first_capture_at, captures, last_capture_id)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
	ON CONFLICT (ukey) DO UPDATE SET kind = excluded.kind, url = excluded.url, host = excluded.host, source = excluded.source,
		via = excluded.via, depth = excluded.depth, state = excluded.state, due = excluded.due, lease_owner = excluded.lease_owner,
		lease_seq = greatest(t.lease_seq, excluded.lease_seq), attempts = excluded.attempts, fail_kind = excluded.fail_kind,
		last_error = excluded.last_error, last_result = excluded.last_result, discovered_at = excluded.discovered_at,
		last_fetch_at = excluded.last_fetch_at, first_capture_at = excluded.first_capture_at, captures = excluded.captures,
		last_capture_id = excluded.last_capture_id
	WHERE t.state <> 'leased' AND excluded.last_fetch_at IS NOT NULL
		AND (t.last_fetch_at IS NULL OR t.last_fetch_at < excluded.last_fetch_at)
	RETURNING (xmax = 0)`

func importItems(rows frontier.Rows, now time.Time) []importStmt {
	out := make([]importStmt, 0, len(rows.Items))
	for _, it := range rows.Items {
		state, due := it.State, nullTime(it.Due)
		if state == frontier.StateLeased {
			// The lease was a stopped daemon's: the work is due again.
			state, due = frontier.StatePending, now
		}
		out = append(out, importStmt{key: it.Key, sql: upsertItem, args: []any{it.Key, string(it.Kind), it.URL, it.Host, it.Source,
			it.Via, it.Depth, state, due, it.Lease.Owner, it.Lease.Seq, it.Attempts, string(it.FailKind), it.LastError, it.LastResult,
			it.DiscoveredAt, nullTime(it.LastFetchAt), nullTime(it.FirstCaptureAt), it.Captures, it.LastCaptureID}})
	}
	return out
}

// upsertDiscovery merges a discovery into the target's. The columns that
// describe the first sighting come from whichever row saw the URL first.
func upsertDiscovery() string {
	firstSighting := []string{"url", "kind", "position", "found_at", "feed_guid", "feed_date", "sitemap_lastmod", "news_pubdate", "title"}
	set := make([]string, 0, len(firstSighting)+2)
	for _, c := range firstSighting {
		set = append(set, fmt.Sprintf("%s = CASE WHEN excluded.found_at < t.found_at THEN excluded.%s ELSE t.%s END", c, c, c))
	}
	set = append(set, "last_seen_at = greatest(t.last_seen_at, excluded.last_seen_at)", "seen = greatest(t.seen, excluded.seen)")
	return `INSERT INTO frontier_discoveries AS t (ukey, url, source, kind, via, position, found_at, last_seen_at, seen,
		feed_guid, feed_date, sitemap_lastmod, news_pubdate, title)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
	ON CONFLICT (ukey, source, via) DO UPDATE SET ` + strings.Join(set, ", ") + `
	WHERE excluded.found_at < t.found_at OR excluded.last_seen_at > t.last_seen_at OR excluded.seen > t.seen
	RETURNING (xmax = 0)`
}

func importDiscoveries(rows frontier.Rows, _ time.Time) []importStmt {
	q := upsertDiscovery()
	out := make([]importStmt, 0, len(rows.Discoveries))
	for _, r := range rows.Discoveries {
		d := r.Discovery
		out = append(out, importStmt{key: r.Key + "\x00" + d.Source + "\x00" + d.Via, sql: q, args: []any{r.Key, r.URL, d.Source, d.Kind,
			d.Via, d.Position, d.FoundAt, r.LastSeenAt, r.Seen, d.FeedGUID, ptrTime(d.FeedDate), ptrTime(d.SitemapLastmod),
			ptrTime(d.NewsPublicationDate), d.Title}})
	}
	return out
}

// laterPoll is true when the copy's last poll is later than the target's.
const laterPoll = `(excluded.last_poll_at IS NOT NULL AND (t.last_poll_at IS NULL OR excluded.last_poll_at > t.last_poll_at))`

const upsertSource = `INSERT INTO frontier_sources AS t (name, url, kind, interval_ms, active, added_at, polls, last_poll_at, last_ok,
		last_result, last_status, last_new_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
	ON CONFLICT (name) DO UPDATE SET added_at = least(t.added_at, excluded.added_at), polls = greatest(t.polls, excluded.polls),
		last_poll_at = CASE WHEN ` + laterPoll + ` THEN excluded.last_poll_at ELSE t.last_poll_at END,
		last_ok = CASE WHEN ` + laterPoll + ` THEN excluded.last_ok ELSE t.last_ok END,
		last_result = CASE WHEN ` + laterPoll + ` THEN excluded.last_result ELSE t.last_result END,
		last_status = CASE WHEN ` + laterPoll + ` THEN excluded.last_status ELSE t.last_status END,
		last_new_at = greatest(t.last_new_at, excluded.last_new_at)
	WHERE excluded.added_at < t.added_at OR excluded.polls > t.polls OR ` + laterPoll + `
		OR (excluded.last_new_at IS NOT NULL AND (t.last_new_at IS NULL OR excluded.last_new_at > t.last_new_at))
	RETURNING (xmax = 0)`

func importSources(rows frontier.Rows, _ time.Time) []importStmt {
	out := make([]importStmt, 0, len(rows.Sources))
	for _, s := range rows.Sources {
		out = append(out, importStmt{key: s.Name, sql: upsertSource, args: []any{s.Name, s.URL, s.Kind, s.Interval.Milliseconds(),
			s.Active, s.AddedAt, s.Polls, nullTime(s.LastPoll), s.LastOK, s.LastResult, s.LastHTTPStatus, nullTime(s.LastNew)}})
	}
	return out
}

// insertPoll appends a poll the target does not have. Polls have no key;
// a source's poll at the same millisecond is the same poll. A source keeps
// a few hundred polls, so the check reads a few hundred index entries.
const insertPoll = `INSERT INTO frontier_polls (source, at, ok, result, http_status, found, new)
	SELECT $1::text, $2::timestamptz, $3::boolean, $4::text, $5::integer, $6::integer, $7::integer
	WHERE NOT EXISTS (SELECT 1 FROM frontier_polls WHERE source = $1 AND at = $2)
	RETURNING true`

func importPolls(rows frontier.Rows, _ time.Time) []importStmt {
	out := make([]importStmt, 0, len(rows.Polls))
	for _, p := range rows.Polls {
		out = append(out, importStmt{key: p.Source + " at " + p.At.UTC().Format(time.RFC3339Nano), sql: insertPoll,
			args: []any{p.Source, p.At, p.OK, p.Result, p.HTTPStatus, p.Found, p.New}})
	}
	return out
}

const upsertHost = `INSERT INTO frontier_hosts AS t (host, backoff_until, reason) VALUES ($1, $2, $3)
	ON CONFLICT (host) DO UPDATE SET backoff_until = excluded.backoff_until, reason = excluded.reason
	WHERE excluded.backoff_until > t.backoff_until
	RETURNING (xmax = 0)`

func importHosts(rows frontier.Rows, _ time.Time) []importStmt {
	out := make([]importStmt, 0, len(rows.Hosts))
	for _, h := range rows.Hosts {
		out = append(out, importStmt{key: h.Host, sql: upsertHost, args: []any{h.Host, h.Until, h.Reason}})
	}
	return out
}

const upsertValidators = `INSERT INTO frontier_validators AS t (ukey, etag, last_modified, updated_at) VALUES ($1, $2, $3, $4)
	ON CONFLICT (ukey) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, updated_at = excluded.updated_at
	WHERE excluded.updated_at > t.updated_at
	RETURNING (xmax = 0)`

func importValidators(rows frontier.Rows, _ time.Time) []importStmt {
	out := make([]importStmt, 0, len(rows.Validators))
	for _, v := range rows.Validators {
		out = append(out, importStmt{key: v.Key, sql: upsertValidators, args: []any{v.Key, v.Validators.ETag, v.Validators.LastModified, v.UpdatedAt}})
	}
	return out
}

// insertClaim claims a key for the target's item of the same key; the
// target's own claim wins.
const insertClaim = `INSERT INTO frontier_claims (ukey, item_id) SELECT $1::text, id FROM frontier_items WHERE ukey = $2::text
	ON CONFLICT (ukey) DO NOTHING
	RETURNING true`

func importClaims(rows frontier.Rows, _ time.Time) []importStmt {
	out := make([]importStmt, 0, len(rows.Claims))
	for _, c := range rows.Claims {
		out = append(out, importStmt{key: c.Key, sql: insertClaim, args: []any{c.Key, c.ItemKey}})
	}
	return out
}

// readBack checks, in the batch's transaction, that the target holds a
// row for every row of the batch (written or kept), so a batch that did
// not land whole is never committed. The tables one text column
// identifies are looked up by the statements' keys.
func readBack(ctx context.Context, tx pgx.Tx, rows frontier.Rows, stmts []importStmt) error {
	var q string
	var args []any
	switch rows.Table {
	case frontier.TableDiscoveries:
		d := rows.Discoveries
		keys, sources, vias := make([]string, len(d)), make([]string, len(d)), make([]string, len(d))
		for i, r := range d {
			keys[i], sources[i], vias[i] = r.Key, r.Discovery.Source, r.Discovery.Via
		}
		q = `SELECT count(*) FROM unnest($1::text[], $2::text[], $3::text[]) w(k, s, v)
			WHERE EXISTS (SELECT 1 FROM frontier_discoveries WHERE ukey = w.k AND source = w.s AND via = w.v)`
		args = []any{keys, sources, vias}
	case frontier.TablePolls:
		sources, ats := make([]string, len(rows.Polls)), make([]time.Time, len(rows.Polls))
		for i, p := range rows.Polls {
			sources[i], ats[i] = p.Source, p.At
		}
		q = `SELECT count(*) FROM unnest($1::text[], $2::timestamptz[]) w(s, at)
			WHERE EXISTS (SELECT 1 FROM frontier_polls WHERE source = w.s AND at = w.at)`
		args = []any{sources, ats}
	default:
		keys := make([]string, len(stmts))
		for i, st := range stmts {
			keys[i] = st.key
		}
		q = `SELECT count(*) FROM unnest($1::text[]) w(k) WHERE EXISTS (SELECT 1 FROM ` + tableNames()[rows.Table] +
			` WHERE ` + keyColumn(rows.Table) + ` = w.k)`
		args = []any{keys}
	}
	var n int
	if err := tx.QueryRow(ctx, q, args...).Scan(&n); err != nil {
		return fmt.Errorf("read back %s: %w", rows.Table, err)
	}
	if want := rows.Len(); n != want {
		return fmt.Errorf("read back %s: %d of the batch's %d rows are in the target (a claim's item missing?)", rows.Table, n, want)
	}
	return nil
}

// tableNames are the PostgreSQL tables of the tables a copy carries.
func tableNames() map[frontier.Table]string {
	return map[frontier.Table]string{
		frontier.TableSources: "frontier_sources", frontier.TableItems: "frontier_items", frontier.TableDiscoveries: "frontier_discoveries",
		frontier.TablePolls: "frontier_polls", frontier.TableHosts: "frontier_hosts", frontier.TableValidators: "frontier_validators",
		frontier.TableClaims: "frontier_claims",
	}
}

// keyColumn is the column that identifies a row of a table keyed by one
// text column (every table but discoveries and polls).
func keyColumn(t frontier.Table) string {
	switch t {
	case frontier.TableSources:
		return "name"
	case frontier.TableHosts:
		return "host"
	default: // items, validators, claims
		return "ukey"
	}
}

// Counts returns how many rows each table a copy carries holds, for the
// summary of a copy. It counts whole tables: a one-off for a migration,
// not for a replica's loop.
func (f *Frontier) Counts(ctx context.Context) (map[frontier.Table]int64, error) {
	names := tableNames()
	out := map[frontier.Table]int64{}
	for _, t := range frontier.Tables() {
		var n int64
		if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM `+names[t]).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s in frontier %s: %w", t, f.where, err)
		}
		out[t] = n
	}
	return out, nil
}
