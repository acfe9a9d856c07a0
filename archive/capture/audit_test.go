package capture

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/capture/capturetest"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/store"
)

// findings runs an audit and returns its findings by kind, and its stats.
func findings(t *testing.T, f *fixture, opts VerifyOptions) (map[string][]Problem, VerifyStats) {
	t.Helper()
	out := map[string][]Problem{}
	opts.MaxWARCBody = 1 << 20
	opts.Report = func(p Problem) { out[p.Kind] = append(out[p.Kind], p) }
	stats, err := Audit(context.Background(), f.st, f.cat, opts)
	if err != nil {
		t.Fatal(err)
	}
	return out, stats
}

// TestAuditAndRepair builds an archive with every kind of damage the
// audit knows, checks each is reported, that --repair indexes exactly the
// complete orphans whose objects are sound and says why it cannot repair
// the rest, and that it deletes and rewrites nothing.
func TestAuditAndRepair(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	log := f.rec.log
	t0 := f.t0

	// A sound capture, catalogued.
	sound := captureWith(t, f.rec, t0, "http://news.test/sound", storyPage("Sound", "", "a"))
	// Two complete captures the catalog never got (killed before the row):
	// one as captures are stored today, one in the layout of earlier
	// versions (plain article.json and provenance.json).
	known := completeIDs(t, f)
	for i, st := range []store.Store{f.st, capturetest.NewLegacyStore(f.st)} {
		u := fmt.Sprintf("http://news.test/orphan-%d", i+1)
		orphans := NewRecorder(st, failingCatalog{f.cat}, software(), Config{KeepListings: true}, log)
		orphans.Capture(ctx, exchangeAt(u, t0.Add(time.Duration(i+1)*time.Minute), storyPage("Orphan "+u, "", u)), nil)
	}
	orphanIDs := newIDs(completeIDs(t, f), known)
	known = completeIDs(t, f)
	if len(orphanIDs) != 2 {
		t.Fatalf("fixture: %d orphans written", len(orphanIDs))
	}
	// A third orphan whose WARC is corrupt: complete, but unsound.
	damaged := NewRecorder(&corruptingStore{Store: f.st, name: archive.WARCName}, failingCatalog{f.cat}, software(), Config{KeepListings: true}, log)
	damaged.Capture(ctx, exchangeAt("http://news.test/damaged", t0.Add(3*time.Minute), storyPage("Damaged", "", "d")), nil)
	bad := newIDs(completeIDs(t, f), known)
	if len(bad) != 1 {
		t.Fatalf("fixture: %d damaged orphans", len(bad))
	}
	// An interrupted capture never redone, one redone later, and one
	// still being written.
	lost := &dyingStore{Store: f.st, left: 1}
	NewRecorder(lost, f.cat, software(), Config{KeepListings: true}, log).Capture(ctx, exchangeAt("http://news.test/lost", t0.Add(4*time.Minute), storyPage("Lost", "", "l")), nil)
	redo := &dyingStore{Store: f.st, left: 2}
	NewRecorder(redo, f.cat, software(), Config{KeepListings: true}, log).Capture(ctx, exchangeAt("http://news.test/redone", t0.Add(5*time.Minute), storyPage("Redone", "", "r")), nil)
	redone := captureWith(t, f.rec, t0.Add(6*time.Minute), "http://news.test/redone", storyPage("Redone", "", "r"))
	now := time.Now().UTC()
	young := &dyingStore{Store: f.st, left: 1}
	NewRecorder(young, f.cat, software(), Config{KeepListings: true}, log).Capture(ctx, exchangeAt("http://news.test/young", now.Add(-time.Minute), storyPage("Young", "", "y")), nil)
	// A catalog entry whose article object is gone from the store.
	ghost := catalogEntryOf(t, f, sound.CaptureID)
	ghost.CaptureID = "20250708T095000Z-GHOSTGHOST"
	ghost.FetchedAt = t0.Add(-10 * time.Minute)
	ghost.Article.Key = "captures/2025/07/08/20250708T095000Z-GHOSTGHOST/article.json"
	if err := f.cat.Put(ctx, ghost); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, f.st)

	got, stats := findings(t, f, VerifyOptions{Now: func() time.Time { return now }})
	want := map[string]int{"orphan": 3, "incomplete": 1, "leftover": 2, "missing": 1}
	for kind, n := range want {
		if len(got[kind]) != n {
			t.Errorf("%d %s findings, want %d: %v", len(got[kind]), kind, n, got[kind])
		}
	}
	if stats.Problems != 5 || stats.Leftovers != 2 || stats.Repaired != 0 {
		t.Errorf("stats %+v, want 5 problems and 2 leftovers", stats)
	}
	if p := got["incomplete"]; len(p) == 1 && !strings.Contains(p[0].Detail, "http://news.test/lost was not captured since") {
		t.Errorf("incomplete: %s", p[0])
	}
	for _, p := range got["leftover"] {
		if !strings.Contains(p.Detail, "captured again as "+redone.CaptureID) && !strings.Contains(p.Detail, "still being written") {
			t.Errorf("leftover: %s", p)
		}
	}

	// Repair indexes the two sound orphans, not the damaged one.
	got, stats = findings(t, f, VerifyOptions{Repair: true, Now: func() time.Time { return now }})
	if stats.Repaired != 2 || len(got["orphan"]) != 3 || len(got["warc"]) == 0 && len(got["sha256"]) == 0 {
		t.Errorf("repair: stats %+v, findings %v", stats, got)
	}
	for _, p := range got["orphan"] {
		switch {
		case p.CaptureID == bad[0]:
			if p.Repaired || !strings.Contains(p.Detail, "cannot repair") {
				t.Errorf("damaged orphan: %s", p)
			}
		case !p.Repaired:
			t.Errorf("sound orphan not repaired: %s", p)
		}
	}
	legacy := 0
	for _, id := range orphanIDs {
		e, err := f.cat.Get(ctx, id)
		if err != nil {
			t.Errorf("orphan %s not indexed: %v", id, err)
			continue
		}
		if capturetest.IsLegacy(e.Provenance.Key) && capturetest.IsLegacy(e.Article.Key) {
			legacy++
		} else if !strings.HasSuffix(e.Provenance.Key, "/"+archive.ProvenanceName) || !strings.HasSuffix(e.Article.Key, "/"+archive.ArticleName) {
			t.Errorf("orphan %s indexed with records %s, %s", id, e.Provenance.Key, e.Article.Key)
		}
	}
	if legacy != 1 {
		t.Errorf("%d of the repaired orphans have the legacy layout, want 1", legacy)
	}
	if _, err := f.cat.Get(ctx, bad[0]); err == nil {
		t.Error("the damaged orphan was indexed")
	}
	if p := got["incomplete"]; len(p) != 1 || !strings.Contains(p[0].Detail, "cannot repair") {
		t.Errorf("incomplete under repair: %v", p)
	}
	after := snapshot(t, f.st)
	if len(after) != len(before) {
		t.Errorf("repair changed the number of objects: %d -> %d", len(before), len(after))
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("repair changed %s", k)
		}
	}
	// Run again: what was repaired stays repaired.
	got, stats = findings(t, f, VerifyOptions{Repair: true, Now: func() time.Time { return now }})
	if stats.Repaired != 0 || len(got["orphan"]) != 1 {
		t.Errorf("second repair: %+v %v", stats, got["orphan"])
	}
}

func catalogEntryOf(t *testing.T, f *fixture, id string) catalog.Entry {
	t.Helper()
	e, err := f.cat.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// completeIDs lists the captures of the store that have a provenance
// record.
func completeIDs(t *testing.T, f *fixture) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := f.st.List(context.Background(), archive.CapturesPrefix, func(oi store.ObjectInfo) error {
		if id, name, ok := archive.ParseCaptureKey(oi.Key); ok && archive.IsProvenanceName(name) {
			out[id] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func newIDs(now, before map[string]bool) []string {
	var out []string
	for id := range now {
		if !before[id] {
			out = append(out, id)
		}
	}
	return out
}
