package capture

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	iawarc "github.com/internetarchive/gowarc"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/catalog/sqlite"
	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/archive/versions"
	"github.com/archivist-project/archivist/archive/warc"
	"github.com/archivist-project/archivist/crawler/urlnorm"
)

// mirroredPage has no canonical link, so the same bytes served at two URLs
// are two pages to the version logic: only the payload digest ties them.
func mirroredPage() []byte {
	return []byte(`<!doctype html><html lang="en"><head><title>Wire: court hears Hikvision appeal</title>
<meta property="og:type" content="article"></head><body><article><h1>Wire: court hears Hikvision appeal</h1>
<p>` + longText + `</p><p>The hearing resumes on Thursday, when lawyers for the minister are expected to file the classified part of the record.</p>
</article></body></html>`)
}

// captureAt archives body as fetched from url at t0+at.
func (f *fixture) captureAt(t *testing.T, url string, at time.Duration, body []byte) (Result, catalog.Entry, *archive.Provenance) {
	t.Helper()
	ctx := context.Background()
	start := f.t0.Add(at)
	ex := &archive.Exchange{
		RequestedURL: url, FetchStart: start, FetchEnd: start.Add(time.Second), Depth: 1, RunID: "run",
		Robots: archive.RobotsDecision{Policy: "obey", Result: "allowed"}, UserAgent: "Archivist/test",
		Hops: []archive.Hop{{
			URL: url, Method: "GET", Proto: "HTTP/1.1", Status: 200, StatusText: "200 OK",
			RequestHeader:  http.Header{"User-Agent": {"Archivist/test"}},
			ResponseHeader: http.Header{"Content-Type": {"text/html; charset=utf-8"}},
			Body:           body, RemoteIP: "127.0.0.1", Start: start, End: start.Add(time.Second),
		}},
	}
	res, err := f.rec.Capture(ctx, ex, nil)
	if err != nil || !res.Archived {
		t.Fatalf("capture %s: %+v, %v", url, res, err)
	}
	e, err := f.cat.Get(ctx, res.CaptureID)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Load(ctx, f.st, res.CaptureID)
	if err != nil {
		t.Fatal(err)
	}
	return res, e, s.Provenance
}

