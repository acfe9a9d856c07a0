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
	"github.com/archivist-project/archivist/archive/store/local"
)

const storyURL = "http://news.test/2025/07/08/hikvision-court"

func storyPage(headline, extraPara, comment string) []byte {
	return []byte(`<!doctype html><html lang="en"><head><title>` + headline + `</title>
<meta property="og:type" content="article">
<link rel="canonical" href="` + storyURL + `">
<meta name="author" content="Ana Ruiz">
<meta property="article:published_time" content="2025-07-08T10:00:00Z">
</head><body><!-- ` + comment + ` --><article><h1>` + headline + `</h1>
<p>Hikvision asked a federal court in Ottawa on Monday to overturn the government's order that it wind up its Canadian business, arguing that the national security review behind it was unfair and opaque.</p>
<p>The company said it had never been told what information the review relied on, and that it had no chance to answer the concerns before Industry Minister Mélanie Joly announced the order last month.</p>
<p>Lawyers for the government told the court that the review followed the procedure set out in the Investment Canada Act and that some evidence could not be disclosed for reasons of national security.</p>
` + extraPara + `</article></body></html>`)
}

type fixture struct {
	rec *Recorder
	st  *local.Store
	cat *sqlite.Catalog
	t0  time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := local.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	cat, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "catalog.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close(); st.Close() })
	rec := NewRecorder(st, cat, archive.Component{Name: "archivist", Version: "test"}, Config{KeepListings: true}, log)
	return &fixture{rec: rec, st: st, cat: cat, t0: time.Date(2025, 7, 8, 10, 0, 0, 0, time.UTC)}
}

