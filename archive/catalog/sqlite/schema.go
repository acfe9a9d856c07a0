package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// migration is one numbered schema change. Migrations are append-only: a
// released migration is never edited, a change is a new migration.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists every schema change in order; versions are 1, 2, 3...
// A function rather than a variable so that nothing can change the list.
func migrations() []migration {
	return []migration{
		{version: 1, name: "captures and full-text index", sql: schemaV1},
		{version: 2, name: "payload digest index", sql: schemaV2},
		{version: 3, name: "full-text index with host, rebuilt", sql: schemaV3},
		{version: 4, name: "full-text index with common grams, rebuilt", sql: schemaV4},
	}
}

// schemaV1 creates the captures table and its full-text index.
//
// Times are TEXT in a fixed-width UTC layout (timeLayout) so that string
// order is time order, they keep nanoseconds, and they survive any year an
// extractor may produce for Published (unix nanoseconds overflow outside
// 1678..2262).
//
// The FTS5 table is external-content: it stores only the index and reads
// title and text back from captures for snippet(), so article text is kept
// once. Contentless tables would save nothing more and cannot produce
// snippets. Triggers keep the index in step with every insert, upsert and
// delete, whatever statement touches captures; an external-content index
// must be told the old values to remove them, which only a trigger sees.
const schemaV1 = `
CREATE TABLE captures (
	id              INTEGER PRIMARY KEY,
	capture_id      TEXT NOT NULL UNIQUE,
	url             TEXT NOT NULL,
	final_url       TEXT NOT NULL,
	canonical_url   TEXT NOT NULL,
	url_key         TEXT NOT NULL,
	canonical_key   TEXT NOT NULL,
	host            TEXT NOT NULL,
	fetched_at      TEXT NOT NULL,
	status          INTEGER NOT NULL,
	content_type    TEXT NOT NULL,
	page_type       TEXT NOT NULL,
	title           TEXT NOT NULL,
	authors         TEXT NOT NULL,
	published       TEXT,
	site_name       TEXT NOT NULL,
	language        TEXT NOT NULL,
	description     TEXT NOT NULL,
	word_count      INTEGER NOT NULL,
	text            TEXT NOT NULL,
	payload_sha256  TEXT NOT NULL,
	seed            TEXT NOT NULL,
	run_id          TEXT NOT NULL,
	warc_key        TEXT NOT NULL,
	warc_sha256     TEXT NOT NULL,
	warc_size       INTEGER NOT NULL,
	article_key     TEXT NOT NULL,
	article_sha256  TEXT NOT NULL,
	article_size    INTEGER NOT NULL,
	provenance_key     TEXT NOT NULL,
	provenance_sha256  TEXT NOT NULL,
	provenance_size    INTEGER NOT NULL,
	source             TEXT NOT NULL DEFAULT '',
	tags               TEXT NOT NULL DEFAULT '[]',
	kind               TEXT NOT NULL DEFAULT 'response',
	previous_capture_id TEXT NOT NULL DEFAULT '',
	extractor_version  TEXT NOT NULL DEFAULT '',
	paywalled          INTEGER NOT NULL DEFAULT 0
);

-- capture_id closes every index so List's ORDER BY fetched_at, capture_id
-- is read straight from the index instead of sorted in a temporary b-tree.
CREATE INDEX captures_url_key ON captures (url_key, fetched_at, capture_id);
CREATE INDEX captures_canonical_key ON captures (canonical_key, fetched_at, capture_id);
CREATE INDEX captures_host ON captures (host, fetched_at, capture_id);
CREATE INDEX captures_fetched_at ON captures (fetched_at, capture_id);
CREATE INDEX captures_published ON captures (published);
CREATE INDEX captures_source ON captures (source, fetched_at, capture_id);

CREATE VIRTUAL TABLE captures_fts USING fts5 (
	title, text,
	content = 'captures', content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER captures_fts_insert AFTER INSERT ON captures BEGIN
	INSERT INTO captures_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
END;
CREATE TRIGGER captures_fts_delete AFTER DELETE ON captures BEGIN
	INSERT INTO captures_fts (captures_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
END;
CREATE TRIGGER captures_fts_update AFTER UPDATE OF title, text ON captures BEGIN
	INSERT INTO captures_fts (captures_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
	INSERT INTO captures_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
END;
`

// schemaV2 indexes captures by payload digest, so that deduplication
// across the whole archive (FirstByPayload) is one index seek per capture
// rather than a scan.
const schemaV2 = `
CREATE INDEX captures_payload ON captures (payload_sha256, fetched_at, capture_id);
`

// schemaV3 rebuilds the full-text index with a third column, the host,
// so that a search within one host is an intersection inside FTS5 (the
// host's short doclist drives, the query's long ones are skipped through)
// instead of a check of every match against the captures table. Search
// gives the host column weight 0 and user terms never reach it: their
// query is restricted to {title text}.
//
// New rows are indexed by the code that inserts them (writeStmts), not by
// an insert trigger, so that a transaction's rows make one index segment;
// anything else inserting into captures must write captures_fts too.
// Updates and deletes keep their triggers: an external-content index must
// be told a row's old values to remove them, which a trigger sees.
//
// Rebuilding reads and tokenizes every capture's title and text again,
// once: about 1.2 ms of CPU a capture, 20 minutes for a million.
const schemaV3 = `
DROP TRIGGER captures_fts_insert;
DROP TRIGGER captures_fts_delete;
DROP TRIGGER captures_fts_update;
DROP TABLE captures_fts;

CREATE VIRTUAL TABLE captures_fts USING fts5 (
	title, text, host,
	content = 'captures', content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER captures_fts_delete AFTER DELETE ON captures BEGIN
	INSERT INTO captures_fts (captures_fts, rowid, title, text, host) VALUES ('delete', old.id, old.title, old.text, old.host);
END;
CREATE TRIGGER captures_fts_update AFTER UPDATE OF title, text, host ON captures BEGIN
	INSERT INTO captures_fts (captures_fts, rowid, title, text, host) VALUES ('delete', old.id, old.title, old.text, old.host);
	INSERT INTO captures_fts (rowid, title, text, host) VALUES (new.id, new.title, new.text, new.host);
END;

INSERT INTO captures_fts (captures_fts) VALUES ('rebuild');
`

