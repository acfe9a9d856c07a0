package extract

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A page that repeats every kind of metadata thousands of times must
// still finish, and its evidence must stay small.
func TestEvidenceBoundedOnHostilePage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a large page")
	}
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="en"><head><title>T</title>`)
	for i := range 20_000 {
		b.WriteString(`<meta property="og:title" content="Title ` + strconv.Itoa(i) + `">`)
		b.WriteString(`<meta name="author" content="Author ` + letters(i) + `">`)
	}
	b.WriteString(`<script type="application/ld+json">{"@type":"NewsArticle","author":[`)
	for i := range 5_000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"@type":"Person","name":"Person ` + letters(i) + `"}`)
	}
	b.WriteString(`],"isAccessibleForFree":false,"hasPart":{"isAccessibleForFree":false,"cssSelector":".wall"}}</script></head><body><article>`)
	for i := range 5_000 {
		b.WriteString(`<div itemscope itemtype="https://schema.org/NewsArticle"><time itemprop="datePublished" datetime="2025-01-` + strconv.Itoa(1+i%28) + `">x</time><div class="wall paywall">Subscribe to continue reading</div></div>`)
	}
	b.WriteString(storyParagraphs + `</article></body></html>`)
	page := []byte(b.String())
	start := time.Now()
	res, err := Extract(page, Options{URL: testURL, FetchedAt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%.1f MB in %v", float64(len(page))/1e6, time.Since(start))
	data, err := json.Marshal(res.Article.Evidence)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 64<<10 {
		t.Errorf("evidence is %d bytes", len(data))
	}
	for field, ev := range res.Article.Evidence {
		if len(ev.Candidates) > maxCandidates+1 {
			t.Errorf("%s: %d candidates", field, len(ev.Candidates))
		}
	}
	if ev := res.Article.Evidence[FieldPublished]; ev.Source != "url" {
		t.Errorf("published %v from %q: the 5,000 items with different dates must be rejected", res.Article.Published, ev.Source)
	}
	if len(res.Article.Authors) != maxAuthors {
		t.Errorf("%d authors, want the cap of %d", len(res.Article.Authors), maxAuthors)
	}
}

// The evidence of a whole extraction agrees with the Article and keeps
// rejected candidates with their reason.
func TestEvidenceExplainsChoices(t *testing.T) {
	head := `<meta property="og:title" content="Storm Daily"><meta property="og:site_name" content="Storm Daily">
<meta property="article:published_time" content="2031-05-01T00:00:00Z">
<meta name="date" content="2025-07-08T06:00:00Z">
<link rel="image_src" href="/img/storm.jpg">`
	res, err := Extract(storyHTML(head, "<article><h1>Storm hits coast</h1>"+storyParagraphs+"</article>"),
		Options{URL: testURL, FetchedAt: time.Date(2025, 7, 9, 0, 0, 0, 0, time.UTC), Hints: Hints{FeedDate: ptr(time.Date(2025, 7, 8, 5, 0, 0, 0, time.UTC))}})
	if err != nil {
		t.Fatal(err)
	}
	a := res.Article
	checkEvidence(t, a)
	title := a.Evidence[FieldTitle]
	if a.Title != "Storm hits coast" || title.Candidates[0].Rejected != "the site's name, not a headline" {
		t.Errorf("title %q, evidence %+v", a.Title, title)
	}
	pub := a.Evidence[FieldPublished]
	if pub.Source != "meta:date" || !strings.HasPrefix(pub.Candidates[0].Rejected, "later than the fetch") {
		t.Errorf("published evidence %+v", pub)
	}
	var sources []string
	for _, c := range pub.Candidates {
		sources = append(sources, c.Source)
	}
	if got := strings.Join(sources, " "); got != "meta:article:published_time meta:date feed url" {
		t.Errorf("published candidates %s", got)
	}
	if a.Image != "https://news.example.com/img/storm.jpg" || a.Evidence[FieldImage].Source != "link:image_src" {
		t.Errorf("image %q from %q", a.Image, a.Evidence[FieldImage].Source)
	}
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"evidence":{`) {
		t.Errorf("the JSON field must be named evidence: %.300s", data)
	}
}

// letters spells i in capitalised base-26 letters ("Ab"): names may not
// hold digits.
func letters(i int) string {
	s := string(rune('A' + i%26))
	for i /= 26; i > 0; i /= 26 {
		s += string(rune('a' + i%26))
	}
	return s
}
