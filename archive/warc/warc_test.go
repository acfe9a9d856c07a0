package warc

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	iawarc "github.com/internetarchive/gowarc"

	"github.com/archivist-project/archivist/archive"
)

func testExchange() *archive.Exchange {
	t0 := time.Date(2026, 11, 27, 1, 2, 3, 0, time.UTC)
	body := []byte("<html><head><title>Hikvision</title></head><body><p>Caf\xc3\xa9 story</p></body></html>")
	return &archive.Exchange{
		RequestedURL: "http://news.test/old",
		FetchStart:   t0,
		FetchEnd:     t0.Add(300 * time.Millisecond),
		Seed:         "http://news.test/topic",
		Via:          "http://news.test/topic",
		Depth:        1,
		Robots:       archive.RobotsDecision{Policy: "obey", Result: "allowed"},
		RunID:        "run-1",
		UserAgent:    "Archivist/test",
		Hops: []archive.Hop{
			{
				URL: "http://news.test/old", Method: "GET", Proto: "HTTP/1.1",
				RequestHeader: http.Header{"User-Agent": {"Archivist/test"}, "Host": {"news.test"}},
				Status:        301, StatusText: "301 Moved Permanently",
				ResponseHeader: http.Header{"Location": {"/story"}, "Content-Length": {"0"}},
				RemoteIP:       "127.0.0.1", Start: t0, End: t0.Add(100 * time.Millisecond),
			},
			{
				URL: "http://news.test/story", Method: "GET", Proto: "HTTP/1.1",
				RequestHeader: http.Header{"User-Agent": {"Archivist/test"}},
				Status:        200, StatusText: "200 OK",
				ResponseHeader: http.Header{"Content-Type": {"text/html; charset=utf-8"}, "X-Evil": {"a\r\nWARC-Type: forged"}},
				Body:           body,
				RemoteIP:       "127.0.0.1", Start: t0.Add(100 * time.Millisecond), End: t0.Add(300 * time.Millisecond),
			},
		},
	}
}