// schemaV4 rebuilds the full-text index with two more columns, the
// common grams of the title and of the text (see grams.go), so that a
// phrase of common words is one token's document list instead of a walk
// over the positions of words found in nearly every capture.
//
// The grams are not stored: FTS5 reads its content through a view that
// computes them with gramsFunc, a Go function the package registers with
// the driver. A connection without it (the sqlite3 shell) can read the
// catalog and search it, but not write to captures; archivist is the
// catalog's only writer anyway.
//
// Rebuilding tokenizes every capture again and computes its grams, once,
// in one transaction: 1.5 ms of CPU a capture (27 minutes for a million),
// and a write-ahead log as large as the new index until it commits.
const schemaV4 = `
DROP TRIGGER captures_fts_delete;
DROP TRIGGER captures_fts_update;
DROP TABLE captures_fts;

CREATE VIEW captures_fts_content AS
	SELECT id, title, text, host,
		` + gramsFunc + `(title) AS title_grams, ` + gramsFunc + `(text) AS text_grams
	FROM captures;

CREATE VIRTUAL TABLE captures_fts USING fts5 (
	title, text, host, title_grams, text_grams,
	content = 'captures_fts_content', content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER captures_fts_delete AFTER DELETE ON captures BEGIN
	INSERT INTO captures_fts (captures_fts, rowid, title, text, host, title_grams, text_grams)
	VALUES ('delete', old.id, old.title, old.text, old.host, ` + gramsFunc + `(old.title), ` + gramsFunc + `(old.text));
END;
CREATE TRIGGER captures_fts_update AFTER UPDATE OF title, text, host ON captures BEGIN
	INSERT INTO captures_fts (captures_fts, rowid, title, text, host, title_grams, text_grams)
	VALUES ('delete', old.id, old.title, old.text, old.host, ` + gramsFunc + `(old.title), ` + gramsFunc + `(old.text));
	INSERT INTO captures_fts (rowid, title, text, host, title_grams, text_grams)
	VALUES (new.id, new.title, new.text, new.host, ` + gramsFunc + `(new.title), ` + gramsFunc + `(new.text));
END;

INSERT INTO captures_fts (captures_fts) VALUES ('rebuild');
`

const createMigrationsTable = `
CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at TEXT NOT NULL
)`

// latestVersion is the schema version this code writes and understands.
func latestVersion() int {
	all := migrations()
	return all[len(all)-1].version
}

// migrate brings the database at path up to latestVersion. Each migration
// runs in its own transaction together with its schema_migrations row, so a
// crash leaves the schema at a known version. The writer pool starts
// transactions with BEGIN IMMEDIATE, so two processes opening the same new
// file apply each migration once: the second waits, then sees the first's
// row.
func migrate(ctx context.Context, db *sql.DB, path string, logger *slog.Logger) error {
	if _, err := db.ExecContext(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("create schema_migrations in catalog %s: %w", path, err)
	}
	for _, m := range migrations() {
		if err := apply(ctx, db, path, m, logger, migrationHeartbeat); err != nil {
			return err
		}
	}
	return nil
}

// migrationHeartbeat is how often a running migration says it still is:
// rebuilding the full-text index of a million captures takes half an
// hour, and a daemon silent that long looks hung.
const migrationHeartbeat = 30 * time.Second

// apply runs m unless the database already has it; it also refuses a
// database written by a newer archivist, whose schema this code would
// misread. While m runs it logs every heartbeat (0: never).
func apply(ctx context.Context, db *sql.DB, path string, m migration, logger *slog.Logger, heartbeat time.Duration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration %d of catalog %s: %w", m.version, path, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit

	var current int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version of catalog %s: %w", path, err)
	}
	if current > latestVersion() {
		return fmt.Errorf("catalog at %s has schema version %d, this archivist knows up to %d: upgrade archivist", path, current, latestVersion())
	}
	if current >= m.version {
		return nil
	}
	// Said before, not only after, with the captures it has to go
	// through, then every heartbeat: a migration that rebuilds an index
	// holds Open for minutes on a large catalog.
	attrs := []any{"path", path, "version", m.version, "migration", m.name}
	var captures int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM captures`).Scan(&captures); err == nil {
		attrs = append(attrs, "captures", captures)
	}
	logger.Info("catalog schema migrating", attrs...)
	start := time.Now()
	stop := logWhile(logger, heartbeat, "catalog schema still migrating", attrs)
	_, err = tx.ExecContext(ctx, m.sql)
	stop()
	if err != nil {
		return fmt.Errorf("apply migration %d (%s) to catalog %s: %w", m.version, m.name, path, err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("record migration %d of catalog %s: %w", m.version, path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migration %d of catalog %s: %w", m.version, path, err)
	}
	logger.Info("catalog schema migrated", append(attrs, "took", time.Since(start).Round(time.Millisecond).String())...)
	return nil
}

// logWhile logs msg with attrs and the time elapsed every interval until
// the returned function is called (never, for an interval of 0).
func logWhile(logger *slog.Logger, interval time.Duration, msg string, attrs []any) (stop func()) {
	if interval <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				logger.Info(msg, append(slices.Clone(attrs), "elapsed", time.Since(start).Round(time.Second).String())...)
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
