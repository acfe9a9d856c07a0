package extract

import (
	"bytes"
	"net/url"
	"slices"
	"testing"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
)

// The benchmarks below take one real page per operation, in turn, so
// ns/op is the mean time per page over the 181 pages of the extraction
// benchmark and allocs/op the mean allocations per page. cpu-ms/page is
// the process's user and system CPU per page (getrusage), which counts
// the garbage collector's work on the other core too and is less
// disturbed than wall time by other work on a shared machine. Run with
//
//	go test ./extract -run '^$' -bench 'Stage|ExtractCPU|ReadabilityAlone' -benchmem -benchtime 905x
//
// (905x is five rounds over the pages). The Stage benchmarks time one
// part of Extract each on the input the earlier parts made; a part that
// rewrites its input gets a fresh copy, made with the timer stopped.

// BenchmarkExtractCPU is BenchmarkExtract with the CPU-per-page metric.
func BenchmarkExtractCPU(b *testing.B) {
	pages := loadRealPages(b)
	b.ReportAllocs()
	cpu := startCPU(b)
	for i := 0; b.Loop(); i++ {
		p := pages[i%len(pages)]
		if _, err := Extract(p.html, Options{URL: p.url}); err != nil {
			b.Fatalf("%s: %v", p.id, err)
		}
	}
	cpu.report(b)
}

// BenchmarkReadabilityAlone is the yardstick of BenchmarkSpeedVsReadability
// (html.Parse, FromDocument, RenderText) as a mean per page.
func BenchmarkReadabilityAlone(b *testing.B) {
	pages := loadRealPages(b)
	urls := pageURLs(b, pages)
	b.ReportAllocs()
	cpu := startCPU(b)
	var buf bytes.Buffer
	for i := 0; b.Loop(); i++ {
		p := pages[i%len(pages)]
		doc, err := html.Parse(bytes.NewReader(p.html))
		if err != nil {
			b.Fatal(err)
		}
		art, err := readability.FromDocument(doc, urls[i%len(pages)])
		if err == nil && art.Node != nil {
			buf.Reset()
			_ = art.RenderText(&buf)
		}
	}
	cpu.report(b)
}

// stagePage is one page with what the stages before the benchmarked one
// made of it.
type stagePage struct {
	realPage
	pageURL, base *url.URL
	decoded       []byte // as Extract parses it: decoded, script and style text elided
	page          *pageScan
	ld            ldInfo
	links         []Link
	read          readResult
	content       contentInfo
	art           Article
}

// prepareStages runs Extract's steps over every page, keeping each
// step's output for the benchmarks of the next ones. It follows Extract
// step by step; TestStagesMatchExtract checks that it still does.
func prepareStages(tb testing.TB) []stagePage {
	tb.Helper()
	pages := loadRealPages(tb)
	out := make([]stagePage, len(pages))
	for i, p := range pages {
		s := stagePage{realPage: p}
		u, err := parsePageURL(p.url)
		if err != nil {
			tb.Fatal(err)
		}
		s.pageURL = u
		s.decoded = elideRawText(decode(p.html, ""))
		doc := mustParseBytes(tb, s.decoded)
		s.page = scanDocument(doc)
		s.base = resolveBase(u, s.page.base)
		s.links = collectLinks(s.page.anchors, s.base)
		s.ld = parseJSONLD(s.page.jsonLD)
		if s.read, err = runReadability(doc, s.base); err != nil {
			tb.Fatalf("%s: %v", p.id, err)
		}
		s.content = renderContent(s.read.content, s.base, s.page.names)
		markInArticle(s.links, s.content.hrefs)
		s.art = buildArticle(s.page, s.ld, -1, u, s.base, s.read, cloneContent(s.content), s.links, Options{URL: p.url})
		out[i] = s
	}
	return out
}

// cloneContent copies what buildArticle rewrites in place (the cleaning
// reuses the paragraph slice).
func cloneContent(c contentInfo) contentInfo {
	c.paras = slices.Clone(c.paras)
	return c
}

func mustParseBytes(tb testing.TB, b []byte) *html.Node {
	tb.Helper()
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		tb.Fatal(err)
	}
	return doc
}

func pageURLs(tb testing.TB, pages []realPage) []*url.URL {
	tb.Helper()
	urls := make([]*url.URL, len(pages))
	for i, p := range pages {
		u, err := url.Parse(p.url)
		if err != nil {
			tb.Fatal(err)
		}
		urls[i] = u
	}
	return urls
}

