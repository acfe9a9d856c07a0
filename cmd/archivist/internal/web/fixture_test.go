package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/capture"
	"github.com/archivist-project/archivist/archive/capture/capturetest"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/catalog/sqlite"
	"github.com/archivist-project/archivist/archive/embargo"
	"github.com/archivist-project/archivist/archive/store/local"
)

// The fixture archive: a story captured three times (v1; v2 with a new
// headline and paragraph; v2 again, a revisit), a second article served
// gzip-encoded, a hostile page, and a page on a subdomain.
const (
	storyURL   = "http://news.test/2025/07/08/hikvision-court"
	rulingURL  = "http://other.test/world/ottawa-ruling"
	hostileURL = "http://evil.test/hostile"
	subURL     = "http://live.news.test/blog/entry"
)

var t0 = time.Date(2025, 7, 8, 10, 0, 0, 0, time.UTC)

func storyPage(headline, extra string) string {
	return `<!doctype html><html lang="en"><head><title>` + headline + `</title>
<meta property="og:type" content="article">
<link rel="canonical" href="` + storyURL + `">
<meta name="author" content="Ana Ruiz">
<meta property="article:published_time" content="2025-07-08T09:00:00Z">
</head><body><nav><a href="/">Home</a> <a href="https://news.test/world/">World</a></nav><article><h1>` + headline + `</h1>
<p>Hikvision asked a federal court in Ottawa on Monday to overturn the government's order that it wind up its Canadian business, arguing that the national security review behind it was unfair and opaque.</p>
<p>The company said it had never been told what information the review relied on, and that it had no chance to answer the concerns before Industry Minister Mélanie Joly announced the order last month.</p>
<p>Lawyers for the government told the court that the review followed the procedure set out in the Investment Canada Act and that some evidence could not be disclosed for reasons of national security.</p>
` + extra + `<p><img src="/img/court.jpg" srcset="/img/court.jpg 1x, /img/court@2x.jpg 2x" alt="The court"></p></article></body></html>`
}

const rulingPage = `<!doctype html><html lang="fr"><head><title>Ottawa ruling awaits judicial review</title>
<meta property="og:type" content="article"><meta name="author" content="Luc Tremblay">
<meta property="article:published_time" content="2025-07-07T15:00:00Z"></head><body><article><h1>Ottawa ruling awaits judicial review</h1>
<p>The judicial review of the shutdown order will be heard at a hearing in the autumn, the Federal Court said on Tuesday.</p>
<p>Les deux parties ont demandé plus de temps pour préparer leurs arguments et leurs preuves, selon la Cour fédérale, qui entendra la cause à l'automne.</p>
<p>Des juristes estiment que l'affaire montrera jusqu'où les tribunaux peuvent examiner les examens de sécurité nationale prévus par la Loi sur Investissement Canada, dont la plupart des preuves restent secrètes.</p>
<p>D'ici l'audience, l'entreprise peut poursuivre ses activités au Canada selon les termes d'un arrangement provisoire conclu avec le ministère de l'Industrie la semaine dernière.</p>
</article></body></html>`

// hostilePage tries everything a page could do to act on the archive:
// inline script, event handlers, a javascript: link, fetch() to the
// archive's API, a meta refresh and a <base> to another site, a srcdoc
// frame with script.
const hostilePage = `<!doctype html><html lang="en"><head><title>Original title</title>
<meta property="og:type" content="article">
<base href="http://attacker.test/">
<meta http-equiv="refresh" content="30; url=http://attacker.test/phish">
<script>document.title = "PWNED"; fetch("/beacon?from=script", {credentials: "include"}); document.cookie = "stolen=1";</script>
</head><body onload="document.title='PWNED-onload'; fetch('/beacon?from=onload')">
<article><h1 id="marker">Untouched</h1>
<script>document.getElementById("marker").textContent = "SCRIPT RAN"; new Image().src = "/beacon?from=img";</script>
<p>This page looks like an article about surveillance cameras so that the extractor keeps it, and it carries a hostile payload that must never run inside the archive's origin.</p>
<p>Its second paragraph is long enough to count as article text, with more words about cameras, courts, reviews and national security orders in Canada.</p>
<p><img src="x.png" onerror="document.title='PWNED-onerror'; fetch('/beacon?from=onerror')" alt=""> <a id="jslink" href="javascript:fetch('/beacon?from=link')">click me</a> <a id="rel" href="other-page.html">relative</a></p>
<iframe id="frame" srcdoc="<script>parent.document.title='PWNED-frame'; fetch('/beacon?from=frame')</script>"></iframe>
<form action="/api/embargo" method="post"><input name="host" value="news.test"></form>
</article></body></html>`

const subPage = `<!doctype html><html lang="en"><head><title>Live blog entry</title><meta property="og:type" content="article"></head><body><article><h1>Live blog entry</h1>
<p>The live blog of the news site follows the court case minute by minute, with notes from the hearing room and reactions from lawyers and officials in Ottawa.</p>
<p>Readers can follow the latest entries at the top of the page; older entries remain below, each with the time it was written in Eastern time.</p>
</article></body></html>`

// fixture is an archive on disk.
type fixture struct {
	dir     string
	store   *local.Store
	cat     *sqlite.Catalog
	embargo *embargo.List
	// Capture ids by name: story1, story2, story3 (revisit), ruling,
	// hostile, sub.
	ids map[string]string
	// rulingGzip is the ruling page as transferred (gzip-encoded).
	rulingGzip []byte
}

