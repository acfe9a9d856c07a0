package daemon

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/crawler/frontier"
)

func ctxb() context.Context { return context.Background() }

// discoveryBy returns u's discovery log entry by source.
func discoveryBy(t *testing.T, fr frontier.Frontier, u, source string) archive.Discovery {
	t.Helper()
	log, err := fr.Discoveries(ctxb(), u)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range log {
		if d.Source == source {
			return d
		}
	}
	t.Fatalf("%s has no discovery by %s: %+v", u, source, log)
	return archive.Discovery{}
}

func TestDiscoveryFromEachKind(t *testing.T) {
	clock := newClock()
	s := newSite(t, clock)
	n := newNews(s)
	d, h := n.daily, n.herald
	sources := []Source{
		{Name: "climate-page", URL: d.url("/topics/climate"), Kind: KindPage, Tags: []string{"climate", "daily"}},
		{Name: "climate-rss", URL: d.url("/feeds/climate.rss"), Kind: KindFeed},
		{Name: "daily-sitemap", URL: d.url("/sitemap-index.xml"), Kind: KindSitemap},
		{Name: "herald", URL: h.url("/"), Kind: KindAuto, Tags: []string{"herald"}},
	}
	fr := openFrontier(t, t.TempDir(), clock)
	sink := &testSink{}
	r := start(t, testConfig(t, s, clock, sources...), fr, sink, nil)
	settle(t, fr, clock)

	// Every article once, whichever sources found it; the topic page kept
	// as a listing at depth 0; robots.txt's Disallow honoured.
	for _, u := range []string{n.glacier, n.reef, n.storm, n.flood} {
		if c := sink.captured(u); len(c) != 1 {
			t.Errorf("%s captured %d times, want 1", u, len(c))
		}
	}
	if c := sink.captured(d.url("/topics/climate")); len(c) != 1 || c[0].depth != 0 || c[0].source != "climate-page" ||
		!slices.Equal(c[0].tags, []string{"climate", "daily"}) {
		t.Errorf("topic page captures = %+v", c)
	}
	if s.hits("www.daily.test", "/private/memo") != 0 {
		t.Error("robots.txt-disallowed page was fetched")
	}
	if e := entry(t, fr, n.memo); e.State != frontier.StateFailed || e.FailKind != frontier.FailRobots {
		t.Errorf("memo entry = %+v", e)
	}
	if s.hits("www.daily.test", "/archive-2019.xml") != 0 {
		t.Error("the 2019 archive sitemap was read; only sitemaps modified in the last 30 days should be")
	}
	if s.hits("www.facebook.com", "") != 0 {
		t.Error("share link followed")
	}

	// Sources poll concurrently, so glacier belongs to whichever of the
	// page and the feed queued it first: its capture carries that source,
	// the source's tags and that source's first discovery of it.
	tagsOf := map[string][]string{}
	for _, src := range sources {
		tagsOf[src.Name] = src.Tags
	}
	owner := entry(t, fr, n.glacier).Source
	g := sink.captured(n.glacier)[0]
	want := discoveryBy(t, fr, n.glacier, owner)
	if g.source != owner || !slices.Equal(g.tags, tagsOf[owner]) || g.depth != 1 || g.discovery == nil ||
		g.discovery.Kind != want.Kind || g.discovery.Position != 1 || g.discovery.Via != want.Via ||
		!g.discovery.FoundAt.Equal(t0) || g.runID != r.d.RunID() || !g.fetchedAt.Equal(t0) {
		t.Errorf("glacier capture = %+v (discovery %+v), want source %s with discovery %+v", g, g.discovery, owner, want)
	}
	if owner != "climate-page" && owner != "climate-rss" {
		t.Errorf("glacier owned by %s", owner)
	}
	if p := discoveryBy(t, fr, n.glacier, "climate-page"); p.Kind != KindPage || p.Position != 1 || p.Via != d.url("/topics/climate") {
		t.Errorf("glacier found on the topic page: %+v", p)
	}
	// The discovery log has every way each URL was found.
	rss := discoveryBy(t, fr, n.glacier, "climate-rss")
	if rss.Kind != KindFeed || rss.FeedGUID != "daily-1001" || rss.Position != 1 || rss.Title != "Glacier retreat accelerates" ||
		rss.FeedDate == nil || !rss.FeedDate.Equal(time.Date(2026, 11, 27, 7, 30, 0, 0, time.UTC)) || rss.Via != d.url("/feeds/climate.rss") {
		t.Errorf("RSS discovery = %+v", rss)
	}
	news := discoveryBy(t, fr, n.reef, "daily-sitemap")
	if news.Kind != KindSitemap || news.Via != d.url("/news-sitemap.xml") || news.Position != 1 || news.Title != "Reef bleaching" ||
		news.NewsPublicationDate == nil || !news.NewsPublicationDate.Equal(time.Date(2026, 11, 27, 5, 55, 0, 0, time.UTC)) ||
		news.SitemapLastmod == nil || !news.SitemapLastmod.Equal(time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)) {
		t.Errorf("news sitemap discovery = %+v", news)
	}
	if storm := discoveryBy(t, fr, n.storm, "daily-sitemap"); storm.Position != 2 || storm.NewsPublicationDate != nil {
		t.Errorf("plain sitemap entry discovery = %+v", storm)
	}
	atom := discoveryBy(t, fr, n.flood, "herald")
	if atom.Kind != KindFeed || atom.Via != h.url("/atom.xml") || atom.FeedGUID != "tag:herald.test,2026:flood" ||
		atom.FeedDate == nil || !atom.FeedDate.Equal(time.Date(2026, 11, 27, 6, 30, 0, 0, time.UTC)) {
		t.Errorf("auto (Atom) discovery = %+v", atom)
	}
	page := discoveryBy(t, fr, n.flood, "climate-page")
	if page.Kind != KindPage || page.Position != 4 {
		t.Errorf("flood found on the topic page: %+v", page)
	}
	// The flood article belongs to whichever source queued it first; its
	// tags are that source's.
	if fl := sink.captured(n.flood)[0]; (fl.source == "herald") != slices.Equal(fl.tags, []string{"herald"}) {
		t.Errorf("flood capture source %s has tags %v", fl.source, fl.tags)
	}

	// Status per source.
	stats, err := fr.SourceStats(ctxb())
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]frontier.SourceStat{}
	for _, st := range stats {
		byName[st.Name] = st
		if st.Polls != 1 || !st.LastOK || st.LastPoll.IsZero() || !st.NextPoll.Equal(t0.Add(DefaultInterval)) || st.Stalled {
			t.Errorf("%s: %+v", st.Name, st)
		}
	}
	var archived int64
	for _, st := range stats {
		archived += st.Archived
		if st.Pending != 0 || st.Failed != 0 {
			t.Errorf("%s: %d pending, %d failed", st.Name, st.Pending, st.Failed)
		}
	}
	if archived != 4 {
		t.Errorf("sources own %d archived URLs between them, want the 4 articles", archived)
	}
	if p := byName["climate-page"]; p.Found != 4 || p.BlockedByRobots != 1 || !strings.Contains(p.LastResult, "4 found") {
		t.Errorf("climate-page stats = %+v", p)
	}
	if p := byName["daily-sitemap"]; p.Found != 2 || !strings.Contains(p.LastResult, "sitemap index of 2; 2 found") {
		t.Errorf("daily-sitemap stats = %+v", p)
	}
	if h := byName["herald"]; !strings.Contains(h.LastResult, "1 feeds, 0 sitemaps") {
		t.Errorf("herald (auto) stats = %+v", h)
	}
}

