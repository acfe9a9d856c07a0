package catalogtest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
)

// RankWindows checks how Search ranks a catalog whose rank window the
// caller has set to 4 matches (catalog.RankWindow is far too large for a
// test): each window is ranked whole before the next, newest-indexed
// first; pages cut through windows without losing or repeating a match;
// and a host or period filter counts only the matches that pass it.
func RankWindows(t *testing.T, cat catalog.Catalog) {
	t.Helper()
	ctx := t.Context()
	when := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var all []catalog.Entry
	for i := range 11 {
		e := newEntry(captureID(when, fmt.Sprintf("%010d", i)), fmt.Sprintf("https://news.example/comet-%d", i), when.Add(time.Duration(i)*time.Minute))
		// Relevance rises and falls with i, so rank order is not index
		// order; odd captures are on another host. Put one at a time: the
		// index order follows insertion.
		e.Text = strings.Repeat("comet ", 1+(i*7)%5) + strings.Repeat("filler ", 20)
		if i%2 == 1 {
			e.Host = "other.example"
		}
		all = append(all, e)
		if err := cat.Put(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	search := func(q catalog.Query) []string {
		t.Helper()
		hits, err := cat.Search(ctx, q)
		if err != nil {
			t.Fatalf("Search(%+v): %v", q, err)
		}
		var ids []string
		for _, h := range hits {
			ids = append(ids, h.Entry.CaptureID)
		}
		return ids
	}
	// sameSet tells whether ids are exactly the captures numbered want.
	sameSet := func(ids []string, want ...int) bool {
		var w []string
		for _, i := range want {
			w = append(w, all[i].CaptureID)
		}
		ids = slices.Clone(ids)
		slices.Sort(ids)
		slices.Sort(w)
		return slices.Equal(ids, w)
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
	period := catalog.Filter{Since: when.Add(3 * time.Minute), Until: when.Add(8 * time.Minute)}
	inPeriod := search(catalog.Query{Text: "comet", Limit: 100, Filter: period})
	if len(inPeriod) != 6 || !sameSet(inPeriod[:4], 8, 7, 6, 5) || !sameSet(inPeriod[4:], 4, 3) {
		t.Errorf("Search(comet, minutes 3 to 8) = %v, want windows {8 7 6 5} then {4 3}", inPeriod)
	}
	onOther := search(catalog.Query{Text: "comet", Limit: 100, Filter: catalog.Filter{Host: "other.example"}})
	if len(onOther) != 5 || !sameSet(onOther[:4], 9, 7, 5, 3) || onOther[4] != all[1].CaptureID {
		t.Errorf("Search(comet, host other.example) = %v, want windows {9 7 5 3} then {1}", onOther)
	}
}