// TestDedupAcrossURLs: a payload the archive already holds under another
// URL is stored as a revisit record referring to the earliest full
// capture of it (WARC-Refers-To-Target-URI and -Date, WARC-Payload-Digest),
// with no second copy of the payload, and reads back whole.
func TestDedupAcrossURLs(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	page := mirroredPage()
	const (
		wire   = "http://wire.test/2025/07/08/court-hears-appeal"
		mirror = "http://mirror.test/stories/8841"
		third  = "http://aggregator.test/item?id=77"
	)
	r1, e1, p1 := f.captureAt(t, wire, 0, page)
	// The wire page is fetched again (a same-page revisit), so the digest
	// now has a revisit row after the full capture.
	_, e1b, _ := f.captureAt(t, wire, time.Hour, page)
	if e1.Kind != "response" || e1b.Kind != "revisit" {
		t.Fatalf("wire page: kinds %s, %s", e1.Kind, e1b.Kind)
	}

	r2, e2, p2 := f.captureAt(t, mirror, 2*time.Hour, page)
	if e2.Kind != "revisit" || r2.RevisitOf != r1.CaptureID || p2.Revisit == nil || p2.Revisit.CaptureID != r1.CaptureID {
		t.Fatalf("mirror: kind %s, revisit of %q, provenance %+v; want a revisit of %s", e2.Kind, r2.RevisitOf, p2.Revisit, r1.CaptureID)
	}
	if e2.PreviousCaptureID != "" || e2.URLKey != urlnorm.Key(mirror) || e2.PayloadSHA256 != e1.PayloadSHA256 {
		t.Errorf("mirror entry: previous %q, url key %q, payload %s", e2.PreviousCaptureID, e2.URLKey, e2.PayloadSHA256)
	}
	// The mirror's Article is its own (its URL), not the wire page's.
	if e2.Article == e1.Article || e2.Title != e1.Title || e2.Text != e1.Text {
		t.Errorf("mirror article: %+v (wire %+v), title %q", e2.Article, e1.Article, e2.Title)
	}
	checkCrossRevisitWARC(t, f, e2, p1, wire)
	if e2.WARC.Size >= e1.WARC.Size {
		t.Errorf("revisit WARC is %d bytes, the full one %d: the payload was stored again", e2.WARC.Size, e1.WARC.Size)
	}
	c, err := LoadExchange(ctx, f.st, r2.CaptureID, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.Exchange.Final().Body, page) || c.Exchange.Final().URL != mirror {
		t.Errorf("the mirror reads back as %s with %d bytes", c.Exchange.Final().URL, len(c.Exchange.Final().Body))
	}

	// A third URL refers to the same first full capture, never to a revisit.
	r3, e3, _ := f.captureAt(t, third, 3*time.Hour, page)
	if e3.Kind != "revisit" || r3.RevisitOf != r1.CaptureID {
		t.Errorf("third URL: kind %s, revisit of %q; want %s", e3.Kind, r3.RevisitOf, r1.CaptureID)
	}
	// The mirror fetched again is a same-page revisit chained to its own
	// previous capture, still referring to the wire page's payload.
	r4, e4, _ := f.captureAt(t, mirror, 4*time.Hour, page)
	if e4.Kind != "revisit" || e4.PreviousCaptureID != r2.CaptureID || r4.RevisitOf != r1.CaptureID || e4.Article != e2.Article {
		t.Errorf("mirror again: kind %s previous %q revisit of %q", e4.Kind, e4.PreviousCaptureID, r4.RevisitOf)
	}
	chain, err := versions.Chain(ctx, f.cat, urlnorm.Key(mirror))
	if err != nil || len(chain) != 2 || chain[0].Kind != "revisit" || chain[1].Content != 1 {
		t.Errorf("mirror chain: %+v, %v", chain, err)
	}

	// One payload copy in the whole store.
	copies := 0
	f.st.List(ctx, archive.CapturesPrefix, func(oi store.ObjectInfo) error {
		if !strings.HasSuffix(oi.Key, archive.WARCName) {
			return nil
		}
		data, _, err := ReadObject(ctx, f.st, oi.Key, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if c, err := warc.ReadCapture(bytes.NewReader(data), 1<<20); err == nil && c.Revisit == nil {
			copies++
		}
		return nil
	})
	if copies != 1 {
		t.Errorf("%d WARC files hold the payload, want 1", copies)
	}
	checkClean(t, f)
}

// TestDedupSkipsUnreadableOriginal: when the full capture holding a
// payload cannot be read, a new fetch of it is stored in full rather than
// as a revisit resting on damaged data.
func TestDedupSkipsUnreadableOriginal(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	page := mirroredPage()
	_, e1, _ := f.captureAt(t, "http://wire.test/a", 0, page)
	// A catalog row for the payload, earlier than the real one, whose
	// capture is not in the store.
	bad := e1
	bad.CaptureID = "20250708T095959Z-NOSUCHCAPT"
	bad.FetchedAt = e1.FetchedAt.Add(-time.Second)
	bad.Provenance.Key = "captures/2025/07/08/" + bad.CaptureID + "/provenance.json"
	if err := f.cat.Put(ctx, bad); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.cat.FirstByPayload(ctx, e1.PayloadSHA256); got.CaptureID != bad.CaptureID {
		t.Fatalf("fixture: the damaged row is not the first: %s", got.CaptureID)
	}
	_, e2, _ := f.captureAt(t, "http://mirror.test/b", time.Hour, page)
	if e2.Kind != "response" {
		t.Errorf("a payload whose original is unreadable was stored as %s", e2.Kind)
	}
}

func checkCrossRevisitWARC(t *testing.T, f *fixture, e catalog.Entry, orig *archive.Provenance, origURL string) {
	t.Helper()
	data, _, err := ReadObject(context.Background(), f.st, e.WARC.Key, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	r, err := iawarc.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for {
		rec, err := r.ReadRecord()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		block, _ := io.ReadAll(rec.Content)
		rec.Content.Close()
		if rec.Header.Get("WARC-Type") != "revisit" {
			continue
		}
		found = true
		want := map[string]string{
			"WARC-Refers-To":            orig.Response.RecordID,
			"WARC-Refers-To-Target-URI": origURL,
			"WARC-Refers-To-Date":       orig.Response.Date.UTC().Format(time.RFC3339),
			"WARC-Payload-Digest":       "sha256:" + e.PayloadSHA256,
			"WARC-Profile":              "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
			"WARC-Target-URI":           e.FinalURL,
		}
		for k, v := range want {
			if got := rec.Header.Get(k); got != v {
				t.Errorf("revisit %s = %q, want %q", k, got, v)
			}
		}
		if strings.Contains(string(block), "<article>") {
			t.Error("the revisit record holds the payload")
		}
	}
	if !found {
		t.Error("no revisit record in the WARC")
	}
}

// checkClean runs verify and a reindex and fails on any problem or any
// reindexed row that differs from the catalog's.
func checkClean(t *testing.T, f *fixture) {
	t.Helper()
	ctx := context.Background()
	var problems []string
	if _, err := Verify(ctx, f.st, f.cat, 1<<20, func(p Problem) { problems = append(problems, p.String()) }); err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Errorf("verify: %v", problems)
	}
	rebuilt, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "rebuilt.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer rebuilt.Close()
	if _, err := Reindex(ctx, f.st, rebuilt.PutBatch, nil); err != nil {
		t.Fatal(err)
	}
	err = f.cat.List(ctx, catalog.Filter{}, func(e catalog.Entry) error {
		got, err := rebuilt.Get(ctx, e.CaptureID)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, e) {
			t.Errorf("reindexed %s differs:\n%+v\n%+v", e.CaptureID, got, e)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