func TestPollScheduleSurvivesRestartAndUsesConditionalGET(t *testing.T) {
	clock := newClock()
	s := newSite(t, clock)
	n := newNews(s)
	dir := t.TempDir()
	src := Source{Name: "climate", URL: n.daily.url("/topics/climate"), Kind: KindPage}
	fr := openFrontier(t, dir, clock)
	sink := &testSink{}
	r := start(t, testConfig(t, s, clock, src), fr, sink, nil)
	settle(t, fr, clock)
	r.stop()
	if got := s.hits("www.daily.test", "/topics/climate"); got != 1 {
		t.Fatalf("topic page fetched %d times in the first run", got)
	}

	// Restart two minutes later on the same frontier: no poll before the
	// interval is up, however long the daemon idles meanwhile.
	clock.Advance(2 * time.Minute)
	fr2 := openFrontier(t, dir, clock)
	r2 := start(t, testConfig(t, s, clock, src), fr2, sink, nil)
	time.Sleep(100 * time.Millisecond) // dozens of scheduler turns
	if got := s.hits("www.daily.test", "/topics/climate"); got != 1 {
		t.Fatalf("restart re-polled the source at once (%d fetches)", got)
	}
	clock.Set(t0.Add(DefaultInterval))
	waitFor(t, "the next poll", func() bool { return s.hits("www.daily.test", "/topics/climate") == 2 })
	settle(t, fr2, clock)
	second := s.requests("www.daily.test", "/topics/climate")[1]
	if second.header.Get("If-None-Match") == "" || !second.clockAt.Equal(t0.Add(DefaultInterval)) {
		t.Errorf("second poll at %s with If-None-Match %q", second.clockAt, second.header.Get("If-None-Match"))
	}
	stats, _ := fr2.SourceStats(ctxb())
	if st := stats[0]; st.Polls != 2 || !strings.HasPrefix(st.LastResult, "not modified") || st.LastHTTPStatus != 304 ||
		!st.NextPoll.Equal(t0.Add(2*DefaultInterval)) {
		t.Errorf("after the 304 poll: %+v", st)
	}
	if c := sink.captured(n.daily.url("/topics/climate")); len(c) != 1 {
		t.Errorf("unchanged topic page stored %d times, want once (304: nothing new to store)", len(c))
	}
	r2.stop()
}

