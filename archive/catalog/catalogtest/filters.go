package catalogtest

import (
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
)

// testListMetadataFilters covers the filters researchers select datasets
// by: source, tag, language, author, page type and publication window.
func testListMetadataFilters(t *testing.T, cat catalog.Catalog) {
	a := newEntry(captureID(at(0), "A"), "https://news.example/a", at(0))
	a.Source, a.Tags, a.Language, a.Authors = "world-desk", []string{"canada", "tech"}, "en", []string{"Ada Reporter", "Ben Writer"}
	b := newEntry(captureID(at(time.Hour), "B"), "https://news.example/b", at(time.Hour))
	b.Source, b.Tags, b.Language, b.Authors = "business", []string{"markets"}, "fr", []string{"Chloé Dubois"}
	b.PageType, b.Kind, b.Paywalled, b.PreviousCaptureID = "listing", "revisit", true, a.CaptureID
	c := newEntry(captureID(at(2*time.Hour), "C"), "https://other.example/c", at(2*time.Hour))
	c.Source, c.Tags, c.Published = "world-desk", nil, nil
	put(t, cat, a, b, c)
	checkEntry(t, "entry with every new field", get(t, cat, b.CaptureID), b)

	pa, pb := *a.Published, *b.Published
	for _, tc := range []struct {
		name string
		f    catalog.Filter
		want []string
	}{
		{"source", catalog.Filter{Source: "world-desk"}, []string{a.CaptureID, c.CaptureID}},
		{"tag", catalog.Filter{Tag: "tech"}, []string{a.CaptureID}},
		{"tag is exact", catalog.Filter{Tag: "tec"}, nil},
		{"language", catalog.Filter{Language: "fr"}, []string{b.CaptureID}},
		{"author substring, any case", catalog.Filter{Author: "ben WRI"}, []string{a.CaptureID}},
		{"author with accent", catalog.Filter{Author: "Chloé"}, []string{b.CaptureID}},
		{"page type", catalog.Filter{PageType: "listing"}, []string{b.CaptureID}},
		{"published since excludes unknown dates", catalog.Filter{PublishedSince: pb}, []string{b.CaptureID}},
		{"published until", catalog.Filter{PublishedUntil: pa}, []string{a.CaptureID}},
		{"combined", catalog.Filter{Source: "world-desk", Language: "en", Tag: "canada"}, []string{a.CaptureID}},
	} {
		got := ids(list(t.Context(), t, cat, tc.f))
		if !sameSet(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
		n, err := cat.Count(t.Context(), tc.f)
		if err != nil || n != len(tc.want) {
			t.Errorf("%s: Count = %d, %v; want %d", tc.name, n, err, len(tc.want))
		}
	}
}

func get(t *testing.T, cat catalog.Catalog, id string) catalog.Entry {
	t.Helper()
	e, err := cat.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return e
}
