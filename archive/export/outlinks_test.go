package export

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/archivist-project/archivist/archive/capture"
	"github.com/archivist-project/archivist/archive/capture/capturetest"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/archive/warc"
	"github.com/archivist-project/archivist/extract"
)

// oldCaptureDir holds one complete capture as an earlier version stored
// it, its WARC ending with a metadata record of outlink lines: see
// testdata/README.md.
const oldCaptureDir = "testdata/old-capture"

// oldCaptureLinks are the links of the old capture's page as the
// extractor finds them: fragments and mailto: dropped, scheme and host
// lower-cased, each URL once, in document order.
var oldCaptureLinks = []string{
	"http://oldformat.test/",
	"http://oldformat.test/world/",
	"http://oldformat.test/world/2025/07/06/hikvision-ordered-to-close",
	"https://other.test/analysis?id=7",
}

// addOldCapture copies the old capture's objects into st, indexes them in
// cat as `archivist reindex` would and returns the capture id.
func addOldCapture(t testing.TB, st store.Store, cat catalog.Catalog) string {
	t.Helper()
	ctx := context.Background()
	ids, err := capturetest.PutTree(ctx, st, oldCaptureDir)
	if err != nil || len(ids) != 1 {
		t.Fatalf("copy the old capture: %v (captures %q)", err, ids)
	}
	id := ids[0]
	stats, err := capture.Reindex(ctx, st, func(ctx context.Context, es []catalog.Entry) error {
		for _, e := range es {
			if e.CaptureID == id {
				if err := cat.Put(ctx, e); err != nil {
					return err
				}
			}
		}
		return nil
	}, nil)
	if err != nil || len(stats.Unreadable) > 0 || len(stats.Incomplete) > 0 {
		t.Fatalf("index the old capture %s: %v %+v", id, err, stats)
	}
	if _, err := cat.Get(ctx, id); err != nil {
		t.Fatalf("the old capture %s was not indexed: %v", id, err)
	}
	return id
}

// TestOutlinksDerivedFromBody exports outlinks of a full capture, of a
// revisit (whose WARC holds no body) and of a capture made before WARCs
// lost their metadata record: each row has the links of its archived
// page, found by the extractor, and the old capture's stored outlink
// lines (which differ) are not used.
func TestOutlinksDerivedFromBody(t *testing.T) {
	f := buildArchive(t)
	oldID := addOldCapture(t, f.st, f.cat)
	dir := t.TempDir()
	m := exportTo(t, f, dir, "ds.jsonl", Options{Format: JSONL, With: Fields{Outlinks: true}})
	rows := map[string]Row{}
	for _, r := range readJSONL(t, filepath.Join(dir, "ds.jsonl")) {
		rows[r.CaptureID] = r
	}
	storyLinks := func(host string) []string {
		return []string{"http://" + host + "/", "http://" + host + "/world/", "http://" + host + "/related/1"}
	}
	for key, want := range map[string][]string{
		"reuters":         storyLinks("reuters.test"),
		"reuters-revisit": storyLinks("reuters.test"),
		"edge":            storyLinks("edge.test"),
	} {
		if got := rows[f.ids[key]].Outlinks; !slices.Equal(got, want) {
			t.Errorf("%s: outlinks %q, want %q", key, got, want)
		}
	}
	if e := f.entry(t, "reuters-revisit"); e.Kind != "revisit" {
		t.Fatalf("the fixture's revisit is a %s", e.Kind)
	}
	old, ok := rows[oldID]
	if !ok {
		t.Fatalf("the old capture %s was not exported", oldID)
	}
	if !slices.Equal(old.Outlinks, oldCaptureLinks) {
		t.Errorf("old capture: outlinks %q, want %q", old.Outlinks, oldCaptureLinks)
	}
	stored := oldStoredOutlinks(t, f, oldID)
	if len(stored) != len(oldCaptureLinks)+2 || !slices.Contains(stored, "mailto:desk@oldformat.test") {
		t.Fatalf("the old capture's stored outlink lines are %q: the fixture no longer tells them from derived links", stored)
	}

	if m.Outlinks == nil || m.Outlinks.Extractor.Name != extract.Name || m.Outlinks.Extractor.Version != extract.Version ||
		!strings.Contains(m.Outlinks.Method, "response body") {
		t.Errorf("manifest outlinks = %+v", m.Outlinks)
	}
	sheet, err := os.ReadFile(filepath.Join(dir, "ds.jsonl.datasheet.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sheet), "| outlinks | the links extract.Links finds") || !strings.Contains(string(sheet), extract.Name+" "+extract.Version) {
		t.Errorf("datasheet does not say how outlinks were found:\n%s", sheet)
	}
	// Without the field, the manifest says nothing about outlinks.
	if m := exportTo(t, f, dir, "plain.jsonl", Options{Format: JSONL}); m.Outlinks != nil {
		t.Errorf("manifest of an export without outlinks: %+v", m.Outlinks)
	}
}

// oldStoredOutlinks reads the outlink lines of capture id's metadata
// record.
func oldStoredOutlinks(t testing.TB, f *fixture, id string) []string {
	t.Helper()
	e, err := f.cat.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	data, err := readVerifiedLimit(context.Background(), f.st, e.WARC, maxWARCBytes)
	if err != nil {
		t.Fatal(err)
	}
	c, err := warc.ReadCapture(bytes.NewReader(data), maxWARCBytes)
	if err != nil {
		t.Fatal(err)
	}
	return c.Metadata["outlink"]
}
