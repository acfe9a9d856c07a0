package capture

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/catalog/sqlite"
	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/archive/store/local"
)

// lostAnswerStore stores every object but reports the provenance write as
// failed, as when a store goes down after taking a request and before
// answering it.
type lostAnswerStore struct {
	store.Store
	lose bool
}

func (s *lostAnswerStore) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	err := s.Store.Put(ctx, key, r, size)
	if err == nil && s.lose && strings.HasSuffix(key, archive.ProvenanceName) {
		return errors.Join(store.ErrUnavailable, errors.New("connection reset"))
	}
	return err
}

// TestUncertainWriteIsSettled: a capture whose provenance write reported an
// error although the store kept it is indexed before the next capture, so
// the retry of the same page is a revisit and the store holds no orphan.
func TestUncertainWriteIsSettled(t *testing.T) {
	dir := t.TempDir()
	base, err := local.Open(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	st := &lostAnswerStore{Store: base, lose: true}
	cat, err := sqlite.Open(context.Background(), filepath.Join(dir, "catalog.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	rec := NewRecorder(st, cat, archive.Software(), Config{KeepAll: true}, slog.New(slog.DiscardHandler))
	at := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	page := evalPage{url: "https://news.example/story", body: []byte(`<html><head><title>Story</title></head><body><article><h1>Story</h1><p>` + longText + `</p></article></body></html>`)}

	if _, err := rec.Capture(context.Background(), exchangeFor(page, at), nil); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("first capture: %v, want the store error", err)
	}
	st.lose = false
	if _, err := rec.Capture(context.Background(), exchangeFor(page, at.Add(time.Minute)), nil); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	cat.List(context.Background(), catalog.Filter{}, func(e catalog.Entry) error {
		kinds = append(kinds, e.Kind)
		return nil
	})
	if strings.Join(kinds, ",") != "response,revisit" {
		t.Errorf("catalog kinds = %v, want the settled capture then a revisit", kinds)
	}
	// The failed capture withdrew its row: no commit waits for it.
	rec.commits.mu.Lock()
	coming := rec.commits.coming
	rec.commits.mu.Unlock()
	if coming != 0 {
		t.Errorf("%d catalog rows still expected after both captures ended, want 0", coming)
	}
	var problems []string
	if _, err := Verify(context.Background(), base, cat, 1<<20, func(p Problem) { problems = append(problems, p.String()) }); err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Errorf("verify: %v", problems)
	}
}

// TestSettleAfterTheLastCapture: nothing follows a crawl's last capture,
// so the crawl settles its uncertain writes itself before it ends.
func TestSettleAfterTheLastCapture(t *testing.T) {
	dir := t.TempDir()
	base, err := local.Open(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	st := &lostAnswerStore{Store: base, lose: true}
	cat, err := sqlite.Open(context.Background(), filepath.Join(dir, "catalog.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	rec := NewRecorder(st, cat, archive.Software(), Config{KeepAll: true}, slog.New(slog.DiscardHandler))
	page := evalPage{url: "https://news.example/last", body: []byte(`<html><head><title>Last</title></head><body><article><h1>Last</h1><p>` + longText + `</p></article></body></html>`)}
	if _, err := rec.Capture(context.Background(), exchangeFor(page, time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)), nil); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("capture: %v, want the store error", err)
	}
	if n, _ := cat.Count(context.Background(), catalog.Filter{}); n != 0 {
		t.Fatalf("catalog holds %d rows before settling, want 0", n)
	}
	if left := rec.Settle(context.Background()); left != 0 {
		t.Fatalf("Settle left %d captures unsettled, want 0", left)
	}
	var problems []string
	if _, err := Verify(context.Background(), base, cat, 1<<20, func(p Problem) { problems = append(problems, p.String()) }); err != nil {
		t.Fatal(err)
	}
	if n, _ := cat.Count(context.Background(), catalog.Filter{}); n != 1 || len(problems) > 0 {
		t.Errorf("after Settle the catalog holds %d rows (want 1) and verify finds %v", n, problems)
	}
}
