package sqlite

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
)

func hitIDs(hits []catalog.Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Entry.CaptureID)
	}
	return out
}

// TestSearchRankWindows ranks in windows of 4 matches: each window is
// ranked whole before the next, newest-indexed first, pages cut through
// windows without losing or repeating a match, and a filter counts only
// the matches that pass it.
func TestSearchRankWindows(t *testing.T) {
	c := openTemp(t)
	c.rankWindow = 4
	ctx := t.Context()
	when := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var all []catalog.Entry
	for i := range 11 {
		e := entry(captureID(when, i), when.Add(time.Duration(i)*time.Minute))
		// Relevance rises and falls with i, so rank order is not index
		// order; odd captures are on another host.
		e.Text = strings.Repeat("comet ", 1+(i*7)%5) + strings.Repeat("filler ", 20)
		if i%2 == 1 {
			e.Host = "other.example"
		}
		all = append(all, e)
		if err := c.Put(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	search := func(q catalog.Query) []string {
		t.Helper()
		hits, err := c.Search(ctx, q)
		if err != nil {
			t.Fatalf("Search(%+v): %v", q, err)
		}
		return hitIDs(hits)
	}
	whole := search(catalog.Query{Text: "comet", Limit: 100})
	if len(whole) != 11 {
		t.Fatalf("Search(comet) = %d hits, want 11", len(whole))
	}
	// Windows, newest-indexed first: ids 10..7, 6..3, 2..0.
	for w, want := range [][]int{{10, 9, 8, 7}, {6, 5, 4, 3}, {2, 1, 0}} {
		got := whole[w*4 : min(len(whole), w*4+4)]
		var ids []string
		for _, i := range want {
			ids = append(ids, all[i].CaptureID)
		}
		if !sameSet(got, ids) {
			t.Errorf("window %d = %v, want captures %v", w, got, want)
		}
	}
	for _, limit := range []int{1, 3, 4, 5, 7} {
		var paged []string
		for offset := 0; offset < 12; offset += limit {
			paged = append(paged, search(catalog.Query{Text: "comet", Limit: limit, Offset: offset})...)
		}
		if !slices.Equal(paged, whole) {
			t.Errorf("pages of %d = %v, want %v", limit, paged, whole)
		}
	}
	// A period whose captures are a run of rowids: the range alone
	// filters, and windows count its matches only.
	period := catalog.Filter{Since: when.Add(3 * time.Minute), Until: when.Add(8 * time.Minute)}
	inPeriod := search(catalog.Query{Text: "comet", Limit: 100, Filter: period})
	if len(inPeriod) != 6 || !sameSet(inPeriod[:4], []string{all[8].CaptureID, all[7].CaptureID, all[6].CaptureID, all[5].CaptureID}) ||
		!sameSet(inPeriod[4:], []string{all[4].CaptureID, all[3].CaptureID}) {
		t.Errorf("Search(comet, minutes 3 to 8) = %v, want windows {8 7 6 5} then {4 3}", inPeriod)
	}
	onOther := search(catalog.Query{Text: "comet", Limit: 100, Filter: catalog.Filter{Host: "other.example"}})
	// Five matches on other.example: windows 9,7,5,3 and 1.
	if len(onOther) != 5 || !sameSet(onOther[:4], []string{all[9].CaptureID, all[7].CaptureID, all[5].CaptureID, all[3].CaptureID}) || onOther[4] != all[1].CaptureID {
		t.Errorf("Search(comet, host other.example) = %v, want windows {9 7 5 3} then {1}", onOther)
	}
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

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
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
		rows, err := tx.QueryContext(ctx, `EXPLAIN QUERY PLAN `+query, args...)
		if err != nil {
			t.Fatalf("EXPLAIN %s: %v", query, err)
		}
		defer rows.Close()
		var lines []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, detail)
		}
		// A newline after every line, so that "SCAN c\n" tells a scan of
		// captures from one of captures_fts.
		return strings.Join(lines, "\n") + "\n"
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
		s, err := newSearcher(ctx, tx, parseSearch("harbour ferry"), tc.filter, 10)
		if err != nil {
			t.Fatal(err)
		}
		args := append([]any{s.match}, s.args...)
		noScan := []string{"SCAN c\n", "SCAN c USING", "SCAN captures\n", "SCAN captures USING", "USING INDEX"}
		check(t, tc.name+" window bound", plan(s.rowidAtSQL(), append(args, 9)...),
			[]string{"SCAN captures_fts VIRTUAL TABLE"}, append(noScan, "TEMP B-TREE"))
		rankPlan := plan(s.rankedSQL(s.where, ""), append(args, 10, 20)...)
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
