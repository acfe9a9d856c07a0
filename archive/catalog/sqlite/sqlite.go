// Package sqlite implements the capture catalog on a single SQLite file,
// through the pure-Go modernc.org/sqlite driver, with FTS5 full-text search.
//
// The file runs in WAL mode so that searches and listings never wait for
// writes. SQLite allows one writer at a time, so all writes go through a
// pool of exactly one connection whose transactions begin IMMEDIATE:
// concurrent Puts queue in-process instead of failing with SQLITE_BUSY,
// and busy_timeout covers other processes (an `archivist reindex` next to
// the daemon). Reads use a separate, read-only pool.
//
// synchronous=NORMAL is used: in WAL mode it cannot corrupt the database,
// and a power loss can at worst drop the last transactions. That is durable
// enough because the catalog is derived data: the store is the source of
// truth and `archivist reindex` rebuilds any lost rows from it.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	// Registers the "sqlite" database/sql driver.
	_ "modernc.org/sqlite"

	"github.com/archivist-project/archivist/archive/catalog"
)

// busyTimeoutMillis is how long a connection waits for another process's
// lock before giving up with SQLITE_BUSY.
const busyTimeoutMillis = 10000

// optimizeTimeout bounds the PRAGMA optimize run at Close.
const optimizeTimeout = 2 * time.Second

// readerIdleConns bounds the idle read connections kept open; more open on
// demand, so a List callback that itself queries the catalog cannot
// deadlock waiting for a connection.
const readerIdleConns = 4

// Catalog is a catalog.Catalog stored in one SQLite file. It is safe for
// concurrent use.
type Catalog struct {
	path   string
	logger *slog.Logger
	writer *sql.DB // exactly one connection: SQLite's single writer
	reader *sql.DB // read-only connections
	// Statements of the lookups the capture pipeline and `get` make for
	// every page, prepared once: parsing and planning them was half of
	// their cost.
	getByID, nearest, byPayload *sql.Stmt

	write writeStmts

	// rankWindow is how many matches Search ranks at a time
	// (catalog.RankWindow); tests make it small.
	rankWindow int
	// idfSample is how many of the newest captures Search counts each
	// phrase in for its IDF (defaultIDFSample); tests make it small.
	idfSample int

	closeOnce sync.Once
	closeErr  error
}

var _ catalog.Catalog = (*Catalog)(nil)

// Open opens the catalog at path, creating the file and its schema if
// needed and applying pending migrations. A nil logger discards logs.
func Open(ctx context.Context, path string, logger *slog.Logger) (*Catalog, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("open catalog %q: need a file path, e.g. /var/lib/archivist/catalog.db", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open catalog %s: %w", path, err)
	}
	c := &Catalog{path: abs, logger: logger, rankWindow: catalog.RankWindow, idfSample: defaultIDFSample}
	if err := c.open(ctx); err != nil {
		_ = c.closePools()
		return nil, err
	}
	logger.Debug("catalog opened", "path", abs)
	return c, nil
}

func (c *Catalog) open(ctx context.Context) error {
	var err error
	c.writer, err = sql.Open("sqlite", dsn(c.path, true))
	if err != nil {
		return fmt.Errorf("open catalog %s: %w", c.path, err)
	}
	c.writer.SetMaxOpenConns(1)
	c.writer.SetMaxIdleConns(1)

	var mode string
	if err := c.writer.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return fmt.Errorf("open catalog %s (check that the directory exists and is writable): %w", c.path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("open catalog %s: journal mode is %q, not WAL: put the catalog on a local filesystem", c.path, mode)
	}
	if err := migrate(ctx, c.writer, c.path, c.logger); err != nil {
		return err
	}
	if c.write, err = prepareWrites(ctx, c.writer); err != nil {
		return fmt.Errorf("prepare writes in catalog %s: %w", c.path, err)
	}

	c.reader, err = sql.Open("sqlite", dsn(c.path, false))
	if err != nil {
		return fmt.Errorf("open catalog %s for reading: %w", c.path, err)
	}
	c.reader.SetMaxIdleConns(readerIdleConns)
	if err := c.reader.PingContext(ctx); err != nil {
		return fmt.Errorf("open catalog %s for reading: %w", c.path, err)
	}
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{{&c.getByID, getByID}, {&c.nearest, nearestCandidates}, {&c.byPayload, firstByPayload}} {
		if *p.stmt, err = c.reader.PrepareContext(ctx, p.query); err != nil {
			return fmt.Errorf("prepare lookups in catalog %s: %w", c.path, err)
		}
	}
	return nil
}

// dsn builds the driver's data source name. The path goes through a file:
// URI so that '?' or '#' in a file name cannot be read as parameters.
func dsn(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMillis))
	q.Add("_pragma", "foreign_keys(1)")
	if writer {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		// Truncate the WAL back to 64 MiB after a checkpoint: one large
		// transaction (the migration that rebuilds the full-text index)
		// would otherwise leave it at its peak size for good.
		q.Add("_pragma", "journal_size_limit(67108864)")
		// Take the write lock at BEGIN: a deferred transaction that reads
		// first and writes later can fail with SQLITE_BUSY at the upgrade
		// no matter how long busy_timeout is.
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	return u.String()
}

// Close releases the catalog. It is safe to call more than once.
func (c *Catalog) Close() error {
	c.closeOnce.Do(func() {
		// Recommended by SQLite before closing a long-lived connection:
		// refreshes planner statistics, cheaply, only for tables whose size
		// changed a lot. Bounded because it may wait for another process's
		// write lock.
		ctx, cancel := context.WithTimeout(context.Background(), optimizeTimeout)
		defer cancel()
		if _, err := c.writer.ExecContext(ctx, `PRAGMA optimize`); err != nil {
			c.logger.Warn("catalog optimize failed", "path", c.path, "err", err)
		}
		if err := c.closePools(); err != nil {
			c.closeErr = fmt.Errorf("close catalog %s: %w", c.path, err)
		}
	})
	return c.closeErr
}

// closePools closes whatever open managed to create.
func (c *Catalog) closePools() error {
	var errs []error
	for _, st := range []*sql.Stmt{c.write.exists, c.write.insert, c.write.index, c.write.upsert, c.getByID, c.nearest, c.byPayload} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if c.reader != nil {
		errs = append(errs, c.reader.Close())
	}
	if c.writer != nil {
		errs = append(errs, c.writer.Close())
	}
	return errors.Join(errs...)
}
