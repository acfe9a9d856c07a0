package postgres

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
)

// TestSearchRankWindows ranks in windows of 4 matches, as the SQLite
// backend's test of the same name: each window is ranked whole before the
// next, newest-indexed first, pages cut through windows without losing or
// repeating a match, and a filter counts only the matches that pass it.
func TestSearchRankWindows(t *testing.T) {
	c := openTemp(t)
	c.rankWindow = 4
	ctx := t.Context()
	when := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var all []catalog.Entry
	for i := range 11 {
		e := entry(fmt.Sprintf("20250301T120000Z-%010d", i), when.Add(time.Duration(i)*time.Minute))
		// Relevance rises and falls with i, so rank order is not id
		// order; odd captures are on another host. Put one at a time:
		// ids follow insertion.
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
		var ids []string
		for _, h := range hits {
			ids = append(ids, h.Entry.CaptureID)
		}
		return ids
	}
	sameSet := func(a []string, want ...int) bool {
		var b []string
		for _, i := range want {
			b = append(b, all[i].CaptureID)
		}
		a = slices.Clone(a)
		slices.Sort(a)
		slices.Sort(b)
		return slices.Equal(a, b)
	}
	whole := search(catalog.Query{Text: "comet", Limit: 100})
	if len(whole) != 11 {
		t.Fatalf("Search(comet) = %d hits, want 11", len(whole))
	}
	for w, want := range [][]int{{10, 9, 8, 7}, {6, 5, 4, 3}, {2, 1, 0}} {
		if got := whole[w*4 : min(len(whole), w*4+4)]; !sameSet(got, want...) {
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
	onOther := search(catalog.Query{Text: "comet", Limit: 100, Filter: catalog.Filter{Host: "other.example"}})
	if len(onOther) != 5 || !sameSet(onOther[:4], 9, 7, 5, 3) || onOther[4] != all[1].CaptureID {
		t.Errorf("Search(comet, host other.example) = %v, want windows {9 7 5 3} then {1}", onOther)
	}
}
