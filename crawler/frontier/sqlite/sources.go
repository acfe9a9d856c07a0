package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/crawler/frontier"
	"github.com/archivist-project/archivist/crawler/urlnorm"
)

// Poll history kept per source: enough recent polls to show, and enough
// polls that found something new to judge a source's usual rhythm.
const (
	keepPolls    = 200
	keepNewPolls = 50
	rhythmPolls  = 21 // new-finding polls the usual gap is the median of
)

// staleBackoff is how long after its end a host back-off row is kept.
const staleBackoff = 7 * 24 * time.Hour

// deleteRemovedPolls drops the poll items of sources not in the JSON
// array ?1. Poll items are the keys "source:NAME": the range reaches them
// through the ukey index instead of reading every URL.
const deleteRemovedPolls = `DELETE FROM items WHERE ukey >= 'source:' AND ukey < 'source;' AND kind = 'source'
	AND source NOT IN (SELECT value FROM json_each(?1))`

// SyncSources implements frontier.Frontier.
func (f *Frontier) SyncSources(ctx context.Context, sources []frontier.SourceSpec, now time.Time) error {
	names := make([]string, 0, len(sources))
	for _, s := range sources {
		names = append(names, s.Name)
	}
	nameJSON, err := json.Marshal(names)
	if err != nil {
		return fmt.Errorf("sync sources: %w", err)
	}
	return f.tx(ctx, "sync sources", func(tx *wtx) error {
		for _, s := range sources {
			if err := syncSource(ctx, tx, s, now); err != nil {
				return fmt.Errorf("source %s: %w", s.Name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sources SET active = 0 WHERE name NOT IN (SELECT value FROM json_each(?))`, string(nameJSON)); err != nil {
			return err
		}
		// A poll in flight for a removed source loses its lease: its
		// Complete gets ErrLeaseLost and nothing is rescheduled.
		_, err := tx.ExecContext(ctx, deleteRemovedPolls, string(nameJSON))
		return err
	})
}

func syncSource(ctx context.Context, tx *wtx, s frontier.SourceSpec, now time.Time) error {
	var oldURL string
	var oldInterval int64
	var lastPoll sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT url, interval_ms, last_poll_at FROM sources WHERE name = ?`, s.Name).Scan(&oldURL, &oldInterval, &lastPoll)
	known := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	interval := s.Interval.Milliseconds()
	if _, err := tx.ExecContext(ctx, `INSERT INTO sources (name, url, kind, interval_ms, active, added_at) VALUES (?, ?, ?, ?, 1, ?)
		ON CONFLICT (name) DO UPDATE SET url = excluded.url, kind = excluded.kind, interval_ms = excluded.interval_ms, active = 1`,
		s.Name, s.URL, s.Kind, interval, ms(now)); err != nil {
		return err
	}
	// The next poll counts from the last one, which survives restarts and
	// removal: a source polled two minutes ago is not polled again at once.
	due := ms(now)
	if lastPoll.Valid {
		due = lastPoll.Int64 + interval
	}
	key := frontier.SourceKey(s.Name)
	var state string
	err = tx.QueryRowContext(ctx, `SELECT state FROM items WHERE ukey = ?`, key).Scan(&state)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, `INSERT INTO items (ukey, kind, url, host, source, via, depth, state, due, discovered_at)
			VALUES (?, 'source', ?, ?, ?, '', 0, 'pending', ?, ?)`, key, s.URL, hostOf(s.URL), s.Name, due, ms(now))
		return err
	case err != nil:
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE items SET url = ?, host = ? WHERE ukey = ?`, s.URL, hostOf(s.URL), key); err != nil {
		return err
	}
	if state != frontier.StatePending || !known {
		return nil
	}
	switch {
	case oldURL != s.URL:
		_, err = tx.ExecContext(ctx, `UPDATE items SET due = ?, attempts = 0 WHERE ukey = ?`, ms(now), key)
	case oldInterval != interval:
		_, err = tx.ExecContext(ctx, `UPDATE items SET due = ? WHERE ukey = ?`, due, key)
	}
	return err
}

// RecordPoll implements frontier.Frontier.
func (f *Frontier) RecordPoll(ctx context.Context, p frontier.PollResult) error {
	ok := 0
	if p.OK {
		ok = 1
	}
	return f.tx(ctx, "record poll of "+p.Source, func(tx *wtx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO polls (source, at, ok, result, http_status, found, new) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			p.Source, ms(p.At), ok, p.Result, p.HTTPStatus, p.Found, p.New); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sources SET polls = polls + 1, last_poll_at = ?, last_ok = ?, last_result = ?, last_status = ?,
				last_new_at = CASE WHEN ? > 0 THEN ? ELSE last_new_at END
			WHERE name = ?`, ms(p.At), ok, p.Result, p.HTTPStatus, p.New, ms(p.At), p.Source); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM polls WHERE source = ?1 AND new = 0 AND id < coalesce(
				(SELECT id FROM polls WHERE source = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2), 0)`, p.Source, keepPolls); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM polls WHERE source = ?1 AND new > 0 AND id < coalesce(
				(SELECT id FROM polls WHERE source = ?1 AND new > 0 ORDER BY id DESC LIMIT 1 OFFSET ?2), 0)`, p.Source, keepNewPolls)
		return err
	})
}

