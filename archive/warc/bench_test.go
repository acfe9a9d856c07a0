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
	"strconv"
	"testing"
	"time"

	kgzip "github.com/klauspost/compress/gzip"

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
// request, response; each record its own gzip member) for each of the
// benchmark's real pages in turn, with one reused Writer as the Recorder
// does, with the fields a crawl fills in. Besides time and allocations it
// reports out/in (file bytes per page byte) and framing-B/capture: the
// file's bytes beyond the page gzipped alone at the same level, i.e. what
// the records' headers and the warcinfo record cost a capture.
//
// In known-payload the payload digest is given (Info.Payload, computed
// before the timer), as the Recorder gives the one it computed for its
// duplicate lookup; in unknown-payload the writer computes it, as for
// other callers.
func BenchmarkWriteCapture(b *testing.B) {
	pages := benchPages(b)
	sums := make([]PayloadSum, len(pages))
	for i, p := range pages {
		sums[i] = SumPayload(p)
	}
	b.Run("known-payload", func(b *testing.B) { benchWriteCapture(b, pages, sums) })
	b.Run("unknown-payload", func(b *testing.B) { benchWriteCapture(b, pages, nil) })
}

func benchWriteCapture(b *testing.B, pages [][]byte, sums []PayloadSum) {
	wr, err := NewWriter(0)
	if err != nil {
		b.Fatal(err)
	}
	alone := make([]int64, len(pages))
	for i, p := range pages {
		alone[i] = gzipSize(b, p, DefaultLevel)
	}
	at := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	info := Info{
		Software: archive.Component{Name: "archivist", Version: "0.1.0"}, CaptureID: "20261127T000000Z-K3J5Q7ZP2M",
		RunID: "run-20261127T000000Z-4KXQ", UserAgent: "Archivist/0.1 (+https://github.com/archivist-project/archivist)", Robots: "obey",
	}
	var out bytes.Buffer
	var in, written, framing int64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		body := pages[i%len(pages)]
		u := "https://news.example/2026/11/26/a-story-with-a-long-slug-" + strconv.Itoa(i%len(pages))
		ex := &archive.Exchange{
			RequestedURL: u, FetchStart: at, FetchEnd: at.Add(time.Second), Depth: 1,
			Seed: "https://news.example/", Via: "https://news.example/", Robots: archive.RobotsDecision{Policy: "obey", Result: "allowed"},
			Hops: []archive.Hop{{
				URL: u, Method: "GET", Status: 200, StatusText: "200 OK", Proto: "HTTP/1.1",
				RequestHeader:  http.Header{"User-Agent": {info.UserAgent}, "Accept-Encoding": {"gzip"}},
				ResponseHeader: http.Header{"Content-Type": {"text/html; charset=utf-8"}, "Date": {"Thu, 26 Nov 2026 23:59:59 GMT"}},
				Body:           body, RemoteIP: "127.0.0.1", Start: at, End: at.Add(time.Second),
			}},
		}
		if sums != nil {
			info.Payload = sums[i%len(pages)]
		}
		out.Reset()
		if _, err := wr.WriteCapture(&out, ex, info); err != nil {
			b.Fatal(err)
		}
		in += int64(len(body))
		written += int64(out.Len())
		framing += int64(out.Len()) - alone[i%len(pages)]
	}
	b.SetBytes(in / int64(b.N))
	b.ReportMetric(float64(written)/float64(in), "out/in")
	b.ReportMetric(float64(framing)/float64(b.N), "framing-B/capture")
}

// gzipSize is the size of data gzipped alone, as one member.
func gzipSize(b *testing.B, data []byte, level int) int64 {
	b.Helper()
	var buf bytes.Buffer
	zw, err := kgzip.NewWriterLevel(&buf, level)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := zw.Write(data); err != nil {
		b.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	return int64(buf.Len())
}