// capture archives body as fetched at t0+at.
func (f *fixture) capture(t *testing.T, at time.Duration, body []byte) (Result, catalog.Entry, *archive.Provenance) {
	t.Helper()
	ctx := context.Background()
	start := f.t0.Add(at)
	ex := &archive.Exchange{
		RequestedURL: storyURL, FetchStart: start, FetchEnd: start.Add(time.Second), Depth: 1, RunID: "run",
		Robots: archive.RobotsDecision{Policy: "obey", Result: "allowed"}, UserAgent: "Archivist/test",
		Hops: []archive.Hop{{
			URL: storyURL, Method: "GET", Proto: "HTTP/1.1", Status: 200, StatusText: "200 OK",
			RequestHeader:  http.Header{"User-Agent": {"Archivist/test"}},
			ResponseHeader: http.Header{"Content-Type": {"text/html; charset=utf-8"}, "Date": {start.Format(http.TimeFormat)}},
			Body:           body, RemoteIP: "127.0.0.1", Start: start, End: start.Add(time.Second),
		}},
	}
	res, err := f.rec.Capture(ctx, ex, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Archived {
		t.Fatalf("not archived: %s", res.Reason)
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

func TestVersionsAndRevisits(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	v1 := storyPage("Hikvision takes Canada to court", "", "rendered 10:00")

	// First capture: full, no previous.
	r1, e1, p1 := f.capture(t, 0, v1)
	if e1.Kind != "response" || e1.PreviousCaptureID != "" || p1.Revisit != nil || p1.ContentChanged != nil || p1.Response == nil {
		t.Fatalf("first capture: kind %s previous %q provenance %+v", e1.Kind, e1.PreviousCaptureID, p1)
	}

	// Same payload an hour later: a revisit referring to the first.
	r2, e2, p2 := f.capture(t, time.Hour, v1)
	if e2.Kind != "revisit" || e2.PreviousCaptureID != r1.CaptureID || r2.RevisitOf != r1.CaptureID {
		t.Fatalf("second capture: kind %s previous %q revisit of %q", e2.Kind, e2.PreviousCaptureID, r2.RevisitOf)
	}
	if p2.Revisit == nil || p2.Revisit.CaptureID != r1.CaptureID || p2.Revisit.RecordID != p1.Response.RecordID ||
		p2.Revisit.URL != storyURL || !p2.Revisit.Date.Equal(f.t0) {
		t.Errorf("revisit_of = %+v, first response %+v", p2.Revisit, p1.Response)
	}
	if e2.Article != e1.Article {
		t.Errorf("the revisit stored a second Article: %+v vs %+v", e2.Article, e1.Article)
	}
	if e2.Title != e1.Title || e2.Text != e1.Text || e2.PayloadSHA256 != e1.PayloadSHA256 {
		t.Errorf("revisit entry lost the content: %q", e2.Title)
	}
	if e2.WARC.Size >= e1.WARC.Size {
		t.Errorf("revisit WARC (%d bytes) is not smaller than the full one (%d)", e2.WARC.Size, e1.WARC.Size)
	}
	checkRevisitWARC(t, f, e2, p1.Response.RecordID, e1.PayloadSHA256)
	// The revisit's payload is the first capture's.
	c, err := LoadExchange(ctx, f.st, r2.CaptureID, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if c.Revisit == nil || !bytes.Equal(c.Exchange.Final().Body, v1) {
		t.Errorf("LoadExchange of a revisit: revisit %v, body %d bytes", c.Revisit, len(c.Exchange.Final().Body))
	}

	// A third identical fetch still refers to the full capture, not to
	// the revisit before it.
	r3, e3, p3 := f.capture(t, 6*time.Hour, v1)
	if e3.Kind != "revisit" || e3.PreviousCaptureID != r2.CaptureID || p3.Revisit.CaptureID != r1.CaptureID {
		t.Errorf("third capture: kind %s previous %s refers to %+v", e3.Kind, e3.PreviousCaptureID, p3.Revisit)
	}

	// The page changes only in markup: a new full capture, same content.
	v1b := storyPage("Hikvision takes Canada to court", "", "rendered 17:00")
	r4, e4, p4 := f.capture(t, 7*time.Hour, v1b)
	if e4.Kind != "response" || e4.PreviousCaptureID != r3.CaptureID || p4.ContentChanged == nil || *p4.ContentChanged || len(p4.Changed) != 0 || len(r4.Changed) != 0 {
		t.Errorf("markup-only change: kind %s previous %s content_changed %v changed %v", e4.Kind, e4.PreviousCaptureID, p4.ContentChanged, p4.Changed)
	}

	// Headline and body change: a new version, linked, saying what changed.
	v2 := storyPage("Court rejects Hikvision bid to stay in Canada", "<p>A judge dismissed the application on Tuesday afternoon, saying the minister had acted within the powers the act gives her.</p>", "rendered 18:00")
	r5, e5, p5 := f.capture(t, 24*time.Hour, v2)
	if e5.Kind != "response" || e5.PreviousCaptureID != r4.CaptureID || p5.ContentChanged == nil || !*p5.ContentChanged {
		t.Fatalf("new version: kind %s previous %s content_changed %v", e5.Kind, e5.PreviousCaptureID, p5.ContentChanged)
	}
	if want := []string{"headline", "body"}; !reflect.DeepEqual(p5.Changed, want) || !reflect.DeepEqual(r5.Changed, want) {
		t.Errorf("changed = %v / %v, want %v", p5.Changed, r5.Changed, want)
	}

	// verify is clean, and reindex rebuilds the same rows.
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
	stats, err := Reindex(ctx, f.st, func(ctx context.Context, es []catalog.Entry) error {
		for _, e := range es {
			if err := rebuilt.Put(ctx, e); err != nil {
				return err
			}
		}
		return nil
	}, nil)
	if err != nil || stats.Captures != 5 {
		t.Fatalf("reindex: %+v %v", stats, err)
	}
	for _, e := range []catalog.Entry{e1, e2, e3, e4, e5} {
		got, err := rebuilt.Get(ctx, e.CaptureID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Errorf("reindexed %s differs:\n%+v\n%+v", e.CaptureID, got, e)
		}
	}
}

// checkRevisitWARC reads a revisit capture's WARC with the independent
// reader and checks the reference and digests.
func checkRevisitWARC(t *testing.T, f *fixture, e catalog.Entry, refersTo, payload string) {
	t.Helper()
	data, _, err := ReadObject(context.Background(), f.st, e.WARC.Key, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	r, err := iawarc.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for {
		rec, err := r.ReadRecord()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		typ := rec.Header.Get("WARC-Type")
		types = append(types, typ)
		block, _ := io.ReadAll(rec.Content)
		rec.Content.Close()
		if typ == "revisit" {
			if rec.Header.Get("WARC-Refers-To") != refersTo || rec.Header.Get("WARC-Payload-Digest") != "sha256:"+payload ||
				rec.Header.Get("WARC-Profile") != "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest" {
				t.Errorf("revisit headers: %v", rec.Header)
			}
			if strings.Contains(string(block), "<article>") {
				t.Error("the revisit record holds the payload")
			}
		}
	}
	if strings.Join(types, ",") != "warcinfo,request,revisit" {
		t.Errorf("revisit WARC records: %v", types)
	}
}

// TestVerifyFindsLostRevisitTarget: a revisit whose full capture is not in
// the catalog has lost its payload, and verify says so.
func TestVerifyFindsLostRevisitTarget(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	page := storyPage("Hikvision takes Canada to court", "", "x")
	f.capture(t, 0, page)
	_, e2, _ := f.capture(t, time.Hour, page)
	only, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "only.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer only.Close()
	if err := only.Put(ctx, e2); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	if _, err := Verify(ctx, f.st, only, 1<<20, func(p Problem) { kinds = append(kinds, p.Kind) }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(kinds, ",") != "revisit,orphan" {
		t.Errorf("problems = %v, want a revisit problem and the orphaned full capture", kinds)
	}
}
