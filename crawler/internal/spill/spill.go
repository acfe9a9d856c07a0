// Package spill keeps what a crawl run remembers beyond its memory budget
// in a scratch SQLite file: the URL keys it has seen or claimed, and the
// URLs it has queued but not yet fetched. The run keeps its recent state
// in memory and moves the rest here, so its memory stays flat however
// many pages it crawls.
//
// The file belongs to one run. It is created on first use, in the
// directory the run names, and removed when the run closes it. It is
// neither journaled nor synced: a crawl that dies starts its next run
// afresh, so there is nothing in it to recover; a file left by a killed
// process names that process, and the next run that creates a file in the
// same directory removes it (RemoveStale).
package spill

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// filePrefix starts the name of every spill file, so RemoveStale can tell
// them from anything else in the directory.
const filePrefix = "archivist-crawl-spill-"

// Table names one key-to-URL table in the file.
type Table int

// The key tables a run keeps.
const (
	// Seen holds the key of every URL queued or reached, and the URL that
	// got there first.
	Seen Table = iota
	// Canonical holds the canonical keys of archived pages and the URL
	// whose fetch archived each.
	Canonical
)

// Item is one queued URL.
type Item struct {
	Host  string
	URL   string
	Key   string
	Via   string
	Seed  string
	Depth int
}

// File is a run's spill file. Its methods are safe for concurrent use;
// the first call that needs the file creates it.
type File struct {
	dir string
	log *slog.Logger

	mu     sync.Mutex
	db     *sql.DB
	getKey *sql.Stmt // prepared once: Key is the hot call
	path   string
	err    error // why the file could not be created, once it failed
	closed bool
}

// New returns the spill file of a run, to be created in dir when first
// needed (dir "" means the system's temporary directory); it logs to log
// (nil: nowhere).
func New(dir string, log *slog.Logger) *File {
	if dir == "" {
		dir = os.TempDir()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &File{dir: dir, log: log}
}

// Path is where the file is, "" until it is created.
func (f *File) Path() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.path
}

// open creates the file on first use.
func (f *File) open() (*sql.DB, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, errors.New("spill file is closed")
	}
	if f.db != nil || f.err != nil {
		return f.db, f.err
	}
	f.db, f.err = f.create()
	return f.db, f.err
}

func (f *File) create() (*sql.DB, error) {
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return nil, fmt.Errorf("create crawl spill directory: %w", err)
	}
	// Only a run that spills looks for the files of killed ones: the same
	// directory, and no listing of it for the many runs that never spill.
	n, err := RemoveStale(f.dir)
	if err != nil {
		f.log.Warn("could not remove crawl spill files left by killed crawls", "dir", f.dir, "error", err)
	}
	if n > 0 {
		f.log.Info("removed crawl spill files left by killed crawls", "dir", f.dir, "files", n)
	}
	// The pid in the name lets RemoveStale tell a live run's file from
	// one a killed crawl left.
	tmp, err := os.CreateTemp(f.dir, filePrefix+strconv.Itoa(os.Getpid())+"-*.db")
	if err != nil {
		return nil, fmt.Errorf("create crawl spill file in %s: %w", f.dir, err)
	}
	path := tmp.Name()
	tmp.Close()
	q := url.Values{}
	// Scratch data: a crash loses nothing a new run needs, so no journal
	// and no fsync.
	q.Add("_pragma", "journal_mode(OFF)")
	q.Add("_pragma", "synchronous(OFF)")
	q.Add("_pragma", "temp_store(MEMORY)")
	// The file is this process's alone: one lock for its life, instead of
	// lock and unlock system calls (and a cache check) on every lookup.
	q.Add("_pragma", "locking_mode(EXCLUSIVE)")
	// A small page cache: the point of the file is to keep memory flat.
	q.Add("_pragma", "cache_size(-4096)")
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("open crawl spill file %s: %w", path, err)
	}
	// One connection: the file is private to this process and SQLite
	// serialises writers anyway; one connection keeps one page cache.
	db.SetMaxOpenConns(1)
	const schema = `
CREATE TABLE keys (tab INTEGER NOT NULL, key TEXT NOT NULL, url TEXT NOT NULL, PRIMARY KEY (tab, key)) WITHOUT ROWID;
CREATE TABLE queue (seq INTEGER PRIMARY KEY, host TEXT NOT NULL, url TEXT NOT NULL, key TEXT NOT NULL,
	via TEXT NOT NULL, seed TEXT NOT NULL, depth INTEGER NOT NULL);
CREATE INDEX queue_host ON queue (host, seq);`
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		os.Remove(path)
		return nil, fmt.Errorf("create crawl spill file %s: %w", path, err)
	}
	if f.getKey, err = db.Prepare(`SELECT url FROM keys WHERE tab = ? AND key = ?`); err != nil {
		db.Close()
		os.Remove(path)
		return nil, fmt.Errorf("create crawl spill file %s: %w", path, err)
	}
	f.path = path
	return db, nil
}