func gzipped(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := local.Open(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	cat, err := sqlite.Open(ctx, filepath.Join(dir, "catalog.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close(); st.Close() })
	list, err := embargo.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: dir, store: st, cat: cat, embargo: list, ids: map[string]string{}}
	rec := capture.NewRecorder(st, cat, archive.Component{Name: "archivist", Version: "test"}, capture.Config{KeepAll: true}, log)
	// story1 is stored as earlier versions stored captures (plain
	// article.json and provenance.json): an archive holds both layouts.
	legacy := capture.NewRecorder(capturetest.NewLegacyStore(st), cat, archive.Component{Name: "archivist", Version: "test"}, capture.Config{KeepAll: true}, log)
	add := func(name, u string, at time.Duration, body []byte, hdr http.Header) {
		t.Helper()
		start := t0.Add(at)
		if hdr == nil {
			hdr = http.Header{}
		}
		if hdr.Get("Content-Type") == "" {
			hdr.Set("Content-Type", "text/html; charset=utf-8")
		}
		ex := &archive.Exchange{
			RequestedURL: u, FetchStart: start, FetchEnd: start.Add(time.Second), Depth: 1, RunID: "run-1",
			Seed: "http://news.test/", Robots: archive.RobotsDecision{Policy: "obey", Result: "allowed"}, UserAgent: "Archivist/test",
			Hops: []archive.Hop{{
				URL: u, Method: "GET", Proto: "HTTP/1.1", Status: 200, StatusText: "200 OK",
				RequestHeader: http.Header{"User-Agent": {"Archivist/test"}}, ResponseHeader: hdr,
				Body: body, RemoteIP: "127.0.0.1", Start: start, End: start.Add(time.Second),
			}},
		}
		r := rec
		if name == "story1" {
			r = legacy
		}
		res, err := r.Capture(ctx, ex, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Archived {
			t.Fatalf("fixture %s not archived: %s", name, res.Reason)
		}
		f.ids[name] = res.CaptureID
	}
	add("story1", storyURL, 0, []byte(storyPage("Hikvision takes Canada to court", "")), nil)
	f.rulingGzip = gzipped(t, rulingPage)
	add("ruling", rulingURL, 30*time.Minute, f.rulingGzip, http.Header{"Content-Encoding": {"gzip"}, "Content-Language": {"fr"}})
	v2 := storyPage("Hikvision challenges Canada's shutdown order in court", "<p>A hearing date has not been set, the court registry said on Tuesday evening.</p>\n")
	add("story2", storyURL, time.Hour, []byte(v2), nil)
	add("story3", storyURL, 2*time.Hour, []byte(v2), nil) // same payload: a revisit
	add("hostile", hostileURL, 3*time.Hour, []byte(hostilePage), http.Header{
		"Set-Cookie":              {"session=archived-secret; Path=/"},
		"Content-Security-Policy": {"script-src *"},
		"X-Custom":                {"kept"},
	})
	add("sub", subURL, 4*time.Hour, []byte(subPage), nil)
	// The legacy recorder's row names the gzipped records it meant to
	// write; rebuild the rows from the store, as for an old archive.
	if _, err := capture.Reindex(ctx, st, cat.PutBatch, nil); err != nil {
		t.Fatal(err)
	}
	return f
}

// options returns handler options over the fixture.
func (f *fixture) options() Options {
	return Options{
		Store: f.store, Catalog: f.cat, Embargo: f.embargo,
		Clock: func() time.Time { return time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC) },
	}
}

// serve starts the handler on a loopback test server.
func serve(t *testing.T, opts Options) *httptest.Server {
	t.Helper()
	h, err := NewHandler(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// serveBench starts a handler for a benchmark.
func serveBench(b *testing.B, h http.Handler) string {
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	return srv.URL
}

// client does not follow redirects or undo content encodings, so tests
// see exactly what the server sent.
var client = &http.Client{
	Transport:     &http.Transport{DisableCompression: true},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// get fetches a URL with optional header pairs ("Name", "value", ...).
func get(t *testing.T, u string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	return do(t, http.MethodGet, u, "", hdr...)
}

func do(t *testing.T, method, u, body string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

// decodeJSON decodes data into v or fails.
func decodeJSON(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("not JSON (%v):\n%s", err, data)
	}
}

// wantError checks a JSON error answer: the status and a message that
// mentions want.
func wantError(t *testing.T, resp *http.Response, data []byte, status int, want string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("%s: status %d, want %d: %s", resp.Request.URL, resp.StatusCode, status, data)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: error Content-Type %q, want JSON", resp.Request.URL, ct)
	}
	var e struct{ Error string }
	decodeJSON(t, data, &e)
	if e.Error == "" || !strings.Contains(e.Error, want) {
		t.Errorf("%s: error %q does not mention %q", resp.Request.URL, e.Error, want)
	}
}

// entry returns the catalog entry of a fixture capture.
func (f *fixture) entry(t *testing.T, name string) catalog.Entry {
	t.Helper()
	e, err := f.cat.Get(context.Background(), f.ids[name])
	if err != nil {
		t.Fatal(err)
	}
	return e
}
