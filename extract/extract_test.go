package extract

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

const testURL = "https://news.example.com/world/2025/07/08/storm-hits-coast"

// storyHTML wraps paragraphs in a minimal article page.
func storyHTML(head, body string) []byte {
	return []byte("<!doctype html><html><head><title>Storm hits coast</title>" + head + "</head><body>" + body + "</body></html>")
}

const storyParagraphs = `<p>A powerful storm struck the coast on Tuesday, cutting power to tens of thousands of homes and forcing the closure of two ports, officials said.</p>
<p>Winds of up to 140 kilometres an hour tore roofs from houses in three fishing villages, and the coast guard rescued eleven people from a ferry that lost power near the harbour entrance.</p>
<p>"We have not seen anything like this in twenty years," said the regional governor, who asked residents to stay indoors until the warning is lifted on Wednesday morning.</p>`

func TestExtractRejectsBadInput(t *testing.T) {
	nested := []byte("<html><body>" + strings.Repeat("<div>", 600) + "deep" + strings.Repeat("</div>", 600) + "</body></html>")
	cases := []struct {
		name        string
		body        []byte
		url         string
		contentType string
		notHTML     bool
		wantInError string
	}{
		{name: "empty", body: nil, url: testURL, wantInError: "empty body"},
		{name: "blank", body: []byte(" \n\t "), url: testURL, wantInError: "empty body"},
		{name: "pdf", body: []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"), url: testURL, notHTML: true},
		{name: "png", body: []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"), url: testURL, notHTML: true},
		{name: "binary", body: []byte{0x00, 0x01, 0x02, 0x03, 0xff, 0xfe, 0x10, 0x11}, url: testURL, notHTML: true},
		{name: "declared pdf", body: storyHTML("", storyParagraphs), url: testURL, contentType: "application/pdf", notHTML: true},
		{name: "plain text", body: []byte("just some words, no markup at all"), url: testURL, notHTML: true},
		{name: "relative url", body: storyHTML("", storyParagraphs), url: "/world/story", wantInError: "not absolute http(s)"},
		{name: "ftp url", body: storyHTML("", storyParagraphs), url: "ftp://news.example.com/x", wantInError: "not absolute http(s)"},
		{name: "too large", body: bytes.Repeat([]byte("a"), MaxBodyBytes+1), url: testURL, wantInError: "over the"},
		{name: "nested too deep", body: nested, url: testURL, wantInError: "parse HTML"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Extract(c.body, Options{URL: c.url, ContentType: c.contentType})
			if err == nil {
				t.Fatalf("got no error and %+v", res.Article)
			}
			if res != nil {
				t.Errorf("got a result with the error %v", err)
			}
			if c.notHTML != errors.Is(err, ErrNotHTML) {
				t.Errorf("errors.Is(err, ErrNotHTML) = %v, want %v (err: %v)", !c.notHTML, c.notHTML, err)
			}
			if c.wantInError != "" && !strings.Contains(err.Error(), c.wantInError) {
				t.Errorf("error %q does not mention %q", err, c.wantInError)
			}
			if c.url == testURL && !strings.Contains(err.Error(), testURL) {
				t.Errorf("error %q does not name the URL", err)
			}
		})
	}
}

func TestExtractAcceptsOctetStreamHTML(t *testing.T) {
	res, err := Extract(storyHTML("", "<article>"+storyParagraphs+"</article>"), Options{URL: testURL, ContentType: "application/octet-stream"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Article.Text, "powerful storm") {
		t.Errorf("text %q lacks the story", res.Article.Text)
	}
}

func TestExtractTextFormat(t *testing.T) {
	body := `<article><h1>Storm hits coast</h1>
<p>  A powerful   storm
struck the coast on Tuesday, cutting power to tens of thousands of homes and forcing the closure of two ports, officials said.  </p>
<div>Winds of up to 140 kilometres an hour tore roofs from houses in three fishing villages,<br>and the coast guard rescued eleven people from a ferry that lost power near the harbour entrance.</div>
<ul><li>First point of the list, long enough to be read as story text by the scorer.</li><li>Second point.</li></ul>
<p>"We have not seen anything like this in twenty years," said the regional governor, who asked residents to stay indoors until the warning is lifted on Wednesday morning.</p></article>`
	res, err := Extract(storyHTML("", body), Options{URL: testURL})
	if err != nil {
		t.Fatal(err)
	}
	text := res.Article.Text
	if strings.Contains(text, "\n\n\n") || strings.TrimSpace(text) != text {
		t.Errorf("paragraphs not separated by exactly one blank line or text not trimmed: %q", text)
	}
	for _, para := range strings.Split(text, "\n\n") {
		if para == "" || strings.Contains(para, "\n") || strings.Contains(para, "  ") || strings.TrimSpace(para) != para {
			t.Errorf("paragraph white space not collapsed: %q", para)
		}
	}
	for _, want := range []string{
		"A powerful storm struck the coast on Tuesday",
		"Winds of up to 140 kilometres an hour tore roofs from houses in three fishing villages,\n\nand the coast guard",
		"First point of the list, long enough to be read as story text by the scorer.\n\nSecond point.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if got, want := res.Article.WordCount, countWords(text); got != want || got < 80 {
		t.Errorf("word count %d, want %d (and at least 80)", got, want)
	}
	if res.Article.Extractor != (Component{Name: Name, Version: Version}) {
		t.Errorf("extractor %+v", res.Article.Extractor)
	}
}

func TestExtractLinks(t *testing.T) {
	body := `<nav><a href="/world/">World</a> <a href="/world/#top">World again</a> <a href="javascript:void(0)">Menu</a> <a href="mailto:desk@news.example.com">Mail us</a></nav>
<article>` + storyParagraphs + `<p>Read the <a href="reports/storm-warning.pdf#page=2" rel="nofollow noopener">  official
   warning </a> and see <a href="https://other.example.org/Path?q=1#frag">the forecast</a>. Emergency services and <a href="/world/">world news</a> continue to report damage along the coast.</p></article>
<footer><a href="/about"><img src="logo.png" alt="About us"></a><a href="/about">About</a><a href="HTTPS://News.Example.COM/contact">Contact</a></footer>
<map name="m"><area href="/map/region-north" alt="North"></map>`
	res, err := Extract(storyHTML(`<base href="https://news.example.com/world/2025/">`, body), Options{URL: testURL})
	if err != nil {
		t.Fatal(err)
	}
	want := []Link{
		{URL: "https://news.example.com/world/", Text: "World", InArticle: true},
		{URL: "https://news.example.com/world/2025/reports/storm-warning.pdf", Text: "official warning", Rel: "nofollow noopener", InArticle: true},
		{URL: "https://other.example.org/Path?q=1", Text: "the forecast", InArticle: true},
		{URL: "https://news.example.com/about", Text: "About us"},
		{URL: "https://news.example.com/contact", Text: "Contact"},
		{URL: "https://news.example.com/map/region-north", Text: "North"},
	}
	if len(res.Links) != len(want) {
		t.Fatalf("got %d links, want %d:\n%+v", len(res.Links), len(want), res.Links)
	}
	for i := range want {
		if res.Links[i] != want[i] {
			t.Errorf("link %d:\n got %+v\nwant %+v", i, res.Links[i], want[i])
		}
	}
}

func TestExtractNeverPanicsOnOddPages(t *testing.T) {
	pages := []string{
		"<",
		"<html>",
		"<!doctype html>",
		"<html><body><a href='http://[::1'>broken</a></body></html>",
		"<html><head><base href='::::'><link rel=canonical href='http://%zz'></head><body><p>x</p></body></html>",
		"<html><head><script type='application/ld+json'>{\"@graph\": [{\"@type\": [1, 2, {}], \"author\": {\"@id\": \"x\"}}, {\"@id\": \"x\", \"author\": {\"@id\": \"x\"}}]}</script></head><body><p>x</p></body></html>",
		"<svg><a href='/x'><title>t</title></a></svg><math><mi>x</mi></math>",
		"<table><tr><td><table><tr><td>" + strings.Repeat("<p>cell, text, commas, more", 200) + "</table></table>",
	}
	for _, p := range pages {
		if _, err := Extract([]byte(p), Options{URL: testURL}); err != nil && !errors.Is(err, ErrNotHTML) {
			t.Logf("%.40q: %v", p, err)
		}
	}
}

func TestExtractHugePageFinishes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 7 MB page")
	}
	page := hugePage(100_000)
	start := time.Now()
	res, err := Extract(page, Options{URL: testURL})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%.1f MB, %d links: %v", float64(len(page))/1e6, len(res.Links), time.Since(start))
	if len(res.Links) != 100_001 {
		t.Errorf("got %d links, want 100001", len(res.Links))
	}
	if !strings.Contains(res.Article.Text, "Paragraph 199 of the story") {
		t.Errorf("the story was lost: %.200q", res.Article.Text)
	}
}