func TestRevisitsOnTheDecayingSchedule(t *testing.T) {
	clock := newClock()
	s := newSite(t, clock)
	n := newNews(s)
	src := Source{Name: "climate", URL: n.daily.url("/topics/climate"), Kind: KindPage, Revisit: true, Interval: 365 * 24 * time.Hour}
	fr := openFrontier(t, t.TempDir(), clock)
	sink := &testSink{}
	cfg := testConfig(t, s, clock, src)
	start(t, cfg, fr, sink, nil)
	settle(t, fr, clock)

	e := entry(t, fr, n.glacier)
	if e.Captures != 1 || !e.FirstCaptureAt.Equal(t0) || e.State != frontier.StatePending || !e.Due.Equal(t0.Add(time.Hour)) {
		t.Fatalf("after first capture: %+v, want a revisit due at t0+1h", e)
	}
	// Each revisit lands on first capture + offset: 1h and 6h, 1d, 7d, 30d.
	// The article changes at t0+5h, so the 1h revisit is a 304 and the 6h
	// one stores the new version.
	wantNext := []time.Duration{6 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour, 0}
	for i, off := range []time.Duration{time.Hour, 6 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour} {
		clock.Set(t0.Add(off))
		before := s.hits("www.daily.test", "/2026/11/glacier")
		waitFor(t, "revisit at +"+off.String(), func() bool { return s.hits("www.daily.test", "/2026/11/glacier") == before+1 })
		settle(t, fr, clock)
		req := s.requests("www.daily.test", "/2026/11/glacier")[before]
		if req.header.Get("If-None-Match") == "" || !req.clockAt.Equal(t0.Add(off)) {
			t.Errorf("revisit %d: at %s, If-None-Match %q", i+1, req.clockAt, req.header.Get("If-None-Match"))
		}
		e := entry(t, fr, n.glacier)
		if wantNext[i] == 0 {
			if e.State != frontier.StateDone || !e.Due.IsZero() {
				t.Errorf("after the last revisit: %+v, want done", e)
			}
		} else if !e.Due.Equal(t0.Add(wantNext[i])) {
			t.Errorf("after revisit at +%s next due %s, want +%s", off, e.Due.Sub(t0), wantNext[i])
		}
	}
	caps := sink.captured(n.glacier)
	if len(caps) != 2 || caps[0].title != "Glacier retreat accelerates" || caps[1].title != "Glacier retreat accelerates, new data show" ||
		!caps[1].fetchedAt.Equal(t0.Add(6*time.Hour)) {
		t.Errorf("glacier versions = %+v; want the original and the 6h version (the 1h, 1d, 7d, 30d revisits were 304s)", caps)
	}
	if e := entry(t, fr, n.glacier); e.Captures != 2 || !e.FirstCaptureAt.Equal(t0) {
		t.Errorf("entry = %+v", e)
	}
}

