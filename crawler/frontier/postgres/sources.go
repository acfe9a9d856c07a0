package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/crawler/frontier"
	"github.com/archivist-project/archivist/crawler/urlnorm"
)

// Poll history kept per source, as in the SQLite backend.
const (
	keepPolls    = 200
	keepNewPolls = 50
	rhythmPolls  = 21
)

// staleBackoff is how long after its end a host back-off row is kept.
const staleBackoff = 7 * 24 * time.Hour

// syncLock serialises SyncSources across replicas (the bytes of
// "archsync"): replicas starting together would otherwise race to create
// the same poll items.
const syncLock int64 = 0x6172636873796e63

// SyncSources implements frontier.Frontier. Every replica calls it with
// the same configured sources; calls are serialised, so the last one wins
// and a source's poll item is created once.
func (f *Frontier) SyncSources(ctx context.Context, sources []frontier.SourceSpec, now time.Time) error {
	names := make([]string, 0, len(sources))
	for _, s := range sources {
		names = append(names, s.Name)
	}
	return f.tx(ctx, "sync sources", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, syncLock); err != nil {
			return err
		}
		for _, s := range sources {
			if err := syncSource(ctx, tx, s, now); err != nil {
				return fmt.Errorf("source %s: %w", s.Name, err)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE frontier_sources SET active = false WHERE NOT (name = ANY ($1::text[]))`, names); err != nil {
			return err
		}
		// A poll in flight for a removed source loses its lease: its
		// Complete gets ErrLeaseLost and nothing is rescheduled.
		_, err := tx.Exec(ctx, `DELETE FROM frontier_items WHERE kind = 'source' AND NOT (source = ANY ($1::text[]))`, names)
		return err
	})
}

func syncSource(ctx context.Context, tx pgx.Tx, s frontier.SourceSpec, now time.Time) error {
	var oldURL string
	var oldInterval int64
	var lastPoll *time.Time
	err := tx.QueryRow(ctx, `SELECT url, interval_ms, last_poll_at FROM frontier_sources WHERE name = $1`, s.Name).Scan(&oldURL, &oldInterval, &lastPoll)
	known := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	interval := s.Interval.Milliseconds()
	if _, err := tx.Exec(ctx, `INSERT INTO frontier_sources (name, url, kind, interval_ms, active, added_at) VALUES ($1, $2, $3, $4, true, $5)
		ON CONFLICT (name) DO UPDATE SET url = excluded.url, kind = excluded.kind, interval_ms = excluded.interval_ms, active = true`,
		s.Name, s.URL, s.Kind, interval, now); err != nil {
		return err
	}
	// The next poll counts from the last one, which survives restarts and
	// removal: a source polled two minutes ago is not polled again at once.
	due := now
	if lastPoll != nil {
		due = lastPoll.Add(time.Duration(interval) * time.Millisecond)
	}
	key := frontier.SourceKey(s.Name)
	var state string
	err = tx.QueryRow(ctx, `SELECT state FROM frontier_items WHERE ukey = $1`, key).Scan(&state)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		_, err = tx.Exec(ctx, `INSERT INTO frontier_items (ukey, kind, url, host, source, via, depth, state, due, discovered_at)
			VALUES ($1, 'source', $2, $3, $4, '', 0, 'pending', $5, $6)`, key, s.URL, hostOf(s.URL), s.Name, due, now)
		return err
	case err != nil:
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE frontier_items SET url = $1, host = $2 WHERE ukey = $3`, s.URL, hostOf(s.URL), key); err != nil {
		return err
	}
	if state != frontier.StatePending || !known {
		return nil
	}
	switch {
	case oldURL != s.URL:
		_, err = tx.Exec(ctx, `UPDATE frontier_items SET due = $1, attempts = 0 WHERE ukey = $2`, now, key)
	case oldInterval != interval:
		_, err = tx.Exec(ctx, `UPDATE frontier_items SET due = $1 WHERE ukey = $2`, due, key)
	}
	return err
}

// RecordPoll implements frontier.Frontier.
func (f *Frontier) RecordPoll(ctx context.Context, p frontier.PollResult) error {
	return f.tx(ctx, "record poll of "+p.Source, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO frontier_polls (source, at, ok, result, http_status, found, new) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			p.Source, p.At, p.OK, p.Result, p.HTTPStatus, p.Found, p.New); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE frontier_sources SET polls = polls + 1, last_poll_at = $1, last_ok = $2, last_result = $3, last_status = $4,
				last_new_at = CASE WHEN $5::integer > 0 THEN $1 ELSE last_new_at END
			WHERE name = $6`, p.At, p.OK, p.Result, p.HTTPStatus, p.New, p.Source); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM frontier_polls WHERE source = $1 AND new = 0 AND id < coalesce(
				(SELECT id FROM frontier_polls WHERE source = $1 ORDER BY id DESC LIMIT 1 OFFSET $2), 0)`, p.Source, keepPolls); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM frontier_polls WHERE source = $1 AND new > 0 AND id < coalesce(
				(SELECT id FROM frontier_polls WHERE source = $1 AND new > 0 ORDER BY id DESC LIMIT 1 OFFSET $2), 0)`, p.Source, keepNewPolls)
		return err
	})
}

// SourceStats implements frontier.Frontier; stalls are judged by the
// clock set with SetClock.
func (f *Frontier) SourceStats(ctx context.Context) ([]frontier.SourceStat, error) {
	now := f.now()
	rows, err := f.pool.Query(ctx, `SELECT s.name, s.url, s.kind, s.interval_ms, s.added_at, s.polls, s.last_poll_at, s.last_ok,
			s.last_result, s.last_status, s.last_new_at, i.due
		FROM frontier_sources s LEFT JOIN frontier_items i ON i.ukey = 'source:' || s.name
		WHERE s.active ORDER BY s.name`)
	if err != nil {
		return nil, fmt.Errorf("read sources from frontier %s: %w", f.where, err)
	}
	var out []frontier.SourceStat
	for rows.Next() {
		var st frontier.SourceStat
		var intervalMS int64
		var lastPoll, lastNew, next *time.Time
		if err := rows.Scan(&st.Name, &st.URL, &st.Kind, &intervalMS, &st.AddedAt, &st.Polls, &lastPoll, &st.LastOK,
			&st.LastResult, &st.LastHTTPStatus, &lastNew, &next); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read sources from frontier %s: %w", f.where, err)
		}
		st.Interval = time.Duration(intervalMS) * time.Millisecond
		st.AddedAt = st.AddedAt.UTC()
		st.LastPoll, st.LastNew, st.NextPoll = utc(lastPoll), utc(lastNew), utc(next)
		out = append(out, st)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read sources from frontier %s: %w", f.where, err)
	}
	for i := range out {
		if err := f.fillCounts(ctx, &out[i]); err != nil {
			return nil, fmt.Errorf("count urls of source %s in frontier %s: %w", out[i].Name, f.where, err)
		}
		out[i].Stalled = frontier.IsStalled(now, out[i].LastNew, out[i].AddedAt, out[i].UsualGap, out[i].Interval)
	}
	return out, nil
}

func (f *Frontier) fillCounts(ctx context.Context, st *frontier.SourceStat) error {
	if err := f.pool.QueryRow(ctx, `SELECT count(DISTINCT ukey) FROM frontier_discoveries WHERE source = $1`, st.Name).Scan(&st.Found); err != nil {
		return err
	}
	rows, err := f.pool.Query(ctx, `SELECT state, fail_kind, captures > 0, count(*) FROM frontier_items
		WHERE source = $1 AND kind = 'url' GROUP BY 1, 2, 3`, st.Name)
	if err != nil {
		return err
	}
	for rows.Next() {
		var state, failKind string
		var captured bool
		var n int64
		if err := rows.Scan(&state, &failKind, &captured, &n); err != nil {
			rows.Close()
			return err
		}
		switch {
		case captured:
			st.Archived += n
		case state == frontier.StateFailed && failKind == string(frontier.FailRobots):
			st.BlockedByRobots += n
		case state == frontier.StateFailed:
			st.Failed += n
		case state == frontier.StatePending || state == frontier.StateLeased:
			st.Pending += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	times, err := f.pool.Query(ctx, `SELECT at FROM frontier_polls WHERE source = $1 AND new > 0 ORDER BY id DESC LIMIT $2`, st.Name, rhythmPolls)
	if err != nil {
		return err
	}
	ts, err := pgx.CollectRows(times, pgx.RowTo[time.Time])
	if err != nil {
		return err
	}
	st.UsualGap = frontier.MedianGap(ts)
	return nil
}

// Validators implements frontier.Frontier.
func (f *Frontier) Validators(ctx context.Context, key string) (frontier.Validators, error) {
	var v frontier.Validators
	err := f.pool.QueryRow(ctx, `SELECT etag, last_modified FROM frontier_validators WHERE ukey = $1`, key).Scan(&v.ETag, &v.LastModified)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return v, fmt.Errorf("read validators %s from frontier %s: %w", key, f.where, err)
	}
	return v, nil
}

// SetValidators implements frontier.Frontier.
func (f *Frontier) SetValidators(ctx context.Context, key string, v frontier.Validators, now time.Time) error {
	return f.tx(ctx, "set validators "+key, func(tx pgx.Tx) error { return setValidators(ctx, tx, key, v, now) })
}

func setValidators(ctx context.Context, tx pgx.Tx, key string, v frontier.Validators, now time.Time) error {
	if v.ETag == "" && v.LastModified == "" {
		_, err := tx.Exec(ctx, `DELETE FROM frontier_validators WHERE ukey = $1`, key)
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO frontier_validators (ukey, etag, last_modified, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (ukey) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, updated_at = excluded.updated_at`,
		key, v.ETag, v.LastModified, now)
	return err
}

