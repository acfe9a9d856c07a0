package capture

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/capture/capturetest"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/catalog/sqlite"
	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/archive/store/local"
)

// failingCatalog accepts no rows: a process killed between the store
// writes and the catalog write looks like this.
type failingCatalog struct{ catalog.Catalog }

func (failingCatalog) Put(context.Context, catalog.Entry) error { return context.Canceled }

// TestIndexRecentOrphans recovers a capture whose catalog row was never
// written, for each layout a capture can have in the store: as written
// today, and as earlier versions wrote it (plain records).
func TestIndexRecentOrphans(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		t.Run(map[bool]string{false: "current", true: "legacy"}[legacy], func(t *testing.T) {
			testIndexRecentOrphans(t, legacy)
		})
	}
}

func testIndexRecentOrphans(t *testing.T, legacy bool) {
	dir := t.TempDir()
	st, err := local.Open(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := sqlite.Open(context.Background(), filepath.Join(dir, "catalog.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	log := slog.New(slog.DiscardHandler)
	at := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	page := evalPage{url: "https://news.example/story", body: []byte(`<html><head><title>Story</title></head><body><article><h1>Story</h1>` +
		`<p>` + longText + `</p></article></body></html>`)}

	var writeTo store.Store = st
	if legacy {
		writeTo = capturetest.NewLegacyStore(st)
	}
	crashed := NewRecorder(writeTo, failingCatalog{cat}, archive.Software(), Config{KeepAll: true}, log)
	if _, err := crashed.Capture(context.Background(), exchangeFor(page, at), nil); err == nil {
		t.Fatal("the capture did not fail at the catalog")
	}
	if n, _ := cat.Count(context.Background(), catalog.Filter{}); n != 0 {
		t.Fatalf("catalog has %d rows before recovery", n)
	}
	// A window that ends before the capture's day finds nothing.
	if n, err := IndexRecentOrphans(context.Background(), st, cat, at.Add(-72*time.Hour), at.Add(-48*time.Hour)); err != nil || n != 0 {
		t.Errorf("recovery outside the window: %d, %v", n, err)
	}
	n, err := IndexRecentOrphans(context.Background(), st, cat, at.Add(-time.Hour), at.Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("recovered %d, %v; want 1", n, err)
	}
	// The retried fetch now sees the capture as its previous version.
	rec := NewRecorder(st, cat, archive.Software(), Config{KeepAll: true}, log)
	if _, err := rec.Capture(context.Background(), exchangeFor(page, at.Add(time.Minute)), nil); err != nil {
		t.Fatal(err)
	}
	var entries []catalog.Entry
	cat.List(context.Background(), catalog.Filter{}, func(e catalog.Entry) error {
		entries = append(entries, e)
		return nil
	})
	if len(entries) != 2 || entries[0].Kind != "response" || entries[1].Kind != "revisit" {
		t.Fatalf("after recovery and retry: %d rows %+v, want [response revisit]", len(entries), entries)
	}
	if got := capturetest.IsLegacy(entries[0].Provenance.Key); got != legacy || capturetest.IsLegacy(entries[0].Article.Key) != legacy {
		t.Errorf("recovered row names %s and %s, want legacy names: %v", entries[0].Provenance.Key, entries[0].Article.Key, legacy)
	}
	// The revisit is written as today, whatever the capture it refers to.
	if !strings.HasSuffix(entries[1].Provenance.Key, "/"+archive.ProvenanceName) {
		t.Errorf("revisit provenance %s", entries[1].Provenance.Key)
	}
	if again, _ := IndexRecentOrphans(context.Background(), st, cat, at.Add(-time.Hour), at.Add(time.Hour)); again != 0 {
		t.Errorf("a second recovery added %d", again)
	}
	// The store, with a capture of each layout when legacy, audits clean
	// and reindexes to the same rows.
	checkClean(t, &fixture{st: st, cat: cat})
}

const longText = `Chinese technology company Hikvision is challenging the Canadian government's decision to shut down its operations, filing a notice for judicial review after Ottawa declared the firm a national security threat. The federal government ordered Hikvision Canada to cease all operations and exit the country on June 27, following a national security review under the Investment Canada Act.`
