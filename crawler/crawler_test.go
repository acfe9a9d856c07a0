package crawler

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// newsFixture is two outlets: the Daily, whose climate topic page is the
// seed, and the Herald, another outlet the topic page links to.
type newsFixture struct {
	daily, herald *site
	resolver      *testResolver
}

func newNewsFixture(t *testing.T) *newsFixture {
	f := &newsFixture{
		daily:    newSite(t, "www.daily.test"),
		herald:   newSite(t, "www.herald.test"),
		resolver: newTestResolver("www.daily.test", "news.daily.test", "www.herald.test"),
	}
	d, h := f.daily, f.herald
	d.robots("User-agent: *\nDisallow: /private/\n")
	d.html("/topics/climate", listing("Climate",
		"/2026/11/glacier",
		"/2026/11/glacier?utm_source=newsletter&utm_medium=email#comments",
		"https://www.daily.test:"+port(d)+"/2026/11/glacier#top",
		"/moved",
		"/missing",
		"/private/memo",
		"/download/report",
		"/files/report.pdf",
		"/2026/11/storm",
		"/amp/2026/11/storm",
		h.url("/world/flood"),
		"https://www.facebook.com/sharer/sharer.php?u=x",
		"https://twitter.com/intent/tweet?url=x",
		"https://x.com/intent/post?url=x",
		"https://www.linkedin.com/shareArticle?url=x",
		"https://www.instagram.com/dailytest",
		"mailto:desk@daily.test",
		"whatsapp://send?text=x",
		"/account/login",
	))
	d.html("/2026/11/glacier", article("Glacier", "/2026/11/glacier",
		`<a href="`+"http://news.daily.test:"+port(d)+`/2026/11/glacier-followup">more</a>`+
			`<a href="`+h.url("/world/other")+`">elsewhere</a>`))
	d.html("/2026/11/glacier-followup", article("Glacier follow-up", "", ""))
	d.redirect("/moved", "/2026/11/reef", http.StatusMovedPermanently)
	d.html("/2026/11/reef", article("Reef", "", ""))
	d.html("/private/memo", article("Memo", "", ""))
	d.mux.HandleFunc("/download/report", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		_, _ = w.Write([]byte("%PDF-1.7 fake"))
	})
	d.html("/files/report.pdf", "must not be fetched")
	d.html("/2026/11/storm", article("Storm", "/2026/11/storm", ""))
	d.html("/amp/2026/11/storm", article("Storm (AMP)", "/2026/11/storm", ""))
	d.html("/account/login", "login form")
	h.html("/world/flood", article("Flood", "", `<a href="/world/flood-followup">more</a>`))
	h.html("/world/flood-followup", article("Flood follow-up", "", ""))
	h.html("/world/other", article("Other", "", ""))
	return f
}

func port(s *site) string {
	u := s.url("/")
	return u[strings.LastIndex(u, ":")+1 : len(u)-1]
}

// TestCrawlDepthOne runs once with the URLs in memory and once with
// every queued and seen URL in the spill file.
func TestCrawlDepthOne(t *testing.T) {
	for _, mem := range []int{DefaultURLMemoryBytes, 1} {
		t.Run(fmt.Sprintf("url_memory=%d", mem), func(t *testing.T) { crawlDepthOne(t, mem) })
	}
}