func TestExtractDeepNestingTakesFallback(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a pathological page")
	}
	// 8,000 paragraphs under 400 nested divs: far over the readability
	// budget, which would otherwise spend seconds on it.
	page := []byte("<html><body>" + strings.Repeat("<div>", 400) +
		strings.Repeat("<p>Deep text, with commas, and enough words to score as a paragraph.</p>", 8000) +
		strings.Repeat("</div>", 400) + "</body></html>")
	doc := mustParse(t, page)
	if !overReadabilityBudget(scanDocument(doc)) {
		t.Fatal("page is not over the readability budget")
	}
	res, err := Extract(page, Options{URL: testURL})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(res.Article.Text, "Deep text"); got != 8000 {
		t.Errorf("fallback kept %d of 8000 paragraphs", got)
	}
}

// hugePage builds a story followed by n links, as a site map or a tag page
// with endless pagination would.
func hugePage(n int) []byte {
	var b strings.Builder
	b.WriteString("<!doctype html><html lang=en><head><title>Huge</title></head><body><article><h1>Huge</h1>")
	for i := range 200 {
		b.WriteString("<p>Paragraph ")
		b.WriteString(strconv.Itoa(i))
		b.WriteString(" of the story, with enough words to count as prose for the scorer, and a comma, or two.</p>\n")
	}
	b.WriteString(`<p>See <a href="/">the home page</a>.</p></article><ul class="archive">`)
	for i := range n {
		b.WriteString(`<li><a href="/section/story-number-`)
		b.WriteString(strconv.Itoa(i))
		b.WriteString(`-with-a-slug">Story `)
		b.WriteString(strconv.Itoa(i))
		b.WriteString("</a></li>")
	}
	b.WriteString("</ul></body></html>")
	return []byte(b.String())
}

func BenchmarkExtractHugePage(b *testing.B) {
	page := hugePage(100_000)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Extract(page, Options{URL: testURL}); err != nil {
			b.Fatal(err)
		}
	}
}
