package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"
)

// migration is one numbered schema change. Migrations are append-only: a
// released migration is never edited, a change is a new migration.
type migration struct {
	version int
	name    string
	sql     string
}

func migrations() []migration {
	return []migration{
		{version: 1, name: "items, discoveries, sources, polls, hosts, validators, claims", sql: schemaV1},
		{version: 2, name: "host queue and source counts kept by triggers; queue index by state", sql: schemaV2()},
	}
}

// schemaV1 is the first frontier schema.
//
// items holds both source polls and discovered URLs. ukey is unique: the
// urlnorm.Key of a URL, or "source:NAME" for a poll, so a URL found by
// several sources or many times is queued once. due is the one column the
// queue is ordered by: the not-before time of a pending item, the lease
// deadline of a leased one (an expired lease is simply due again), NULL for
// items that are done or failed; the partial indexes therefore cover only
// live work however many finished items accumulate.
//
// discoveries is the discovery log: one row per URL, source and page (or
// feed, or sitemap) it was found on, with the first and last time seen.
const schemaV1 = `
CREATE TABLE items (
	id               INTEGER PRIMARY KEY,
	ukey             TEXT NOT NULL UNIQUE,
	kind             TEXT NOT NULL,
	url              TEXT NOT NULL,
	host             TEXT NOT NULL,
	source           TEXT NOT NULL,
	via              TEXT NOT NULL,
	depth            INTEGER NOT NULL,
	state            TEXT NOT NULL,
	due              INTEGER,
	lease_owner      TEXT NOT NULL DEFAULT '',
	lease_seq        INTEGER NOT NULL DEFAULT 0,
	attempts         INTEGER NOT NULL DEFAULT 0,
	fail_kind        TEXT NOT NULL DEFAULT '',
	last_error       TEXT NOT NULL DEFAULT '',
	last_result      TEXT NOT NULL DEFAULT '',
	discovered_at    INTEGER NOT NULL,
	last_fetch_at    INTEGER,
	first_capture_at INTEGER,
	captures         INTEGER NOT NULL DEFAULT 0,
	last_capture_id  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX items_due ON items (due) WHERE due IS NOT NULL;
CREATE INDEX items_host_due ON items (host, due) WHERE due IS NOT NULL;
CREATE INDEX items_source ON items (source, kind, state);

CREATE TABLE discoveries (
	id              INTEGER PRIMARY KEY,
	ukey            TEXT NOT NULL,
	url             TEXT NOT NULL,
	source          TEXT NOT NULL,
	kind            TEXT NOT NULL,
	via             TEXT NOT NULL,
	position        INTEGER NOT NULL,
	found_at        INTEGER NOT NULL,
	last_seen_at    INTEGER NOT NULL,
	seen            INTEGER NOT NULL DEFAULT 1,
	feed_guid       TEXT NOT NULL,
	feed_date       INTEGER,
	sitemap_lastmod INTEGER,
	news_pubdate    INTEGER,
	title           TEXT NOT NULL,
	UNIQUE (ukey, source, via)
);
CREATE INDEX discoveries_source ON discoveries (source, ukey);

CREATE TABLE sources (
	name         TEXT PRIMARY KEY,
	url          TEXT NOT NULL,
	kind         TEXT NOT NULL,
	interval_ms  INTEGER NOT NULL,
	active       INTEGER NOT NULL,
	added_at     INTEGER NOT NULL,
	polls        INTEGER NOT NULL DEFAULT 0,
	last_poll_at INTEGER,
	last_ok      INTEGER NOT NULL DEFAULT 0,
	last_result  TEXT NOT NULL DEFAULT '',
	last_status  INTEGER NOT NULL DEFAULT 0,
	last_new_at  INTEGER
);

CREATE TABLE polls (
	id          INTEGER PRIMARY KEY,
	source      TEXT NOT NULL,
	at          INTEGER NOT NULL,
	ok          INTEGER NOT NULL,
	result      TEXT NOT NULL,
	http_status INTEGER NOT NULL,
	found       INTEGER NOT NULL,
	new         INTEGER NOT NULL
);
CREATE INDEX polls_source ON polls (source, id);
CREATE INDEX polls_source_new ON polls (source, id) WHERE new > 0;

CREATE TABLE hosts (
	host          TEXT PRIMARY KEY,
	backoff_until INTEGER NOT NULL,
	reason        TEXT NOT NULL
);

CREATE TABLE validators (
	ukey          TEXT PRIMARY KEY,
	etag          TEXT NOT NULL,
	last_modified TEXT NOT NULL,
	updated_at    INTEGER NOT NULL
);

CREATE TABLE claims (
	ukey    TEXT PRIMARY KEY,
	item_id INTEGER NOT NULL
);
CREATE INDEX claims_item ON claims (item_id);
`

const createMigrationsTable = `
CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at TEXT NOT NULL
)`

func latestVersion() int {
	all := migrations()
	return all[len(all)-1].version
}

// migrate brings the database up to latestVersion, one transaction per
// migration together with its schema_migrations row.
func migrate(ctx context.Context, db *sql.DB, path string, logger *slog.Logger) error {
	if _, err := db.ExecContext(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("create schema_migrations in frontier %s: %w", path, err)
	}
	for _, m := range migrations() {
		if err := apply(ctx, db, path, m, logger); err != nil {
			return err
		}
	}
	return nil
}

func apply(ctx context.Context, db *sql.DB, path string, m migration, logger *slog.Logger) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration %d of frontier %s: %w", m.version, path, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version of frontier %s: %w", path, err)
	}
	if current > latestVersion() {
		return fmt.Errorf("frontier at %s has schema version %d, this archivist knows up to %d: upgrade archivist", path, current, latestVersion())
	}
	if current >= m.version {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("apply migration %d (%s) to frontier %s: %w", m.version, m.name, path, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("record migration %d of frontier %s: %w", m.version, path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migration %d of frontier %s: %w", m.version, path, err)
	}
	logger.Info("frontier schema migrated", "path", path, "version", m.version, "migration", m.name)
	return nil
}
