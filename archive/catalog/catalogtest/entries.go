package catalogtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
)

func testRoundTrip(t *testing.T, cat catalog.Catalog) {
	full := newEntry(captureID(at(0), "AAAAAAAAAA"), "https://news.example/2025/03/zurich-floods", at(123456*time.Microsecond))
	full.CanonicalURL = "https://news.example/zurich-floods"
	full.CanonicalKey = "https://news.example/zurich-floods"
	full.Title = "Hochwasser in Zürich: «Wir sind bereit» — 東京 reacts 🌊"
	full.Authors = []string{"Zoë Müller", "田中 太郎", "O'Brien, \"Pat\""}
	published := time.Date(2024, 12, 31, 23, 59, 59, 999999000, time.FixedZone("CET", 3600))
	full.Published = &published
	full.Text = "Première ligne.\nΔεύτερη γραμμή — with \"quotes\", 'apostrophes', [brackets] and tabs\t.\n" +
		"Эмодзи 👩‍🔬 and RTL: مرحبا بالعالم."
	full.WordCount = 21
	full.Status = 203
	full.PageType = "listing"

	minimal := newEntry(captureID(at(time.Hour), "BBBBBBBBBB"), "https://other.example/a", at(time.Hour))
	minimal.Published = nil
	minimal.Authors = nil
	minimal.Description = ""
	minimal.Text = ""
	minimal.WordCount = 0

	put(t, cat, full, minimal)
	for _, want := range []catalog.Entry{full, minimal} {
		got, err := cat.Get(t.Context(), want.CaptureID)
		if err != nil {
			t.Fatalf("Get(%s): %v", want.CaptureID, err)
		}
		checkEntry(t, "Get "+want.CaptureID, got, want)
		if want.Published == nil && got.Published != nil {
			t.Errorf("Get(%s).Published = %v, want nil", want.CaptureID, got.Published)
		}
	}
	listed := list(t.Context(), t, cat, catalog.Filter{})
	if len(listed) != 2 {
		t.Fatalf("List returned %d entries, want 2", len(listed))
	}
	checkEntry(t, "List[0]", listed[0], full)
	checkEntry(t, "List[1]", listed[1], minimal)
}

func testGetNotFound(t *testing.T, cat catalog.Catalog) {
	put(t, cat, newEntry(captureID(at(0), "AAAAAAAAAA"), "https://news.example/a", at(0)))
	_, err := cat.Get(t.Context(), captureID(at(0), "ZZZZZZZZZZ"))
	if !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("Get(unknown id) error = %v, want ErrNotFound", err)
	}
}

func testPutRejectsMissingCaptureID(t *testing.T, cat catalog.Catalog) {
	e := newEntry("", "https://news.example/a", at(0))
	if err := cat.Put(t.Context(), e); err == nil {
		t.Fatal("Put(entry without CaptureID) succeeded, want an error")
	}
	if n, err := cat.Count(t.Context(), catalog.Filter{}); err != nil || n != 0 {
		t.Fatalf("Count after rejected Put = %d, %v; want 0, nil", n, err)
	}
}

func testPutCanceledContext(t *testing.T, cat catalog.Catalog) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	e := newEntry(captureID(at(0), "AAAAAAAAAA"), "https://news.example/a", at(0))
	if err := cat.Put(ctx, e); err == nil {
		t.Fatal("Put with a canceled context succeeded, want an error")
	}
	if _, err := cat.Get(t.Context(), e.CaptureID); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("Get after canceled Put error = %v, want ErrNotFound", err)
	}
}

func testPutIdempotent(t *testing.T, cat catalog.Catalog) {
	e := newEntry(captureID(at(0), "AAAAAAAAAA"), "https://news.example/a", at(0))
	e.Title = "Quarterly aardvark census"
	e.Text = "The aardvark population grew."
	other := newEntry(captureID(at(time.Minute), "BBBBBBBBBB"), "https://news.example/b", at(time.Minute))
	put(t, cat, e, other, e, e)
	if n, err := cat.Count(t.Context(), catalog.Filter{}); err != nil || n != 2 {
		t.Fatalf("Count after putting one entry three times = %d, %v; want 2, nil", n, err)
	}
	if hits := search(t, cat, catalog.Query{Text: "aardvark"}); len(hits) != 1 {
		t.Fatalf("Search(aardvark) after repeated Put = %v, want one hit", hitIDs(hits))
	}

	revised := e
	revised.Title = "Corrected: pangolin census"
	revised.Text = "The pangolin population grew."
	revised.Authors = []string{"Second Editor"}
	revised.Published = nil
	put(t, cat, revised)

	got, err := cat.Get(t.Context(), e.CaptureID)
	if err != nil {
		t.Fatalf("Get after re-Put: %v", err)
	}
	checkEntry(t, "Get after re-Put", got, revised)
	if n, err := cat.Count(t.Context(), catalog.Filter{}); err != nil || n != 2 {
		t.Fatalf("Count after re-Put = %d, %v; want 2, nil", n, err)
	}
	if hits := search(t, cat, catalog.Query{Text: "aardvark"}); len(hits) != 0 {
		t.Errorf("Search(aardvark) after replacing the text = %v, want no hits", hitIDs(hits))
	}
	hits := search(t, cat, catalog.Query{Text: "pangolin"})
	if !slices.Equal(hitIDs(hits), []string{e.CaptureID}) {
		t.Fatalf("Search(pangolin) = %v, want exactly [%s]", hitIDs(hits), e.CaptureID)
	}
	checkEntry(t, "Search hit after re-Put", hits[0].Entry, revised)
}