func crawlDepthOne(t *testing.T, urlMemory int) {
	f := newNewsFixture(t)
	d, h := f.daily, f.herald
	sink := newTestSink()
	cfg := testConfig(t, f.resolver)
	cfg.URLMemoryBytes, cfg.SpillDir = urlMemory, t.TempDir()
	seed := d.url("/topics/climate")
	sum := runCrawl(t, cfg, sink, seed)

	// The seed is a listing: not archived, but its links are followed.
	if r := resultFor(t, sum, seed); r.Status != StatusSkipped || r.Reason != "not an article (listing)" || r.HTTPStatus != 200 {
		t.Errorf("seed result = %+v", r)
	}
	// Tracking parameters and fragments: one fetch for three spellings.
	if n := d.hitCount("/2026/11/glacier"); n != 1 {
		t.Errorf("glacier fetched %d times, want 1", n)
	}
	if n := d.hitCount("/2026/11/glacier?utm_source=newsletter&utm_medium=email"); n != 0 {
		t.Errorf("tracking variant fetched %d times", n)
	}
	glacier := resultFor(t, sum, d.url("/2026/11/glacier"))
	if glacier.Status != StatusArchived || glacier.CaptureID == "" || glacier.Via != seed || glacier.Depth != 1 {
		t.Errorf("glacier result = %+v", glacier)
	}
	// Redirect followed, both hops recorded.
	moved := resultFor(t, sum, d.url("/moved"))
	if moved.Status != StatusArchived || moved.FinalURL != d.url("/2026/11/reef") {
		t.Errorf("moved result = %+v", moved)
	}
	if ex := sink.exchange(d.url("/moved")); ex == nil || len(ex.Hops) != 2 ||
		ex.Hops[0].Status != 301 || ex.Hops[0].ResponseHeader.Get("Location") != "/2026/11/reef" || ex.Hops[1].Status != 200 {
		t.Errorf("redirect exchange hops wrong: %+v", ex)
	}
	if r := resultFor(t, sum, d.url("/missing")); r.Status != StatusFailed || r.Reason != "HTTP 404" || r.HTTPStatus != 404 {
		t.Errorf("missing result = %+v", r)
	}
	// robots.txt: blocked path reported, never requested; robots fetched once.
	if r := resultFor(t, sum, d.url("/private/memo")); r.Status != StatusSkipped || r.Reason != "blocked by robots.txt" || r.HTTPStatus != 0 {
		t.Errorf("private result = %+v", r)
	}
	if d.hitCount("/private/memo") != 0 {
		t.Error("robots-disallowed page was requested")
	}
	if n := d.hitCount("/robots.txt"); n != 1 {
		t.Errorf("daily robots.txt fetched %d times, want 1", n)
	}
	if n := h.hitCount("/robots.txt"); n != 1 {
		t.Errorf("herald robots.txt fetched %d times, want 1", n)
	}
	if r := resultFor(t, sum, d.url("/download/report")); r.Status != StatusSkipped || r.Reason != "not HTML (application/pdf)" {
		t.Errorf("pdf result = %+v", r)
	}
	if sink.exchange(d.url("/download/report")) != nil {
		t.Error("non-HTML response was handed to the sink")
	}
	// Canonical duplicate: one archived, the other skipped as its duplicate.
	storm, amp := resultFor(t, sum, d.url("/2026/11/storm")), resultFor(t, sum, d.url("/amp/2026/11/storm"))
	archived, dup := storm, amp
	if amp.Status == StatusArchived {
		archived, dup = amp, storm
	}
	if archived.Status != StatusArchived || dup.Status != StatusSkipped || dup.Reason != "duplicate of "+archived.URL {
		t.Errorf("canonical duplicates: storm=%+v amp=%+v", storm, amp)
	}
	// The other outlet is reachable from the seed.
	if r := resultFor(t, sum, h.url("/world/flood")); r.Status != StatusArchived || r.Depth != 1 {
		t.Errorf("herald flood result = %+v", r)
	}
	// Depth 1: nothing linked from articles is fetched.
	for _, u := range []string{"http://news.daily.test:" + port(d) + "/2026/11/glacier-followup", h.url("/world/other"), h.url("/world/flood-followup")} {
		if hasResult(sum, u) {
			t.Errorf("depth-2 link %s was crawled with max depth 1", u)
		}
	}
	if d.hitCount("/2026/11/glacier-followup") != 0 || h.hitCount("/world/flood-followup") != 0 {
		t.Error("depth-2 page requested")
	}
	// Assets, share buttons, social links and login pages are never fetched
	// nor even resolved.
	if d.hitCount("/files/report.pdf") != 0 || d.hitCount("/account/login") != 0 {
		t.Error("asset or login page requested")
	}
	for _, host := range []string{"www.facebook.com", "twitter.com", "x.com", "www.linkedin.com", "www.instagram.com"} {
		if f.resolver.looked(host) {
			t.Errorf("social host %s was resolved", host)
		}
	}

	// topic, glacier, moved, missing, report, flood and the archived storm
	// page; the duplicate is fetched only if it was dequeued before the
	// other's canonical was claimed (workers run in parallel).
	wantFetched := 7
	if dup.HTTPStatus != 0 {
		wantFetched++
	}
	if sum.Fetched != wantFetched || sum.Archived != 4 || sum.Failed != 1 || sum.Skipped != 4 {
		t.Errorf("summary fetched=%d archived=%d skipped=%d failed=%d, want %d/4/4/1; results %+v",
			sum.Fetched, sum.Archived, sum.Skipped, sum.Failed, wantFetched, sum.Results)
	}
	if len(sum.Results) != sum.Archived+sum.Skipped+sum.Failed {
		t.Errorf("%d results but counts add up to %d", len(sum.Results), sum.Archived+sum.Skipped+sum.Failed)
	}
}

