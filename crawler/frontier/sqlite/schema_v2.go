package sqlite

import "strings"

// schemaV2 keeps what the scheduler and `status` ask for every few
// seconds in small tables that triggers maintain in the same transaction
// as the items they summarise, so that neither reads a row per queued URL:
// with a million pending URLs, version 1's lease walked past every row of
// the hosts it had to skip, and its counts read every live row.
//
// host_queue holds, per host, its earliest live item (next_due, next_id:
// the first by due then id, NULL when the host has none). Lease takes the
// earliest hosts that are neither skipped nor backed off from its index
// and then each host's first items from items_host_due, so skipping a busy
// host costs one row, not its backlog.
//
// source_counts holds, per source, how many distinct URLs it found (in the
// discovery log) and how many of the URLs it owns are archived, pending,
// failed or blocked by robots.txt: the figures of `status`.
//
// items_state_due replaces items_due: the queue gauges count pending and
// leased items from the index alone, and the lease recovery of a restart
// reaches the leased items without a scan.
func schemaV2() string {
	return strings.NewReplacer(
		"{new}", urlClass("NEW."),
		"{old}", urlClass("OLD."),
		"{row}", urlClass(""),
		"{first_old}", hostFirst("OLD.host"),
		"{earlier}", earlier,
	).Replace(schemaV2Template)
}

// urlClass is the SQL class of an items row (columns prefixed with p) as
// source_counts counts it, NULL for rows it does not count. The order of
// the cases is SourceStat's: a URL archived once counts as archived
// whatever happened after.
func urlClass(p string) string {
	return strings.ReplaceAll(`(CASE WHEN p.kind <> 'url' THEN NULL
		WHEN p.captures > 0 THEN 'archived'
		WHEN p.state = 'failed' AND p.fail_kind = 'robots' THEN 'robots'
		WHEN p.state = 'failed' THEN 'failed'
		WHEN p.state IN ('pending', 'leased') THEN 'pending' END)`, "p.", p)
}

// hostFirst is the (due, id) of a host's earliest live item: one seek in
// items_host_due, whose entries are ordered by host, due and rowid.
func hostFirst(host string) string {
	return `(SELECT due, id FROM items WHERE host = ` + host + ` AND due IS NOT NULL ORDER BY due, id LIMIT 1)`
}

// earlier is the upsert condition that an item (excluded) comes before
// the host's recorded first one.
const earlier = `host_queue.next_due IS NULL OR excluded.next_due < host_queue.next_due
		OR (excluded.next_due = host_queue.next_due AND excluded.next_id < host_queue.next_id)`

const schemaV2Template = `
CREATE TABLE host_queue (
	host     TEXT PRIMARY KEY,
	next_due INTEGER,
	next_id  INTEGER
);
CREATE INDEX host_queue_due ON host_queue (next_due, next_id) WHERE next_due IS NOT NULL;
INSERT INTO host_queue (host, next_due, next_id)
	SELECT host, due, id FROM (
		SELECT host, due, id, row_number() OVER (PARTITION BY host ORDER BY due, id) AS rn FROM items WHERE due IS NOT NULL
	) WHERE rn = 1;

-- A new item can only move its host's first item earlier.
CREATE TRIGGER items_host_queue_insert AFTER INSERT ON items WHEN NEW.due IS NOT NULL BEGIN
	INSERT INTO host_queue (host, next_due, next_id) VALUES (NEW.host, NEW.due, NEW.id)
	ON CONFLICT (host) DO UPDATE SET next_due = excluded.next_due, next_id = excluded.next_id WHERE {earlier};
END;
-- A changed item may become its host's first; when it was the first and
-- moved later (leased, completed, retried), the host's first is looked up
-- again.
CREATE TRIGGER items_host_queue_update AFTER UPDATE OF due, host ON items
WHEN OLD.due IS NOT NEW.due OR OLD.host IS NOT NEW.host BEGIN
	INSERT INTO host_queue (host, next_due, next_id) SELECT NEW.host, NEW.due, NEW.id WHERE NEW.due IS NOT NULL
	ON CONFLICT (host) DO UPDATE SET next_due = excluded.next_due, next_id = excluded.next_id WHERE {earlier};
	UPDATE host_queue SET (next_due, next_id) = {first_old} WHERE host = OLD.host AND next_id = OLD.id;
END;
CREATE TRIGGER items_host_queue_delete AFTER DELETE ON items WHEN OLD.due IS NOT NULL BEGIN
	UPDATE host_queue SET (next_due, next_id) = {first_old} WHERE host = OLD.host AND next_id = OLD.id;
END;

CREATE TABLE source_counts (
	source TEXT NOT NULL,
	what   TEXT NOT NULL,
	n      INTEGER NOT NULL,
	PRIMARY KEY (source, what)
) WITHOUT ROWID;
INSERT INTO source_counts (source, what, n)
	SELECT source, 'found', count(DISTINCT ukey) FROM discoveries GROUP BY source;
INSERT INTO source_counts (source, what, n)
	SELECT source, class, count(*) FROM (SELECT source, {row} AS class FROM items) WHERE class IS NOT NULL GROUP BY source, class;

CREATE TRIGGER items_counts_insert AFTER INSERT ON items WHEN {new} IS NOT NULL BEGIN
	INSERT INTO source_counts (source, what, n) VALUES (NEW.source, {new}, 1)
	ON CONFLICT (source, what) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER items_counts_update AFTER UPDATE OF kind, source, state, fail_kind, captures ON items
WHEN OLD.source IS NOT NEW.source OR {old} IS NOT {new} BEGIN
	UPDATE source_counts SET n = n - 1 WHERE source = OLD.source AND what = {old};
	INSERT INTO source_counts (source, what, n) SELECT NEW.source, {new}, 1 WHERE {new} IS NOT NULL
	ON CONFLICT (source, what) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER items_counts_delete AFTER DELETE ON items WHEN {old} IS NOT NULL BEGIN
	UPDATE source_counts SET n = n - 1 WHERE source = OLD.source AND what = {old};
END;
-- A URL counts as found by a source once, whatever the pages it was seen
-- on (discoveries has a row per page). An upsert that updates a row fires
-- no insert trigger.
CREATE TRIGGER discoveries_counts_insert AFTER INSERT ON discoveries
WHEN NOT EXISTS (SELECT 1 FROM discoveries WHERE ukey = NEW.ukey AND source = NEW.source AND id <> NEW.id) BEGIN
	INSERT INTO source_counts (source, what, n) VALUES (NEW.source, 'found', 1)
	ON CONFLICT (source, what) DO UPDATE SET n = n + 1;
END;

DROP INDEX items_due;
CREATE INDEX items_state_due ON items (state, due) WHERE due IS NOT NULL;
`