func testNearest(t *testing.T, cat catalog.Catalog) {
	const url = "https://news.example/story"
	first := newEntry(captureID(at(0), "AAAAAAAAAA"), url, at(0))
	second := newEntry(captureID(at(10*time.Hour), "BBBBBBBBBB"), url, at(10*time.Hour))
	unrelated := newEntry(captureID(at(4*time.Hour), "CCCCCCCCCC"), "https://news.example/other", at(4*time.Hour))
	put(t, cat, second, unrelated, first)

	tests := []struct {
		name string
		at   time.Time
		want string
	}{
		{"zero means latest", time.Time{}, second.CaptureID},
		{"before the first", at(-time.Hour), first.CaptureID},
		{"after the last", at(11 * time.Hour), second.CaptureID},
		{"between, nearer the first", at(2 * time.Hour), first.CaptureID},
		{"between, nearer the second", at(8 * time.Hour), second.CaptureID},
		{"exactly between: earlier wins", at(5 * time.Hour), first.CaptureID},
		{"exactly at the second", at(10 * time.Hour), second.CaptureID},
		{"exactly at the first", at(0), first.CaptureID},
		{"far future", time.Date(2400, 1, 1, 0, 0, 0, 0, time.UTC), second.CaptureID},
		{"far past", time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), first.CaptureID},
	}
	for _, tc := range tests {
		got, err := cat.Nearest(t.Context(), url, tc.at)
		if err != nil {
			t.Errorf("%s: Nearest(%s, %v): %v", tc.name, url, tc.at, err)
			continue
		}
		if got.CaptureID != tc.want {
			t.Errorf("%s: Nearest(%s, %v) = %s, want %s", tc.name, url, tc.at, got.CaptureID, tc.want)
		}
	}
	got, _ := cat.Nearest(t.Context(), url, at(time.Hour))
	checkEntry(t, "Nearest entry", got, first)

	for _, when := range []time.Time{{}, at(time.Hour)} {
		_, err := cat.Nearest(t.Context(), "https://news.example/never-captured", when)
		if !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("Nearest(never captured, %v) error = %v, want ErrNotFound", when, err)
		}
	}
}

func testNearestCanonicalKey(t *testing.T, cat catalog.Catalog) {
	const (
		amp       = "https://news.example/amp/story"
		canonical = "https://news.example/story"
	)
	viaAMP := newEntry(captureID(at(0), "AAAAAAAAAA"), amp, at(0))
	viaAMP.CanonicalURL, viaAMP.CanonicalKey = canonical, canonical
	direct := newEntry(captureID(at(10*time.Hour), "BBBBBBBBBB"), canonical, at(10*time.Hour))
	put(t, cat, viaAMP, direct)

	tests := []struct {
		key  string
		at   time.Time
		want string
	}{
		{canonical, at(time.Hour), viaAMP.CaptureID},
		{canonical, at(9 * time.Hour), direct.CaptureID},
		{canonical, time.Time{}, direct.CaptureID},
		{amp, time.Time{}, viaAMP.CaptureID},
		{amp, at(20 * time.Hour), viaAMP.CaptureID},
	}
	for _, tc := range tests {
		got, err := cat.Nearest(t.Context(), tc.key, tc.at)
		if err != nil {
			t.Errorf("Nearest(%s, %v): %v", tc.key, tc.at, err)
			continue
		}
		if got.CaptureID != tc.want {
			t.Errorf("Nearest(%s, %v) = %s, want %s", tc.key, tc.at, got.CaptureID, tc.want)
		}
	}
}

