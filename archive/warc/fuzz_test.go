package warc

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// fuzzMaxBody is the body limit the fuzzer reads with: small, so that an
// input declaring more must be refused rather than read.
const fuzzMaxBody = 64 << 10

// fuzzTimeBound only proves that a read terminates: a capture file is read
// in milliseconds.
const fuzzTimeBound = 10 * time.Second

// FuzzReadCapture feeds arbitrary bytes to the reader behind verify, get,
// reindex and replay: it must never panic, must return within a bound,
// must refuse (not read) a body over its limit, and what it returns must
// keep the documented invariants. The seeds are a capture, a revisit and
// an old-format file (with a metadata record); the corpus in
// testdata/fuzz/FuzzReadCapture holds real capture and revisit files,
// gzip'd and not, truncated, with broken digests and lying lengths. Run
// with
//
//	go test ./archive/warc -run '^$' -fuzz FuzzReadCapture -fuzztime 60s
func FuzzReadCapture(f *testing.F) {
	full, _ := writeFuzzSeed(f, false)
	f.Add(full)
	revisit, _ := writeFuzzSeed(f, true)
	f.Add(revisit)
	f.Add(gunzipAll(f, full))
	f.Add(full[:len(full)/2])
	if old, err := os.ReadFile(oldFormatFile); err == nil {
		f.Add(old)
	}
	f.Add([]byte("WARC/1.1\r\nWARC-Type: response\r\nContent-Length: 99999999999\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		c, err := ReadCapture(bytes.NewReader(data), fuzzMaxBody)
		if d := time.Since(start); d > fuzzTimeBound {
			t.Fatalf("ReadCapture took %v on %d bytes, over the %v bound", d, len(data), fuzzTimeBound)
		}
		if err != nil {
			if c != nil {
				t.Fatalf("a capture returned with error %v", err)
			}
			return
		}
		if len(c.Exchange.Hops) == 0 {
			t.Fatal("no error but no hop")
		}
		if c.Exchange.RequestedURL != c.Exchange.Hops[0].URL {
			t.Fatalf("requested URL %q, first hop %q", c.Exchange.RequestedURL, c.Exchange.Hops[0].URL)
		}
		for i, h := range c.Exchange.Hops {
			if len(h.Body) > fuzzMaxBody {
				t.Fatalf("hop %d: body of %d bytes over the %d limit", i, len(h.Body), fuzzMaxBody)
			}
		}
		if c.Revisit != nil && len(c.Exchange.Final().Body) != 0 {
			t.Fatalf("a revisit's final hop has a %d-byte body", len(c.Exchange.Final().Body))
		}
		if c.ResponseRecordID != "" && !strings.HasPrefix(c.ResponseRecordID, "<") {
			t.Fatalf("response record id %q not in angle brackets", c.ResponseRecordID)
		}
	})
}

// writeFuzzSeed writes the test exchange as a capture or a revisit file.
func writeFuzzSeed(tb testing.TB, revisit bool) ([]byte, Result) {
	tb.Helper()
	w, err := NewWriter(0)
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	info := Info{CaptureID: "20261127T010203Z-AAAAAAAAAA", RunID: "run-1", UserAgent: "Archivist/test", Robots: "obey"}
	var res Result
	if revisit {
		res, err = w.WriteRevisit(&buf, testExchange(), info, RefersTo{TargetURI: "http://news.test/story", Date: time.Date(2026, 11, 27, 1, 2, 3, 0, time.UTC)})
	} else {
		res, err = w.WriteCapture(&buf, testExchange(), info)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes(), res
}

// gunzipAll returns the uncompressed records of a gzip'd WARC file.
func gunzipAll(tb testing.TB, data []byte) []byte {
	tb.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
