package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/archivist-project/archivist/crawler/frontier"
)

// Export reads every table of the frontier file at path that a copy
// carries (frontier.Tables), in batches of at most batch rows, handing
// each batch to fn, and returns how many rows of each table it read.
//
// The file is only read: Export opens it read-only (query_only, no
// migration, no optimize on close), so a frontier kept for going back
// stays exactly as it was. It reads from one transaction, a snapshot:
// a daemon still writing to the file cannot make a table's rows
// inconsistent with another's, and the counts it checks against are of
// that same snapshot. Rows are read by key ranges, never a whole table
// at once, so memory holds one batch however large the frontier.
func Export(ctx context.Context, path string, batch int, fn func(context.Context, frontier.Rows) error) (map[frontier.Table]int, error) {
	if batch <= 0 {
		return nil, fmt.Errorf("export frontier %s: batch size %d: pass a positive size", path, batch)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("export frontier %s: %w", path, err)
	}
	// Opening a missing file would create an empty database.
	if _, err := os.Stat(abs); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("export frontier %s: no such file: pass the data directory's frontier.db", abs)
	} else if err != nil {
		return nil, fmt.Errorf("export frontier %s: %w", abs, err)
	}
	db, err := sql.Open("sqlite", dsn(abs, false))
	if err != nil {
		return nil, fmt.Errorf("export frontier %s: %w", abs, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("export frontier %s: %w", abs, err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to keep
	if err := checkExportable(ctx, tx, abs); err != nil {
		return nil, err
	}
	read := map[frontier.Table]int{}
	all := exporters()
	for _, t := range frontier.Tables() {
		ex := all[t]
		n, err := ex.run(ctx, tx, t, batch, fn)
		read[t] = n
		if err != nil {
			return read, fmt.Errorf("export %s of frontier %s: %w", t, abs, err)
		}
		var want int
		if err := tx.QueryRowContext(ctx, ex.count).Scan(&want); err != nil {
			return read, fmt.Errorf("count %s of frontier %s: %w", t, abs, err)
		}
		if n != want {
			return read, fmt.Errorf("export %s of frontier %s: read %d rows but the table counts %d", t, abs, n, want)
		}
	}
	return read, nil
}

// checkExportable refuses a file that is not a frontier, or one written
// by a newer archivist. Every version so far has the exported tables with
// the same columns, so an older file need not be migrated first (which
// would write to it).
func checkExportable(ctx context.Context, tx *sql.Tx, path string) error {
	var v sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
		return fmt.Errorf("export frontier %s: read its schema version (is it a frontier.db?): %w", path, err)
	}
	switch {
	case !v.Valid || v.Int64 < 1:
		return fmt.Errorf("export frontier %s: it has no schema yet: nothing to copy", path)
	case v.Int64 > int64(latestVersion()):
		return fmt.Errorf("export frontier %s: schema version %d, this archivist knows up to %d: upgrade archivist", path, v.Int64, latestVersion())
	}
	return nil
}

// exporter reads one table by rowid ranges (every exported table has a
// rowid, the primary key of those with an integer id): page is a query
// taking the last rowid read (?1) and a limit (?2), scan reads one row
// into the batch and returns its rowid.
type exporter struct {
	page  string
	count string
	scan  func(rows *sql.Rows, out *frontier.Rows) (int64, error)
}

func (e exporter) run(ctx context.Context, tx *sql.Tx, t frontier.Table, batch int, fn func(context.Context, frontier.Rows) error) (int, error) {
	after, n := int64(0), 0
	for {
		rows, err := tx.QueryContext(ctx, e.page, after, batch)
		if err != nil {
			return n, err
		}
		out := frontier.Rows{Table: t}
		got := 0
		for rows.Next() {
			if after, err = e.scan(rows, &out); err != nil {
				rows.Close()
				return n, err
			}
			got++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return n, err
		}
		if got == 0 {
			return n, nil
		}
		if err := fn(ctx, out); err != nil {
			return n, err
		}
		n += got
		if got < batch {
			return n, nil
		}
	}
}

// exporters read each table in rowid order. Claims whose
// item no longer exists are void (Claim deletes them when it meets them)
// and are neither read nor counted.
func exporters() map[frontier.Table]exporter {
	return map[frontier.Table]exporter{
		frontier.TableSources: {
			page: `SELECT rowid, name, url, kind, interval_ms, active, added_at, polls, last_poll_at, last_ok, last_result, last_status, last_new_at
			FROM sources WHERE rowid > ?1 ORDER BY rowid LIMIT ?2`,
			count: `SELECT count(*) FROM sources`,
			scan:  scanSourceRow,
		},
		frontier.TableItems: {
			page: `SELECT id, ukey, kind, url, host, source, via, depth, state, due, lease_owner, lease_seq, attempts, fail_kind,
				last_error, last_result, discovered_at, last_fetch_at, first_capture_at, captures, last_capture_id
			FROM items WHERE id > ?1 ORDER BY id LIMIT ?2`,
			count: `SELECT count(*) FROM items`,
			scan:  scanItemRow,
		},
		frontier.TableDiscoveries: {
			page: `SELECT id, ukey, url, last_seen_at, seen, ` + discoveryColumns + `
			FROM discoveries WHERE id > ?1 ORDER BY id LIMIT ?2`,
			count: `SELECT count(*) FROM discoveries`,
			scan:  scanDiscoveryRow,
		},
		frontier.TablePolls: {
			page:  `SELECT id, source, at, ok, result, http_status, found, new FROM polls WHERE id > ?1 ORDER BY id LIMIT ?2`,
			count: `SELECT count(*) FROM polls`,
			scan:  scanPollRow,
		},
		frontier.TableHosts: {
			page:  `SELECT rowid, host, backoff_until, reason FROM hosts WHERE rowid > ?1 ORDER BY rowid LIMIT ?2`,
			count: `SELECT count(*) FROM hosts`,
			scan:  scanHostRow,
		},
		frontier.TableValidators: {
			page:  `SELECT rowid, ukey, etag, last_modified, updated_at FROM validators WHERE rowid > ?1 ORDER BY rowid LIMIT ?2`,
			count: `SELECT count(*) FROM validators`,
			scan:  scanValidatorRow,
		},
		frontier.TableClaims: {
			page: `SELECT c.rowid, c.ukey, i.ukey FROM claims c JOIN items i ON i.id = c.item_id
			WHERE c.rowid > ?1 ORDER BY c.rowid LIMIT ?2`,
			count: `SELECT count(*) FROM claims c JOIN items i ON i.id = c.item_id`,
			scan:  scanClaimRow,
		},
	}
}

func scanSourceRow(rows *sql.Rows, out *frontier.Rows) (int64, error) {
	var s frontier.SourceRow
	var id, intervalMS, added int64
	var active, lastOK int
	var lastPoll, lastNew sql.NullInt64
	if err := rows.Scan(&id, &s.Name, &s.URL, &s.Kind, &intervalMS, &active, &added, &s.Polls, &lastPoll, &lastOK,
		&s.LastResult, &s.LastHTTPStatus, &lastNew); err != nil {
		return 0, err
	}
	s.Interval = time.Duration(intervalMS) * time.Millisecond
	s.Active, s.LastOK = active == 1, lastOK == 1
	s.AddedAt = time.UnixMilli(added).UTC()
	s.LastPoll, s.LastNew = fromMS(lastPoll), fromMS(lastNew)
	out.Sources = append(out.Sources, s)
	return id, nil
}

func scanItemRow(rows *sql.Rows, out *frontier.Rows) (int64, error) {
	var it frontier.ItemRow
	var id, discovered int64
	var kind, failKind string
	var due, lastFetch, firstCapture sql.NullInt64
	if err := rows.Scan(&id, &it.Key, &kind, &it.URL, &it.Host, &it.Source, &it.Via, &it.Depth, &it.State, &due,
		&it.Lease.Owner, &it.Lease.Seq, &it.Attempts, &failKind, &it.LastError, &it.LastResult, &discovered,
		&lastFetch, &firstCapture, &it.Captures, &it.LastCaptureID); err != nil {
		return 0, err
	}
	it.Kind, it.FailKind = frontier.Kind(kind), frontier.FailKind(failKind)
	it.Due = fromMS(due)
	if it.State == frontier.StateLeased {
		it.Lease.Until = it.Due
	}
	it.DiscoveredAt = time.UnixMilli(discovered).UTC()
	it.LastFetchAt, it.FirstCaptureAt = fromMS(lastFetch), fromMS(firstCapture)
	out.Items = append(out.Items, it)
	return id, nil
}

func scanDiscoveryRow(rows *sql.Rows, out *frontier.Rows) (int64, error) {
	var d frontier.DiscoveryRow
	var id, lastSeen int64
	var err error
	d.Discovery, err = scanDiscovery(prefixed{rows, []any{&id, &d.Key, &d.URL, &lastSeen, &d.Seen}})
	if err != nil {
		return 0, err
	}
	d.LastSeenAt = time.UnixMilli(lastSeen).UTC()
	out.Discoveries = append(out.Discoveries, d)
	return id, nil
}

// prefixed scans leading columns into its own destinations, then the rest
// into the caller's: so scanDiscovery serves rows with more columns.
type prefixed struct {
	rows    *sql.Rows
	leading []any
}

func (p prefixed) Scan(dest ...any) error { return p.rows.Scan(append(p.leading, dest...)...) }

func scanPollRow(rows *sql.Rows, out *frontier.Rows) (int64, error) {
	var p frontier.PollResult
	var id, at int64
	var ok int
	if err := rows.Scan(&id, &p.Source, &at, &ok, &p.Result, &p.HTTPStatus, &p.Found, &p.New); err != nil {
		return 0, err
	}
	p.At, p.OK = time.UnixMilli(at).UTC(), ok == 1
	out.Polls = append(out.Polls, p)
	return id, nil
}

func scanHostRow(rows *sql.Rows, out *frontier.Rows) (int64, error) {
	var h frontier.HostBackoff
	var id, until int64
	if err := rows.Scan(&id, &h.Host, &until, &h.Reason); err != nil {
		return 0, err
	}
	h.Until = time.UnixMilli(until).UTC()
	out.Hosts = append(out.Hosts, h)
	return id, nil
}

func scanValidatorRow(rows *sql.Rows, out *frontier.Rows) (int64, error) {
	var v frontier.ValidatorRow
	var id, updated int64
	if err := rows.Scan(&id, &v.Key, &v.Validators.ETag, &v.Validators.LastModified, &updated); err != nil {
		return 0, err
	}
	v.UpdatedAt = time.UnixMilli(updated).UTC()
	out.Validators = append(out.Validators, v)
	return id, nil
}

func scanClaimRow(rows *sql.Rows, out *frontier.Rows) (int64, error) {
	var c frontier.ClaimRow
	var id int64
	if err := rows.Scan(&id, &c.Key, &c.ItemKey); err != nil {
		return 0, err
	}
	out.Claims = append(out.Claims, c)
	return id, nil
}
