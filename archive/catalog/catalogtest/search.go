package catalogtest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
)

// article returns an entry of a distinct URL on host with the given title
// and text, fetched n minutes after the reference time.
func article(n int, host, title, text string) catalog.Entry {
	fetched := at(time.Duration(n) * time.Minute)
	e := newEntry(captureID(fetched, fmt.Sprintf("S%09d", n)), fmt.Sprintf("https://%s/story/%d", host, n), fetched)
	e.Title, e.Text = title, text
	return e
}

// putFillers stores unrelated articles, so that term statistics look like a
// real corpus rather than one where every document holds every term.
func putFillers(t *testing.T, cat catalog.Catalog) {
	t.Helper()
	topics := []string{"markets", "football", "weather", "parliament", "theatre", "harvest", "railways", "schools"}
	for i, topic := range topics {
		put(t, cat, article(1000+i, "filler.example", "Notes on "+topic,
			"A routine report about "+topic+" with the usual quotes from the usual officials."))
	}
}

func testSearchRanksTitleAboveText(t *testing.T, cat catalog.Catalog) {
	putFillers(t, cat)
	inText := article(1, "news.example", "Regional news roundup",
		"Farmers met on Tuesday. A zeppelin was seen over the lake. Prices held steady.")
	inTitle := article(2, "news.example", "Zeppelin returns to the lake",
		"Farmers met on Tuesday. An airship was seen over the lake. Prices held steady.")
	put(t, cat, inText, inTitle)

	hits := search(t, cat, catalog.Query{Text: "zeppelin"})
	if got, want := hitIDs(hits), []string{inTitle.CaptureID, inText.CaptureID}; !slices.Equal(got, want) {
		t.Fatalf("Search(zeppelin) = %v, want title match %s before text match %s", got, want[0], want[1])
	}
	if hits[0].Score <= hits[1].Score {
		t.Errorf("title match score %v is not above text match score %v", hits[0].Score, hits[1].Score)
	}
	checkEntry(t, "Search hit", hits[0].Entry, inTitle)
}

func testSearchAllWordsMustMatch(t *testing.T, cat catalog.Catalog) {
	putFillers(t, cat)
	both := article(1, "news.example", "Harbour report", "The ferry and the lighthouse were repaired.")
	ferry := article(2, "news.example", "Ferry timetable", "The ferry leaves at nine.")
	put(t, cat, both, ferry)

	if got := hitIDs(search(t, cat, catalog.Query{Text: "ferry lighthouse"})); !slices.Equal(got, []string{both.CaptureID}) {
		t.Errorf("Search(ferry lighthouse) = %v, want only %s", got, both.CaptureID)
	}
	if got := hitIDs(search(t, cat, catalog.Query{Text: "FERRY"})); !sameSet(got, []string{both.CaptureID, ferry.CaptureID}) {
		t.Errorf("Search(FERRY) = %v, want both ferry articles (case-insensitive)", got)
	}
	if got := search(t, cat, catalog.Query{Text: "ferry submarine"}); len(got) != 0 {
		t.Errorf("Search(ferry submarine) = %v, want no hits", hitIDs(got))
	}
}

func testSearchPhrase(t *testing.T, cat catalog.Catalog) {
	putFillers(t, cat)
	adjacent := article(1, "news.example", "Delegates arrive", "The climate summit opened in Lisbon on Monday.")
	apart := article(2, "news.example", "Leaders meet", "The summit was about trade; the climate came up later.")
	put(t, cat, adjacent, apart)

	if got := hitIDs(search(t, cat, catalog.Query{Text: `"climate summit"`})); !slices.Equal(got, []string{adjacent.CaptureID}) {
		t.Errorf(`Search("climate summit") = %v, want only %s`, got, adjacent.CaptureID)
	}
	if got := hitIDs(search(t, cat, catalog.Query{Text: `climate summit`})); !sameSet(got, []string{adjacent.CaptureID, apart.CaptureID}) {
		t.Errorf(`Search(climate summit) = %v, want both`, got)
	}
	if got := hitIDs(search(t, cat, catalog.Query{Text: `"summit opened" lisbon`})); !slices.Equal(got, []string{adjacent.CaptureID}) {
		t.Errorf(`Search("summit opened" lisbon) = %v, want only %s`, got, adjacent.CaptureID)
	}
}