func TestCrawlDepthTwoStaysOnSite(t *testing.T) {
	f := newNewsFixture(t)
	d, h := f.daily, f.herald
	cfg := testConfig(t, f.resolver)
	cfg.MaxDepth = 2
	sum := runCrawl(t, cfg, newTestSink(), d.url("/topics/climate"))

	// news.daily.test is the same site as www.daily.test.
	followup := resultFor(t, sum, "http://news.daily.test:"+port(d)+"/2026/11/glacier-followup")
	if followup.Status != StatusArchived || followup.Depth != 2 || followup.Via != d.url("/2026/11/glacier") {
		t.Errorf("same-site depth-2 result = %+v", followup)
	}
	if r := resultFor(t, sum, h.url("/world/flood-followup")); r.Status != StatusArchived || r.Depth != 2 {
		t.Errorf("herald depth-2 result = %+v", r)
	}
	// The Daily's article links to the Herald: off-site beyond the seed.
	if hasResult(sum, h.url("/world/other")) || h.hitCount("/world/other") != 0 {
		t.Error("off-site link from a depth-1 page was followed")
	}
}

func TestExchangeIsComplete(t *testing.T) {
	f := newNewsFixture(t)
	d := f.daily
	sink := newTestSink()
	cfg := testConfig(t, f.resolver)
	cfg.RunID = "run-42"
	cfg.MaxDepth = 0
	seed := d.url("/2026/11/glacier")
	runCrawl(t, cfg, sink, seed+"?utm_campaign=x")

	ex := sink.exchange(seed)
	if ex == nil {
		t.Fatal("sink did not receive the seed")
	}
	if ex.RequestedURL != seed || ex.Seed != seed || ex.Via != "" || ex.Depth != 0 || ex.RunID != "run-42" {
		t.Errorf("exchange discovery fields: %+v", ex)
	}
	wantUA := "Archivist/9.9.9-test (+https://github.com/archivist-project/archivist; contact: archive@example.org)"
	if ex.UserAgent != wantUA {
		t.Errorf("UserAgent = %q, want %q", ex.UserAgent, wantUA)
	}
	wantRobots := "obey allowed " + d.url("/robots.txt")
	if got := ex.Robots.Policy + " " + ex.Robots.Result + " " + ex.Robots.RobotsURL; got != wantRobots {
		t.Errorf("robots decision = %q, want %q", got, wantRobots)
	}
	if ex.FetchStart.IsZero() || ex.FetchEnd.Before(ex.FetchStart) || ex.FetchStart.Location().String() != "UTC" {
		t.Errorf("fetch times %v .. %v", ex.FetchStart, ex.FetchEnd)
	}
	hop := ex.Final()
	if hop == nil || len(ex.Hops) != 1 {
		t.Fatalf("want one hop, got %d", len(ex.Hops))
	}
	if hop.URL != seed || hop.Method != "GET" || hop.Proto != "HTTP/1.1" || hop.Status != 200 || hop.StatusText != "200 OK" {
		t.Errorf("hop line fields: %+v", hop)
	}
	if hop.RequestHeader.Get("User-Agent") != wantUA || hop.RequestHeader.Get("Host") != "www.daily.test:"+port(d) ||
		hop.RequestHeader.Get("Accept-Encoding") != "identity" {
		t.Errorf("request headers as recorded: %v", hop.RequestHeader)
	}
	// What was recorded is what the server received.
	got := d.requestHeaders("/2026/11/glacier")
	for _, k := range []string{"User-Agent", "Host", "Accept", "Accept-Encoding"} {
		if got.Get(k) != hop.RequestHeader.Get(k) {
			t.Errorf("%s: server got %q, recorded %q", k, got.Get(k), hop.RequestHeader.Get(k))
		}
	}
	if string(hop.Body) != article("Glacier", "/2026/11/glacier",
		`<a href="http://news.daily.test:`+port(d)+`/2026/11/glacier-followup">more</a><a href="`+f.herald.url("/world/other")+`">elsewhere</a>`) {
		t.Errorf("body differs from what the server sent: %q", hop.Body)
	}
	if hop.ResponseHeader.Get("Content-Type") != "text/html; charset=utf-8" || hop.Truncated != "" || hop.RemoteIP != "127.0.0.1" {
		t.Errorf("response fields: ct=%q truncated=%q ip=%q", hop.ResponseHeader.Get("Content-Type"), hop.Truncated, hop.RemoteIP)
	}
	if hop.Start.IsZero() || hop.End.Before(hop.Start) {
		t.Errorf("hop times %v .. %v", hop.Start, hop.End)
	}
}

