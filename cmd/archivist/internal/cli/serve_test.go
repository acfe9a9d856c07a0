package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/archivist-project/archivist/cmd/archivist/internal/demosite"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveConfig writes a config file for a daemon watching the demo site:
// the topic page and its RSS feed, loopback only, quick polls.
func serveConfig(t *testing.T, site *demosite.Site, data string, extra string) string {
	t.Helper()
	loopback := `'^http://127\.0\.0\.1:'`
	cfg := fmt.Sprintf(`data: %s
crawl:
  allow_private_networks: true
  per_host_delay: 20ms
sources:
  - name: daily8-topic
    url: %s
    kind: page
    interval: 1m
    include: [%s]
    tags: [hikvision]
  - name: daily8-rss
    url: %s
    kind: feed
    interval: 1m
    include: [%s]
revisit_schedule: []
serve:
  listen: 127.0.0.1:0
  drain_timeout: 5s
  lease: 30s
log:
  level: debug
%s`, data, site.TopicURL(), loopback, site.URL("daily8", demosite.RSSPath), loopback, extra)
	path := filepath.Join(t.TempDir(), "archivist.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var listenRE = regexp.MustCompile(`/healthz and /metrics on (http://[0-9.:]+)`)

// waitFor polls cond every 100 ms until it holds or limit passes.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func httpGet(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeInProcess runs `serve` in process against the demo site: it
// archives what the sources list, answers /healthz and /metrics, picks up
// a source added with `sources add` on SIGHUP, keeps the running config
// when a reload brings a bad one, shows it all in `status`, and stops
// cleanly on SIGTERM.
func TestServeInProcess(t *testing.T) {
	site := startSite(t)
	data := t.TempDir()
	cfgPath := serveConfig(t, site, data, "")
	env := map[string]string{}
	signals := make(chan os.Signal, 2)
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), []string{"serve", "--config", cfgPath}, IO{
			In: strings.NewReader(""), Out: io.Discard, Err: &stderr,
			Getenv: func(string) string { return "" }, Resolver: loopbackResolver{}, Signals: signals,
		})
	}()
	var base string
	waitFor(t, 10*time.Second, "the listen address", func() bool {
		if m := listenRE.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
		}
		return base != ""
	})
	waitFor(t, 10*time.Second, "/healthz to answer 200", func() bool { code, _ := httpGet(base + "/healthz"); return code == 200 })
	_, health := httpGet(base + "/healthz")
	if !strings.Contains(health, `"status":"ok"`) || !strings.Contains(health, `"run_id":"serve-`) {
		t.Errorf("healthz = %s", health)
	}

	// The five articles, the topic page and the developing story (from the feed).
	waitFor(t, 60*time.Second, "7 pages archived", func() bool {
		seen := map[string]bool{}
		for _, r := range listJSON(t, env, "--data", data) {
			seen[r.CanonicalURL+r.URL] = true
		}
		return len(seen) >= 7
	})
	rows := listJSON(t, env, "--data", data)
	urls := map[string]bool{}
	for _, r := range rows {
		urls[r.CanonicalURL] = true
	}
	for outlet := range demosite.ArticlePaths {
		if !urls[site.ArticleURL(outlet)] {
			t.Errorf("%s not archived", outlet)
		}
	}
	if !urls[site.LiveURL()] {
		t.Errorf("the story listed only in the feed was not archived")
	}
	if got := listJSON(t, env, "--data", data, "--url", site.TopicURL()); len(got) == 0 || got[0].PageType != "listing" {
		t.Errorf("the source page was not archived as a listing: %+v", got)
	}
	var prov struct {
		Source    string   `json:"source"`
		Tags      []string `json:"tags"`
		Discovery struct {
			Source string `json:"source"`
			Kind   string `json:"kind"`
		} `json:"discovery"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, env, "get", "--data", data, site.LiveURL(), "--format", "provenance")), &prov); err != nil {
		t.Fatal(err)
	}
	if prov.Discovery.Kind != "feed" && prov.Discovery.Kind != "page" {
		t.Errorf("provenance discovery = %+v", prov)
	}

	_, metrics := httpGet(base + "/metrics")
	for _, name := range []string{"archivist_fetches_total{code=\"200\"}", "archivist_captures_total", "archivist_queue_depth",
		"archivist_hosts_in_backoff", "archivist_store_errors_total", "archivist_extraction_failures_total", "go_goroutines"} {
		if !strings.Contains(metrics, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}

	// A source added from the command line is picked up on SIGHUP.
	mustRun(t, env, "sources", "add", "--data", data, "wire-news", site.URL("wire", demosite.SitemapIndexPath), "--kind", "sitemap", "--interval", "1m", "--tag", "wire")
	signals <- syscall.SIGHUP
	waitFor(t, 20*time.Second, "the added source to be polled", func() bool {
		out, _, _ := run(t, env, "status", "--config", cfgPath, "--json")
		return strings.Contains(out, `"name": "wire-news"`) && strings.Contains(out, `"known": true`) &&
			regexp.MustCompile(`"name": "wire-news"[^}]*"polls": [1-9]`).MatchString(out)
	})
	// A bad config on reload is refused; the daemon keeps running.
	if err := os.WriteFile(cfgPath, []byte("sources:\n  - name: BAD NAME\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	signals <- syscall.SIGHUP
	waitFor(t, 10*time.Second, "the reload error in the log", func() bool {
		return strings.Contains(stderr.String(), "reload failed; keeping the running configuration")
	})
	if code, _ := httpGet(base + "/healthz"); code != 200 {
		t.Errorf("healthz after a bad reload = %d", code)
	}

	out := mustRun(t, env, "status", "--data", data)
	for _, want := range []string{"daily8-topic", "daily8-rss", "wire-news", "ARCHIVED", "queue:"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}

	start := time.Now()
	signals <- syscall.SIGTERM
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop within 20s of SIGTERM (drain_timeout 5s)")
	}
	t.Logf("stopped %s after SIGTERM", time.Since(start).Round(time.Millisecond))
	if code, _ := httpGet(base + "/healthz"); code != 0 {
		t.Errorf("healthz still answers after stop: %d", code)
	}
	if !strings.Contains(stderr.String(), "stopped cleanly") {
		t.Errorf("no clean stop in the log:\n%s", tail(stderr.String(), 20))
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