func testListOrderAndFilters(t *testing.T, cat catalog.Catalog) {
	const (
		storyA = "https://a.example/story"
		storyB = "https://b.example/story"
	)
	e1 := newEntry(captureID(at(0), "AAAAAAAAAA"), storyA, at(0))
	// e2 and e3 share a fetch time: the capture id orders them.
	e2 := newEntry(captureID(at(time.Hour), "AAAAAAAAAA"), storyB, at(time.Hour))
	e3 := newEntry(captureID(at(time.Hour), "BBBBBBBBBB"), "https://a.example/other", at(time.Hour))
	e4 := newEntry(captureID(at(2*time.Hour), "AAAAAAAAAA"), "https://a.example/amp/story", at(2*time.Hour))
	e4.CanonicalURL, e4.CanonicalKey = storyA, storyA
	// e5's id sorts first, its fetch time last: the fetch time decides.
	e5 := newEntry(captureID(at(-time.Hour), "ZZZZZZZZZZ"), storyA, at(3*time.Hour))
	all := []catalog.Entry{e1, e2, e3, e4, e5}
	shuffled := slices.Clone(all)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) {
		shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
	})
	put(t, cat, shuffled...)

	tests := []struct {
		name   string
		filter catalog.Filter
		want   []catalog.Entry
	}{
		{"all, oldest first", catalog.Filter{}, all},
		{"url key matches url and canonical keys", catalog.Filter{URLKey: storyA}, []catalog.Entry{e1, e4, e5}},
		{"url key of a canonical-less page", catalog.Filter{URLKey: storyB}, []catalog.Entry{e2}},
		{"unknown url key", catalog.Filter{URLKey: "https://a.example/none"}, nil},
		{"host", catalog.Filter{Host: "a.example"}, []catalog.Entry{e1, e3, e4, e5}},
		{"since is inclusive", catalog.Filter{Since: at(time.Hour)}, []catalog.Entry{e2, e3, e4, e5}},
		{"until is inclusive", catalog.Filter{Until: at(time.Hour)}, []catalog.Entry{e1, e2, e3}},
		{"since and until", catalog.Filter{Since: at(time.Minute), Until: at(150 * time.Minute)}, []catalog.Entry{e2, e3, e4}},
		{"empty window", catalog.Filter{Since: at(4 * time.Hour)}, nil},
		{"limit", catalog.Filter{Limit: 2}, []catalog.Entry{e1, e2}},
		{"limit above count", catalog.Filter{Limit: 50}, all},
		{"host, url key, window and limit", catalog.Filter{Host: "a.example", URLKey: storyA, Since: at(time.Minute), Limit: 1}, []catalog.Entry{e4}},
	}
	for _, tc := range tests {
		got := list(t.Context(), t, cat, tc.filter)
		if !slices.Equal(ids(got), ids(tc.want)) {
			t.Errorf("%s: List = %v, want %v", tc.name, ids(got), ids(tc.want))
			continue
		}
		for i := range got {
			checkEntry(t, tc.name+": listed entry", got[i], tc.want[i])
		}
		n, err := cat.Count(t.Context(), tc.filter)
		if err != nil {
			t.Errorf("%s: Count: %v", tc.name, err)
		} else if n != len(tc.want) {
			t.Errorf("%s: Count = %d, want %d", tc.name, n, len(tc.want))
		}
	}
}

func testListStopsOnCallbackError(t *testing.T, cat catalog.Catalog) {
	for i := range 5 {
		put(t, cat, newEntry(captureID(at(time.Duration(i)*time.Minute), "AAAAAAAAAA"), fmt.Sprintf("https://news.example/%d", i), at(time.Duration(i)*time.Minute)))
	}
	stop := errors.New("stop listing")
	calls := 0
	err := cat.List(t.Context(), catalog.Filter{}, func(catalog.Entry) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("List error = %v, want the callback's error", err)
	}
	if calls != 2 {
		t.Fatalf("List called the callback %d times after it failed on call 2, want 2", calls)
	}
}

func testConcurrentPuts(t *testing.T, cat catalog.Catalog) {
	const writers, perWriter = 8, 25
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	record := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}
	want := make([]string, 0, writers*perWriter)
	for w := range writers {
		batch := make([]catalog.Entry, perWriter)
		for i := range batch {
			fetched := at(time.Duration(w*perWriter+i) * time.Second)
			batch[i] = newEntry(captureID(fetched, fmt.Sprintf("W%dI%07d", w, i)), fmt.Sprintf("https://news.example/%d/%d", w, i), fetched)
			batch[i].Text = fmt.Sprintf("Concurrent writer %d wrote story %d about hedgehogs.", w, i)
			want = append(want, batch[i].CaptureID)
		}
		wg.Go(func() {
			for _, e := range batch {
				if err := cat.Put(t.Context(), e); err != nil {
					record(fmt.Errorf("Put(%s): %w", e.CaptureID, err))
				}
			}
		})
	}
	// Readers run alongside the writers: neither may fail the other.
	for range 2 {
		wg.Go(func() {
			for range 10 {
				if _, err := cat.Count(t.Context(), catalog.Filter{}); err != nil {
					record(fmt.Errorf("Count: %w", err))
				}
				if _, err := cat.Search(t.Context(), catalog.Query{Text: "hedgehogs"}); err != nil {
					record(fmt.Errorf("Search: %w", err))
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if n, err := cat.Count(t.Context(), catalog.Filter{}); err != nil || n != len(want) {
		t.Fatalf("Count after concurrent Puts = %d, %v; want %d, nil", n, err, len(want))
	}
	if got := ids(list(t.Context(), t, cat, catalog.Filter{})); !sameSet(got, want) {
		t.Fatalf("List after concurrent Puts returned %d ids, not the %d put", len(got), len(want))
	}
	if hits := search(t, cat, catalog.Query{Text: "hedgehogs", Limit: 1000}); len(hits) != len(want) {
		t.Fatalf("Search(hedgehogs) after concurrent Puts = %d hits, want %d", len(hits), len(want))
	}
}