func TestRobotsIgnoredWhenConfigured(t *testing.T) {
	f := newNewsFixture(t)
	d := f.daily
	sink := newTestSink()
	cfg := testConfig(t, f.resolver)
	cfg.ObeyRobots = false
	cfg.MaxDepth = 0
	sum := runCrawl(t, cfg, sink, d.url("/private/memo"))
	if r := resultFor(t, sum, d.url("/private/memo")); r.Status != StatusArchived {
		t.Errorf("result = %+v, want archived with robots ignored", r)
	}
	if d.hitCount("/robots.txt") != 0 {
		t.Error("robots.txt fetched although ObeyRobots is false")
	}
	if ex := sink.exchange(d.url("/private/memo")); ex.Robots.Policy != "ignore" || ex.Robots.Result != "not-checked" {
		t.Errorf("robots decision = %+v", ex.Robots)
	}
}

func TestClockAndGeneratedRunID(t *testing.T) {
	f := newNewsFixture(t)
	fixed := time.Date(2026, 3, 1, 12, 30, 0, 0, time.FixedZone("CET", 3600))
	sink := newTestSink()
	cfg := testConfig(t, f.resolver)
	cfg.Clock = func() time.Time { return fixed }
	cfg.MaxDepth = 0
	seed := f.daily.url("/2026/11/reef")
	sum := runCrawl(t, cfg, sink, seed)

	if !strings.HasPrefix(sum.RunID, "20260301T113000Z-") {
		t.Errorf("generated run id %q does not carry the clock's UTC time", sum.RunID)
	}
	ex := sink.exchange(seed)
	if ex.RunID != sum.RunID {
		t.Errorf("exchange run id %q, summary %q", ex.RunID, sum.RunID)
	}
	want := fixed.UTC()
	if !ex.FetchStart.Equal(want) || !ex.FetchEnd.Equal(want) || !ex.Hops[0].Start.Equal(want) || !ex.Hops[0].End.Equal(want) {
		t.Errorf("times not from the injected clock: %v %v %v", ex.FetchStart, ex.Hops[0].Start, ex.Hops[0].End)
	}
	if ex.FetchStart.Location() != time.UTC {
		t.Errorf("FetchStart not in UTC: %v", ex.FetchStart.Location())
	}
}
