package capture

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/catalog/sqlite"
)

// gatedCatalog is a real SQLite catalog whose single-row Put waits for a
// gate, so that a test can hold the committer's leader while other rows
// queue up, and which records the size of every batch it commits.
type gatedCatalog struct {
	*sqlite.Catalog
	gate chan struct{}

	mu      sync.Mutex
	batches []int
}

func (g *gatedCatalog) Put(ctx context.Context, e catalog.Entry) error {
	<-g.gate
	return g.Catalog.Put(ctx, e)
}

func (g *gatedCatalog) PutBatch(ctx context.Context, entries []catalog.Entry) error {
	g.mu.Lock()
	g.batches = append(g.batches, len(entries))
	g.mu.Unlock()
	return g.Catalog.PutBatch(ctx, entries)
}

func openGated(t *testing.T) *gatedCatalog {
	t.Helper()
	cat, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "catalog.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	return &gatedCatalog{Catalog: cat, gate: make(chan struct{})}
}

func commitEntry(i int) catalog.Entry {
	at := time.Date(2026, 11, 27, 10, 0, i, 0, time.UTC)
	id := archive.NewCaptureID(at)
	u := fmt.Sprintf("https://news.example/story-%d", i)
	return catalog.Entry{
		CaptureID: id, URL: u, URLKey: u, Host: "news.example", FetchedAt: at, Status: 200,
		Kind: "response", Title: fmt.Sprintf("Story %d", i), Text: "text of story", PageType: "article",
		Provenance: archive.ObjectRef{Key: "captures/2026/11/27/" + id + "/provenance.json"},
	}
}

// putConcurrently holds the leader on its first row, queues the others
// behind it, then opens the gate and returns every caller's error.
func putConcurrently(t *testing.T, g *gatedCatalog, entries []catalog.Entry) []error {
	t.Helper()
	c := newCommitter(g, 0)
	errs := make([]error, len(entries))
	var wg sync.WaitGroup
	wg.Go(func() { errs[0] = c.put(t.Context(), entries[0], false) })
	waitQueued(t, c, 0) // the leader has taken its row and waits at the gate
	for i := 1; i < len(entries); i++ {
		wg.Go(func() { errs[i] = c.put(t.Context(), entries[i], false) })
	}
	waitQueued(t, c, len(entries)-1)
	close(g.gate)
	wg.Wait()
	return errs
}

// waitQueued waits until n rows wait behind a running leader.
func waitQueued(t *testing.T, c *committer, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		queued, leading := len(c.queue), c.leading
		c.mu.Unlock()
		if leading && queued == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d rows queued behind the leader (leading %v), want %d", queued, leading, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestGroupCommitSharesOneTransaction(t *testing.T) {
	g := openGated(t)
	entries := make([]catalog.Entry, 21)
	for i := range entries {
		entries[i] = commitEntry(i)
	}
	for i, err := range putConcurrently(t, g, entries) {
		if err != nil {
			t.Errorf("put %d: %v", i, err)
		}
	}
	if len(g.batches) != 1 || g.batches[0] != 20 {
		t.Errorf("batches committed = %v, want one of the 20 rows that queued behind the leader", g.batches)
	}
	n, err := g.Count(t.Context(), catalog.Filter{})
	if err != nil || n != len(entries) {
		t.Fatalf("catalog holds %d rows (%v), want %d", n, err, len(entries))
	}
}

func TestGroupCommitFailsOnlyTheBadRow(t *testing.T) {
	g := openGated(t)
	entries := make([]catalog.Entry, 6)
	for i := range entries {
		entries[i] = commitEntry(i)
	}
	entries[3].FetchedAt = time.Time{} // the catalog refuses a row without a fetch time
	errs := putConcurrently(t, g, entries)
	for i, err := range errs {
		if (err != nil) != (i == 3) {
			t.Errorf("put %d: error %v; want an error for row 3 only", i, err)
		}
	}
	n, err := g.Count(t.Context(), catalog.Filter{})
	if err != nil || n != len(entries)-1 {
		t.Fatalf("catalog holds %d rows (%v), want %d: the good rows of a failed batch must still land", n, err, len(entries)-1)
	}
}

// TestGroupCommitWaitsForExpectedRows: captures being written announce
// their rows, and the leader waits for them instead of committing its own
// row alone; it commits as soon as the last one comes, long before its
// linger runs out.
func TestGroupCommitWaitsForExpectedRows(t *testing.T) {
	g := openGated(t)
	close(g.gate)
	c := newCommitter(g, time.Minute)
	for range 3 {
		c.expect()
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range 3 {
		wg.Go(func() {
			time.Sleep(time.Duration(i) * 20 * time.Millisecond) // rows finish one by one
			errs[i] = c.put(t.Context(), commitEntry(i), true)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("put %d: %v", i, err)
		}
	}
	if len(g.batches) != 1 || g.batches[0] != 3 {
		t.Errorf("batches committed = %v, want the three rows in one", g.batches)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("the commit took %v: the leader waited out its linger although every expected row had come", took)
	}
}

// TestGroupCommitStopsWaitingForFailedCaptures: a capture that fails
// before its row withdraws it, and the leader commits without waiting out
// its linger.
func TestGroupCommitStopsWaitingForFailedCaptures(t *testing.T) {
	g := openGated(t)
	close(g.gate)
	c := newCommitter(g, time.Minute)
	c.expect()
	c.expect()
	done := make(chan error, 1)
	go func() { done <- c.put(t.Context(), commitEntry(0), true) }()
	waitQueued(t, c, 1)
	c.forget()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the leader still waits for a row that was withdrawn")
	}
	n, err := g.Count(t.Context(), catalog.Filter{})
	if err != nil || n != 1 {
		t.Fatalf("catalog holds %d rows (%v), want 1", n, err)
	}
}

// TestGroupCommitLingersAtMostItsLinger: a row that never comes (nor is
// withdrawn) delays the others by the linger, no more.
func TestGroupCommitLingersAtMostItsLinger(t *testing.T) {
	g := openGated(t)
	close(g.gate)
	c := newCommitter(g, 50*time.Millisecond)
	c.expect()
	c.expect()
	start := time.Now()
	if err := c.put(t.Context(), commitEntry(0), true); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 50*time.Millisecond {
		t.Errorf("committed after %v, before the linger of 50ms although a row was expected", took)
	}
	c.mu.Lock()
	coming := c.coming
	c.mu.Unlock()
	if coming != 1 {
		t.Errorf("%d rows still expected, want 1", coming)
	}
}
