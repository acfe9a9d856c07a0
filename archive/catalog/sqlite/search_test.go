package sqlite

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/catalog/catalogtest"
)

func hitIDs(hits []catalog.Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Entry.CaptureID)
	}
	return out
}

// TestSearchRankWindows runs the shared rank-window checks with windows
// of 4 matches.
func TestSearchRankWindows(t *testing.T) {
	c := openTemp(t)
	c.rankWindow = 4
	catalogtest.RankWindows(t, c)
}

// TestSearchTiesPastTheLimit gives 20 captures the same text, so all rank
// alike: the page must hold the newest, in capture-time order, however
// the full-text index happens to return them.
func TestSearchTiesPastTheLimit(t *testing.T) {
	c := openTemp(t)
	ctx := t.Context()
	when := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var batch []catalog.Entry
	for i := range 20 {
		// Fetch times are shuffled against insertion (rowid) order.
		e := entry(captureID(when, i), when.Add(time.Duration((i*7)%20)*time.Minute))
		e.Title, e.Text = "Same story", "The same wire story, word for word."
		batch = append(batch, e)
	}
	if err := c.PutBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	newest := slices.Clone(batch)
	slices.SortFunc(newest, func(a, b catalog.Entry) int { return b.FetchedAt.Compare(a.FetchedAt) })
	for _, offset := range []int{0, 5, 15} {
		hits, err := c.Search(ctx, catalog.Query{Text: "wire story", Limit: 5, Offset: offset})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for i := offset; i < offset+5; i++ {
			want = append(want, newest[i].CaptureID)
		}
		if got := hitIDs(hits); !slices.Equal(got, want) {
			t.Errorf("Search(offset %d) = %v, want %v", offset, got, want)
		}
	}
}

// TestSearchQueryPlans keeps each step of a search on the plan it was
// measured with: FTS5 drives (it walks its doclists backwards for the
// window bounds, with no sort) and the captures table is only looked up by
// rowid, never scanned; a scan, or the planner running the full-text
// query once per captures row, is what made searches take seconds.
func TestSearchQueryPlans(t *testing.T) {
	c := openTemp(t)
	ctx := t.Context()
	// Statistics of a catalog where a host or a month is selective, as
	// in a real one: on an empty catalog the planner has nothing to be
	// tempted by.
	when := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var batch []catalog.Entry
	for i := range 400 {
		e := entry(captureID(when, i), when.Add(time.Duration(i)*time.Hour))
		e.Host = fmt.Sprintf("news%d.example", i%100)
		e.Text = "harbour ferry timetable"
		batch = append(batch, e)
	}
	if err := c.PutBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if _, err := c.writer.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	tx, err := c.reader.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	plan := func(query string, args ...any) string {
		t.Helper()
		// A newline after every line, so that "SCAN c\n" tells a scan of
		// captures from one of captures_fts.
		return queryPlan(t, tx, query, args...) + "\n"
	}
	since := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		filter catalog.Filter
	}{
		{"unfiltered", catalog.Filter{}},
		{"host", catalog.Filter{Host: "news.example"}},
		{"month", catalog.Filter{Since: since, Until: since.AddDate(0, 1, 0)}},
		{"language", catalog.Filter{Language: "en"}},
	} {
		s, err := newSearcher(ctx, tx, parseSearch("harbour ferry"), tc.filter, 10, defaultIDFSample)
		if err != nil {
			t.Fatal(err)
		}
		args := append([]any{s.match}, s.args...)
		rankArgs := append(slices.Clip(s.rankArgs), args...)
		noScan := []string{"SCAN c\n", "SCAN c USING", "SCAN captures\n", "SCAN captures USING", "USING INDEX"}
		check(t, tc.name+" window bound", plan(s.rowidAtSQL(), append(args, 9)...),
			[]string{"SCAN captures_fts VIRTUAL TABLE"}, append(noScan, "TEMP B-TREE"))
		rankPlan := plan(s.rankedSQL(s.where, ""), append(rankArgs, 10, 20)...)
		check(t, tc.name+" ranking", rankPlan, []string{"SCAN captures_fts VIRTUAL TABLE"}, noScan)
		// One sort, of the window's ranks: FTS5 hands the window over in
		// rowid order by itself.
		if n := strings.Count(rankPlan, "TEMP B-TREE"); n != 1 {
			t.Errorf("%s ranking: %d sorts, want 1:\n%s", tc.name, n, rankPlan)
		}
		if s.joined {
			check(t, tc.name+" ranking", rankPlan, []string{"SEARCH c USING INTEGER PRIMARY KEY"}, nil)
		}
	}
	check(t, "hits", plan(hitsSQL, parseSearch("ferry").fts5(), "[1,2]"),
		[]string{"captures_fts VIRTUAL TABLE", "SEARCH c USING INTEGER PRIMARY KEY"}, []string{"SCAN c\n", "SCAN c USING"})
}