// Close closes and removes the file.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	if f.db == nil {
		return nil
	}
	f.getKey.Close()
	err := f.db.Close()
	f.db = nil
	if rerr := os.Remove(f.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = errors.Join(err, fmt.Errorf("remove crawl spill file: %w", rerr))
	}
	return err
}

// PutKeys stores key → URL entries in table, replacing any already there.
func (f *File) PutKeys(ctx context.Context, table Table, entries map[string]string) error {
	if len(entries) == 0 {
		return nil
	}
	db, err := f.open()
	if err != nil {
		return err
	}
	return inTx(ctx, db, `INSERT OR REPLACE INTO keys (tab, key, url) VALUES (?, ?, ?)`, func(stmt *sql.Stmt) error {
		for k, u := range entries {
			if _, err := stmt.ExecContext(ctx, int(table), k, u); err != nil {
				return err
			}
		}
		return nil
	})
}

// Key returns the URL stored for key in table, and whether there is one.
func (f *File) Key(ctx context.Context, table Table, key string) (string, bool, error) {
	if _, err := f.open(); err != nil {
		return "", false, err
	}
	var u string
	err := f.getKey.QueryRowContext(ctx, int(table), key).Scan(&u)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read crawl spill file: %w", err)
	}
	return u, true, nil
}

// DeleteKey removes key from table.
func (f *File) DeleteKey(ctx context.Context, table Table, key string) error {
	db, err := f.open()
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM keys WHERE tab = ? AND key = ?`, int(table), key); err != nil {
		return fmt.Errorf("write crawl spill file: %w", err)
	}
	return nil
}

// Push appends items to the queue; each host's items come back from Pop
// in the order they were pushed.
func (f *File) Push(ctx context.Context, items []Item) error {
	if len(items) == 0 {
		return nil
	}
	db, err := f.open()
	if err != nil {
		return err
	}
	return inTx(ctx, db, `INSERT INTO queue (host, url, key, via, seed, depth) VALUES (?, ?, ?, ?, ?, ?)`, func(stmt *sql.Stmt) error {
		for _, it := range items {
			if _, err := stmt.ExecContext(ctx, it.Host, it.URL, it.Key, it.Via, it.Seed, it.Depth); err != nil {
				return err
			}
		}
		return nil
	})
}

// Pop removes and returns the first n queued items of host.
func (f *File) Pop(ctx context.Context, host string, n int) ([]Item, error) {
	db, err := f.open()
	if err != nil {
		return nil, err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("read crawl spill file: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT seq, url, key, via, seed, depth FROM queue WHERE host = ? ORDER BY seq LIMIT ?`, host, n)
	if err != nil {
		return nil, fmt.Errorf("read crawl spill file: %w", err)
	}
	var items []Item
	var last int64
	for rows.Next() {
		it := Item{Host: host}
		if err := rows.Scan(&last, &it.URL, &it.Key, &it.Via, &it.Seed, &it.Depth); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read crawl spill file: %w", err)
		}
		items = append(items, it)
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("read crawl spill file: %w", err)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read crawl spill file: %w", err)
	}
	if len(items) == 0 {
		return nil, nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM queue WHERE host = ? AND seq <= ?`, host, last); err != nil {
		return nil, fmt.Errorf("write crawl spill file: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("write crawl spill file: %w", err)
	}
	return items, nil
}

func inTx(ctx context.Context, db *sql.DB, query string, each func(*sql.Stmt) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("write crawl spill file: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return fmt.Errorf("write crawl spill file: %w", err)
	}
	defer stmt.Close()
	if err := each(stmt); err != nil {
		return fmt.Errorf("write crawl spill file: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write crawl spill file: %w", err)
	}
	return nil
}

// RemoveStale removes the spill files in dir that crawls killed before
// they could remove their own left behind: those whose process is gone.
// It returns how many it removed.
func RemoveStale(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("list crawl spill files: %w", err)
	}
	removed := 0
	var errs []error
	for _, e := range entries {
		pid, ok := filePID(e.Name())
		if !ok || e.IsDir() || processAlive(pid) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove stale crawl spill file: %w", err))
			continue
		}
		removed++
	}
	return removed, errors.Join(errs...)
}

// filePID returns the process id in a spill file's name.
func filePID(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, filePrefix)
	if !ok {
		return 0, false
	}
	digits, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(digits)
	return pid, err == nil && pid > 0
}
