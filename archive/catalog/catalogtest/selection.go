package catalogtest

import (
	"cmp"
	"errors"
	"slices"
	"testing"

	"github.com/archivist-project/archivist/archive/catalog"
)

// selector returns cat's Selector or fails the test: every backend must
// stream selections for dataset exports.
func selector(t *testing.T, cat catalog.Catalog) catalog.Selector {
	t.Helper()
	s, ok := cat.(catalog.Selector)
	if !ok {
		t.Fatalf("%T does not implement catalog.Selector", cat)
	}
	return s
}

func selectIDs(t *testing.T, cat catalog.Catalog, s catalog.Selection) []string {
	t.Helper()
	var got []string
	if err := selector(t, cat).Select(t.Context(), s, func(e catalog.Entry) error {
		got = append(got, e.CaptureID)
		return nil
	}); err != nil {
		t.Fatalf("Select(%+v): %v", s, err)
	}
	return got
}

// testSelect covers the selection behind dataset exports: filters and a
// full-text query together, the latest version of each page (by canonical
// key, else URL key, relative to the filters), order and limit.
func testSelect(t *testing.T, cat catalog.Catalog) {
	putFillers(t, cat)
	// Page A: three versions; the second and third carry a canonical URL
	// that a differently-addressed capture (a2) also names.
	a1 := article(1, "news.example", "Flood warning", "The river rose overnight near the dam.")
	a1.URLKey, a1.CanonicalKey = "https://news.example/flood", ""
	a2 := article(2, "news.example", "Flood warning", "The river rose overnight near the dam; roads closed.")
	a2.URLKey, a2.CanonicalKey = "https://news.example/flood?amp=1", "https://news.example/flood-canonical"
	a3 := article(3, "news.example", "Flood warning update", "The river fell by noon near the dam.")
	a3.URLKey, a3.CanonicalKey = "https://news.example/flood", "https://news.example/flood-canonical"
	// Page B: two versions without canonical URLs, on another host.
	b1 := article(4, "other.example", "Dam inspection", "Engineers inspected the dam on Friday.")
	b1.URLKey = "https://other.example/dam"
	b2 := article(5, "other.example", "Dam inspection", "Engineers inspected the dam on Friday and Saturday.")
	b2.URLKey = "https://other.example/dam"
	b2.Language = "fr"
	put(t, cat, a3, b1, a1, b2, a2) // out of order on purpose

	ids := func(es ...catalog.Entry) []string {
		out := make([]string, len(es))
		for i, e := range es {
			out[i] = e.CaptureID
		}
		return out
	}
	for _, tc := range []struct {
		name string
		s    catalog.Selection
		want []string
	}{
		{"text, oldest first", catalog.Selection{Text: "dam"}, ids(a1, a2, a3, b1, b2)},
		{"text and filter", catalog.Selection{Text: "dam", Filter: catalog.Filter{Host: "other.example"}}, ids(b1, b2)},
		{"text phrase", catalog.Selection{Text: `"roads closed"`}, ids(a2)},
		{"latest per page", catalog.Selection{Text: "dam", LatestOnly: true}, ids(a1, a3, b2)},
		{"latest is relative to the filters", catalog.Selection{Text: "dam", LatestOnly: true,
			Filter: catalog.Filter{Until: b1.FetchedAt}}, ids(a1, a3, b1)},
		{"latest among a metadata filter", catalog.Selection{LatestOnly: true,
			Filter: catalog.Filter{Host: "other.example", Language: "en"}}, ids(b1)},
		{"limit applies last", catalog.Selection{Text: "dam", LatestOnly: true, Filter: catalog.Filter{Limit: 2}}, ids(a1, a3)},
		{"no text is the filter alone", catalog.Selection{Filter: catalog.Filter{Host: "other.example"}}, ids(b1, b2)},
		{"only exclusions select nothing", catalog.Selection{Text: "-dam"}, nil},
		{"no match", catalog.Selection{Text: "volcano"}, nil},
	} {
		if got := selectIDs(t, cat, tc.s); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Select = %v, want %v", tc.name, got, tc.want)
		}
	}

	// Entries come back whole, and the callback's error stops the stream.
	var first catalog.Entry
	stop := errors.New("stop")
	n := 0
	err := selector(t, cat).Select(t.Context(), catalog.Selection{Text: "dam"}, func(e catalog.Entry) error {
		n++
		first = e
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("Select with a failing callback: err %v after %d calls, want the callback's error after 1", err, n)
	}
	checkEntry(t, "Select entry", first, a1)

	// Without any condition, everything, the fillers included.
	all := selectIDs(t, cat, catalog.Selection{})
	if len(all) != 13 || !slices.IsSortedFunc(all, func(x, y string) int {
		ex, ey := get(t, cat, x), get(t, cat, y)
		if c := ex.FetchedAt.Compare(ey.FetchedAt); c != 0 {
			return c
		}
		return cmp.Compare(x, y)
	}) {
		t.Errorf("Select(everything) = %d entries %v, want all 13 oldest first", len(all), all)
	}
}