func testSearchOr(t *testing.T, cat catalog.Catalog) {
	putFillers(t, cat)
	france := article(1, "news.example", "Polls close", "The election in France drew a record turnout.")
	germany := article(2, "news.example", "Coalition talks", "After the election in Germany, talks began.")
	trade := article(3, "news.example", "Trade figures", "France and Germany agreed on tariffs.")
	put(t, cat, france, germany, trade)

	tests := []struct {
		query string
		want  []string
	}{
		{"France OR Germany", []string{france.CaptureID, germany.CaptureID, trade.CaptureID}},
		// OR binds tighter than the implicit AND.
		{"election France OR Germany", []string{france.CaptureID, germany.CaptureID}},
		{"France OR Germany election", []string{france.CaptureID, germany.CaptureID}},
		{"tariffs OR turnout OR coalition", []string{france.CaptureID, germany.CaptureID, trade.CaptureID}},
		{`"record turnout" OR "talks began"`, []string{france.CaptureID, germany.CaptureID}},
		{"France Germany", []string{trade.CaptureID}},
	}
	for _, tc := range tests {
		if got := hitIDs(search(t, cat, catalog.Query{Text: tc.query})); !sameSet(got, tc.want) {
			t.Errorf("Search(%s) = %v, want %v", tc.query, got, tc.want)
		}
	}
}

func testSearchExclusion(t *testing.T, cat catalog.Catalog) {
	putFillers(t, cat)
	clean := article(1, "news.example", "Count completed", "The election count finished without incident.")
	fraud := article(2, "news.example", "Claims rejected", "The election board rejected claims of fraud.")
	recount := article(3, "news.example", "Recount ordered", "The election went to a recount after vote counting stalled.")
	put(t, cat, clean, fraud, recount)

	tests := []struct {
		query string
		want  []string
	}{
		{"election -fraud", []string{clean.CaptureID, recount.CaptureID}},
		{"election -fraud -recount", []string{clean.CaptureID}},
		{`election -"vote counting"`, []string{clean.CaptureID, fraud.CaptureID}},
		{"election -FRAUD", []string{clean.CaptureID, recount.CaptureID}},
		// Exclusions alone select nothing: there is nothing to rank.
		{"-fraud", nil},
		{"-fraud -recount", nil},
	}
	for _, tc := range tests {
		if got := hitIDs(search(t, cat, catalog.Query{Text: tc.query})); !sameSet(got, tc.want) {
			t.Errorf("Search(%s) = %v, want %v", tc.query, got, tc.want)
		}
	}
}

func testSearchFilters(t *testing.T, cat catalog.Catalog) {
	putFillers(t, cat)
	early := article(0, "a.example", "Volcano erupts", "Ash covered the valley.")
	middle := article(60, "b.example", "Volcano quiet", "The volcano slept.")
	late := article(120, "a.example", "Volcano again", "A second volcano eruption.")
	amp := article(180, "b.example", "Volcano AMP", "The volcano page, AMP edition.")
	amp.CanonicalURL, amp.CanonicalKey = middle.URLKey, middle.URLKey
	put(t, cat, early, middle, late, amp)

	tests := []struct {
		name   string
		filter catalog.Filter
		want   []string
	}{
		{"host", catalog.Filter{Host: "a.example"}, []string{early.CaptureID, late.CaptureID}},
		{"since", catalog.Filter{Since: at(60 * time.Minute)}, []string{middle.CaptureID, late.CaptureID, amp.CaptureID}},
		{"until", catalog.Filter{Until: at(60 * time.Minute)}, []string{early.CaptureID, middle.CaptureID}},
		{"window", catalog.Filter{Since: at(time.Minute), Until: at(150 * time.Minute)}, []string{middle.CaptureID, late.CaptureID}},
		{"url key with canonical", catalog.Filter{URLKey: middle.URLKey}, []string{middle.CaptureID, amp.CaptureID}},
		{"host and window", catalog.Filter{Host: "b.example", Until: at(time.Hour)}, []string{middle.CaptureID}},
		{"nothing matches", catalog.Filter{Host: "c.example"}, nil},
	}
	for _, tc := range tests {
		got := hitIDs(search(t, cat, catalog.Query{Text: "volcano", Filter: tc.filter}))
		if !sameSet(got, tc.want) {
			t.Errorf("%s: Search(volcano, %+v) = %v, want %v", tc.name, tc.filter, got, tc.want)
		}
	}
}