func writeTestCapture(t *testing.T) ([]byte, Result) {
	t.Helper()
	w, err := NewWriter(0)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	res, err := w.WriteCapture(&buf, testExchange(), Info{
		Software: archive.Component{Name: "archivist", Version: "test"}, CaptureID: "20261127T010203Z-AAAAAAAAAA",
		RunID: "run-1", UserAgent: "Archivist/test", Robots: "obey", Operator: "archive@news.test",
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), res
}

func TestRoundTrip(t *testing.T) {
	data, res := writeTestCapture(t)
	if res.Records != 5 {
		t.Errorf("records = %d, want 5 (warcinfo, 2x request+response)", res.Records)
	}
	want := sha256.Sum256(testExchange().Hops[1].Body)
	if res.PayloadSHA256 != hex.EncodeToString(want[:]) {
		t.Errorf("payload digest = %s, want %x", res.PayloadSHA256, want)
	}
	c, err := ReadCapture(bytes.NewReader(data), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Problems) > 0 {
		t.Errorf("problems in a fresh file: %v", c.Problems)
	}
	ex := c.Exchange
	if len(ex.Hops) != 2 || ex.Hops[0].Status != 301 || ex.Hops[1].Status != 200 {
		t.Fatalf("hops = %+v", ex.Hops)
	}
	if got := ex.Hops[0].ResponseHeader.Get("Location"); got != "/story" {
		t.Errorf("redirect Location = %q", got)
	}
	if !bytes.Equal(ex.Hops[1].Body, testExchange().Hops[1].Body) {
		t.Errorf("body mismatch: %q", ex.Hops[1].Body)
	}
	if ex.Seed != "http://news.test/topic" || ex.Via != "http://news.test/topic" || ex.Depth != 1 || ex.RunID != "run-1" ||
		ex.UserAgent != "Archivist/test" || ex.Robots != (archive.RobotsDecision{Policy: "obey", Result: "allowed"}) {
		t.Errorf("discovery context lost: %+v", ex)
	}
	if len(c.Metadata) != 0 {
		t.Errorf("a new file has metadata fields %v; it has no metadata record", c.Metadata)
	}
	// The capture's fields are in warcinfo; what only repeats other
	// fields or the record version line is not.
	wantInfo := map[string]string{
		"software": "archivist/test", "isPartOf": "run-1", "capture-id": "20261127T010203Z-AAAAAAAAAA",
		"seed": "http://news.test/topic", "via": "http://news.test/topic", "hopsFromSeed": "1", "fetchTimeMs": "300",
		"http-header-user-agent": "Archivist/test", "robots": "obey", "robots-result": "allowed", "operator": "archive@news.test",
	}
	for name, v := range wantInfo {
		if got := c.Info[name]; len(got) != 1 || got[0] != v {
			t.Errorf("warcinfo %s = %q, want %q", name, got, v)
		}
	}
	for name := range c.Info {
		if _, ok := wantInfo[name]; !ok {
			t.Errorf("warcinfo has unexpected field %s: %q", name, c.Info[name])
		}
	}
	if ex.Hops[1].RequestHeader.Get("User-Agent") != "Archivist/test" {
		t.Errorf("request header lost: %v", ex.Hops[1].RequestHeader)
	}
}

// TestIndependentReader reads the file with the Internet Archive's gowarc,
// a different implementation from the writer's, and checks every record's
// digests and framing by hand.
func TestIndependentReader(t *testing.T) {
	data, _ := writeTestCapture(t)

	// Each record must be its own gzip member.
	members := 0
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	br := bytes.NewReader(data)
	zr.Reset(br)
	for {
		zr.Multistream(false)
		if _, err := io.Copy(io.Discard, zr); err != nil {
			t.Fatal(err)
		}
		members++
		if err := zr.Reset(br); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if members != 5 {
		t.Errorf("gzip members = %d, want one per record (5)", members)
	}

	var types []string
	ids := map[string]bool{}
	var concurrent []string
	eachRecord(t, data, func(rec *iawarc.Record, block []byte) {
		typ := rec.Header.Get("WARC-Type")
		types = append(types, typ)
		ids[rec.Header.Get("WARC-Record-ID")] = true
		if c := rec.Header.Get("WARC-Concurrent-To"); c != "" {
			concurrent = append(concurrent, c)
		}
		if v := rec.Version; v != "WARC/1.1" {
			t.Errorf("%s record version %q", typ, v)
		}
		checkDigest(t, typ+" block", rec.Header.Get("WARC-Block-Digest"), block)
		if typ == "request" && rec.Header.Get("WARC-Payload-Digest") != "" {
			t.Errorf("request without a body has WARC-Payload-Digest %q", rec.Header.Get("WARC-Payload-Digest"))
		}
		if typ == "response" {
			_, payload, ok := bytes.Cut(block, []byte("\r\n\r\n"))
			if !ok {
				t.Fatalf("response block without header end")
			}
			checkDigest(t, "response payload", rec.Header.Get("WARC-Payload-Digest"), payload)
			if rec.Header.Get("WARC-IP-Address") != "127.0.0.1" {
				t.Errorf("WARC-IP-Address = %q", rec.Header.Get("WARC-IP-Address"))
			}
			if strings.Contains(string(block), "\r\nWARC-Type: forged") {
				t.Errorf("a header value broke the record framing")
			}
		}
	})
	if got := strings.Join(types, ","); got != "warcinfo,request,response,request,response" {
		t.Errorf("record types = %s", got)
	}
	for _, c := range concurrent {
		if !ids[c] {
			t.Errorf("WARC-Concurrent-To %s names no record in the file", c)
		}
	}
}

// eachRecord reads data with the Internet Archive's gowarc, a different
// implementation from the writer's, and calls fn with each record and its
// whole block.
func eachRecord(t *testing.T, data []byte, fn func(rec *iawarc.Record, block []byte)) {
	t.Helper()
	r, err := iawarc.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for {
		rec, err := r.ReadRecord()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("independent reader: %v", err)
		}
		block, err := io.ReadAll(rec.Content)
		rec.Content.Close()
		if err != nil {
			t.Fatal(err)
		}
		fn(rec, block)
	}
}

func checkDigest(t *testing.T, what, header string, data []byte) {
	t.Helper()
	sum := sha256.Sum256(data)
	want := "sha256:" + hex.EncodeToString(sum[:])
	if !strings.EqualFold(header, want) {
		t.Errorf("%s digest = %q, computed %q", what, header, want)
	}
}

func TestReadDetectsCorruption(t *testing.T) {
	// Build an uncompressed copy, flip a byte of the payload, re-read.
	w, _ := NewWriter(0)
	var buf bytes.Buffer
	ex := testExchange()
	if _, err := w.WriteCapture(&buf, ex, Info{CaptureID: "x"}); err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	zr, _ := gzip.NewReader(bytes.NewReader(buf.Bytes()))
	if _, err := io.Copy(&plain, zr); err != nil {
		t.Fatal(err)
	}
	corrupt := bytes.Replace(plain.Bytes(), []byte("Caf\xc3\xa9 story"), []byte("Cafe  story"), 1)
	if bytes.Equal(corrupt, plain.Bytes()) {
		t.Fatal("test did not corrupt anything")
	}
	c, err := ReadCapture(bytes.NewReader(corrupt), 1<<20)
	if err != nil {
		t.Fatalf("read corrupt file: %v", err)
	}
	if len(c.Problems) == 0 {
		t.Errorf("a changed payload was not reported")
	}
}

func TestWriteRejectsEmptyExchange(t *testing.T) {
	w, _ := NewWriter(0)
	if _, err := w.WriteCapture(io.Discard, &archive.Exchange{RequestedURL: "http://x.test/"}, Info{}); err == nil {
		t.Error("no error for an exchange without a response")
	}
}

// TestSuppliedPayloadDigest: a PayloadSum made from the final body is
// what the response (or revisit) record carries, without the writer
// hashing the body again; one made from anything else is ignored, so a
// caller's mistake cannot put a wrong WARC-Payload-Digest in a file.
func TestSuppliedPayloadDigest(t *testing.T) {
	body := testExchange().Hops[1].Body
	want := SumPayload(body).Hex()
	if want != payloadDigest(body) {
		t.Fatalf("SumPayload = %s, want %s", want, payloadDigest(body))
	}
	const bogus = "0000000000000000000000000000000000000000000000000000000000000000"
	w, err := NewWriter(0)
	if err != nil {
		t.Fatal(err)
	}
	// write writes the test exchange with info.Payload = sum(final body)
	// and returns the final record's WARC-Payload-Digest, the Result's
	// digest and the problems ReadCapture finds.
	write := func(revisit bool, sum func(final []byte) PayloadSum) (header, result string, problems []string) {
		t.Helper()
		ex := testExchange()
		info := Info{CaptureID: "20261127T010203Z-AAAAAAAAAA", Payload: sum(ex.Final().Body)}
		var buf bytes.Buffer
		var res Result
		if revisit {
			res, err = w.WriteRevisit(&buf, ex, info, RefersTo{TargetURI: "http://news.test/story", Date: ex.FetchStart})
		} else {
			res, err = w.WriteCapture(&buf, ex, info)
		}
		if err != nil {
			t.Fatal(err)
		}
		eachRecord(t, buf.Bytes(), func(rec *iawarc.Record, _ []byte) {
			if typ := rec.Header.Get("WARC-Type"); typ == "response" || typ == "revisit" {
				header = rec.Header.Get("WARC-Payload-Digest")
			}
		})
		c, err := ReadCapture(bytes.NewReader(buf.Bytes()), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		return header, res.PayloadSHA256, c.Problems
	}
	for _, revisit := range []bool{false, true} {
		// The digest of the final body itself: written as given.
		header, result, problems := write(revisit, SumPayload)
		if header != "sha256:"+want || result != want || len(problems) > 0 {
			t.Errorf("revisit %v, supplied digest: header %q, result %q, problems %v; want %s and none", revisit, header, result, problems, want)
		}
		// Proof that the writer takes it without hashing: a sum of the
		// very body whose value is wrong (which SumPayload cannot make)
		// lands in the record as it is. ReadCapture, and so `archivist
		// verify`, would then report it.
		header, result, problems = write(revisit, func(b []byte) PayloadSum {
			s := SumPayload(b)
			s.hex = bogus
			return s
		})
		if header != "sha256:"+bogus || result != bogus {
			t.Errorf("revisit %v: header %q, result %q; want the supplied %s", revisit, header, result, bogus)
		}
		if !revisit && len(problems) == 0 {
			t.Errorf("ReadCapture does not report a wrong payload digest")
		}
	}
	// Sums of anything but the final body itself are ignored, even with a
	// wrong value: an equal copy, a prefix, another body, none.
	for name, sum := range map[string]func([]byte) PayloadSum{
		"copy":   func(b []byte) PayloadSum { s := SumPayload(bytes.Clone(b)); s.hex = bogus; return s },
		"prefix": func(b []byte) PayloadSum { s := SumPayload(b[:len(b)-1]); s.hex = bogus; return s },
		"other":  func([]byte) PayloadSum { return SumPayload([]byte("another page")) },
		"empty":  func([]byte) PayloadSum { return SumPayload(nil) },
		"zero":   func([]byte) PayloadSum { return PayloadSum{} },
	} {
		for _, revisit := range []bool{false, true} {
			header, result, problems := write(revisit, sum)
			if header != "sha256:"+want || result != want || len(problems) > 0 {
				t.Errorf("%s sum, revisit %v: header %q, result %q, problems %v; want %s and none", name, revisit, header, result, problems, want)
			}
		}
	}
}
