// Package sqlite implements frontier.Frontier on one SQLite file (normally
// DATA/frontier.db) through the pure-Go modernc.org/sqlite driver.
//
// The file runs in WAL mode with synchronous=FULL: unlike the catalog, the
// frontier is not derived data (a discovered URL lost here is an article
// never archived), so every committed transaction must survive a power
// loss, not only a process crash. All writes go through one connection
// whose transactions begin IMMEDIATE, so concurrent workers queue
// in-process instead of failing with SQLITE_BUSY; reads (status, stats)
// use a separate read-only pool and never wait for writes.
//
// Nothing about the queue is held in memory: a million pending URLs cost
// disk, not RAM. Times are stored as Unix milliseconds; the queue is
// indexed by state and due time and by host. What the scheduler and
// `status` ask every few seconds (each host's earliest item, each source's
// counts) is kept by triggers in small tables, so that their cost does not
// grow with the queue (see schemaV2).
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

	"github.com/archivist-project/archivist/crawler/frontier"
)

// busyTimeoutMillis is how long a connection waits for another process's
// lock (an `archivist status` reading while the daemon writes).
const busyTimeoutMillis = 10000

// Frontier is a frontier.Frontier in one SQLite file.
type Frontier struct {
	path   string
	logger *slog.Logger
	writer *sql.DB // one connection: SQLite's single writer
	reader *sql.DB

	stmts stmtCache // the writer's

	mu    sync.Mutex
	clock func() time.Time // for SourceStats' stall check

	closeOnce sync.Once
	closeErr  error
}

var _ frontier.Frontier = (*Frontier)(nil)

// Open opens (creating if needed) the frontier at path. A nil logger
// discards logs.
func Open(ctx context.Context, path string, logger *slog.Logger) (*Frontier, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("open frontier %q: need a file path, e.g. /var/lib/archivist/frontier.db", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open frontier %s: %w", path, err)
	}
	f := &Frontier{path: abs, logger: logger, clock: time.Now}
	if err := f.open(ctx); err != nil {
		_ = f.closePools()
		return nil, err
	}
	return f, nil
}

func (f *Frontier) open(ctx context.Context) error {
	var err error
	if f.writer, err = sql.Open("sqlite", dsn(f.path, true)); err != nil {
		return fmt.Errorf("open frontier %s: %w", f.path, err)
	}
	f.writer.SetMaxOpenConns(1)
	f.writer.SetMaxIdleConns(1)
	var mode string
	if err := f.writer.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return fmt.Errorf("open frontier %s (check that the directory exists and is writable): %w", f.path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("open frontier %s: journal mode is %q, not WAL: put the data directory on a local filesystem", f.path, mode)
	}
	if err := migrate(ctx, f.writer, f.path, f.logger); err != nil {
		return err
	}
	if f.reader, err = sql.Open("sqlite", dsn(f.path, false)); err != nil {
		return fmt.Errorf("open frontier %s for reading: %w", f.path, err)
	}
	f.reader.SetMaxIdleConns(2)
	if err := f.reader.PingContext(ctx); err != nil {
		return fmt.Errorf("open frontier %s for reading: %w", f.path, err)
	}
	return nil
}

func dsn(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMillis))
	if writer {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		// Statements that fire triggers keep a statement journal (to undo
		// their part on a conflict); on disk it was a third of the CPU of
		// queueing URLs, in write(2) calls. It holds a few pages at most.
		q.Add("_pragma", "temp_store(MEMORY)")
		// Take the write lock at BEGIN: a deferred transaction that reads
		// first and writes later can fail with SQLITE_BUSY at the upgrade.
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	return u.String()
}

// SetClock replaces the clock SourceStats judges stalls by (default
// time.Now); tests inject theirs.
func (f *Frontier) SetClock(clock func() time.Time) {
	f.mu.Lock()
	f.clock = clock
	f.mu.Unlock()
}

func (f *Frontier) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clock()
}

// Path returns the database file.
func (f *Frontier) Path() string { return f.path }

// Ping checks that both pools answer.
func (f *Frontier) Ping(ctx context.Context) error {
	var one int
	if err := f.reader.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("ping frontier %s: %w", f.path, err)
	}
	if err := f.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("ping frontier %s: %w", f.path, err)
	}
	return nil
}

// Close releases the database. It is safe to call more than once.
func (f *Frontier) Close() error {
	f.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if _, err := f.writer.ExecContext(ctx, `PRAGMA optimize`); err != nil {
			f.logger.Warn("frontier optimize failed", "path", f.path, "err", err)
		}
		if err := f.closePools(); err != nil {
			f.closeErr = fmt.Errorf("close frontier %s: %w", f.path, err)
		}
	})
	return f.closeErr
}

func (f *Frontier) closePools() error {
	errs := []error{f.stmts.close()}
	if f.reader != nil {
		errs = append(errs, f.reader.Close())
	}
	if f.writer != nil {
		errs = append(errs, f.writer.Close())
	}
	return errors.Join(errs...)
}

// tx runs fn in one write transaction, then prepares the statements it
// ran that were not cached yet.
func (f *Frontier) tx(ctx context.Context, what string, fn func(*wtx) error) error {
	sqlTx, err := f.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s in frontier %s: %w", what, f.path, err)
	}
	tx := &wtx{Tx: sqlTx, cache: &f.stmts}
	defer func() {
		tx.Rollback() //nolint:errcheck // no-op after Commit
		if len(tx.missed) > 0 {
			if err := f.stmts.prepare(ctx, f.writer, tx.missed); err != nil && ctx.Err() == nil {
				// Only a lost speed-up: the statement runs unprepared.
				f.logger.Debug("prepare frontier statement failed", "path", f.path, "err", err)
			}
		}
	}()
	if err := fn(tx); err != nil {
		if errors.Is(err, frontier.ErrLeaseLost) {
			return err
		}
		return fmt.Errorf("%s in frontier %s: %w", what, f.path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit %s in frontier %s: %w", what, f.path, err)
	}
	return nil
}

// Times are Unix milliseconds; NULL is "never".

func ms(t time.Time) int64 { return t.UnixMilli() }

func nullMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func fromMS(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMilli(n.Int64).UTC()
}

func ptrMS(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func fromMSPtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := time.UnixMilli(n.Int64).UTC()
	return &t
}
