// Package catalogtest is the conformance suite every catalog backend must
// pass, so that SQLite and PostgreSQL answer the same questions the same
// way. A backend's test calls Run with a function opening a fresh, empty
// catalog.
//
// Fixture times have microsecond precision (PostgreSQL's timestamptz
// keeps no more) and fixture text has no NUL bytes (PostgreSQL text
// cannot hold them).
//
// It also holds the generator of large realistic catalogs (Generator,
// LoadCorpus) that the backends' scale benchmarks share.
package catalogtest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
)

// Run runs the whole suite. open must return a new, empty catalog each time
// it is called; Run closes it when the subtest ends, so Close must be safe
// to call again if open also registers a cleanup.
func Run(t *testing.T, open func(t *testing.T) catalog.Catalog) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, cat catalog.Catalog)
	}{
		{"RoundTrip", testRoundTrip},
		{"GetNotFound", testGetNotFound},
		{"PutRejectsMissingCaptureID", testPutRejectsMissingCaptureID},
		{"PutCanceledContext", testPutCanceledContext},
		{"PutIdempotent", testPutIdempotent},
		{"Nearest", testNearest},
		{"NearestCanonicalKey", testNearestCanonicalKey},
		{"ListOrderAndFilters", testListOrderAndFilters},
		{"ListStopsOnCallbackError", testListStopsOnCallbackError},
		{"ListMetadataFilters", testListMetadataFilters},
		{"ConcurrentPuts", testConcurrentPuts},
		{"SearchRanksTitleAboveText", testSearchRanksTitleAboveText},
		{"SearchAllWordsMustMatch", testSearchAllWordsMustMatch},
		{"SearchPhrase", testSearchPhrase},
		{"SearchOr", testSearchOr},
		{"SearchExclusion", testSearchExclusion},
		{"SearchFilters", testSearchFilters},
		{"SearchPaging", testSearchPaging},
		{"SearchSnippet", testSearchSnippet},
		{"SearchUnicode", testSearchUnicode},
		{"BrokenTextStoredClean", testBrokenTextStoredClean},
		{"SearchHostileQueries", testSearchHostileQueries},
		{"Select", testSelect},
		{"FirstByPayload", testFirstByPayload},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cat := open(t)
			t.Cleanup(func() {
				if err := cat.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, cat)
		})
	}
}

// at returns the fixtures' reference time, 2025-03-01 12:00 UTC, shifted
// by d.
func at(d time.Duration) time.Time {
	return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC).Add(d)
}

// captureID returns a well-formed capture id for time t; suffix tells
// captures of the same second apart and orders them.
func captureID(t time.Time, suffix string) string {
	return t.UTC().Format("20060102T150405Z") + "-" + suffix
}

// newEntry returns an entry with every field set, so that a backend dropping
// any column fails the round trip.
func newEntry(id, urlKey string, fetched time.Time) catalog.Entry {
	published := fetched.Add(-3 * time.Hour)
	host := "news.example"
	if u, _, ok := strings.Cut(strings.TrimPrefix(urlKey, "https://"), "/"); ok {
		host = u
	}
	ref := func(name string) archive.ObjectRef {
		return archive.ObjectRef{
			Key:    "captures/2025/03/01/" + id + "/" + name,
			SHA256: strings.Repeat("ab", 32),
			Size:   int64(len(id) * 1000),
		}
	}
	return catalog.Entry{
		CaptureID:        id,
		URL:              urlKey + "?utm_source=feed",
		FinalURL:         urlKey,
		CanonicalURL:     "",
		URLKey:           urlKey,
		CanonicalKey:     "",
		Host:             host,
		FetchedAt:        fetched,
		Status:           200,
		ContentType:      "text/html; charset=utf-8",
		PageType:         "article",
		Title:            "Untitled " + id,
		Authors:          []string{"Ada Reporter"},
		Published:        &published,
		SiteName:         "Example News",
		Language:         "en",
		Description:      "A story.",
		WordCount:        3,
		Text:             "Nothing happened today.",
		PayloadSHA256:    strings.Repeat("cd", 32),
		Seed:             "https://" + host + "/world/",
		RunID:            "run-1",
		Source:           "world-desk",
		Tags:             []string{"canada", "tech"},
		Kind:             "response",
		ExtractorVersion: "0.1.0",
		WARC:             ref(archive.WARCName),
		Article:          ref(archive.ArticleName),
		Provenance:       ref(archive.ProvenanceName),
	}
}

// put stores entries or fails the test.
func put(t *testing.T, cat catalog.Catalog, entries ...catalog.Entry) {
	t.Helper()
	for _, e := range entries {
		if err := cat.Put(t.Context(), e); err != nil {
			t.Fatalf("Put(%s): %v", e.CaptureID, err)
		}
	}
}

// normalized returns e in the form every backend must return it: times in
// UTC without monotonic reading, no empty authors slice.
func normalized(e catalog.Entry) catalog.Entry {
	e.FetchedAt = e.FetchedAt.UTC().Round(0)
	if e.Published != nil {
		p := e.Published.UTC().Round(0)
		e.Published = &p
	}
	if len(e.Authors) == 0 {
		e.Authors = nil
	}
	if len(e.Tags) == 0 {
		e.Tags = nil
	}
	if e.Kind == "" {
		e.Kind = "response"
	}
	return e
}

// checkEntry fails the test when got differs from want in any field.
func checkEntry(t *testing.T, what string, got, want catalog.Entry) {
	t.Helper()
	got, want = normalized(got), normalized(want)
	if reflect.DeepEqual(got, want) {
		return
	}
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range gv.NumField() {
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: field %s = %s, want %s", what, gv.Type().Field(i).Name, show(g), show(w))
		}
	}
}

func show(v any) string {
	if p, ok := v.(*time.Time); ok && p != nil {
		return p.String()
	}
	s := fmt.Sprintf("%#v", v)
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// ids lists the capture ids of entries in order.
func ids(entries []catalog.Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.CaptureID
	}
	return out
}

// list collects what List visits.
func list(ctx context.Context, t *testing.T, cat catalog.Catalog, f catalog.Filter) []catalog.Entry {
	t.Helper()
	var got []catalog.Entry
	if err := cat.List(ctx, f, func(e catalog.Entry) error {
		got = append(got, e)
		return nil
	}); err != nil {
		t.Fatalf("List(%+v): %v", f, err)
	}
	return got
}

// search runs q and fails the test on error.
func search(t *testing.T, cat catalog.Catalog, q catalog.Query) []catalog.Hit {
	t.Helper()
	hits, err := cat.Search(t.Context(), q)
	if err != nil {
		t.Fatalf("Search(%q): %v", q.Text, err)
	}
	return hits
}

// hitIDs lists the capture ids of hits in order.
func hitIDs(hits []catalog.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.Entry.CaptureID
	}
	return out
}

// sameSet reports whether a and b hold the same ids, in any order.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		seen[s]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}
