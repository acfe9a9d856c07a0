package capture

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/catalog/sqlite"
	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/archive/store/local"
	"github.com/archivist-project/archivist/archive/warc"
	"github.com/archivist-project/archivist/extract"
)

const reURL = "http://news.test/2025/07/08/port-expansion-approved"

// rePage is the archived page; lastModified and the discovery's feed date
// must reach the extractor as evidence.
var rePage = []byte(`<!doctype html><html lang="en"><head><title>Port expansion approved</title>
<meta property="og:type" content="article"><meta name="author" content="By Ana Ruiz and Tom Lee">
</head><body><article><h1>Port expansion approved</h1>
<p>The port authority approved a two-billion-dollar expansion on Tuesday, adding two deep-water berths despite objections from residents of the east shore.</p>
<p>The board voted seven to two after a four-hour meeting. Residents said the new berths would bring more truck traffic through their streets at night.</p>
<p>Construction is to start next spring and take four years, the authority said, and the first new berth should open in 2029.</p>
</article></body></html>`)

type reFixture struct {
	st  *local.Store
	cat *sqlite.Catalog
	log *slog.Logger
}

func newReFixture(t *testing.T) *reFixture {
	t.Helper()
	st, err := local.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	cat, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "catalog.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close(); st.Close() })
	return &reFixture{st: st, cat: cat, log: log}
}

