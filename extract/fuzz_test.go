package extract

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzExtract feeds arbitrary bytes to Extract: it must never panic, must
// return within a bound (fuzzTimeBound, generous: it only proves the call
// terminates, a page takes milliseconds), and what it returns must keep
// the documented invariants. The seed corpus is in
// testdata/fuzz/FuzzExtract. Run with
//
//	go test ./extract -run XXX -fuzz FuzzExtract -fuzztime 60s
func FuzzExtract(f *testing.F) {
	f.Add([]byte(`<html><head><title>T</title></head><body><p>Hello, world.</p></body></html>`), "text/html")
	f.Add([]byte("\xEF\xBB\xBF<p>bom</p>"), "")
	f.Add([]byte("<meta charset=\"shift_jis\"><p>\x93\xfa\x96\x7b</p>"), "")
	f.Add([]byte(`<base href="//other.example/x/"><a href="../y#z">y</a><area href="javascript:1">`), "text/html; charset=utf-8")
	f.Add(storyHTML(`<script type="application/ld+json">{"@graph":[{"@type":"NewsArticle","author":{"@id":"a"}},{"@id":"a","name":"By A and B"}]}</script>`, storyParagraphs), "")
	f.Add(storyHTML(`<meta property="article:published_time" content="2031-01-01"><script type="application/ld+json">{"@type":"NewsArticle","isAccessibleForFree":false,"hasPart":{"isAccessibleForFree":"False","cssSelector":".paywall, #x.y"}}</script>`, `<p>Subscribe to continue reading.</p><div itemscope itemtype="https://schema.org/Comment"><time itemprop="datePublished">2025-07-09</time></div>`), "")
	f.Add([]byte(`<html lang="en"><title>Before you continue</title><p>We use cookies. Accept all. Reject all. Manage privacy settings.</p></html>`), "text/html")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		const page = "https://fuzz.example/section/2025/07/08/story-slug"
		fetched := time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC)
		start := time.Now()
		res, err := Extract(body, Options{URL: page, ContentType: contentType, FetchedAt: fetched,
			Hints: Hints{LastModified: string(body[:min(len(body), 40)]), ContentLanguage: contentType}})
		if d := time.Since(start); d > fuzzTimeBound {
			t.Fatalf("Extract took %v on a %d-byte input, over the %v bound", d, len(body), fuzzTimeBound)
		}
		if err != nil {
			if res != nil {
				t.Fatalf("result returned with error %v", err)
			}
			if !strings.Contains(err.Error(), page) && !errors.Is(err, ErrNotHTML) {
				t.Fatalf("error does not name the URL: %v", err)
			}
			return
		}
		a := res.Article
		for name, s := range map[string]string{"title": a.Title, "text": a.Text, "description": a.Description, "site": a.SiteName} {
			if !utf8.ValidString(s) {
				t.Fatalf("%s is not valid UTF-8: %q", name, s)
			}
		}
		if strings.TrimSpace(a.Text) != a.Text || strings.Contains(a.Text, "\n\n\n") {
			t.Fatalf("text not trimmed or paragraphs not separated by one blank line: %q", a.Text)
		}
		if a.WordCount != countWords(a.Text) {
			t.Fatalf("word count %d for %q", a.WordCount, a.Text)
		}
		switch a.PageType {
		case PageArticle, PageListing, PageOther:
		default:
			t.Fatalf("page type %q", a.PageType)
		}
		if a.Published != nil && a.Modified != nil && a.Modified.Before(*a.Published) {
			t.Fatalf("modified %v before published %v", a.Modified, a.Published)
		}
		if (a.Published != nil && a.Published.After(fetched)) || (a.Modified != nil && a.Modified.After(fetched)) {
			t.Fatalf("a date after the fetch: published %v, modified %v", a.Published, a.Modified)
		}
		if a.Paywalled != (a.PaywallReason != "") {
			t.Fatalf("paywalled %v with reason %q", a.Paywalled, a.PaywallReason)
		}
		checkEvidence(t, a)
		seen := map[string]bool{}
		for _, l := range res.Links {
			u, err := url.Parse(l.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
				t.Fatalf("bad link URL %q", l.URL)
			}
			if seen[l.URL] {
				t.Fatalf("duplicate link %q", l.URL)
			}
			seen[l.URL] = true
		}
	})
}

// fuzzTimeBound is how long one extraction may take in the fuzz test:
// far above the milliseconds a page takes, so it fails only on a hang or
// a blow-up, never on a slow machine.
const fuzzTimeBound = 20 * time.Second

// checkEvidence checks that the evidence agrees with the Article: every
// field has an entry, its choice is the field's value, and it is bounded.
func checkEvidence(t *testing.T, a Article) {
	t.Helper()
	date := func(p *time.Time) string {
		if p == nil {
			return ""
		}
		return p.Format(time.RFC3339)
	}
	want := map[string]string{
		FieldTitle: a.Title, FieldAuthors: strings.Join(a.Authors, "; "),
		FieldPublished: date(a.Published), FieldModified: date(a.Modified),
		FieldLanguage: a.Language, FieldSection: a.Section, FieldSiteName: a.SiteName, FieldImage: a.Image,
	}
	for field, value := range want {
		ev := a.Evidence[field]
		if ev == nil {
			t.Fatalf("no evidence for %s", field)
		}
		if ev.Chosen != value {
			t.Fatalf("evidence for %s chose %q, the article holds %q", field, ev.Chosen, value)
		}
		if len(ev.Candidates) > maxCandidates+1 {
			t.Fatalf("%d candidates for %s", len(ev.Candidates), field)
		}
		if value != "" && ev.Source == "" {
			t.Fatalf("evidence for %s names no source for %q", field, value)
		}
		for _, c := range ev.Candidates {
			if !utf8.ValidString(c.Value) || utf8.RuneCountInString(c.Value) > maxEvidenceValue {
				t.Fatalf("candidate value for %s invalid or too long: %q", field, c.Value)
			}
		}
	}
}