// SourceStats implements frontier.Frontier; stalls are judged by the
// clock set with SetClock.
func (f *Frontier) SourceStats(ctx context.Context) ([]frontier.SourceStat, error) {
	now := f.now()
	rows, err := f.reader.QueryContext(ctx, `SELECT s.name, s.url, s.kind, s.interval_ms, s.added_at, s.polls, s.last_poll_at, s.last_ok,
			s.last_result, s.last_status, s.last_new_at, i.due
		FROM sources s LEFT JOIN items i ON i.ukey = 'source:' || s.name
		WHERE s.active = 1 ORDER BY s.name`)
	if err != nil {
		return nil, fmt.Errorf("read sources from frontier %s: %w", f.path, err)
	}
	var out []frontier.SourceStat
	for rows.Next() {
		var st frontier.SourceStat
		var intervalMS, added int64
		var lastPoll, lastNew, next sql.NullInt64
		var lastOK int
		if err := rows.Scan(&st.Name, &st.URL, &st.Kind, &intervalMS, &added, &st.Polls, &lastPoll, &lastOK,
			&st.LastResult, &st.LastHTTPStatus, &lastNew, &next); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read sources from frontier %s: %w", f.path, err)
		}
		st.Interval = time.Duration(intervalMS) * time.Millisecond
		st.AddedAt = fromMS(sql.NullInt64{Int64: added, Valid: true})
		st.LastPoll, st.LastNew, st.NextPoll = fromMS(lastPoll), fromMS(lastNew), fromMS(next)
		st.LastOK = lastOK == 1
		out = append(out, st)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read sources from frontier %s: %w", f.path, err)
	}
	for i := range out {
		if err := f.fillCounts(ctx, &out[i]); err != nil {
			return nil, fmt.Errorf("count urls of source %s in frontier %s: %w", out[i].Name, f.path, err)
		}
		out[i].Stalled = frontier.IsStalled(now, out[i].LastNew, out[i].AddedAt, out[i].UsualGap, out[i].Interval)
	}
	return out, nil
}

func (f *Frontier) fillCounts(ctx context.Context, st *frontier.SourceStat) error {
	rows, err := f.reader.QueryContext(ctx, `SELECT what, n FROM source_counts WHERE source = ?`, st.Name)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var what string
		var n int64
		if err := rows.Scan(&what, &n); err != nil {
			return err
		}
		switch what {
		case "found":
			st.Found = n
		case "archived":
			st.Archived = n
		case "robots":
			st.BlockedByRobots = n
		case "failed":
			st.Failed = n
		case "pending":
			st.Pending = n
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	times, err := f.reader.QueryContext(ctx, `SELECT at FROM polls WHERE source = ? AND new > 0 ORDER BY id DESC LIMIT ?`, st.Name, rhythmPolls)
	if err != nil {
		return err
	}
	defer times.Close()
	var ts []time.Time
	for times.Next() {
		var at int64
		if err := times.Scan(&at); err != nil {
			return err
		}
		ts = append(ts, time.UnixMilli(at))
	}
	st.UsualGap = frontier.MedianGap(ts)
	return times.Err()
}

// Validators implements frontier.Frontier.
func (f *Frontier) Validators(ctx context.Context, key string) (frontier.Validators, error) {
	var v frontier.Validators
	err := f.reader.QueryRowContext(ctx, `SELECT etag, last_modified FROM validators WHERE ukey = ?`, key).Scan(&v.ETag, &v.LastModified)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("read validators %s from frontier %s: %w", key, f.path, err)
	}
	return v, nil
}

// SetValidators implements frontier.Frontier.
func (f *Frontier) SetValidators(ctx context.Context, key string, v frontier.Validators, now time.Time) error {
	return f.tx(ctx, "set validators "+key, func(tx *wtx) error { return setValidators(ctx, tx, key, v, now) })
}

