package sqlite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// captureID is a well-formed capture id of time t, told apart by n.
func captureID(t time.Time, n int) string {
	return fmt.Sprintf("%s-%010d", t.UTC().Format("20060102T150405Z"), n)
}

// oldCatalog writes a catalog at path as an archivist at schema version
// did: its migrations only, then entries through its triggers.
func oldCatalog(t *testing.T, path string, version int, entries ...catalog.Entry) {
	t.Helper()
	db := rawDB(t, path)
	if _, err := db.ExecContext(t.Context(), createMigrationsTable); err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations() {
		if m.version <= version {
			if err := apply(t.Context(), db, path, m, discardLogger(), 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, e := range entries {
		args, err := entryArgs(e)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(t.Context(), upsertEntry, args...); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestHostIndexMigratesOldCatalog opens a version 2 catalog, whose
// full-text index lacks the host column: the migration must rebuild the
// index from the rows already there, so that old captures are found by
// text and by the host filter, and hosts never match user terms.
func TestHostIndexMigratesOldCatalog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.db")
	when := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var entries []catalog.Entry
	for i, host := range []string{"alpha.example", "beta.example", "news.alpha.example", "alpha.example"} {
		e := entry(captureID(when, i), when.Add(time.Duration(i)*time.Minute))
		e.Host = host
		e.Text = "The harbour ferry was late again."
		entries = append(entries, e)
	}
	oldCatalog(t, path, 2, entries...)

	c, err := Open(t.Context(), path, nil)
	if err != nil {
		t.Fatalf("open a version 2 catalog: %v", err)
	}
	defer c.Close()
	var version int
	if err := c.reader.QueryRowContext(t.Context(), `SELECT max(version) FROM schema_migrations`).Scan(&version); err != nil || version != latestVersion() {
		t.Fatalf("schema version after migration = %d, %v; want %d", version, err, latestVersion())
	}
	if _, err := c.writer.ExecContext(t.Context(), `INSERT INTO captures_fts (captures_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Fatalf("FTS integrity check after migration: %v", err)
	}
	ids := func(q catalog.Query) []string {
		t.Helper()
		hits, err := c.Search(t.Context(), q)
		if err != nil {
			t.Fatalf("Search(%+v): %v", q, err)
		}
		var out []string
		for _, h := range hits {
			out = append(out, h.Entry.CaptureID)
		}
		slices.Sort(out)
		return out
	}
	if got := ids(catalog.Query{Text: "ferry"}); len(got) != 4 {
		t.Errorf("Search(ferry) after migration = %v, want all 4 old captures", got)
	}
	// news.alpha.example holds the phrase "alpha example" too, but not at
	// the start of the host: the filter must still leave it out.
	want := []string{entries[0].CaptureID, entries[3].CaptureID}
	if got := ids(catalog.Query{Text: "ferry", Filter: catalog.Filter{Host: "alpha.example"}}); !slices.Equal(got, want) {
		t.Errorf("Search(ferry, host alpha.example) = %v, want %v", got, want)
	}
	if got := ids(catalog.Query{Text: "alpha"}); len(got) != 0 {
		t.Errorf("Search(alpha) = %v: a host name matched a user's term", got)
	}
	// A capture written after the migration is indexed by the new triggers.
	late := entry(captureID(when, 9), when.Add(time.Hour))
	late.Host, late.Text = "alpha.example", "A ferry strike."
	if err := c.Put(t.Context(), late); err != nil {
		t.Fatal(err)
	}
	if got := ids(catalog.Query{Text: "ferry", Filter: catalog.Filter{Host: "alpha.example"}}); len(got) != 3 {
		t.Errorf("Search(ferry, host alpha.example) after a new Put = %v, want 3 captures", got)
	}
}

// TestMigrationSaysItIsRunning runs a slow migration on a catalog with
// captures: it must be announced with the captures it goes through, and
// keep saying it is running until it is done.
func TestMigrationSaysItIsRunning(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.db")
	when := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	oldCatalog(t, path, latestVersion(), entry(captureID(when, 1), when), entry(captureID(when, 2), when))
	db := rawDB(t, path)
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	slow := migration{version: latestVersion() + 1, name: "slow", sql: `CREATE TABLE slow AS
		WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000)
		SELECT count(*) AS n FROM c`}
	if err := apply(t.Context(), db, path, slow, logger, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for line := range strings.Lines(logs.String()) {
		var rec struct {
			Msg      string `json:"msg"`
			Captures int    `json:"captures"`
			Elapsed  string `json:"elapsed"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Captures != 2 {
			t.Errorf("log %q: captures = %d, want 2", rec.Msg, rec.Captures)
		}
		if rec.Msg == "catalog schema still migrating" && rec.Elapsed == "" {
			t.Errorf("heartbeat without the time elapsed: %s", line)
		}
		msgs = append(msgs, rec.Msg)
	}
	n := len(msgs)
	if n < 3 || msgs[0] != "catalog schema migrating" || msgs[1] != "catalog schema still migrating" || msgs[n-1] != "catalog schema migrated" {
		t.Fatalf("logs = %q, want migrating, still migrating at least once, migrated", msgs)
	}
}