// archiveOld stores a capture as an earlier extractor left it: the WARC of
// the fetch, an Article with extractor version 0.0.9 and old text, the
// provenance record and the catalog row. With revisitOf set it stores a
// revisit of that capture instead, reusing its Article.
func (f *reFixture) archiveOld(t *testing.T, at time.Time, body []byte, revisitOf *Stored) *Stored {
	t.Helper()
	ctx := context.Background()
	ex := &archive.Exchange{
		RequestedURL: reURL, FetchStart: at, FetchEnd: at.Add(time.Second), RunID: "run",
		Robots: archive.RobotsDecision{Policy: "obey", Result: "allowed"}, UserAgent: "Archivist/test",
		Discovery: &archive.Discovery{Source: "feed", Kind: "feed", FoundAt: at, FeedDate: ptrTime(at.Add(-2 * time.Hour)), Title: "Port expansion approved"},
		Hops: []archive.Hop{{
			URL: reURL, Method: "GET", Proto: "HTTP/1.1", Status: 200, StatusText: "200 OK",
			RequestHeader:  http.Header{"User-Agent": {"Archivist/test"}},
			ResponseHeader: http.Header{"Content-Type": {"text/html; charset=utf-8"}, "Last-Modified": {at.Add(-time.Hour).Format(http.TimeFormat)}},
			Body:           body, RemoteIP: "127.0.0.1", Start: at, End: at.Add(time.Second),
		}},
	}
	id := archive.NewCaptureID(at)
	prefix, _ := archive.CapturePrefix(id)
	wr, err := warc.NewWriter(0)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	info := warc.Info{Software: archive.Component{Name: "archivist", Version: "old"}, CaptureID: id, RunID: "run"}
	var res warc.Result
	if revisitOf != nil {
		p := revisitOf.Provenance
		res, err = wr.WriteRevisit(&buf, ex, info, warc.RefersTo{TargetURI: p.Response.TargetURI, Date: p.Response.Date, RecordID: p.Response.RecordID})
	} else {
		res, err = wr.WriteCapture(&buf, ex, info)
	}
	if err != nil {
		t.Fatal(err)
	}
	put := func(name string, data []byte) archive.ObjectRef {
		if err := f.st.Put(ctx, prefix+name, bytes.NewReader(data), int64(len(data))); err != nil {
			t.Fatal(err)
		}
		return archive.ObjectRef{Key: prefix + name, Size: int64(len(data)), SHA256: payloadSHA256(data)}
	}
	warcRef := put(archive.WARCName, buf.Bytes())
	old := extract.Article{URL: reURL, Title: "Port expansion approved", Authors: []string{"By Ana Ruiz and Tom Lee"}, Tags: []string{},
		Text: "old text with the byline left in", WordCount: 7, PageType: "article",
		Extractor: extract.Component{Name: extract.Name, Version: "0.0.9"}}
	prov := NewProvenance(id, ex, res.PayloadSHA256, archive.Component{Name: "archivist", Version: "old"}, old.Extractor)
	prov.Response = &archive.WARCRecordRef{RecordID: res.ResponseRecordID, TargetURI: reURL, Date: at}
	var artRef archive.ObjectRef
	if revisitOf != nil {
		artRef = revisitOf.Provenance.Objects["article"]
		prov.Revisit = &archive.RevisitOf{CaptureID: revisitOf.Provenance.CaptureID, URL: reURL, Date: revisitOf.Provenance.Response.Date, RecordID: revisitOf.Provenance.Response.RecordID}
		prov.PreviousCaptureID = revisitOf.Provenance.CaptureID
		old = *revisitOf.Article
	} else {
		// An old capture, from before Articles were gzipped: it must
		// still load and re-extract.
		data, _ := json.MarshalIndent(old, "", "  ")
		artRef = put(archive.LegacyArticleName, data)
	}
	prov.Objects = map[string]archive.ObjectRef{"warc": warcRef, "article": artRef}
	// Its provenance record is plain too, as before provenance was gzipped.
	provJSON, _ := json.MarshalIndent(prov, "", "  ")
	provRef := put(archive.LegacyProvenanceName, provJSON)
	if err := f.cat.Put(ctx, NewEntry(prov, &old, provRef)); err != nil {
		t.Fatal(err)
	}
	s, err := Load(ctx, f.st, id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ptrTime(t time.Time) *time.Time { return &t }

// objectKeys lists every key in the store.
func objectKeys(t *testing.T, st store.Store) []string {
	t.Helper()
	var keys []string
	if err := st.List(context.Background(), "", func(oi store.ObjectInfo) error {
		keys = append(keys, oi.Key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestReextract(t *testing.T) {
	ctx := context.Background()
	f := newReFixture(t)
	t0 := time.Date(2025, 7, 8, 12, 0, 0, 0, time.UTC)
	first := f.archiveOld(t, t0, rePage, nil)
	revisit := f.archiveOld(t, t0.Add(time.Hour), rePage, first)
	oldJSON, oldRef, err := ReadObject(ctx, f.st, first.Provenance.Objects["article"].Key, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	before := len(objectKeys(t, f.st))

	stats, err := Reextract(ctx, f.st, f.cat, catalog.Filter{}, 10<<20, nil, f.log)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Captures != 2 || stats.Extracted != 1 || stats.Reused != 1 || len(stats.Failed) != 0 {
		t.Fatalf("stats %+v: want 2 captures, 1 extracted (the full capture), 1 reused (its revisit)", stats)
	}
	// One new object: the full capture's Article by this extractor.
	wantKey, _ := archive.CaptureKey(first.Provenance.CaptureID, ArticleVersionName(extract.Version))
	if got := len(objectKeys(t, f.st)); got != before+1 {
		t.Errorf("%d objects after, %d before: want exactly one new", got, before)
	}
	for _, s := range []*Stored{first, revisit} {
		e, err := f.cat.Get(ctx, s.Provenance.CaptureID)
		if err != nil {
			t.Fatal(err)
		}
		if e.Article.Key != wantKey || e.ExtractorVersion != extract.Version {
			t.Errorf("row %s points at %s (extractor %s), want %s (%s)", e.CaptureID, e.Article.Key, e.ExtractorVersion, wantKey, extract.Version)
		}
		if e.Text == "old text with the byline left in" || !strings.Contains(e.Text, "deep-water berths") {
			t.Errorf("row %s text not re-extracted: %q", e.CaptureID, e.Text)
		}
		if strings.Join(e.Authors, "|") != "Ana Ruiz|Tom Lee" {
			t.Errorf("row %s authors %q", e.CaptureID, e.Authors)
		}
	}
	// The new Article used what the fetch knew: the feed date and the
	// Last-Modified header are evidence.
	data, _, err := ReadObject(ctx, f.st, wantKey, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if data, err = archive.DecodeRecord(wantKey, data, 1<<20); err != nil {
		t.Fatal(err)
	}
	var art extract.Article
	if err := json.Unmarshal(data, &art); err != nil {
		t.Fatal(err)
	}
	if art.Published == nil || !art.Published.Equal(t0.Add(-2*time.Hour)) || art.Evidence[extract.FieldPublished].Source != "feed" {
		t.Errorf("published %v from %q, want the feed date", art.Published, art.Evidence[extract.FieldPublished].Source)
	}
	if art.Modified == nil || art.Evidence[extract.FieldModified].Source != "http:Last-Modified" {
		t.Errorf("modified %v from %q, want the Last-Modified header", art.Modified, art.Evidence[extract.FieldModified].Source)
	}
	// The original Article is untouched and still listed.
	again, ref, err := ReadObject(ctx, f.st, first.Provenance.Objects["article"].Key, 1<<20)
	if err != nil || !bytes.Equal(again, oldJSON) || ref.SHA256 != first.Provenance.Objects["article"].SHA256 || ref != oldRef {
		t.Errorf("original article changed or unreadable: %v", err)
	}
	versions, err := ArticleVersions(ctx, f.st, revisit)
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != 2 || !versions[0].Original || versions[0].Version != "0.0.9" || versions[1].Version != extract.Version || versions[1].Ref.Key != wantKey {
		t.Errorf("versions %+v", versions)
	}
	// Reindex would rebuild the same row from the store alone.
	for _, s := range []*Stored{first, revisit} {
		e, err := IndexEntry(ctx, f.st, s)
		if err != nil {
			t.Fatal(err)
		}
		row, _ := f.cat.Get(ctx, s.Provenance.CaptureID)
		if e.Article != row.Article || e.ExtractorVersion != row.ExtractorVersion || e.Text != row.Text || e.Kind != row.Kind {
			t.Errorf("IndexEntry %s = %+v / %s, catalog row %+v / %s", s.Provenance.CaptureID, e.Article, e.Kind, row.Article, row.Kind)
		}
	}
	// verify accepts the re-extracted archive.
	vstats, err := Verify(ctx, f.st, f.cat, 10<<20, func(p Problem) { t.Errorf("verify: %s", p) })
	if err != nil || vstats.Problems != 0 {
		t.Errorf("verify: %+v, %v", vstats, err)
	}
	// A second run finds everything current and writes nothing.
	stats, err = Reextract(ctx, f.st, f.cat, catalog.Filter{}, 10<<20, nil, f.log)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Current != 2 || stats.Extracted != 0 || stats.Reused != 0 {
		t.Errorf("second run %+v: want both current", stats)
	}
	if got := len(objectKeys(t, f.st)); got != before+1 {
		t.Errorf("the second run wrote objects: %d, want %d", got, before+1)
	}
}

// A capture that cannot be re-extracted is reported and keeps its row;
// the others go on.
func TestReextractReportsFailures(t *testing.T) {
	ctx := context.Background()
	f := newReFixture(t)
	t0 := time.Date(2025, 7, 8, 12, 0, 0, 0, time.UTC)
	bad := f.archiveOld(t, t0, []byte("%PDF-1.7 not a page at all"), nil)
	good := f.archiveOld(t, t0.Add(time.Minute), rePage, nil)
	stats, err := Reextract(ctx, f.st, f.cat, catalog.Filter{}, 10<<20, nil, f.log)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Extracted != 1 || len(stats.Failed) != 1 || !strings.HasPrefix(stats.Failed[0], bad.Provenance.CaptureID+": ") {
		t.Fatalf("stats %+v", stats)
	}
	e, _ := f.cat.Get(ctx, bad.Provenance.CaptureID)
	if e.Article != bad.Provenance.Objects["article"] || e.ExtractorVersion != "0.0.9" {
		t.Errorf("the failed capture's row changed: %+v", e.Article)
	}
	e, _ = f.cat.Get(ctx, good.Provenance.CaptureID)
	if e.ExtractorVersion != extract.Version {
		t.Errorf("the good capture was not re-extracted: %s", e.ExtractorVersion)
	}
	// A filter selects what is re-extracted.
	stats, err = Reextract(ctx, f.st, f.cat, catalog.Filter{Until: t0.Add(30 * time.Second)}, 10<<20, nil, f.log)
	if err != nil || stats.Captures != 1 {
		t.Errorf("filtered run: %+v, %v", stats, err)
	}
}

func TestArticleNamesAndVersions(t *testing.T) {
	for name, want := range map[string]string{
		"article.json": "", "article.json.gz": "", "article.0.2.0.json": "0.2.0", "article.0.2.0.json.gz": "0.2.0",
		"article.1.10.0-rc1.json": "1.10.0-rc1", "article.1.10.0-rc1.json.gz": "1.10.0-rc1",
	} {
		if v, ok := ParseArticleName(name); !ok || v != want {
			t.Errorf("ParseArticleName(%q) = %q, %v", name, v, ok)
		}
	}
	for _, name := range []string{"provenance.json", "provenance.json.gz", "capture.warc.gz", "article..json", "article..json.gz", "article.json.tmp", "articles.json", "article.gz"} {
		if _, ok := ParseArticleName(name); ok {
			t.Errorf("ParseArticleName(%q) accepted it", name)
		}
	}
	if ArticleVersionName("0.2.0") != "article.0.2.0.json.gz" {
		t.Errorf("ArticleVersionName = %q", ArticleVersionName("0.2.0"))
	}
	for _, c := range []struct {
		a, b string
		want int
	}{{"0.2.0", "0.10.0", -1}, {"0.10.0", "0.9.9", 1}, {"1.0", "1.0.0", 0}, {"0.2.0", "0.2.0", 0}, {"0.2.0-rc1", "0.2.0", 1}} {
		if got := compareVersions(c.a, c.b); got != c.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestExtractOptions(t *testing.T) {
	at := time.Date(2025, 7, 8, 12, 0, 0, 0, time.UTC)
	hop := &archive.Hop{URL: reURL, ResponseHeader: http.Header{
		"Content-Type": {"text/html; charset=iso-8859-1"}, "Last-Modified": {"Tue, 08 Jul 2025 09:00:00 GMT"}, "Content-Language": {"de-DE"},
	}}
	d := &archive.Discovery{FeedDate: ptrTime(at.Add(-time.Hour)), SitemapLastmod: ptrTime(at), NewsPublicationDate: ptrTime(at.Add(-2 * time.Hour)), Title: "Feed title"}
	o := ExtractOptions(hop, at, d)
	if o.URL != reURL || o.ContentType != "text/html; charset=iso-8859-1" || !o.FetchedAt.Equal(at) ||
		o.Hints.LastModified != "Tue, 08 Jul 2025 09:00:00 GMT" || o.Hints.ContentLanguage != "de-DE" ||
		o.Hints.FeedDate != d.FeedDate || o.Hints.SitemapLastmod != d.SitemapLastmod ||
		o.Hints.NewsPublicationDate != d.NewsPublicationDate || o.Hints.FeedTitle != "Feed title" {
		t.Errorf("ExtractOptions = %+v", o)
	}
	if o := ExtractOptions(hop, at, nil); o.Hints.FeedDate != nil || o.Hints.LastModified == "" {
		t.Errorf("without discovery: %+v", o.Hints)
	}
}
