package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/archivist-project/archivist/cmd/archivist/internal/config"
	"github.com/archivist-project/archivist/crawler/frontier"
)

// memDaemon is an in-memory Daemon: it keeps a pause flag and a source
// list, and refuses a source whose name it already has, as a daemon must.
type memDaemon struct {
	mu      sync.Mutex
	paused  bool
	sources []frontier.SourceStat
	added   []config.Source
	fetches []Fetch
}

func (d *memDaemon) Sources(context.Context) ([]frontier.SourceStat, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]frontier.SourceStat(nil), d.sources...), nil
}

func (d *memDaemon) Crawl(context.Context) (CrawlStatus, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return CrawlStatus{Paused: d.paused, InFlight: d.fetches, Queue: frontier.QueueStats{Due: int64(len(d.fetches)), Scheduled: 7}}, nil
}

func (d *memDaemon) Pause(context.Context) error {
	d.mu.Lock()
	d.paused = true
	d.mu.Unlock()
	return nil
}
func (d *memDaemon) Resume(context.Context) error {
	d.mu.Lock()
	d.paused = false
	d.mu.Unlock()
	return nil
}

func (d *memDaemon) AddSource(_ context.Context, src config.Source) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range d.sources {
		if s.Name == src.Name {
			return errors.New("a source named " + src.Name + " exists")
		}
	}
	d.added = append(d.added, src)
	d.sources = append(d.sources, frontier.SourceStat{Name: src.Name, URL: src.URL, Kind: src.Kind, Interval: time.Duration(src.Interval)})
	return nil
}

func TestNoDaemonAttached(t *testing.T) {
	f := newFixture(t)
	opts := f.options()
	opts.AdminToken = adminToken
	srv := serve(t, opts).URL
	for _, p := range []string{"/api/sources", "/api/crawl"} {
		resp, body := get(t, srv+p)
		wantError(t, resp, body, http.StatusNotImplemented, "no daemon attached")
	}
	for _, p := range []string{"/api/crawl/pause", "/api/crawl/resume", "/api/sources"} {
		resp, body := do(t, http.MethodPost, srv+p, `{"name": "x", "url": "http://x.test/"}`, "Authorization", "Bearer "+adminToken)
		wantError(t, resp, body, http.StatusNotImplemented, "no daemon attached")
	}
	for _, p := range []string{"/sources", "/crawl"} {
		resp, body := get(t, srv+p)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "No daemon attached") {
			t.Errorf("%s without a daemon: status %d, no notice", p, resp.StatusCode)
		}
	}
}

func TestDaemonRoutes(t *testing.T) {
	f := newFixture(t)
	now := time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC)
	d := &memDaemon{
		sources: []frontier.SourceStat{
			{Name: "cbc-politics", URL: "https://cbc.test/politics", Kind: "feed", Interval: 15 * time.Minute, PollRecord: frontier.PollRecord{LastPoll: now.Add(-time.Minute), LastOK: true}, Found: 40, Archived: 38, Pending: 1, Failed: 1},
			{Name: "quiet-wire", URL: "https://wire.test/", Kind: "page", Interval: time.Hour, PollRecord: frontier.PollRecord{LastPoll: now.Add(-time.Hour), LastOK: true}, LastNew: now.Add(-72 * time.Hour), Stalled: true},
		},
		fetches: []Fetch{{URL: "https://cbc.test/politics/story-1", Source: "cbc-politics", Started: now}},
	}
	opts := f.options()
	opts.AdminToken, opts.Daemon = adminToken, d
	srv := serve(t, opts).URL
	admin := []string{"Authorization", "Bearer " + adminToken}

	var sources struct{ Sources []sourceJSON }
	_, body := get(t, srv+"/api/sources")
	decodeJSON(t, body, &sources)
	if len(sources.Sources) != 2 || !sources.Sources[1].Stalled || sources.Sources[0].Archived != 38 || sources.Sources[0].Interval != "15m" {
		t.Errorf("/api/sources: %s", body)
	}
	resp, body := get(t, srv+"/sources")
	page := string(body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "quiet-wire") || !strings.Contains(page, `class="stalled"`) || strings.Count(page, "Stalled") != 1 {
		t.Errorf("sources page does not flag exactly the stalled source:\n%s", page)
	}

	// Pause, shown on the crawl page and API; resume.
	if resp, body := do(t, http.MethodPost, srv+"/api/crawl/pause", "", admin...); resp.StatusCode != http.StatusOK {
		t.Fatalf("pause: %d %s", resp.StatusCode, body)
	}
	var crawl crawlJSON
	_, body = get(t, srv+"/api/crawl")
	decodeJSON(t, body, &crawl)
	if !crawl.Paused || len(crawl.InFlight) != 1 || crawl.Queue.Scheduled != 7 {
		t.Errorf("/api/crawl after pause: %s", body)
	}
	_, body = get(t, srv+"/crawl")
	if !strings.Contains(string(body), "Paused") || !strings.Contains(string(body), "https://cbc.test/politics/story-1") {
		t.Errorf("crawl page lacks the pause or the fetch in flight:\n%s", body)
	}
	do(t, http.MethodPost, srv+"/api/crawl/resume", "", admin...)
	if d.paused {
		t.Error("resume did not reach the daemon")
	}
	if resp, _ := do(t, http.MethodPost, srv+"/api/crawl/pause", ""); resp.StatusCode != http.StatusUnauthorized || d.paused {
		t.Error("pause without the admin token was not refused")
	}

	// Add a source: checked with the config rules, defaults filled in.
	resp, body = do(t, http.MethodPost, srv+"/api/sources", `{"name": "globe-world", "url": "https://globe.test/world", "tags": ["canada"]}`, admin...)
	if resp.StatusCode != http.StatusCreated || len(d.added) != 1 {
		t.Fatalf("add source: %d %s", resp.StatusCode, body)
	}
	if s := d.added[0]; s.Kind != config.DefaultSourceKind || time.Duration(s.Interval) != config.DefaultSourceInterval || s.Tags[0] != "canada" {
		t.Errorf("added source: %+v", s)
	}
	resp, body = do(t, http.MethodPost, srv+"/api/sources", `{"name": "Bad Name", "url": "https://globe.test/"}`, admin...)
	wantError(t, resp, body, http.StatusBadRequest, "not a valid name")
	resp, body = do(t, http.MethodPost, srv+"/api/sources", `{"name": "x", "url": "https://x.test/", "interval": "often"}`, admin...)
	wantError(t, resp, body, http.StatusBadRequest, "interval")
	resp, body = do(t, http.MethodPost, srv+"/api/sources", `{"name": "globe-world", "url": "https://globe.test/world"}`, admin...)
	wantError(t, resp, body, http.StatusConflict, "exists")
}
