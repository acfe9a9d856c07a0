package capture

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/catalog/sqlite"
)

// A capture holding both provenance names cannot be made by any version,
// but should one appear (a copy between stores gone wrong), every reader
// takes the current record and none counts the capture twice.
func TestBothProvenanceNamesPreferCurrent(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	addLegacyRecord := func(id string) {
		t.Helper()
		s, err := Load(ctx, f.st, id)
		if err != nil {
			t.Fatal(err)
		}
		// The same record, plain, named as before, but telling its
		// source apart.
		s.Provenance.CrawlRunID = "legacy copy"
		data, _ := json.MarshalIndent(s.Provenance, "", "  ")
		key, _ := archive.CaptureKey(id, archive.LegacyProvenanceName)
		if err := f.st.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
			t.Fatal(err)
		}
	}
	catalogued := captureWith(t, f.rec, f.t0, "http://news.test/both", storyPage("Both", "", "b")).CaptureID
	addLegacyRecord(catalogued)
	orphans := NewRecorder(f.st, failingCatalog{f.cat}, software(), Config{KeepListings: true}, f.rec.log)
	if _, err := orphans.Capture(ctx, exchangeAt("http://news.test/orphan", f.t0.Add(time.Minute), storyPage("Orphan", "", "o")), nil); err == nil {
		t.Fatal("the orphan's catalog write did not fail")
	}
	var orphan string
	for id := range completeIDs(t, f) {
		if id != catalogued {
			orphan = id
		}
	}
	addLegacyRecord(orphan)

	for _, id := range []string{catalogued, orphan} {
		s, err := Load(ctx, f.st, id)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(s.ProvenanceRef.Key, "/"+archive.ProvenanceName) || s.Provenance.CrawlRunID == "legacy copy" {
			t.Errorf("Load(%s) read %s (run %q), want the current record", id, s.ProvenanceRef.Key, s.Provenance.CrawlRunID)
		}
	}
	// Repair indexes the orphan once, from its current record.
	got, stats := findings(t, f, VerifyOptions{Repair: true})
	if stats.Repaired != 1 || stats.Problems != 0 || len(got["orphan"]) != 1 || got["orphan"][0].CaptureID != orphan {
		t.Fatalf("repair: %+v, %v", stats, got)
	}
	if e := catalogEntryOf(t, f, orphan); !strings.HasSuffix(e.Provenance.Key, "/"+archive.ProvenanceName) {
		t.Errorf("repaired row names %s", e.Provenance.Key)
	}
	// Reindex gives one row a capture, equal to the catalog's.
	rebuilt, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "rebuilt.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rebuilt.Close()
	rs, err := Reindex(ctx, f.st, rebuilt.PutBatch, nil)
	if err != nil || rs.Captures != 2 || len(rs.Incomplete)+len(rs.Unreadable) != 0 {
		t.Fatalf("reindex: %+v, %v", rs, err)
	}
	checkClean(t, f)
	// IndexRecentOrphans finds nothing left to add, under either name.
	if n, err := IndexRecentOrphans(ctx, f.st, f.cat, f.t0.Add(-time.Hour), f.t0.Add(time.Hour)); err != nil || n != 0 {
		t.Errorf("recovery after repair: %d, %v", n, err)
	}
	if n, _ := f.cat.Count(ctx, catalog.Filter{}); n != 2 {
		t.Errorf("catalog has %d rows, want 2", n)
	}
}
