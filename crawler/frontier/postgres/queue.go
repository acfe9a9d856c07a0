package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/crawler/frontier"
	"github.com/archivist-project/archivist/crawler/urlnorm"
)

const insertItem = `INSERT INTO frontier_items (ukey, kind, url, host, source, via, depth, state, due, discovered_at)
	SELECT $1::text, 'url', $2::text, $3::text, $4::text, $5::text, $6::integer, 'pending', $7::timestamptz, $7::timestamptz
	WHERE NOT EXISTS (SELECT 1 FROM frontier_claims c JOIN frontier_items i ON i.id = c.item_id WHERE c.ukey = $1 AND i.ukey <> $1)
	ON CONFLICT (ukey) DO NOTHING`

const logDiscovery = `INSERT INTO frontier_discoveries (ukey, url, source, kind, via, position, found_at, last_seen_at,
		feed_guid, feed_date, sitemap_lastmod, news_pubdate, title)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11, $12)
	ON CONFLICT (ukey, source, via) DO UPDATE SET
		last_seen_at = greatest(frontier_discoveries.last_seen_at, excluded.last_seen_at),
		seen = frontier_discoveries.seen + 1`

// Discover implements frontier.Frontier. Rows are written in key order,
// so two replicas discovering overlapping URLs lock them in the same order
// and cannot deadlock.
func (f *Frontier) Discover(ctx context.Context, found []frontier.Discovered) (int, error) {
	type row struct {
		key string
		d   frontier.Discovered
	}
	rows := make([]row, 0, len(found))
	for _, d := range found {
		if key := urlnorm.Key(d.URL); key != "" {
			rows = append(rows, row{key, d})
		}
	}
	if len(rows) == 0 {
		return 0, nil
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		return cmp.Or(strings.Compare(a.key, b.key), strings.Compare(a.d.Discovery.Source, b.d.Discovery.Source),
			strings.Compare(a.d.Discovery.Via, b.d.Discovery.Via))
	})
	added := 0
	err := f.tx(ctx, "discover urls", func(tx pgx.Tx) error {
		added = 0
		var batch pgx.Batch
		for _, r := range rows {
			disc := r.d.Discovery
			at := disc.FoundAt.UTC()
			batch.Queue(insertItem, r.key, r.d.URL, hostOf(r.d.URL), disc.Source, disc.Via, r.d.Depth, at)
			batch.Queue(logDiscovery, r.key, r.d.URL, disc.Source, disc.Kind, disc.Via, disc.Position, at,
				disc.FeedGUID, ptrTime(disc.FeedDate), ptrTime(disc.SitemapLastmod), ptrTime(disc.NewsPublicationDate), disc.Title)
		}
		br := tx.SendBatch(ctx, &batch)
		for _, r := range rows {
			tag, err := br.Exec()
			if err != nil {
				br.Close()
				return fmt.Errorf("queue %s: %w", r.d.URL, err)
			}
			added += int(tag.RowsAffected())
			if _, err := br.Exec(); err != nil {
				br.Close()
				return fmt.Errorf("log discovery of %s: %w", r.d.URL, err)
			}
		}
		return br.Close()
	})
	return added, err
}

// leaseItems leases the oldest $3 items due at $2 of the hosts $1, at
// most $4 a host (read through frontier_items_host_due). FOR UPDATE SKIP
// LOCKED makes replicas leasing at once pass over each other's rows
// instead of waiting for them, so no item is leased twice and no replica
// stalls; a row another replica leased meanwhile no longer passes due <=
// $2 once locked, and is skipped too.
var leaseItems = `
WITH cand AS (
	SELECT c.id, c.due FROM unnest($1::text[]) AS h(host) CROSS JOIN LATERAL (
		SELECT i.id, i.due FROM frontier_items i
		WHERE i.host = h.host AND i.due IS NOT NULL AND i.due <= $2
		ORDER BY i.due, i.id LIMIT $4
		FOR UPDATE SKIP LOCKED) c
), picked AS (
	SELECT id, due FROM cand ORDER BY due, id LIMIT $3
)
UPDATE frontier_items i SET state = 'leased', due = $5, lease_owner = $6, lease_seq = i.lease_seq + 1
FROM picked WHERE i.id = picked.id
RETURNING ` + itemColumnsOf("i") + `, picked.due`

func itemColumnsOf(alias string) string {
	cols := []string{"id", "kind", "url", "ukey", "host", "source", "via", "depth", "attempts", "discovered_at",
		"first_capture_at", "captures", "last_capture_id", "lease_owner", "lease_seq", "due"}
	for i, c := range cols {
		cols[i] = alias + "." + c
	}
	return strings.Join(cols, ", ")
}

