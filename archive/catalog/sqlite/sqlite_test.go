package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/catalog/catalogtest"
)

func openTemp(t testing.TB) *Catalog {
	t.Helper()
	c, err := Open(t.Context(), filepath.Join(t.TempDir(), "catalog.db"), nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestSuite(t *testing.T) {
	catalogtest.Run(t, func(t *testing.T) catalog.Catalog { return openTemp(t) })
}

// entry returns a valid entry for tests of this backend alone.
func entry(id string, fetched time.Time) catalog.Entry {
	return catalog.Entry{
		CaptureID: id,
		URL:       "https://news.example/" + id,
		URLKey:    "https://news.example/" + id,
		Host:      "news.example",
		FetchedAt: fetched,
		Title:     "Story " + id,
		Text:      "Text of story " + id,
	}
}

// rawDB opens the catalog file directly, bypassing the package.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		t.Fatalf("open raw %s: %v", path, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestOpenRejectsNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.db")
	c, err := Open(t.Context(), path, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	future := latestVersion() + 41
	if _, err := rawDB(t, path).Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from the future', '')`, future); err != nil {
		t.Fatalf("insert future migration: %v", err)
	}
	_, err = Open(t.Context(), path, nil)
	if err == nil {
		t.Fatal("Open of a catalog with a newer schema succeeded, want an error")
	}
	want := fmt.Sprintf("catalog at %s has schema version %d, this archivist knows up to %d: upgrade archivist", path, future, latestVersion())
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("Open error = %q, want it to contain %q", err, want)
	}
}

func TestReopenKeepsDataAndAppliesMigrationsOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.db")
	e := entry("20250301T120000Z-AAAAAAAAAA", time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	for range 3 {
		c, err := Open(t.Context(), path, nil)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if err := c.Put(t.Context(), e); err != nil {
			t.Fatalf("Put: %v", err)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	c, err := Open(t.Context(), path, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer c.Close()
	if got, err := c.Get(t.Context(), e.CaptureID); err != nil || got.Title != e.Title {
		t.Fatalf("Get after reopen = %q, %v; want %q", got.Title, err, e.Title)
	}
	var versions, max int
	if err := c.reader.QueryRowContext(t.Context(), `SELECT count(*), max(version) FROM schema_migrations`).Scan(&versions, &max); err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	if versions != len(migrations()) || max != latestVersion() {
		t.Fatalf("schema_migrations has %d rows up to version %d, want %d up to %d", versions, max, len(migrations()), latestVersion())
	}
}

func TestOpenSettings(t *testing.T) {
	c := openTemp(t)
	ctx := t.Context()
	pragma := func(db *sql.DB, name string) string {
		t.Helper()
		var v string
		if err := db.QueryRowContext(ctx, `PRAGMA `+name).Scan(&v); err != nil {
			t.Fatalf("PRAGMA %s: %v", name, err)
		}
		return v
	}
	for _, tc := range []struct {
		db         *sql.DB
		pool, name string
		want       string
	}{
		{c.writer, "writer", "journal_mode", "wal"},
		{c.writer, "writer", "synchronous", "1"}, // NORMAL
		{c.writer, "writer", "foreign_keys", "1"},
		{c.writer, "writer", "busy_timeout", fmt.Sprint(busyTimeoutMillis)},
		{c.reader, "reader", "journal_mode", "wal"},
		{c.reader, "reader", "query_only", "1"},
		{c.reader, "reader", "busy_timeout", fmt.Sprint(busyTimeoutMillis)},
	} {
		if got := pragma(tc.db, tc.name); got != tc.want {
			t.Errorf("%s PRAGMA %s = %s, want %s", tc.pool, tc.name, got, tc.want)
		}
	}
	if _, err := c.reader.ExecContext(ctx, `DELETE FROM captures`); err == nil {
		t.Error("the read pool accepted a write")
	}
}

func TestOpenPaths(t *testing.T) {
	dir := t.TempDir()
	for _, path := range []string{"", ":memory:", "file:catalog.db"} {
		if c, err := Open(t.Context(), path, nil); err == nil {
			c.Close()
			t.Errorf("Open(%q) succeeded, want an error asking for a file path", path)
		}
	}
	missing := filepath.Join(dir, "no-such-dir", "catalog.db")
	if _, err := Open(t.Context(), missing, nil); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("Open(%s) error = %v, want one naming the path", missing, err)
	}
	// URI syntax characters in a file name are part of the name.
	odd := filepath.Join(dir, "cat?mode=ro#x %20.db")
	c, err := Open(t.Context(), odd, nil)
	if err != nil {
		t.Fatalf("Open(%s): %v", odd, err)
	}
	defer c.Close()
	if err := c.Put(t.Context(), entry("20250301T120000Z-AAAAAAAAAA", time.Now())); err != nil {
		t.Fatalf("Put into %s: %v", odd, err)
	}
	if _, err := os.Stat(odd); err != nil {
		t.Fatalf("catalog file not created under its literal name: %v", err)
	}
}

func TestPutValidates(t *testing.T) {
	c := openTemp(t)
	when := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	noTime := entry("20250301T120000Z-AAAAAAAAAA", time.Time{})
	farFuture := entry("20250301T120000Z-BBBBBBBBBB", when)
	odd := time.Date(12025, 1, 1, 0, 0, 0, 0, time.UTC)
	farFuture.Published = &odd
	for _, e := range []catalog.Entry{noTime, farFuture} {
		if err := c.Put(t.Context(), e); err == nil {
			t.Errorf("Put(%s) succeeded, want an error", e.CaptureID)
		}
	}
	// Extractors do produce absurd but representable dates; they round trip.
	ancient := entry("20250301T120000Z-CCCCCCCCCC", when)
	year1 := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	ancient.Published = &year1
	if err := c.Put(t.Context(), ancient); err != nil {
		t.Fatalf("Put with Published in year 1: %v", err)
	}
	got, err := c.Get(t.Context(), ancient.CaptureID)
	if err != nil || got.Published == nil || !got.Published.Equal(year1) {
		t.Fatalf("Get = Published %v, %v; want %v", got.Published, err, year1)
	}
}

func TestPutBatch(t *testing.T) {
	c := openTemp(t)
	ctx := t.Context()
	when := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	a := entry("20250301T120000Z-AAAAAAAAAA", when)
	b := entry("20250301T120001Z-BBBBBBBBBB", when.Add(time.Second))
	aRevised := a
	aRevised.Title = "Revised"
	if err := c.PutBatch(ctx, nil); err != nil {
		t.Fatalf("PutBatch(nil): %v", err)
	}
	if err := c.PutBatch(ctx, []catalog.Entry{a, b, aRevised}); err != nil {
		t.Fatalf("PutBatch: %v", err)
	}
	if n, _ := c.Count(ctx, catalog.Filter{}); n != 2 {
		t.Fatalf("Count = %d, want 2", n)
	}
	if got, _ := c.Get(ctx, a.CaptureID); got.Title != "Revised" {
		t.Fatalf("Get(a).Title = %q, want the later entry's %q", got.Title, "Revised")
	}

	cc := entry("20250301T120002Z-CCCCCCCCCC", when.Add(2*time.Second))
	invalid := entry("", when)
	err := c.PutBatch(ctx, []catalog.Entry{cc, invalid})
	if err == nil || !strings.Contains(err.Error(), "entry 1") {
		t.Fatalf("PutBatch with an invalid entry error = %v, want one naming entry 1", err)
	}
	if _, err := c.Get(ctx, cc.CaptureID); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("valid entry of a failed batch landed: Get error = %v", err)
	}
}
