package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
)

// TestFullTextIndexStaysInSync rewrites entries through Put and PutBatch
// and then asks FTS5 to compare its index with the captures table.
func TestFullTextIndexStaysInSync(t *testing.T) {
	c := openTemp(t)
	ctx := t.Context()
	when := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var batch []catalog.Entry
	for i := range 20 {
		batch = append(batch, entry(fmt.Sprintf("20250301T120000Z-%010d", i), when.Add(time.Duration(i)*time.Second)))
	}
	if err := c.PutBatch(ctx, batch); err != nil {
		t.Fatalf("PutBatch: %v", err)
	}
	for round := range 3 {
		for i, e := range batch {
			e.Title = fmt.Sprintf("Round %d title %d", round, i)
			e.Text = strings.Repeat(fmt.Sprintf("round%d ", round), i+1)
			if i%2 == 0 {
				e.Seed = "only a non-indexed column changed"
				e.Title, e.Text = batch[i].Title, batch[i].Text
			}
			if err := c.Put(ctx, e); err != nil {
				t.Fatalf("Put: %v", err)
			}
			batch[i] = e
		}
	}
	if err := c.PutBatch(ctx, batch); err != nil {
		t.Fatalf("PutBatch again: %v", err)
	}
	// rank 1 makes the check compare the index with the content table.
	if _, err := c.writer.ExecContext(ctx, `INSERT INTO captures_fts (captures_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Fatalf("FTS integrity check: %v", err)
	}
	var indexed int
	if err := c.reader.QueryRowContext(ctx, `SELECT count(*) FROM captures_fts_docsize`).Scan(&indexed); err != nil {
		t.Fatalf("count indexed documents: %v", err)
	}
	if indexed != len(batch) {
		t.Fatalf("full-text index holds %d documents for %d captures", indexed, len(batch))
	}
	hits, err := c.Search(ctx, catalog.Query{Text: "round2", Limit: 100})
	if err != nil {
		t.Fatalf("Search: %v", err)
	}
	if len(hits) != len(batch)/2 {
		t.Fatalf("Search(round2) = %d hits, want the %d entries rewritten in round 2", len(hits), len(batch)/2)
	}
}

// TestTwoCatalogsOnOneFile stands in for two processes (daemon and
// reindex) writing the same file: busy_timeout and BEGIN IMMEDIATE must
// make them wait for each other instead of failing.
func TestTwoCatalogsOnOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.db")
	var cats [2]*Catalog
	for i := range cats {
		c, err := Open(t.Context(), path, nil)
		if err != nil {
			t.Fatalf("Open #%d: %v", i, err)
		}
		defer c.Close()
		cats[i] = c
	}
	when := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for w, c := range cats {
		wg.Go(func() {
			for i := range 30 {
				e := entry(fmt.Sprintf("20250301T120000Z-W%dI%07d", w, i), when.Add(time.Duration(i)*time.Second))
				var err error
				if i%3 == 0 {
					err = c.PutBatch(t.Context(), []catalog.Entry{e})
				} else {
					err = c.Put(t.Context(), e)
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for i, c := range cats {
		if n, err := c.Count(t.Context(), catalog.Filter{}); err != nil || n != 60 {
			t.Fatalf("catalog #%d Count = %d, %v; want 60", i, n, err)
		}
	}
}

// TestNearestSameInstant pins the tie-break this backend documents for
// captures fetched at the very same instant: the greatest capture id.
func TestNearestSameInstant(t *testing.T) {
	c := openTemp(t)
	when := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	a := entry("20250301T120000Z-AAAAAAAAAA", when)
	b := entry("20250301T120000Z-BBBBBBBBBB", when)
	b.URLKey = a.URLKey
	for _, e := range []catalog.Entry{b, a} {
		if err := c.Put(t.Context(), e); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	for _, at := range []time.Time{{}, when, when.Add(-time.Hour), when.Add(time.Hour)} {
		got, err := c.Nearest(t.Context(), a.URLKey, at)
		if err != nil || got.CaptureID != b.CaptureID {
			t.Errorf("Nearest(%v) = %s, %v; want %s", at, got.CaptureID, err, b.CaptureID)
		}
	}
}

// TestQueryPlans checks that lookups seek indexes and that an unfiltered
// or host-filtered List streams in index order, with no sort step that
// would read every row before returning the first.
func TestQueryPlans(t *testing.T) {
	c := openTemp(t)
	plan := func(query string, args ...any) string {
		t.Helper()
		return queryPlan(t, c.reader, query, args...)
	}
	listSQL := func(f catalog.Filter) (string, []any) {
		conds, args, err := filterSQL(f)
		if err != nil {
			t.Fatal(err)
		}
		return `SELECT ` + selectColumns + ` FROM captures c` + where(conds) + ` ORDER BY c.fetched_at, c.capture_id`, args
	}
	since := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	check(t, "nearest", plan(nearestCandidates, "k", "t"),
		[]string{"captures_url_key", "captures_canonical_key"}, []string{"SCAN c", "SCAN captures"})
	for _, tc := range []struct {
		name     string
		filter   catalog.Filter
		mustHave []string
		mustLack []string
	}{
		{"list all", catalog.Filter{}, []string{"captures_fetched_at"}, []string{"TEMP B-TREE"}},
		{"list since", catalog.Filter{Since: since}, []string{"captures_fetched_at"}, []string{"TEMP B-TREE"}},
		{"list host", catalog.Filter{Host: "news.example"}, []string{"captures_host"}, []string{"TEMP B-TREE"}},
		{"list url key", catalog.Filter{URLKey: "k"}, []string{"captures_url_key", "captures_canonical_key"}, []string{"SCAN captures"}},
	} {
		query, args := listSQL(tc.filter)
		check(t, tc.name, plan(query, args...), tc.mustHave, tc.mustLack)
	}
}

func check(t *testing.T, name, plan string, mustHave, mustLack []string) {
	t.Helper()
	for _, s := range mustHave {
		if !strings.Contains(plan, s) {
			t.Errorf("%s: plan lacks %q:\n%s", name, s, plan)
		}
	}
	for _, s := range mustLack {
		if strings.Contains(plan, s) {
			t.Errorf("%s: plan has %q:\n%s", name, s, plan)
		}
	}
}

// queryPlan returns SQLite's EXPLAIN QUERY PLAN of query on db, a line a
// step.
func queryPlan(t *testing.T, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args ...any) string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", query, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatalf("scan plan: %v", err)
		}
		lines = append(lines, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("EXPLAIN %s: %v", query, err)
	}
	return strings.Join(lines, "\n")
}