func testSearchPaging(t *testing.T, cat catalog.Catalog) {
	putFillers(t, cat)
	var all []string
	for i := range 25 {
		e := article(i, "news.example", fmt.Sprintf("Bulletin %d", i), fmt.Sprintf("Bulletin number %d mentions the comet.", i))
		put(t, cat, e)
		all = append(all, e.CaptureID)
	}
	if got := search(t, cat, catalog.Query{Text: "comet"}); len(got) != 20 {
		t.Errorf("Search(comet) without Limit = %d hits, want the default 20", len(got))
	}
	var paged []string
	for offset := 0; offset < 30; offset += 7 {
		hits := search(t, cat, catalog.Query{Text: "comet", Limit: 7, Offset: offset})
		if want := min(7, max(0, 25-offset)); len(hits) != want {
			t.Fatalf("Search(comet, Limit 7, Offset %d) = %d hits, want %d", offset, len(hits), want)
		}
		for i := 1; i < len(hits); i++ {
			if hits[i].Score > hits[i-1].Score {
				t.Errorf("hits at offset %d are not best first: score %v after %v", offset, hits[i].Score, hits[i-1].Score)
			}
		}
		paged = append(paged, hitIDs(hits)...)
	}
	if !sameSet(paged, all) {
		t.Errorf("pages of Search(comet) hold %d ids, not each of the %d matches exactly once", len(paged), len(all))
	}
}

func testSearchSnippet(t *testing.T, cat catalog.Catalog) {
	putFillers(t, cat)
	var long strings.Builder
	for i := range 60 {
		fmt.Fprintf(&long, "Sentence %d says nothing much. ", i)
	}
	long.WriteString("Then a Narwhal surfaced near the pier. ")
	for i := range 60 {
		fmt.Fprintf(&long, "Afterword %d says nothing either. ", i)
	}
	e := article(1, "news.example", "Harbour diary", long.String())
	put(t, cat, e)

	hits := search(t, cat, catalog.Query{Text: "narwhal"})
	if len(hits) != 1 {
		t.Fatalf("Search(narwhal) = %v, want one hit", hitIDs(hits))
	}
	snippet := hits[0].Snippet
	if !strings.Contains(strings.ToLower(snippet), "[narwhal]") {
		t.Errorf("snippet %q does not mark the match as [narwhal]", snippet)
	}
	if len(snippet) >= len(e.Text)/2 {
		t.Errorf("snippet is %d bytes of a %d-byte text, want an excerpt", len(snippet), len(e.Text))
	}
	if !strings.Contains(snippet, "surfaced") {
		t.Errorf("snippet %q lacks the words around the match", snippet)
	}
}

// testBrokenTextStoredClean: a title and text with NUL and invalid UTF-8
// (from a broken page) are stored as catalog.CleanText makes them, by
// every backend alike, and searched as stored.
func testBrokenTextStoredClean(t *testing.T, cat catalog.Catalog) {
	putFillers(t, cat)
	e := article(1, "news.example", "Broken\x00 page \xff here", "The zep\x00pelin flew over the\x00 \xfe city.")
	put(t, cat, e)
	got, err := cat.Get(t.Context(), e.CaptureID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Broken page \uFFFD here" || got.Text != "The zeppelin flew over the \uFFFD city." {
		t.Errorf("stored title %q, text %q", got.Title, got.Text)
	}
	for _, q := range []string{"zeppelin", `"zeppelin flew"`, `"broken page"`} {
		if got := hitIDs(search(t, cat, catalog.Query{Text: q})); !sameSet(got, []string{e.CaptureID}) {
			t.Errorf("Search(%s) = %v, want %s", q, got, e.CaptureID)
		}
	}
}

