package capture

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog/sqlite"
	"github.com/archivist-project/archivist/archive/store/local"
)

// evalDir holds the 181 real article pages of the extraction benchmark.
const evalDir = "../../../shared/eval/article-extraction-benchmark"

type evalPage struct {
	url  string
	body []byte
}

func loadEvalPages(tb testing.TB) []evalPage {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(evalDir, "ground-truth.json"))
	if err != nil {
		tb.Skipf("benchmark pages not found (%v): they live in ../shared/eval", err)
	}
	var truth map[string]struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(raw, &truth); err != nil {
		tb.Fatal(err)
	}
	// In a fixed order, so that runs do the same work (instruction counts
	// compare across builds).
	ids := make([]string, 0, len(truth))
	for id := range truth {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var pages []evalPage
	for _, id := range ids {
		t := truth[id]
		f, err := os.Open(filepath.Join(evalDir, "html", id+".html.gz"))
		if err != nil {
			tb.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			tb.Fatal(err)
		}
		body, err := io.ReadAll(zr)
		f.Close()
		if err != nil {
			tb.Fatal(err)
		}
		pages = append(pages, evalPage{url: t.URL, body: body})
	}
	return pages
}

func exchangeFor(p evalPage, at time.Time) *archive.Exchange {
	return &archive.Exchange{
		RequestedURL: p.url, FetchStart: at, FetchEnd: at.Add(50 * time.Millisecond),
		Seed: "https://news.example/topic", Via: "https://news.example/topic", Depth: 1,
		Robots: archive.RobotsDecision{Policy: "obey", Result: "allowed"}, RunID: "bench", UserAgent: "Archivist/bench",
		Hops: []archive.Hop{{
			URL: p.url, Method: "GET", Proto: "HTTP/1.1", Status: 200, StatusText: "200 OK",
			RequestHeader:  http.Header{"User-Agent": {"Archivist/bench"}},
			ResponseHeader: http.Header{"Content-Type": {"text/html"}},
			Body:           p.body, RemoteIP: "127.0.0.1", Start: at, End: at.Add(50 * time.Millisecond),
		}},
	}
}

// BenchmarkPipeline runs the whole per-capture pipeline (extract, WARC,
// local store with fsync, SQLite catalog) over the benchmark's real pages.
// Every page is kept, article or not, so each iteration does all the work.
func BenchmarkPipeline(b *testing.B) {
	pages := loadEvalPages(b)
	dir := b.TempDir()
	st, err := local.Open(filepath.Join(dir, "store"))
	if err != nil {
		b.Fatal(err)
	}
	cat, err := sqlite.Open(context.Background(), filepath.Join(dir, "catalog.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer cat.Close()
	rec := NewRecorder(st, cat, archive.Software(), Config{KeepAll: true}, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	at := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	var bytesIn int64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := pages[i%len(pages)]
		bytesIn += int64(len(p.body))
		if _, err := rec.Capture(ctx, exchangeFor(p, at.Add(time.Duration(i)*time.Second)), nil); err != nil && !strings.Contains(err.Error(), "extract") {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
	b.SetBytes(bytesIn / int64(b.N))
}

// BenchmarkReadabilityAlone is the yardstick: readeck's readability on the
// same pages, parsed with x/net/html and FromDocument, as the extractor does.
func BenchmarkReadabilityAlone(b *testing.B) {
	pages := loadEvalPages(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := pages[i%len(pages)]
		doc, err := html.Parse(strings.NewReader(string(p.body)))
		if err != nil {
			b.Fatal(err)
		}
		u, _ := url.Parse(p.url)
		if _, err := readability.FromDocument(doc, u); err != nil {
			continue
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}
