package versions

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/catalog/sqlite"
	"github.com/archivist-project/archivist/extract"
)

func tp(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

var v1 = &extract.Article{
	Title:     "Court hears Hikvision challenge",
	Authors:   []string{"Ana Ruiz"},
	Published: tp("2025-07-08T10:00:00Z"),
	Text: "Hikvision asked a federal court on Monday to overturn the order.\n\n" +
		"The company says the review was unfair.\n\n" +
		"Ottawa declined to comment.\n\n" +
		"The hearing continues on Tuesday.",
}

var v2 = &extract.Article{
	Title:     "Court rejects Hikvision challenge",
	Authors:   []string{"Ana Ruiz", "Li Wei"},
	Published: tp("2025-07-08T10:00:00Z"),
	Modified:  tp("2025-07-08T16:30:00Z"),
	Text: "Hikvision asked a federal court on Monday to overturn the order.\n\n" +
		"The company says the national security review was unfair.\n\n" +
		"A judge dismissed the application on Tuesday afternoon.\n\n" +
		"The hearing continues on Tuesday.",
}

func TestDiffNamesWhatChanged(t *testing.T) {
	d := Diff(v1, v2)
	if want := []string{Headline, Byline, Dates, Body}; !reflect.DeepEqual(d.Changed, want) {
		t.Errorf("changed = %v, want %v", d.Changed, want)
	}
	if d.Headline == nil || d.Headline.From != v1.Title || d.Headline.To != v2.Title {
		t.Errorf("headline = %+v", d.Headline)
	}
	if d.Byline == nil || d.Byline.To != "Ana Ruiz, Li Wei" {
		t.Errorf("byline = %+v", d.Byline)
	}
	if d.Published != nil {
		t.Errorf("published did not change but is reported: %+v", d.Published)
	}
	if d.Modified == nil || d.Modified.From != "" || d.Modified.To != "2025-07-08T16:30:00Z" {
		t.Errorf("modified = %+v", d.Modified)
	}
	var ops []string
	for _, p := range d.Body {
		ops = append(ops, p.Op)
	}
	// Paragraph 2 was edited (a word added), paragraph 3 replaced.
	if got := strings.Join(ops, ","); got != "same,changed,removed,added,same" {
		t.Errorf("paragraph ops = %s", got)
	}
	changed := d.Body[1]
	var added []string
	for _, s := range changed.Words {
		if s.Op == OpAdded {
			added = append(added, strings.TrimSpace(s.Text))
		}
		if s.Op == OpRemoved {
			t.Errorf("words removed from an edit that only added: %q", s.Text)
		}
	}
	if strings.Join(added, "|") != "national security" {
		t.Errorf("added words = %q", added)
	}
	// Spans concatenate back to both paragraphs.
	var from, to strings.Builder
	for _, s := range changed.Words {
		if s.Op != OpAdded {
			from.WriteString(s.Text)
		}
		if s.Op != OpRemoved {
			to.WriteString(s.Text)
		}
	}
	if from.String() != changed.From || to.String() != changed.To {
		t.Errorf("spans do not rebuild the paragraphs: %q / %q", from.String(), to.String())
	}
	want := Stats{ParagraphsAdded: 1, ParagraphsRemoved: 1, ParagraphsChanged: 1, WordsAdded: 2 + 8, WordsRemoved: 4}
	if d.Stats != want {
		t.Errorf("stats = %+v, want %+v", d.Stats, want)
	}
	if _, err := json.Marshal(d); err != nil {
		t.Fatal(err)
	}
}

func TestDiffOfSameContent(t *testing.T) {
	reflowed := *v1
	reflowed.Text = strings.ReplaceAll(v1.Text, "overturn the", "overturn\nthe") + "\n\n\n"
	d := Diff(v1, &reflowed)
	if len(d.Changed) != 0 || d.Body != nil || d.Headline != nil {
		t.Errorf("re-flowed text counts as a change: %+v", d)
	}
	if got := d.Unified(1, false); !strings.Contains(got, "nothing") {
		t.Errorf("unified of no change = %q", got)
	}
	if got := Changes(v1, v2); !reflect.DeepEqual(got, []string{Headline, Byline, Dates, Body}) {
		t.Errorf("Changes = %v", got)
	}
}

func TestUnified(t *testing.T) {
	got := Diff(v1, v2).Unified(1, false)
	for _, want := range []string{
		"changed: headline, byline, dates, body\n",
		"\nheadline\n- Court hears Hikvision challenge\n+ Court rejects Hikvision challenge\n",
		"\nbyline\n- Ana Ruiz\n+ Ana Ruiz, Li Wei\n",
		"\nmodified\n- (none)\n+ 2025-07-08T16:30:00Z\n",
		"@@ paragraphs 1-4 → 1-4 @@\n",
		"  Hikvision asked a federal court",
		"- The company says the review was unfair.\n+ The company says the national security review was unfair.\n",
		"- Ottawa declined to comment.\n",
		"+ A judge dismissed the application on Tuesday afternoon.\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("unified diff lacks %q:\n%s", want, got)
		}
	}
	words := Diff(v1, v2).Unified(0, true)
	if !strings.Contains(words, "~ The company says the {+national security +}review was unfair.\n") {
		t.Errorf("word-level diff:\n%s", words)
	}
	if !strings.Contains(words, "@@ paragraphs 2-3 → 2-3 @@") {
		t.Errorf("hunk without context:\n%s", words)
	}
}

