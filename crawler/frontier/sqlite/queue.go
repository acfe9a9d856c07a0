package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/crawler/frontier"
	"github.com/archivist-project/archivist/crawler/urlnorm"
)

// Discover implements frontier.Frontier.
func (f *Frontier) Discover(ctx context.Context, found []frontier.Discovered) (int, error) {
	if len(found) == 0 {
		return 0, nil
	}
	added := 0
	err := f.tx(ctx, "discover urls", func(tx *wtx) error {
		added = 0
		insItem, err := tx.PrepareContext(ctx, `INSERT INTO items (ukey, kind, url, host, source, via, depth, state, due, discovered_at)
			SELECT ?1, 'url', ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?7
			WHERE NOT EXISTS (SELECT 1 FROM claims c JOIN items i ON i.id = c.item_id WHERE c.ukey = ?1 AND i.ukey <> ?1)
			ON CONFLICT (ukey) DO NOTHING`)
		if err != nil {
			return err
		}
		defer insItem.Close()
		insLog, err := tx.PrepareContext(ctx, `INSERT INTO discoveries (ukey, url, source, kind, via, position, found_at, last_seen_at,
				feed_guid, feed_date, sitemap_lastmod, news_pubdate, title)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (ukey, source, via) DO UPDATE SET last_seen_at = max(last_seen_at, excluded.last_seen_at), seen = seen + 1`)
		if err != nil {
			return err
		}
		defer insLog.Close()
		for _, d := range found {
			key := urlnorm.Key(d.URL)
			if key == "" {
				continue
			}
			disc := d.Discovery
			at := ms(disc.FoundAt)
			res, err := insItem.ExecContext(ctx, key, d.URL, hostOf(d.URL), disc.Source, disc.Via, d.Depth, at)
			if err != nil {
				return fmt.Errorf("queue %s: %w", d.URL, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				added++
			}
			if _, err := insLog.ExecContext(ctx, key, d.URL, disc.Source, disc.Kind, disc.Via, disc.Position, at, at,
				disc.FeedGUID, ptrMS(disc.FeedDate), ptrMS(disc.SitemapLastmod), ptrMS(disc.NewsPublicationDate), disc.Title); err != nil {
				return fmt.Errorf("log discovery of %s: %w", d.URL, err)
			}
		}
		return nil
	})
	return added, err
}

// leaseHosts picks the hosts whose first live item is due at ?1, earliest
// first, skipping hosts backed off at ?1 and the hosts in the JSON array
// ?2: a skipped host costs one row of host_queue however long its backlog.
const leaseHosts = `
SELECT host FROM host_queue
WHERE next_due IS NOT NULL AND next_due <= ?1
  AND host NOT IN (SELECT host FROM hosts WHERE backoff_until > ?1)
  AND host NOT IN (SELECT value FROM json_each(?2))
ORDER BY next_due, next_id
LIMIT ?3`

// leaseOfHost picks a host's first ?3 items due at ?2.
const leaseOfHost = `SELECT id, due FROM items WHERE host = ?1 AND due IS NOT NULL AND due <= ?2 ORDER BY due, id LIMIT ?3`

const itemColumns = `id, kind, url, ukey, host, source, via, depth, attempts, discovered_at, first_capture_at, captures, last_capture_id, lease_owner, lease_seq, due`

func scanItem(row interface{ Scan(...any) error }) (frontier.Item, error) {
	var it frontier.Item
	var kind string
	var discovered int64
	var firstCapture, due sql.NullInt64
	err := row.Scan(&it.ID, &kind, &it.URL, &it.Key, &it.Host, &it.Source, &it.Via, &it.Depth, &it.Attempts,
		&discovered, &firstCapture, &it.Captures, &it.LastCaptureID, &it.Lease.Owner, &it.Lease.Seq, &due)
	it.Kind = frontier.Kind(kind)
	it.DiscoveredAt = fromMS(sql.NullInt64{Int64: discovered, Valid: true})
	it.FirstCaptureAt = fromMS(firstCapture)
	it.Lease.Until = fromMS(due)
	return it, err
}

// Lease implements frontier.Frontier.
func (f *Frontier) Lease(ctx context.Context, req frontier.LeaseRequest) ([]frontier.Item, error) {
	if req.Max <= 0 {
		return nil, nil
	}
	if req.Owner == "" {
		return nil, errors.New("lease: owner is empty; pass the daemon's run id")
	}
	skip, err := json.Marshal(append([]string{}, req.SkipHosts...))
	if err != nil {
		return nil, fmt.Errorf("lease: %w", err)
	}
	perHost := req.PerHost
	if perHost <= 0 {
		perHost = req.Max
	}
	var items []frontier.Item
	err = f.tx(ctx, "lease", func(tx *wtx) error {
		items = items[:0]
		ids, err := leaseIDs(ctx, tx, req, string(skip), perHost)
		if err != nil {
			return err
		}
		for _, id := range ids {
			it, err := scanItem(tx.QueryRowContext(ctx, `UPDATE items SET state = 'leased', due = ?, lease_owner = ?, lease_seq = lease_seq + 1
				WHERE id = ? RETURNING `+itemColumns, ms(req.Until), req.Owner, id))
			if err != nil {
				return err
			}
			if err := fillItem(ctx, tx, &it); err != nil {
				return err
			}
			items = append(items, it)
		}
		return nil
	})
	return items, err
}

// leaseIDs returns the ids of the items to lease: the oldest due items,
// by due time then id, at most perHost of one host. The answer's items
// come from at most Max hosts, and every host with a due item older than
// the answer's newest is among the Max earliest of host_queue, so reading
// those hosts' first items is enough.
func leaseIDs(ctx context.Context, tx *wtx, req frontier.LeaseRequest, skip string, perHost int) ([]int64, error) {
	now := ms(req.Now)
	rows, err := tx.QueryContext(ctx, leaseHosts, now, skip, req.Max)
	if err != nil {
		return nil, err
	}
	var hosts []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return nil, err
		}
		hosts = append(hosts, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	type cand struct{ id, due int64 }
	var cands []cand
	for _, h := range hosts {
		rows, err := tx.QueryContext(ctx, leaseOfHost, h, now, perHost)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var c cand
			if err := rows.Scan(&c.id, &c.due); err != nil {
				rows.Close()
				return nil, err
			}
			cands = append(cands, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(cands, func(a, b cand) int { return cmp.Or(cmp.Compare(a.due, b.due), cmp.Compare(a.id, b.id)) })
	ids := make([]int64, 0, min(len(cands), req.Max))
	for _, c := range cands[:min(len(cands), req.Max)] {
		ids = append(ids, c.id)
	}
	return ids, nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// fillItem adds the validators and the first discovery by the item's source.
func fillItem(ctx context.Context, q queryer, it *frontier.Item) error {
	err := q.QueryRowContext(ctx, `SELECT etag, last_modified FROM validators WHERE ukey = ?`, it.Key).
		Scan(&it.Validators.ETag, &it.Validators.LastModified)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read validators of %s: %w", it.URL, err)
	}
	if it.Kind != frontier.KindURL {
		return nil
	}
	d, err := scanDiscovery(q.QueryRowContext(ctx, `SELECT `+discoveryColumns+` FROM discoveries
		WHERE ukey = ? AND source = ? ORDER BY found_at, id LIMIT 1`, it.Key, it.Source))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("read discovery of %s: %w", it.URL, err)
	}
	it.Discovery = &d
	return nil
}

const discoveryColumns = `source, kind, found_at, via, position, feed_guid, feed_date, sitemap_lastmod, news_pubdate, title`

func scanDiscovery(row interface{ Scan(...any) error }) (archive.Discovery, error) {
	var d archive.Discovery
	var found int64
	var feedDate, lastmod, pubdate sql.NullInt64
	err := row.Scan(&d.Source, &d.Kind, &found, &d.Via, &d.Position, &d.FeedGUID, &feedDate, &lastmod, &pubdate, &d.Title)
	d.FoundAt = fromMS(sql.NullInt64{Int64: found, Valid: true})
	d.FeedDate, d.SitemapLastmod, d.NewsPublicationDate = fromMSPtr(feedDate), fromMSPtr(lastmod), fromMSPtr(pubdate)
	return d, err
}

// leaseHeld is the WHERE clause matching a lease still held by its worker.
const leaseHeld = `id = ? AND state = 'leased' AND lease_owner = ? AND lease_seq = ?`

// ended decides what a lease update that changed no row means: nil when
// this very lease was already ended (a repeated call), ErrLeaseLost
// otherwise.
func ended(ctx context.Context, tx *wtx, it frontier.Item) error {
	var state, owner string
	var seq int64
	err := tx.QueryRowContext(ctx, `SELECT state, lease_owner, lease_seq FROM items WHERE id = ?`, it.ID).Scan(&state, &owner, &seq)
	if errors.Is(err, sql.ErrNoRows) {
		return frontier.ErrLeaseLost
	}
	if err != nil {
		return err
	}
	if owner == it.Lease.Owner && seq == it.Lease.Seq && state != frontier.StateLeased {
		return nil
	}
	return frontier.ErrLeaseLost
}

// endLease runs an update of a held lease, mapping "no row" through ended.
func endLease(ctx context.Context, tx *wtx, it frontier.Item, query string, args ...any) (bool, error) {
	res, err := tx.ExecContext(ctx, query, append(args, it.ID, it.Lease.Owner, it.Lease.Seq)...)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, ended(ctx, tx, it)
	}
	return true, nil
}

// Extend implements frontier.Frontier.
func (f *Frontier) Extend(ctx context.Context, items []frontier.Item, until time.Time) error {
	if len(items) == 0 {
		return nil
	}
	return f.tx(ctx, "extend leases", func(tx *wtx) error {
		for _, it := range items {
			if _, err := tx.ExecContext(ctx, `UPDATE items SET due = ? WHERE `+leaseHeld, ms(until), it.ID, it.Lease.Owner, it.Lease.Seq); err != nil {
				return err
			}
		}
		return nil
	})
}

// Complete implements frontier.Frontier.
func (f *Frontier) Complete(ctx context.Context, it frontier.Item, c frontier.Completion) error {
	state, next := frontier.StateDone, any(nil)
	if !c.Next.IsZero() {
		state, next = frontier.StatePending, ms(c.Next)
	}
	captured := 0
	if c.Captured {
		captured = 1
	}
	return f.tx(ctx, "complete "+it.URL, func(tx *wtx) error {
		changed, err := endLease(ctx, tx, it, `UPDATE items SET state = ?, due = ?, attempts = 0, last_error = '', last_result = ?,
				last_fetch_at = ?, captures = captures + ?,
				first_capture_at = CASE WHEN ? = 1 AND first_capture_at IS NULL THEN ? ELSE first_capture_at END,
				last_capture_id = CASE WHEN ? = 1 THEN ? ELSE last_capture_id END
			WHERE `+leaseHeld,
			state, next, c.Result, ms(c.Now), captured, captured, ms(c.Now), captured, c.CaptureID)
		if err != nil || !changed || c.Validators == nil {
			return err
		}
		return setValidators(ctx, tx, it.Key, *c.Validators, c.Now)
	})
}

// Retry implements frontier.Frontier.
func (f *Frontier) Retry(ctx context.Context, it frontier.Item, r frontier.RetryRequest) error {
	count := 0
	if r.CountAttempt {
		count = 1
	}
	return f.tx(ctx, "retry "+it.URL, func(tx *wtx) error {
		_, err := endLease(ctx, tx, it, `UPDATE items SET state = 'pending', due = ?, attempts = attempts + ?, last_error = ?, last_fetch_at = ?
			WHERE `+leaseHeld, ms(r.NotBefore), count, r.Reason, ms(r.Now))
		return err
	})
}

// Fail implements frontier.Frontier.
func (f *Frontier) Fail(ctx context.Context, it frontier.Item, fl frontier.Failure) error {
	return f.tx(ctx, "fail "+it.URL, func(tx *wtx) error {
		changed, err := endLease(ctx, tx, it, `UPDATE items SET state = 'failed', due = NULL, fail_kind = ?, last_error = ?, last_fetch_at = ?
			WHERE `+leaseHeld, string(fl.Kind), fl.Reason, ms(fl.Now))
		if err != nil || !changed {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM claims WHERE item_id = ?`, it.ID)
		return err
	})
}

// Claim implements frontier.Frontier.
func (f *Frontier) Claim(ctx context.Context, canonicalURL string, it frontier.Item) (string, bool, error) {
	key := urlnorm.Key(canonicalURL)
	if key == "" {
		return it.URL, true, nil
	}
	var owner string
	claimed := false
	err := f.tx(ctx, "claim "+key, func(tx *wtx) error {
		// A claim by an item that no longer exists is void.
		if _, err := tx.ExecContext(ctx, `DELETE FROM claims WHERE ukey = ? AND item_id NOT IN (SELECT id FROM items)`, key); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO claims (ukey, item_id) VALUES (?, ?) ON CONFLICT (ukey) DO NOTHING`, key, it.ID); err != nil {
			return err
		}
		var holder int64
		if err := tx.QueryRowContext(ctx, `SELECT c.item_id, i.url FROM claims c JOIN items i ON i.id = c.item_id WHERE c.ukey = ?`, key).Scan(&holder, &owner); err != nil {
			return err
		}
		claimed = holder == it.ID
		return nil
	})
	if err != nil {
		return "", false, err
	}
	return owner, claimed, nil
}

// recoverLeases makes the leases of owners other than ?2 due at ?1.
// Leased items always have a due time (their deadline); saying so lets
// the update reach them through items_state_due.
const recoverLeases = `UPDATE items SET state = 'pending', due = ?1 WHERE state = 'leased' AND due IS NOT NULL AND lease_owner <> ?2`

// Recover implements frontier.Frontier.
func (f *Frontier) Recover(ctx context.Context, owner string, now time.Time) (int, error) {
	var n int64
	err := f.tx(ctx, "recover leases", func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, recoverLeases, ms(now), owner)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// hostOf is the lower-case host name of a URL, the politeness key.
func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}
