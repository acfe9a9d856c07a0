package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/crawler/frontier"
)

// TestExportReadsEveryRowInBatches fills a frontier through its API and
// exports it one row a batch: every row comes once, a leased item keeps
// its lease (the importer decides what it becomes), and the counts match.
func TestExportReadsEveryRowInBatches(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "frontier.db")
	f, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SyncSources(ctx, []frontier.SourceSpec{{Name: "s", URL: "https://x.test/", Kind: "page", Interval: time.Hour}}, t0); err != nil {
		t.Fatal(err)
	}
	var found []frontier.Discovered
	for _, u := range []string{"https://x.test/a", "https://x.test/b", "https://x.test/c"} {
		found = append(found, frontier.Discovered{URL: u, Depth: 1, Discovery: archive.Discovery{Source: "s", Kind: "page", FoundAt: t0, Via: "https://x.test/"}})
	}
	if _, err := f.Discover(ctx, found); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Lease(ctx, frontier.LeaseRequest{Owner: "o", Max: 1, Now: t0, Until: t0.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	keys := map[string]int{}
	leased := 0
	read, err := Export(ctx, path, 1, func(_ context.Context, rows frontier.Rows) error {
		if rows.Len() != 1 {
			t.Errorf("batch of %d %s, want 1", rows.Len(), rows.Table)
		}
		for _, it := range rows.Items {
			keys[it.Key]++
			if it.State == frontier.StateLeased {
				leased++
				if it.Lease.Owner != "o" || it.Lease.Seq != 1 || !it.Lease.Until.Equal(t0.Add(time.Minute)) {
					t.Errorf("leased item %+v", it)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if read[frontier.TableItems] != 4 || read[frontier.TableDiscoveries] != 3 || read[frontier.TableSources] != 1 || len(keys) != 4 || leased != 1 {
		t.Errorf("read %v, item keys %v, %d leased", read, keys, leased)
	}
}

// TestExportRefuses: a missing file (which it must not create) and a file
// from a newer archivist.
func TestExportRefuses(t *testing.T) {
	ctx := t.Context()
	nothing := func(context.Context, frontier.Rows) error { return nil }
	missing := filepath.Join(t.TempDir(), "frontier.db")
	if _, err := Export(ctx, missing, 10, nothing); err == nil {
		t.Error("export of a missing file succeeded")
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("export created %s: %v", missing, err)
	}

	newer := filepath.Join(t.TempDir(), "frontier.db")
	f, err := Open(ctx, newer, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	db, err := sql.Open("sqlite", newer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', '')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Export(ctx, newer, 10, nothing); err == nil || !strings.Contains(err.Error(), "upgrade archivist") {
		t.Errorf("export of a newer frontier: %v", err)
	}
}