// BackoffHost implements frontier.Frontier. A back-off recorded by one
// replica keeps every replica's Lease away from the host.
func (f *Frontier) BackoffHost(ctx context.Context, host string, until time.Time, reason string) error {
	return f.tx(ctx, "back off host "+host, func(tx pgx.Tx) error {
		// Rows whose back-off ended long ago only take room.
		if _, err := tx.Exec(ctx, `DELETE FROM frontier_hosts WHERE backoff_until < $1`, until.Add(-staleBackoff)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO frontier_hosts (host, backoff_until, reason) VALUES ($1, $2, $3)
			ON CONFLICT (host) DO UPDATE SET backoff_until = greatest(frontier_hosts.backoff_until, excluded.backoff_until), reason = excluded.reason`,
			host, until, reason)
		return err
	})
}

// HostsInBackoff implements frontier.Frontier.
func (f *Frontier) HostsInBackoff(ctx context.Context, now time.Time) ([]frontier.HostBackoff, error) {
	rows, err := f.pool.Query(ctx, `SELECT host, backoff_until, reason FROM frontier_hosts WHERE backoff_until > $1 ORDER BY host`, now)
	if err != nil {
		return nil, fmt.Errorf("read host back-offs from frontier %s: %w", f.where, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (frontier.HostBackoff, error) {
		var h frontier.HostBackoff
		err := r.Scan(&h.Host, &h.Until, &h.Reason)
		h.Until = h.Until.UTC()
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("read host back-offs from frontier %s: %w", f.where, err)
	}
	return out, nil
}

// queueStats counts the live items due at $1 and those due later, as two
// ranges of frontier_items_due_host, and the leased ones, no more than the
// replicas' workers, through frontier_items_leased; the pending ones are
// the difference. The count stays linear in live items (PostgreSQL reads
// a range covering most of the table from the table itself, which costs
// the same as its index), but needs no parallel scan and no per-row
// state test. One statement, so all counts are of one snapshot.
const queueStats = `SELECT
	(SELECT count(*) FROM frontier_items WHERE due IS NOT NULL AND due <= $1),
	(SELECT count(*) FROM frontier_items WHERE due IS NOT NULL AND due > $1),
	(SELECT count(*) FROM frontier_items WHERE state = 'leased' AND due <= $1),
	(SELECT count(*) FROM frontier_items WHERE state = 'leased' AND due > $1)`

// Stats implements frontier.Frontier.
func (f *Frontier) Stats(ctx context.Context, now time.Time) (frontier.QueueStats, error) {
	var live, later, leasedDue, leasedLater int64
	if err := f.pool.QueryRow(ctx, queueStats, now).Scan(&live, &later, &leasedDue, &leasedLater); err != nil {
		return frontier.QueueStats{}, fmt.Errorf("count queue in frontier %s: %w", f.where, err)
	}
	return frontier.QueueStats{Due: live - leasedDue, Scheduled: later - leasedLater, Leased: leasedDue + leasedLater}, nil
}

// Lookup implements frontier.Frontier.
func (f *Frontier) Lookup(ctx context.Context, rawURL string) (frontier.Entry, error) {
	key := rawURL
	if k := urlnorm.Key(rawURL); k != "" {
		key = k
	}
	var e frontier.Entry
	var failKind string
	it, err := scanItem(f.pool.QueryRow(ctx, `SELECT `+itemColumnsOf("i")+`, i.state, i.fail_kind, i.last_error, i.last_result
		FROM frontier_items i WHERE i.ukey = $1`, key), &e.State, &failKind, &e.LastError, &e.LastResult)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, fmt.Errorf("look up %s: %w", rawURL, frontier.ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("look up %s in frontier %s: %w", rawURL, f.where, err)
	}
	e.Item = it
	e.FailKind = frontier.FailKind(failKind)
	e.Due = it.Lease.Until
	if e.State != frontier.StateLeased {
		e.Lease.Until = time.Time{}
	}
	items := []frontier.Item{e.Item}
	if err := fillItems(ctx, f.pool, items); err != nil {
		return e, fmt.Errorf("look up %s in frontier %s: %w", rawURL, f.where, err)
	}
	e.Item = items[0]
	return e, nil
}

// Discoveries implements frontier.Frontier.
func (f *Frontier) Discoveries(ctx context.Context, rawURL string) ([]archive.Discovery, error) {
	rows, err := f.pool.Query(ctx, `SELECT `+discoveryColumns+` FROM frontier_discoveries d WHERE d.ukey = $1 ORDER BY d.found_at, d.id`, urlnorm.Key(rawURL))
	if err != nil {
		return nil, fmt.Errorf("read discoveries of %s from frontier %s: %w", rawURL, f.where, err)
	}
	defer rows.Close()
	var out []archive.Discovery
	for rows.Next() {
		d, err := scanDiscovery(rows)
		if err != nil {
			return nil, fmt.Errorf("read discoveries of %s from frontier %s: %w", rawURL, f.where, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