func scanItem(row interface{ Scan(...any) error }, extra ...any) (frontier.Item, error) {
	var it frontier.Item
	var kind string
	var firstCapture, due *time.Time
	dest := []any{&it.ID, &kind, &it.URL, &it.Key, &it.Host, &it.Source, &it.Via, &it.Depth, &it.Attempts,
		&it.DiscoveredAt, &firstCapture, &it.Captures, &it.LastCaptureID, &it.Lease.Owner, &it.Lease.Seq, &due}
	err := row.Scan(append(dest, extra...)...)
	it.Kind = frontier.Kind(kind)
	it.DiscoveredAt = it.DiscoveredAt.UTC()
	it.FirstCaptureAt = utc(firstCapture)
	it.Lease.Until = utc(due)
	return it, err
}

// reclaimDead gives back, due at now, the leases of owners whose
// presence session is gone, and forgets those owners. It is cheap: the
// owners table holds one row per live or recently dead daemon run, and
// leased items are indexed by owner.
const reclaimDead = `
WITH dead AS (
	SELECT o.owner FROM frontier_owners o
	WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = o.pid AND a.backend_start = o.backend_start)
), reclaimed AS (
	UPDATE frontier_items SET state = 'pending', due = $1
	WHERE state = 'leased' AND lease_owner IN (SELECT owner FROM dead)
	RETURNING id
), forgotten AS (
	DELETE FROM frontier_owners WHERE owner IN (SELECT owner FROM dead)
)
SELECT count(*) FROM reclaimed`

