package warc

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
)

// benchPages reads the real article pages of ../shared/eval, so that the
// benchmark compresses what a crawl compresses.
func benchPages(b *testing.B) [][]byte {
	b.Helper()
	dir := "../../../shared/eval/article-extraction-benchmark"
	raw, err := os.ReadFile(filepath.Join(dir, "ground-truth.json"))
	if err != nil {
		b.Skipf("benchmark pages not found (%v): they live in ../shared/eval", err)
	}
	var truth map[string]json.RawMessage
	if err := json.Unmarshal(raw, &truth); err != nil {
		b.Fatal(err)
	}
	ids := make([]string, 0, len(truth))
	for id := range truth {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var pages [][]byte
	for _, id := range ids {
		f, err := os.Open(filepath.Join(dir, "html", id+".html.gz"))
		if err != nil {
			b.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(zr)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		pages = append(pages, body)
	}
	return pages
}

// BenchmarkWriteCapture writes the WARC file of one capture (warcinfo,
// request, response, metadata; each record its own gzip member) for each
// of the benchmark's real pages in turn, with one reused Writer as the
// Recorder does.
func BenchmarkWriteCapture(b *testing.B) {
	pages := benchPages(b)
	wr, err := NewWriter(0)
	if err != nil {
		b.Fatal(err)
	}
	at := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	var in, written int64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		body := pages[i%len(pages)]
		ex := &archive.Exchange{
			RequestedURL: "https://news.example/a", FetchStart: at, FetchEnd: at.Add(time.Second), Depth: 1,
			Hops: []archive.Hop{{
				URL: "https://news.example/a", Method: "GET", Status: 200, StatusText: "200 OK",
				RequestHeader:  http.Header{"User-Agent": {"Archivist/bench"}},
				ResponseHeader: http.Header{"Content-Type": {"text/html; charset=utf-8"}},
				Body:           body, RemoteIP: "127.0.0.1", Start: at, End: at.Add(time.Second),
			}},
		}
		out.Reset()
		if _, err := wr.WriteCapture(&out, ex, Info{CaptureID: "c", RunID: "r"}, Metadata{Outlinks: []string{"https://news.example/b"}}); err != nil {
			b.Fatal(err)
		}
		in += int64(len(body))
		written += int64(out.Len())
	}
	b.SetBytes(in / int64(b.N))
	b.ReportMetric(float64(written)/float64(in), "out/in")
}