func TestHunksSplitFarChanges(t *testing.T) {
	var a, b []string
	for i := range 20 {
		p := strings.Repeat("word ", 5) + string(rune('a'+i))
		a = append(a, p)
		b = append(b, p)
	}
	b[2] = "entirely new text here"
	b[17] = "another new paragraph"
	d := Difference{Changed: []string{Body}, Body: alignParagraphs(a, b)}
	got := d.Unified(2, false)
	if n := strings.Count(got, "@@ paragraphs"); n != 2 {
		t.Errorf("%d hunks, want 2:\n%s", n, got)
	}
	if !strings.Contains(got, "@@ paragraphs 1-5 → 1-5 @@") || !strings.Contains(got, "@@ paragraphs 16-20 → 16-20 @@") {
		t.Errorf("hunk ranges:\n%s", got)
	}
}

func TestChain(t *testing.T) {
	ctx := context.Background()
	cat, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	t0 := time.Date(2025, 7, 8, 10, 0, 0, 0, time.UTC)
	key := "http://news.test/story"
	put := func(id string, at time.Duration, kind, prev string, a *extract.Article, sha string) {
		t.Helper()
		e := catalog.Entry{
			CaptureID: id, URL: key, FinalURL: key, URLKey: key, Host: "news.test", FetchedAt: t0.Add(at),
			Status: 200, PageType: "article", Title: a.Title, Authors: a.Authors, Published: a.Published, Text: a.Text,
			PayloadSHA256: sha, Kind: kind, PreviousCaptureID: prev,
		}
		if err := cat.Put(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	put("20250708T100000Z-AAAAAAAAAA", 0, KindResponse, "", v1, "s1")
	put("20250708T110000Z-BBBBBBBBBB", time.Hour, KindRevisit, "20250708T100000Z-AAAAAAAAAA", v1, "s1")
	put("20250708T160000Z-CCCCCCCCCC", 6*time.Hour, KindResponse, "20250708T110000Z-BBBBBBBBBB", v2, "s2")
	put("20250709T100000Z-DDDDDDDDDD", 24*time.Hour, KindRevisit, "20250708T160000Z-CCCCCCCCCC", v2, "s2")
	// Another page is not part of the chain.
	if err := cat.Put(ctx, catalog.Entry{CaptureID: "20250708T100000Z-EEEEEEEEEE", URLKey: "http://news.test/other", FetchedAt: t0, Kind: KindResponse}); err != nil {
		t.Fatal(err)
	}
	chain, err := Chain(ctx, cat, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(chain) != 4 {
		t.Fatalf("chain has %d versions: %+v", len(chain), chain)
	}
	type row struct {
		kind    string
		content int
		changed string
	}
	want := []row{{KindResponse, 1, "<nil>"}, {KindRevisit, 1, ""}, {KindResponse, 2, "headline,byline,body"}, {KindRevisit, 2, ""}}
	for i, v := range chain {
		changed := strings.Join(v.Changed, ",")
		if v.Changed == nil {
			changed = "<nil>"
		}
		if got := (row{v.Kind, v.Content, changed}); got != want[i] {
			t.Errorf("version %d = %+v, want %+v", i, got, want[i])
		}
	}
	if chain[2].PreviousCaptureID != "20250708T110000Z-BBBBBBBBBB" {
		t.Errorf("previous capture of version 3 = %q", chain[2].PreviousCaptureID)
	}
	older, newer, ok := LatestTwoContents(chain)
	if !ok || older.CaptureID != "20250708T110000Z-BBBBBBBBBB" || newer.CaptureID != "20250709T100000Z-DDDDDDDDDD" {
		t.Errorf("latest two contents = %s, %s, %v", older.CaptureID, newer.CaptureID, ok)
	}
	if _, _, ok := LatestTwoContents(chain[:2]); ok {
		t.Error("one content reported as two")
	}
	if v, _ := At(chain, t0.Add(5*time.Hour)); v.CaptureID != "20250708T160000Z-CCCCCCCCCC" {
		t.Errorf("At(+5h) = %s", v.CaptureID)
	}
	if empty, err := Chain(ctx, cat, "http://news.test/never"); err != nil || len(empty) != 0 {
		t.Errorf("unknown URL: %v, %v", empty, err)
	}
}

func TestRecordedChanges(t *testing.T) {
	changedTrue := true
	chain := []Version{
		{CaptureID: "a", Kind: KindResponse, Content: 1},
		{CaptureID: "b", Kind: KindResponse, PreviousCaptureID: "a", Changed: []string{}, Content: 1},
		{CaptureID: "c", Kind: KindRevisit, PreviousCaptureID: "b", Changed: []string{}, Content: 1},
		{CaptureID: "d", Kind: KindResponse, PreviousCaptureID: "c", Changed: []string{Body}, Content: 2},
	}
	provs := map[string]*archive.Provenance{
		// Only the modified date changed: the catalog cannot see it.
		"b": {PreviousCaptureID: "a", ContentChanged: &changedTrue, Changed: []string{Dates}},
		"d": {PreviousCaptureID: "c", ContentChanged: &changedTrue, Changed: []string{Dates, Body}},
	}
	loads := 0
	err := RecordedChanges(context.Background(), chain, func(_ context.Context, id string) (*archive.Provenance, error) {
		loads++
		return provs[id], nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if loads != 2 {
		t.Errorf("%d provenance records read, want 2 (not the first capture nor the revisit)", loads)
	}
	got := []string{}
	for _, v := range chain {
		got = append(got, fmt.Sprintf("%d:%s", v.Content, strings.Join(v.Changed, "+")))
	}
	if strings.Join(got, " ") != "1: 2:dates 2: 3:dates+body" {
		t.Errorf("chain = %v", got)
	}
}
