package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFirstByPayloadUsesIndex keeps archive-wide deduplication an index
// seek: the capture pipeline asks it once per capture.
func TestFirstByPayloadUsesIndex(t *testing.T) {
	c := openTemp(t)
	check(t, "first by payload", queryPlan(t, c.reader, firstByPayload, strings.Repeat("ab", 32)), []string{"captures_payload"}, []string{"SCAN c", "TEMP B-TREE"})
}

// TestPayloadIndexMigratesOldCatalog opens a catalog written before the
// payload index existed (schema version 1) and checks that the migration
// adds the index and the lookup finds the old rows.
func TestPayloadIndexMigratesOldCatalog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.db")
	e := entry("20250301T120000Z-AAAAAAAAAA", time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	e.PayloadSHA256 = strings.Repeat("ef", 32)
	oldCatalog(t, path, 1, e)

	c, err := Open(t.Context(), path, nil)
	if err != nil {
		t.Fatalf("reopen a version 1 catalog: %v", err)
	}
	defer c.Close()
	var n int
	if err := c.reader.QueryRowContext(t.Context(), `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'captures_payload'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("payload index after migration: %d, %v", n, err)
	}
	got, err := c.FirstByPayload(t.Context(), e.PayloadSHA256)
	if err != nil || got.CaptureID != e.CaptureID {
		t.Errorf("FirstByPayload after migration = %s, %v", got.CaptureID, err)
	}
}
