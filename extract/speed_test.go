package extract

import (
	"bytes"
	"net/url"
	"slices"
	"testing"
	"time"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
)

// BenchmarkSpeedVsReadability compares Extract with readability alone on
// the benchmark pages, the way the budget is stated: median time
// per page, at most twice readability's. Readability alone is readeck's
// go-readability parsing with golang.org/x/net/html, FromDocument and
// RenderText, as the extraction benchmark's Go runner (and extract-eval's
// readeck-xhtml) runs it. Each page is timed with both back to back, so
// the load of a shared machine hits both alike, and each page's time is
// its fastest of the b.N rounds. Run with
//
//	go test ./extract -run '^$' -bench SpeedVsReadability -benchtime 5x
//
// It reports readability-ms/page and extract-ms/page (medians over the
// pages) and their ratio.
func BenchmarkSpeedVsReadability(b *testing.B) {
	pages := loadRealPages(b)
	urls := make([]*url.URL, len(pages))
	for i, p := range pages {
		u, err := url.Parse(p.url)
		if err != nil {
			b.Fatal(err)
		}
		urls[i] = u
	}
	readBest := make([]time.Duration, len(pages))
	extractBest := make([]time.Duration, len(pages))
	for i := range pages {
		readBest[i], extractBest[i] = time.Hour, time.Hour
	}
	for b.Loop() {
		for i, p := range pages {
			start := time.Now()
			doc, err := html.Parse(bytes.NewReader(p.html))
			if err != nil {
				b.Fatal(err)
			}
			art, err := readability.FromDocument(doc, urls[i])
			if err == nil && art.Node != nil {
				var buf bytes.Buffer
				_ = art.RenderText(&buf)
			}
			readBest[i] = min(readBest[i], time.Since(start))

			start = time.Now()
			if _, err := Extract(p.html, Options{URL: p.url}); err != nil {
				b.Fatalf("%s: %v", p.id, err)
			}
			extractBest[i] = min(extractBest[i], time.Since(start))
		}
	}
	median := func(d []time.Duration) float64 {
		s := slices.Clone(d)
		slices.Sort(s)
		return float64(s[len(s)/2]) / float64(time.Millisecond)
	}
	r, e := median(readBest), median(extractBest)
	b.ReportMetric(r, "readability-ms/page")
	b.ReportMetric(e, "extract-ms/page")
	b.ReportMetric(e/r, "ratio")
	b.ReportMetric(0, "ns/op")
}