// TestStagesMatchExtract checks that prepareStages still walks Extract's
// steps: the Article it builds is Extract's, so the stage benchmarks
// measure the code Extract runs.
func TestStagesMatchExtract(t *testing.T) {
	if testing.Short() {
		t.Skip("181 real pages: skipped in -short mode")
	}
	for _, s := range prepareStages(t) {
		res, err := Extract(s.html, Options{URL: s.url})
		if err != nil {
			t.Fatalf("%s: %v", s.id, err)
		}
		if res.Article.Text != s.art.Text || res.Article.Title != s.art.Title || res.Article.Language != s.art.Language || res.Article.PageType != s.art.PageType || len(res.Links) != len(s.links) {
			t.Errorf("%s: the stages' article differs from Extract's: prepareStages no longer follows Extract", s.id)
		}
	}
}

func BenchmarkStageDecode(b *testing.B) {
	pages := loadRealPages(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p := pages[i%len(pages)]
		if err := checkNotBinary(p.html, ""); err != nil {
			b.Fatal(err)
		}
		if !hasMarkup(decode(p.html, "")) {
			b.Fatal("no markup")
		}
	}
}

// BenchmarkStageElide times the dropping of script and style text before
// parsing.
func BenchmarkStageElide(b *testing.B) {
	pages := loadRealPages(b)
	decoded := make([][]byte, len(pages))
	for i, p := range pages {
		decoded[i] = decode(p.html, "")
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		elideRawText(decoded[i%len(decoded)])
	}
}

func BenchmarkStageParse(b *testing.B) {
	pages := prepareStages(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		mustParseBytes(b, pages[i%len(pages)].decoded)
	}
}

// BenchmarkStageScan times the walk of the raw tree (scanDocument). The
// scan marks boilerplate on the tree, so each page is parsed afresh.
func BenchmarkStageScan(b *testing.B) {
	pages := prepareStages(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		doc := mustParseBytes(b, pages[i%len(pages)].decoded)
		b.StartTimer()
		scanDocument(doc)
	}
}

func BenchmarkStageLinks(b *testing.B) {
	benchStages(b, func(p *stagePage) {
		collectLinks(p.page.anchors, p.base)
	})
}

func BenchmarkStageJSONLD(b *testing.B) {
	pages := prepareStages(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		parseJSONLD(pages[i%len(pages)].page.jsonLD)
	}
}

// BenchmarkStageReadability times readability on the scanned tree, as
// Extract calls it.
func BenchmarkStageReadability(b *testing.B) {
	benchStages(b, func(p *stagePage) {
		b.StopTimer()
		doc := mustParseBytes(b, p.decoded)
		scanDocument(doc)
		b.StartTimer()
		if _, err := runReadability(doc, p.base); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkStageRender times the rendering of readability's body into
// paragraphs.
func BenchmarkStageRender(b *testing.B) {
	benchStages(b, func(p *stagePage) {
		renderContent(p.read.content, p.base, p.page.names)
	})
}

// BenchmarkStageArticle times buildArticle: every metadata field with its
// evidence, the text's cleaning, language, page type and walls.
func BenchmarkStageArticle(b *testing.B) {
	benchStages(b, func(p *stagePage) {
		b.StopTimer()
		content := cloneContent(p.content)
		b.StartTimer()
		buildArticle(p.page, p.ld, -1, p.pageURL, p.base, p.read, content, p.links, Options{URL: p.url})
	})
}

func BenchmarkStageLanguage(b *testing.B) {
	benchStages(b, func(p *stagePage) {
		pickLanguage(p.page, p.ld, Hints{}, &p.art)
	})
}

func BenchmarkStageCleanText(b *testing.B) {
	benchStages(b, func(p *stagePage) {
		b.StopTimer()
		content := cloneContent(p.content)
		b.StartTimer()
		readWallSignals(content.paras)
		finishText(&content, p.art.Title)
	})
}

func BenchmarkStageAuthors(b *testing.B) {
	benchStages(b, func(p *stagePage) {
		pickAuthors(p.page, p.ld, p.read.byline, siteNameVariants(p.art.SiteName, p.ld, p.pageURL))
	})
}

func BenchmarkStagePageType(b *testing.B) {
	benchStages(b, func(p *stagePage) {
		classifyPage(measurePage(p.page, p.ld, p.content, p.art.WordCount, p.links, p.pageURL, p.art.CanonicalURL), DefaultPageTypeRules())
	})
}

// benchStages runs fn on the prepared pages in turn, each call on a copy of
// its page (a stage may write to it), with allocations reported.
func benchStages(b *testing.B, fn func(p *stagePage)) {
	pages := prepareStages(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p := pages[i%len(pages)]
		fn(&p)
	}
}