func setValidators(ctx context.Context, tx *wtx, key string, v frontier.Validators, now time.Time) error {
	if v.ETag == "" && v.LastModified == "" {
		_, err := tx.ExecContext(ctx, `DELETE FROM validators WHERE ukey = ?`, key)
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO validators (ukey, etag, last_modified, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (ukey) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, updated_at = excluded.updated_at`,
		key, v.ETag, v.LastModified, ms(now))
	return err
}

// BackoffHost implements frontier.Frontier.
func (f *Frontier) BackoffHost(ctx context.Context, host string, until time.Time, reason string) error {
	return f.tx(ctx, "back off host "+host, func(tx *wtx) error {
		// Rows whose back-off ended long ago only take room.
		if _, err := tx.ExecContext(ctx, `DELETE FROM hosts WHERE backoff_until < ?`, ms(until.Add(-staleBackoff))); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO hosts (host, backoff_until, reason) VALUES (?, ?, ?)
			ON CONFLICT (host) DO UPDATE SET backoff_until = max(backoff_until, excluded.backoff_until), reason = excluded.reason`,
			host, ms(until), reason)
		return err
	})
}

// HostsInBackoff implements frontier.Frontier.
func (f *Frontier) HostsInBackoff(ctx context.Context, now time.Time) ([]frontier.HostBackoff, error) {
	rows, err := f.reader.QueryContext(ctx, `SELECT host, backoff_until, reason FROM hosts WHERE backoff_until > ? ORDER BY host`, ms(now))
	if err != nil {
		return nil, fmt.Errorf("read host back-offs from frontier %s: %w", f.path, err)
	}
	defer rows.Close()
	var out []frontier.HostBackoff
	for rows.Next() {
		var h frontier.HostBackoff
		var until int64
		if err := rows.Scan(&h.Host, &until, &h.Reason); err != nil {
			return nil, fmt.Errorf("read host back-offs from frontier %s: %w", f.path, err)
		}
		h.Until = time.UnixMilli(until).UTC()
		out = append(out, h)
	}
	return out, rows.Err()
}

// queueStats counts three ranges of items_state_due from the index alone.
const queueStats = `SELECT
	(SELECT count(*) FROM items WHERE state = 'pending' AND due IS NOT NULL AND due <= ?1),
	(SELECT count(*) FROM items WHERE state = 'pending' AND due > ?1),
	(SELECT count(*) FROM items WHERE state = 'leased' AND due IS NOT NULL)`

// Stats implements frontier.Frontier.
func (f *Frontier) Stats(ctx context.Context, now time.Time) (frontier.QueueStats, error) {
	var s frontier.QueueStats
	err := f.reader.QueryRowContext(ctx, queueStats, ms(now)).Scan(&s.Due, &s.Scheduled, &s.Leased)
	if err != nil {
		return s, fmt.Errorf("count queue in frontier %s: %w", f.path, err)
	}
	return s, nil
}

// Lookup implements frontier.Frontier.
func (f *Frontier) Lookup(ctx context.Context, rawURL string) (frontier.Entry, error) {
	key := rawURL
	if k := urlnorm.Key(rawURL); k != "" {
		key = k
	}
	var e frontier.Entry
	var failKind string
	row := f.reader.QueryRowContext(ctx, `SELECT `+itemColumns+`, state, fail_kind, last_error, last_result FROM items WHERE ukey = ?`, key)
	var due sql.NullInt64
	var kind string
	var discovered int64
	var firstCapture sql.NullInt64
	err := row.Scan(&e.ID, &kind, &e.URL, &e.Key, &e.Host, &e.Source, &e.Via, &e.Depth, &e.Attempts,
		&discovered, &firstCapture, &e.Captures, &e.LastCaptureID, &e.Lease.Owner, &e.Lease.Seq, &due,
		&e.State, &failKind, &e.LastError, &e.LastResult)
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("look up %s: %w", rawURL, frontier.ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("look up %s in frontier %s: %w", rawURL, f.path, err)
	}
	e.Kind, e.FailKind = frontier.Kind(kind), frontier.FailKind(failKind)
	e.DiscoveredAt = time.UnixMilli(discovered).UTC()
	e.FirstCaptureAt, e.Due = fromMS(firstCapture), fromMS(due)
	if e.State == frontier.StateLeased {
		e.Lease.Until = e.Due
	}
	if err := fillItem(ctx, f.reader, &e.Item); err != nil {
		return e, fmt.Errorf("look up %s in frontier %s: %w", rawURL, f.path, err)
	}
	return e, nil
}

// Discoveries implements frontier.Frontier.
func (f *Frontier) Discoveries(ctx context.Context, rawURL string) ([]archive.Discovery, error) {
	rows, err := f.reader.QueryContext(ctx, `SELECT `+discoveryColumns+` FROM discoveries WHERE ukey = ? ORDER BY found_at, id`, urlnorm.Key(rawURL))
	if err != nil {
		return nil, fmt.Errorf("read discoveries of %s from frontier %s: %w", rawURL, f.path, err)
	}
	defer rows.Close()
	var out []archive.Discovery
	for rows.Next() {
		d, err := scanDiscovery(rows)
		if err != nil {
			return nil, fmt.Errorf("read discoveries of %s from frontier %s: %w", rawURL, f.path, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