// TestSitemapIndexReadEachPoll: an index that never changes must not hide
// its news sitemap's new stories; the child itself is fetched
// conditionally.
func TestSitemapIndexReadEachPoll(t *testing.T) {
	clock := newClock()
	s := newSite(t, clock)
	n := newNews(s)
	fr := openFrontier(t, t.TempDir(), clock)
	src := Source{Name: "sitemap", URL: n.daily.url("/sitemap-index.xml"), Kind: KindSitemap}
	sink := &testSink{}
	start(t, testConfig(t, s, clock, src), fr, sink, nil)
	settle(t, fr, clock)
	for _, at := range []time.Duration{15 * time.Minute, 30 * time.Minute} {
		clock.Set(t0.Add(at))
		waitFor(t, "the next poll", func() bool { return s.hits("www.daily.test", "/news-sitemap.xml") == int(at/(15*time.Minute))+1 })
		settle(t, fr, clock)
	}
	for _, r := range s.requests("www.daily.test", "/sitemap-index.xml") {
		if r.header.Get("If-None-Match") != "" {
			t.Errorf("the sitemap index was fetched conditionally at %s", r.clockAt)
		}
	}
	child := s.requests("www.daily.test", "/news-sitemap.xml")
	if len(child) != 3 || child[1].header.Get("If-None-Match") == "" || child[2].header.Get("If-None-Match") == "" {
		t.Errorf("news sitemap requests: %d, conditional: %v", len(child), len(child) == 3 && child[2].header.Get("If-None-Match") != "")
	}
	if got := sink.captured(n.daily.url("/2026/11/late")); len(got) != 1 || !got[0].fetchedAt.Equal(t0.Add(15*time.Minute)) {
		t.Errorf("the story added to the news sitemap: %+v", got)
	}
	stats, _ := fr.SourceStats(ctxb())
	if st := stats[0]; st.Polls != 3 || !st.LastNew.Equal(t0.Add(15*time.Minute)) || st.Found != 3 {
		t.Errorf("sitemap source stats = %+v", st)
	}
}

func TestNoRevisitsWhenSourceSaysSo(t *testing.T) {
	clock := newClock()
	s := newSite(t, clock)
	n := newNews(s)
	fr := openFrontier(t, t.TempDir(), clock)
	start(t, testConfig(t, s, clock, Source{Name: "rss", URL: n.daily.url("/feeds/climate.rss"), Kind: KindFeed}), fr, &testSink{}, nil)
	settle(t, fr, clock)
	if e := entry(t, fr, n.glacier); e.State != frontier.StateDone || e.Captures != 1 {
		t.Errorf("glacier from a non-revisiting source: %+v, want done after one capture", e)
	}
}

func TestRevisitOffsetsAfterDowntime(t *testing.T) {
	d := &Daemon{cfg: Config{Revisits: []time.Duration{time.Hour, 6 * time.Hour, 24 * time.Hour}}}
	src := &source{Source: Source{Revisit: true}}
	it := frontier.Item{FirstCaptureAt: t0}
	for _, c := range []struct {
		now  time.Duration
		want time.Duration // 0: none
	}{
		{0, time.Hour}, {time.Hour, 6 * time.Hour}, {3 * time.Hour, 6 * time.Hour},
		// Down from +2h to +30h: missed offsets are skipped, not replayed.
		{30 * time.Hour, 0},
	} {
		got := d.nextRevisit(src, it, t0.Add(c.now))
		if (c.want == 0) != got.IsZero() || (c.want != 0 && !got.Equal(t0.Add(c.want))) {
			t.Errorf("at +%s next revisit %v, want +%s", c.now, got, c.want)
		}
	}
	if got := d.nextRevisit(&source{}, it, t0); !got.IsZero() {
		t.Errorf("source without Revisit scheduled %v", got)
	}
}
