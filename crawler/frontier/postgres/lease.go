package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// leaseHostFactor is how many hosts Lease reads items from per item asked
// for: twice as many as it could need, so that hosts whose due items
// another replica is leasing at the same moment are made up for.
const leaseHostFactor = 2

// leaseWalkFactor bounds the steps of hostsByDue per item asked for;
// past it, hostsByHead finds the hosts.
const leaseWalkFactor = 32

// Lease first finds the hosts to lease from: the $3 hosts whose earliest
// due items are the oldest, skipping hosts backed off at $1 and the hosts
// in $2. The answer (the oldest due items, at most so many a host) comes
// from at most Max hosts, each among the Max oldest, so reading more
// hosts ($3 is twice Max) only makes up for items other replicas hold.
// Neither query reads a host's backlog: a skipped host costs one index
// probe per distinct due time it has before the answer (hostsByDue), or
// one in all (hostsByHead).

// hostsByDue walks frontier_items_due_host in (due, host) order, jumping
// from one (due, host) pair to the next with one index probe, and collects
// the hosts that may be fetched from, in the order their first due item
// comes. A host's backlog queued at once (a sitemap or feed poll, a
// page's links) shares one due time, so passing over a busy host costs
// one probe, not one per URL. It stops after $4 probes, and reports
// whether it did.
const hostsByDue = `
WITH RECURSIVE skip AS (
	SELECT $2::text[] || coalesce((SELECT array_agg(host) FROM frontier_hosts WHERE backoff_until > $1), '{}') AS hosts
), walk AS (
	(SELECT i.due, i.host, CASE WHEN i.host = ANY (s.hosts) THEN '{}'::text[] ELSE ARRAY[i.host] END AS picked, 1 AS steps
	 FROM frontier_items i, skip s
	 WHERE i.due IS NOT NULL AND i.due <= $1
	 ORDER BY i.due, i.host LIMIT 1)
	UNION ALL
	SELECT n.due, n.host,
		CASE WHEN n.host = ANY (s.hosts) OR n.host = ANY (w.picked) THEN w.picked ELSE w.picked || n.host END,
		w.steps + 1
	FROM walk w CROSS JOIN skip s CROSS JOIN LATERAL (
		SELECT i.due, i.host FROM frontier_items i
		WHERE i.due IS NOT NULL AND (i.due, i.host) > (w.due, w.host) AND i.due <= $1
		ORDER BY i.due, i.host LIMIT 1) n
	WHERE cardinality(w.picked) < $3 AND w.steps < $4
)
SELECT picked, steps >= $4 AND cardinality(picked) < $3 FROM walk ORDER BY steps DESC LIMIT 1`

// hostsByHead is for when hostsByDue gave up (the hosts skipped had
// items due at many different times): a loose index scan of
// frontier_items_host_due, one probe per host with live items, yields each
// host's first live item by (due, id). That item is the host's earliest
// leasable one if the host has any due at $1: a held lease's due is its
// deadline, later than $1. It costs a probe per host, however many URLs
// each has queued.
const hostsByHead = `
WITH RECURSIVE heads AS (
	(SELECT host, due, id FROM frontier_items WHERE due IS NOT NULL ORDER BY host, due, id LIMIT 1)
	UNION ALL
	SELECT n.host, n.due, n.id FROM heads h CROSS JOIN LATERAL (
		SELECT i.host, i.due, i.id FROM frontier_items i
		WHERE i.due IS NOT NULL AND i.host > h.host
		ORDER BY i.host, i.due, i.id LIMIT 1) n
), hosts AS (
	SELECT host, due, id FROM heads
	WHERE due <= $1 AND NOT (host = ANY ($2::text[]))
	  AND host NOT IN (SELECT host FROM frontier_hosts WHERE backoff_until > $1)
	ORDER BY due, id LIMIT $3
)
SELECT coalesce(array_agg(host ORDER BY due, id), '{}') FROM hosts`

// leaseHosts returns the hosts to lease from, oldest first: by hostsByDue,
// or when that gave up, by hostsByHead.
func leaseHosts(ctx context.Context, tx pgx.Tx, now time.Time, skip []string, max int) ([]string, error) {
	var hosts []string
	var gaveUp bool
	err := tx.QueryRow(ctx, hostsByDue, now, skip, max*leaseHostFactor, max*leaseWalkFactor).Scan(&hosts, &gaveUp)
	if errors.Is(err, pgx.ErrNoRows) { // nothing is due
		return nil, nil
	}
	if err != nil || !gaveUp {
		return hosts, err
	}
	err = tx.QueryRow(ctx, hostsByHead, now, skip, max*leaseHostFactor).Scan(&hosts)
	return hosts, err
}
