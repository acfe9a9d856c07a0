package warc

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
	"time"

	iawarc "github.com/internetarchive/gowarc"

	"github.com/archivist-project/archivist/archive"
)

func writeTestRevisit(t *testing.T, ref RefersTo) ([]byte, Result) {
	t.Helper()
	w, err := NewWriter(0)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	res, err := w.WriteRevisit(&buf, testExchange(), Info{
		Software: archive.Component{Name: "archivist", Version: "test"}, CaptureID: "20261128T010203Z-BBBBBBBBBB",
		RunID: "run-2", UserAgent: "Archivist/test", Robots: "obey",
	}, ref)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), res
}

// TestRevisitIndependentReader writes a revisit capture and reads it with
// the Internet Archive's reader: the final response is a revisit record
// with the identical-payload-digest profile, the reference fields, the
// HTTP head and no payload, and its digests hold.
func TestRevisitIndependentReader(t *testing.T) {
	// The earlier capture: a full response record to refer to.
	_, orig := writeTestCapture(t)
	refDate := time.Date(2026, 11, 27, 1, 2, 3, 100e6, time.UTC)
	data, res := writeTestRevisit(t, RefersTo{TargetURI: "http://news.test/story", Date: refDate, RecordID: orig.ResponseRecordID})
	if res.PayloadSHA256 != orig.PayloadSHA256 {
		t.Errorf("revisit payload digest %s, the original's is %s", res.PayloadSHA256, orig.PayloadSHA256)
	}
	if res.Records != 5 {
		t.Errorf("records = %d, want 5", res.Records)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(plain, []byte("story</p>")) {
		t.Errorf("the payload is stored again in the revisit capture")
	}

	var types []string
	found := false
	eachRecord(t, data, func(rec *iawarc.Record, block []byte) {
		typ := rec.Header.Get("WARC-Type")
		types = append(types, typ)
		checkDigest(t, typ+" block", rec.Header.Get("WARC-Block-Digest"), block)
		if typ != "revisit" {
			return
		}
		found = true
		for name, want := range map[string]string{
			"WARC-Profile":              "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
			"WARC-Refers-To":            orig.ResponseRecordID,
			"WARC-Refers-To-Target-URI": "http://news.test/story",
			"WARC-Refers-To-Date":       "2026-11-27T01:02:03.1Z",
			"WARC-Target-URI":           "http://news.test/story",
			"WARC-Payload-Digest":       "sha256:" + orig.PayloadSHA256,
			"Content-Type":              "application/http;msgtype=response",
		} {
			if got := rec.Header.Get(name); !strings.EqualFold(got, want) {
				t.Errorf("revisit %s = %q, want %q", name, got, want)
			}
		}
		// The block is the HTTP head only: status line, headers, blank line.
		if !bytes.HasPrefix(block, []byte("HTTP/1.1 200 OK\r\n")) || !bytes.HasSuffix(block, []byte("\r\n\r\n")) {
			t.Errorf("revisit block is not an HTTP head:\n%q", block)
		}
		if bytes.Contains(block, []byte("<html>")) {
			t.Errorf("revisit block carries the payload")
		}
		// The payload digest is the digest of the original payload.
		checkDigest(t, "referred payload", rec.Header.Get("WARC-Payload-Digest"), testExchange().Hops[1].Body)
	})
	if got := strings.Join(types, ","); got != "warcinfo,request,response,request,revisit" {
		t.Errorf("record types = %s", got)
	}
	if !found {
		t.Fatal("no revisit record")
	}
}

func TestRevisitRoundTrip(t *testing.T) {
	refDate := time.Date(2026, 11, 27, 1, 2, 3, 0, time.UTC)
	data, res := writeTestRevisit(t, RefersTo{TargetURI: "http://news.test/story", Date: refDate})
	c, err := ReadCapture(bytes.NewReader(data), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Problems) > 0 {
		t.Errorf("problems in a fresh revisit file: %v", c.Problems)
	}
	if c.Revisit == nil {
		t.Fatal("Revisit not set")
	}
	if c.Revisit.Profile != ProfileIdenticalPayload || c.Revisit.RefersTo != "" || c.Revisit.RefersToURI != "http://news.test/story" ||
		!c.Revisit.RefersToDate.Equal(refDate) || c.Revisit.PayloadSHA256 != res.PayloadSHA256 {
		t.Errorf("revisit = %+v", c.Revisit)
	}
	final := c.Exchange.Final()
	if final.Status != 200 || len(final.Body) != 0 || final.ResponseHeader.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("final hop = status %d, %d body bytes, header %v", final.Status, len(final.Body), final.ResponseHeader)
	}
	if len(c.Exchange.Hops) != 2 || c.Exchange.Hops[0].Status != 301 {
		t.Errorf("the redirect hop was lost: %+v", c.Exchange.Hops)
	}
	if final.RequestHeader.Get("User-Agent") != "Archivist/test" {
		t.Errorf("request header of the revisit lost: %v", final.RequestHeader)
	}
}

func TestRevisitNeedsTarget(t *testing.T) {
	w, _ := NewWriter(0)
	if _, err := w.WriteRevisit(io.Discard, testExchange(), Info{}, RefersTo{}); err == nil {
		t.Error("no error for a revisit without a target")
	}
}