// Lease implements frontier.Frontier. It first gives back the leases of
// dead replicas, so their work is picked up at the next Lease of any
// replica rather than at their deadline.
func (f *Frontier) Lease(ctx context.Context, req frontier.LeaseRequest) ([]frontier.Item, error) {
	if req.Max <= 0 {
		return nil, nil
	}
	if req.Owner == "" {
		return nil, errors.New("lease: owner is empty; pass the daemon's run id")
	}
	var n int
	if err := f.pool.QueryRow(ctx, reclaimDead, req.Now).Scan(&n); err != nil {
		return nil, fmt.Errorf("lease: reclaim leases of dead replicas in frontier %s: %w", f.where, err)
	}
	if n > 0 {
		f.logger.Info("took back the leases of a replica that is gone", "items", n)
	}
	perHost := req.PerHost
	if perHost <= 0 {
		perHost = req.Max
	}
	skip := append([]string{}, req.SkipHosts...)
	var items []frontier.Item
	var remember func()
	err := f.tx(ctx, "lease", func(tx pgx.Tx) error {
		items = items[:0]
		var err error
		if remember, err = f.register(ctx, tx, req.Owner); err != nil {
			return err
		}
		hosts, err := leaseHosts(ctx, tx, req.Now, skip, req.Max)
		if err != nil {
			return err
		}
		if len(hosts) == 0 {
			return nil
		}
		rows, err := tx.Query(ctx, leaseItems, hosts, req.Now, req.Max, perHost, req.Until, req.Owner)
		if err != nil {
			return err
		}
		type picked struct {
			it  frontier.Item
			due time.Time
		}
		var got []picked
		for rows.Next() {
			var p picked
			it, err := scanItem(rows, &p.due)
			if err != nil {
				rows.Close()
				return err
			}
			p.it = it
			got = append(got, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		slices.SortFunc(got, func(a, b picked) int { return cmp.Or(a.due.Compare(b.due), cmp.Compare(a.it.ID, b.it.ID)) })
		for _, p := range got {
			items = append(items, p.it)
		}
		return fillItems(ctx, tx, items)
	})
	if err != nil {
		return nil, err
	}
	remember()
	return items, nil
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// fillItems adds the validators and the first discovery by each item's
// source, two queries for the whole batch.
func fillItems(ctx context.Context, q querier, items []frontier.Item) error {
	if len(items) == 0 {
		return nil
	}
	keys := make([]string, len(items))
	sources := make([]string, len(items))
	for i, it := range items {
		keys[i], sources[i] = it.Key, it.Source
	}
	rows, err := q.Query(ctx, `SELECT ukey, etag, last_modified FROM frontier_validators WHERE ukey = ANY ($1)`, keys)
	if err != nil {
		return fmt.Errorf("read validators: %w", err)
	}
	vals := map[string]frontier.Validators{}
	for rows.Next() {
		var k string
		var v frontier.Validators
		if err := rows.Scan(&k, &v.ETag, &v.LastModified); err != nil {
			rows.Close()
			return fmt.Errorf("read validators: %w", err)
		}
		vals[k] = v
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read validators: %w", err)
	}
	rows, err = q.Query(ctx, `SELECT DISTINCT ON (d.ukey, d.source) d.ukey, `+discoveryColumns+`
		FROM frontier_discoveries d JOIN unnest($1::text[], $2::text[]) AS w(ukey, source) ON d.ukey = w.ukey AND d.source = w.source
		ORDER BY d.ukey, d.source, d.found_at, d.id`, keys, sources)
	if err != nil {
		return fmt.Errorf("read discoveries: %w", err)
	}
	discs := map[[2]string]archive.Discovery{}
	for rows.Next() {
		var k string
		d, err := scanDiscovery(rows, &k)
		if err != nil {
			rows.Close()
			return fmt.Errorf("read discoveries: %w", err)
		}
		discs[[2]string{k, d.Source}] = d
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read discoveries: %w", err)
	}
	for i := range items {
		items[i].Validators = vals[items[i].Key]
		if items[i].Kind != frontier.KindURL {
			continue
		}
		if d, ok := discs[[2]string{items[i].Key, items[i].Source}]; ok {
			items[i].Discovery = &d
		}
	}
	return nil
}

const discoveryColumns = `d.source, d.kind, d.found_at, d.via, d.position, d.feed_guid, d.feed_date, d.sitemap_lastmod, d.news_pubdate, d.title`

// scanDiscovery reads discoveryColumns, after the leading destinations.
func scanDiscovery(row interface{ Scan(...any) error }, leading ...any) (archive.Discovery, error) {
	var d archive.Discovery
	var feedDate, lastmod, pubdate *time.Time
	dest := append(leading, &d.Source, &d.Kind, &d.FoundAt, &d.Via, &d.Position, &d.FeedGUID, &feedDate, &lastmod, &pubdate, &d.Title)
	err := row.Scan(dest...)
	d.FoundAt = d.FoundAt.UTC()
	d.FeedDate, d.SitemapLastmod, d.NewsPublicationDate = utcPtr(feedDate), utcPtr(lastmod), utcPtr(pubdate)
	return d, err
}

// leaseHeld matches a lease still held by its worker; its three parameters
// come last.
const leaseHeld = `id = $%d AND state = 'leased' AND lease_owner = $%d AND lease_seq = $%d`

func held(first int) string { return fmt.Sprintf(leaseHeld, first, first+1, first+2) }

// ended decides what a lease update that changed no row means: nil when
// this very lease was already ended (a repeated call), ErrLeaseLost
// otherwise.
func ended(ctx context.Context, tx pgx.Tx, it frontier.Item) error {
	var state, owner string
	var seq int64
	err := tx.QueryRow(ctx, `SELECT state, lease_owner, lease_seq FROM frontier_items WHERE id = $1`, it.ID).Scan(&state, &owner, &seq)
	if errors.Is(err, pgx.ErrNoRows) {
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

// endLease runs an update of a held lease whose last three parameters are
// the item's id, owner and sequence, mapping "no row" through ended.
func endLease(ctx context.Context, tx pgx.Tx, it frontier.Item, query string, args ...any) (bool, error) {
	tag, err := tx.Exec(ctx, query, append(args, it.ID, it.Lease.Owner, it.Lease.Seq)...)
	if err != nil {
		return false, err
	}
	if tag.RowsAffected() == 0 {
		return false, ended(ctx, tx, it)
	}
	return true, nil
}

// Extend implements frontier.Frontier.
func (f *Frontier) Extend(ctx context.Context, items []frontier.Item, until time.Time) error {
	if len(items) == 0 {
		return nil
	}
	ids := make([]int64, len(items))
	owners := make([]string, len(items))
	seqs := make([]int64, len(items))
	for i, it := range items {
		ids[i], owners[i], seqs[i] = it.ID, it.Lease.Owner, it.Lease.Seq
	}
	_, err := f.pool.Exec(ctx, `UPDATE frontier_items i SET due = $1
		FROM unnest($2::bigint[], $3::text[], $4::bigint[]) AS x(id, owner, seq)
		WHERE i.id = x.id AND i.state = 'leased' AND i.lease_owner = x.owner AND i.lease_seq = x.seq`,
		until, ids, owners, seqs)
	if err != nil {
		return fmt.Errorf("extend leases in frontier %s: %w", f.where, err)
	}
	return nil
}

// Complete implements frontier.Frontier.
func (f *Frontier) Complete(ctx context.Context, it frontier.Item, c frontier.Completion) error {
	state, next := frontier.StateDone, any(nil)
	if !c.Next.IsZero() {
		state, next = frontier.StatePending, c.Next
	}
	return f.tx(ctx, "complete "+it.URL, func(tx pgx.Tx) error {
		changed, err := endLease(ctx, tx, it, `UPDATE frontier_items SET state = $1, due = $2, attempts = 0, last_error = '', last_result = $3,
				last_fetch_at = $4, captures = captures + CASE WHEN $5 THEN 1 ELSE 0 END,
				first_capture_at = CASE WHEN $5 AND first_capture_at IS NULL THEN $4 ELSE first_capture_at END,
				last_capture_id = CASE WHEN $5 THEN $6 ELSE last_capture_id END
			WHERE `+held(7),
			state, next, c.Result, c.Now, c.Captured, c.CaptureID)
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
	return f.tx(ctx, "retry "+it.URL, func(tx pgx.Tx) error {
		_, err := endLease(ctx, tx, it, `UPDATE frontier_items SET state = 'pending', due = $1, attempts = attempts + $2, last_error = $3, last_fetch_at = $4
			WHERE `+held(5), r.NotBefore, count, r.Reason, r.Now)
		return err
	})
}

// Fail implements frontier.Frontier.
func (f *Frontier) Fail(ctx context.Context, it frontier.Item, fl frontier.Failure) error {
	return f.tx(ctx, "fail "+it.URL, func(tx pgx.Tx) error {
		changed, err := endLease(ctx, tx, it, `UPDATE frontier_items SET state = 'failed', due = NULL, fail_kind = $1, last_error = $2, last_fetch_at = $3
			WHERE `+held(4), string(fl.Kind), fl.Reason, fl.Now)
		if err != nil || !changed {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM frontier_claims WHERE item_id = $1`, it.ID)
		return err
	})
}

// Claim implements frontier.Frontier. The insert decides between replicas
// claiming at once: the second waits for the first to commit, then finds
// its row.
func (f *Frontier) Claim(ctx context.Context, canonicalURL string, it frontier.Item) (string, bool, error) {
	key := urlnorm.Key(canonicalURL)
	if key == "" {
		return it.URL, true, nil
	}
	var owner string
	claimed := false
	err := f.tx(ctx, "claim "+key, func(tx pgx.Tx) error {
		// A claim by an item that no longer exists is void.
		if _, err := tx.Exec(ctx, `DELETE FROM frontier_claims c WHERE c.ukey = $1 AND NOT EXISTS (SELECT 1 FROM frontier_items i WHERE i.id = c.item_id)`, key); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO frontier_claims (ukey, item_id) VALUES ($1, $2) ON CONFLICT (ukey) DO NOTHING`, key, it.ID); err != nil {
			return err
		}
		var holder int64
		if err := tx.QueryRow(ctx, `SELECT c.item_id, i.url FROM frontier_claims c JOIN frontier_items i ON i.id = c.item_id WHERE c.ukey = $1`, key).Scan(&holder, &owner); err != nil {
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

// Recover implements frontier.Frontier for a shared frontier: it makes due
// at once the leases of every other owner that is not a live replica.
// Dead are owners whose presence session is gone, owners never registered,
// and other owners registered by this very process (earlier runs of a
// daemon that restarted in process). A live replica's leases are left to
// it: several daemons own this frontier together.
func (f *Frontier) Recover(ctx context.Context, owner string, now time.Time) (int, error) {
	f.mu.Lock()
	me := f.session
	f.mu.Unlock()
	tag, err := f.pool.Exec(ctx, `UPDATE frontier_items i SET state = 'pending', due = $1
		WHERE i.state = 'leased' AND i.lease_owner <> $2 AND NOT EXISTS (
			SELECT 1 FROM frontier_owners o
			WHERE o.owner = i.lease_owner AND NOT (o.pid = $3 AND o.backend_start = $4)
			  AND EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = o.pid AND a.backend_start = o.backend_start))`,
		now, owner, me.pid, me.start)
	if err != nil {
		return 0, fmt.Errorf("recover leases in frontier %s: %w", f.where, err)
	}
	return int(tag.RowsAffected()), nil
}

// hostOf is the lower-case host name of a URL, the politeness key.
func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}