func testSearchUnicode(t *testing.T, cat catalog.Catalog) {
	putFillers(t, cat)
	zurich := article(1, "news.example", "Hochwasser in Zürich", "Die Limmat stieg über die Ufer; Straßen wurden gesperrt.")
	greek := article(2, "news.example", "Εκλογές στην Αθήνα", "Οι ψηφοφόροι προσήλθαν νωρίς.")
	put(t, cat, zurich, greek)

	tests := []struct {
		query string
		want  []string
	}{
		{"Zürich", []string{zurich.CaptureID}},
		{"zürich", []string{zurich.CaptureID}},
		{"ZÜRICH limmat", []string{zurich.CaptureID}},
		{"αθήνα", []string{greek.CaptureID}},
		{"Zürich OR Αθήνα", []string{zurich.CaptureID, greek.CaptureID}},
	}
	for _, tc := range tests {
		if got := hitIDs(search(t, cat, catalog.Query{Text: tc.query})); !sameSet(got, tc.want) {
			t.Errorf("Search(%s) = %v, want %v", tc.query, got, tc.want)
		}
	}
}

func testSearchHostileQueries(t *testing.T, cat catalog.Catalog) {
	putFillers(t, cat)
	put(t, cat, article(1, "news.example", "Zeppelin sighted", "A zeppelin (the big one) flew over: title: none."))

	// Each query must run without error; those with nothing searchable in
	// them must also return no hits.
	tests := []struct {
		query      string
		nothingToo bool
	}{
		{``, true},
		{`   `, true},
		{`"`, true},
		{`""`, true},
		{`"""`, true},
		{`'`, true},
		{`''`, true},
		{`)`, true},
		{`(`, true},
		{`()`, true},
		{`*`, true},
		{`-`, true},
		{`--`, true},
		{`- -`, true},
		{`:`, true},
		{`^`, true},
		{`+`, true},
		{`\`, true},
		{`\"`, true},
		{`%_`, true},
		{`[]{}<>`, true},
		{`;`, true},
		{"😀", true},
		{"👩‍🔬🌊", true},
		{"\u0308", true}, // a lone combining diaeresis
		{"\x00", true},
		{"\xff\xfe", true},
		{`OR`, true},
		{`OR OR OR`, true},
		{`-OR`, true},
		{`AND`, false},
		{`NOT`, false},
		{`NEAR(`, false},
		{`NEAR(zeppelin flew, 2)`, false},
		{`zeppelin*`, false},
		{`zep*`, false},
		{`title:`, false},
		{`title:zeppelin`, false},
		{`{title text}:zeppelin`, false},
		{`zeppelin OR`, false},
		{`OR zeppelin`, false},
		{`zeppelin -`, false},
		{`"unterminated zeppelin`, false},
		{`zeppelin"inner"quotes`, false},
		{`'; DROP TABLE captures; --`, false},
		{`' OR '1'='1`, false},
		{`zeppelin) OR (1=1`, false},
		{`😀zeppelin😀`, false},
		{"zep\x00pelin", false},
		{"zep\xffpelin", false},
		{strings.Repeat("zeppelin ", 112), false},
		{strings.Repeat("z", 1000), false},
		{strings.Repeat("a OR ", 200), false},
		{strings.Repeat("-x ", 334), true},
		{strings.Repeat(`"(*:-^`, 170), true},
		{strings.Repeat("é", 500), false},
	}
	for _, tc := range tests {
		hits, err := cat.Search(t.Context(), catalog.Query{Text: tc.query})
		if err != nil {
			t.Errorf("Search(%.60q): %v", tc.query, err)
			continue
		}
		if tc.nothingToo && len(hits) != 0 {
			t.Errorf("Search(%.60q) = %v, want no hits: nothing in it is searchable", tc.query, hitIDs(hits))
		}
	}
	// After all that, the catalog still answers normally.
	if hits := search(t, cat, catalog.Query{Text: "zeppelin"}); len(hits) != 1 {
		t.Fatalf("Search(zeppelin) after hostile queries = %v, want one hit", hitIDs(hits))
	}
	if n, err := cat.Count(t.Context(), catalog.Filter{}); err != nil || n != 9 {
		t.Fatalf("Count after hostile queries = %d, %v; want 9, nil", n, err)
	}
}
