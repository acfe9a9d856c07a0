// Package postgres implements the capture catalog on PostgreSQL through
// pgx v5, for several `archivist serve` replicas and readers sharing one
// catalog. It passes the same shared suite (catalogtest) as the SQLite
// backend and speaks the same query syntax (package catalog/query).
//
// Full-text search uses a tsvector column with a GIN index, built with the
// text search configuration of each capture's language (stemming and stop
// words for the 29 languages PostgreSQL ships, accent folding for all; see
// schemaV1). Ranking is ts_rank with the title weighted five times the
// text and a length normalisation, so scores and the order of close hits
// differ from SQLite's BM25; the set of hits differs where stemming
// matches word forms SQLite's tokenizer keeps apart. As in SQLite, matches
// are ranked in windows of the latest catalog.RankWindow.
//
// The schema is created and upgraded by `archivist migrate` (Schema, and
// package archive/pgdb); Open refuses a database at another version.
package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/pgdb"
)

// Catalog is a catalog.Catalog in a PostgreSQL database. It is safe for
// concurrent use.
type Catalog struct {
	pool     *pgxpool.Pool
	ownsPool bool
	where    string // the database, for messages (no password)
	logger   *slog.Logger
	configs  map[string]bool // archivist_ text search configurations the database has
	// rankWindow is how many matches Search ranks at a time
	// (catalog.RankWindow); tests make it small.
	rankWindow int

	closeOnce sync.Once
}

var (
	_ catalog.Catalog  = (*Catalog)(nil)
	_ catalog.Selector = (*Catalog)(nil)
)

// Open connects to the database at dsn (postgres://...) and returns its
// catalog. The schema must be current: run `archivist migrate` first.
func Open(ctx context.Context, dsn string, logger *slog.Logger) (*Catalog, error) {
	pool, err := pgdb.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open catalog: %w", err)
	}
	c, err := New(ctx, pool, logger)
	if err != nil {
		pool.Close()
		return nil, err
	}
	c.ownsPool = true
	return c, nil
}

// New returns the catalog in the database pool talks to; Close leaves the
// pool open for its owner. A nil logger discards logs.
func New(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) (*Catalog, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Catalog{pool: pool, where: pgdb.Where(pool), logger: logger, configs: map[string]bool{}, rankWindow: catalog.RankWindow}
	if err := pgdb.Check(ctx, pool, Schema()); err != nil {
		return nil, fmt.Errorf("open catalog: %w", err)
	}
	rows, err := pool.Query(ctx, `SELECT cfgname FROM pg_ts_config WHERE cfgname LIKE 'archivist\_%'`)
	if err != nil {
		return nil, fmt.Errorf("open catalog in %s: list text search configurations: %w", c.where, err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("open catalog in %s: list text search configurations: %w", c.where, err)
	}
	for _, n := range names {
		c.configs[n] = true
	}
	if !c.configs[simpleConfig] {
		return nil, fmt.Errorf("open catalog in %s: text search configuration %s is missing: run `archivist migrate --db URL`", c.where, simpleConfig)
	}
	logger.Debug("catalog opened", "database", c.where)
	return c, nil
}

// Where names the database (without password).
func (c *Catalog) Where() string { return c.where }

// Close releases the catalog (and its pool, when Open made it). It is safe
// to call more than once.
func (c *Catalog) Close() error {
	c.closeOnce.Do(func() {
		if c.ownsPool {
			c.pool.Close()
		}
	})
	return nil
}

// Put adds or replaces the entry with e.CaptureID.
func (c *Catalog) Put(ctx context.Context, e catalog.Entry) error {
	args, err := entryArgs(e, configFor(e.Language, c.configs))
	if err != nil {
		return fmt.Errorf("put into catalog %s: %w", c.where, err)
	}
	if _, err := c.pool.Exec(ctx, upsertEntry, args...); err != nil {
		return fmt.Errorf("put entry %s into catalog %s: %w", e.CaptureID, c.where, err)
	}
	return nil
}

// PutBatch adds or replaces entries in one transaction, sent as one
// pipelined batch: either all land or none does. Later entries win over
// earlier ones with the same capture id.
func (c *Catalog) PutBatch(ctx context.Context, entries []catalog.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	var batch pgx.Batch
	for i, e := range entries {
		args, err := entryArgs(e, configFor(e.Language, c.configs))
		if err != nil {
			return fmt.Errorf("put batch into catalog %s: entry %d: %w", c.where, i, err)
		}
		batch.Queue(upsertEntry, args...)
	}
	err := pgx.BeginFunc(ctx, c.pool, func(tx pgx.Tx) error {
		return tx.SendBatch(ctx, &batch).Close()
	})
	if err != nil {
		return fmt.Errorf("put batch of %d entries into catalog %s: %w", len(entries), c.where, err)
	}
	return nil
}

// Missing returns the ids among ids that the catalog does not hold, in
// the order given.
func (c *Catalog) Missing(ctx context.Context, ids []string) ([]string, error) {
	rows, err := c.pool.Query(ctx, `SELECT capture_id FROM captures WHERE capture_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("check captures in catalog %s: %w", c.where, err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("check captures in catalog %s: %w", c.where, err)
	}
	have := make(map[string]bool, len(found))
	for _, id := range found {
		have[id] = true
	}
	var missing []string
	for _, id := range ids {
		if !have[id] {
			missing = append(missing, id)
		}
	}
	return missing, nil
}
