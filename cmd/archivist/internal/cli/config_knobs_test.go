package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive/catalog/sqlite"
	"github.com/archivist-project/archivist/cmd/archivist/internal/config"
	"github.com/archivist-project/archivist/crawler"
	"github.com/archivist-project/archivist/crawler/daemon"
	"github.com/archivist-project/archivist/extract"
)

func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "archivist.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConfigKnobsReachCrawlerAndDaemon: crawl's robots, Retry-After and
// cookie limits, serve.retry and page_types, read from a file, are in the
// crawler, daemon and capture configurations the commands build; left
// out, they are the libraries' defaults, each command its own.
func TestConfigKnobsReachCrawlerAndDaemon(t *testing.T) {
	p := writeConfig(t, `crawl:
  robots_ttl: 6h
  max_crawl_delay: 5m
  max_retry_after: 2h
  cookie_lifetime: 30m
  url_memory: 64KiB
serve:
  retry: {base: 30s, max: 2h, max_attempts: 5, jitter: 0.1}
page_types:
  min_article_words: 80
`)
	cfg, err := (&common{configPath: p}).load(IO{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	cc := crawlerConfig(cfg)
	dc := daemonConfig(cfg, nil)
	for name, c := range map[string]crawler.Config{"crawl": cc, "serve": dc.Crawler} {
		if c.RobotsTTL != 6*time.Hour || c.MaxCrawlDelay != 5*time.Minute || c.MaxRetryAfter != 2*time.Hour || c.CookieLifetime != 30*time.Minute {
			t.Errorf("%s crawler config: robots_ttl %s, max_crawl_delay %s, max_retry_after %s, cookie_lifetime %s",
				name, c.RobotsTTL, c.MaxCrawlDelay, c.MaxRetryAfter, c.CookieLifetime)
		}
	}
	if cc.URLMemoryBytes != 64<<10 {
		t.Errorf("crawl url_memory %d, want 64 KiB", cc.URLMemoryBytes)
	}
	if want := (daemon.RetryPolicy{Base: 30 * time.Second, Max: 2 * time.Hour, MaxAttempts: 5, Jitter: 0.1}); dc.Retry != want {
		t.Errorf("daemon retry %+v, want %+v", dc.Retry, want)
	}
	rules := extract.DefaultPageTypeRules()
	rules.MinArticleWords = 80
	if got := captureConfig(cfg).PageTypes; got == nil || *got != rules {
		t.Errorf("capture page types %+v, want %+v", got, rules)
	}

	// Nothing set: today's defaults, including the daemon's shorter
	// cookie lifetime where a crawl keeps one jar for its run.
	def := config.Default()
	cc, dc = crawlerConfig(def), daemonConfig(def, nil)
	lc, ld := crawler.DefaultConfig(), daemon.DefaultConfig()
	if cc.RobotsTTL != lc.RobotsTTL || cc.MaxCrawlDelay != lc.MaxCrawlDelay || cc.MaxRetryAfter != lc.MaxRetryAfter || cc.CookieLifetime != lc.CookieLifetime ||
		cc.URLMemoryBytes != lc.URLMemoryBytes {
		t.Errorf("default crawl config %+v, want the crawler's defaults %+v", cc, lc)
	}
	if dc.Crawler.CookieLifetime != ld.Crawler.CookieLifetime || dc.Crawler.CookieLifetime == 0 || dc.Retry != ld.Retry {
		t.Errorf("default daemon config: cookie_lifetime %s, retry %+v; want %s, %+v", dc.Crawler.CookieLifetime, dc.Retry, ld.Crawler.CookieLifetime, ld.Retry)
	}
	if got := captureConfig(def).PageTypes; got == nil || *got != extract.DefaultPageTypeRules() {
		t.Errorf("default capture page types %+v", got)
	}
	// cookie_lifetime: 0 is one jar for the whole process, for serve too.
	cfg.Crawl.CookieLifetime = new(config.Duration)
	if dc := daemonConfig(cfg, nil); dc.Crawler.CookieLifetime != 0 {
		t.Errorf("cookie_lifetime 0 gives the daemon %s", dc.Crawler.CookieLifetime)
	}
}

// nightBusesHTML is an article of 159 words with no article markup: an
// article under the default rule (50 words), "other" when
// page_types.min_article_words asks for more.
const nightBusesHTML = `<!doctype html><html lang="en"><head><title>Council expands night buses</title></head>
<body><header><a href="/">Home</a></header><main><h1>Council expands night buses</h1>
` + nightBusesPara + nightBusesPara + nightBusesPara + `</main><footer>Contact us</footer></body></html>`

const nightBusesPara = `<p>The city council voted on Tuesday to expand the night bus network after a year of complaints from shift workers
who said the last buses left the centre long before their hospital and warehouse shifts ended. The new routes start
in September and cost less than the council feared.</p>
`

// TestExtractPageTypesFromConfig: `archivist extract --config` classifies
// with the file's page_types, and a bad value there is reported with its
// key and line.
func TestExtractPageTypesFromConfig(t *testing.T) {
	page := filepath.Join(t.TempDir(), "page.html")
	if err := os.WriteFile(page, []byte(nightBusesHTML), 0o644); err != nil {
		t.Fatal(err)
	}
	pageType := func(args ...string) string {
		t.Helper()
		out := mustRun(t, nil, append(append([]string{"extract", "--url", "https://news.example/2024/05/night-buses"}, args...), page)...)
		var a struct {
			PageType  string `json:"page_type"`
			WordCount int    `json:"word_count"`
		}
		if err := json.Unmarshal([]byte(out), &a); err != nil {
			t.Fatalf("extract output: %v\n%s", err, out)
		}
		if a.WordCount < 100 || a.WordCount >= 200 {
			t.Fatalf("the fixture has %d words; the test needs 100 to 199", a.WordCount)
		}
		return a.PageType
	}
	if got := pageType(); got != extract.PageArticle {
		t.Fatalf("default rule: page type %q, want article", got)
	}
	strict := writeConfig(t, "page_types:\n  min_article_words: 200\n")
	if got := pageType("--config", strict); got != extract.PageOther {
		t.Errorf("min_article_words 200: page type %q, want other", got)
	}
	bad := writeConfig(t, "page_types:\n  listing_teasers: 0\n")
	_, errOut, code := run(t, nil, "extract", "--config", bad, page)
	if code != ExitUsage || !strings.Contains(errOut, "page_types.listing_teasers (line 2)") || !strings.Contains(errOut, "2 to 100") {
		t.Errorf("bad page_types: exit %d, stderr %q", code, errOut)
	}
}

// TestCrawlAndReextractPageTypesFromConfig: page_types reaches the capture
// pipeline of `crawl` (a page the file's rule calls "other" is not
// archived) and of `reextract` (a re-extraction with the file reclassifies
// the capture).
func TestCrawlAndReextractPageTypesFromConfig(t *testing.T) {
	ctx := context.Background()
	site := startSite(t)
	data := t.TempDir()
	env := map[string]string{"ARCHIVIST_DATA": data}
	// No article on the demo site is this long, declared or not; seeds
	// are kept whatever their type unless keep_listings is off.
	strict := writeConfig(t, "crawl:\n  keep_listings: false\npage_types:\n  min_article_words: 100000\n  min_declared_article_words: 100000\n")
	article := site.ArticleURL("reuters")
	crawl := []string{"crawl", "--allow-private-networks", "--delay", "5ms", "--depth", "0"}

	out := mustRun(t, env, append(crawl, "--config", strict, article)...)
	if !strings.Contains(out, "not an article (other)") || !strings.Contains(out, "0 archived") {
		t.Fatalf("crawl with the strict page_types:\n%s", out)
	}
	out = mustRun(t, env, append(crawl, article)...)
	if !strings.Contains(out, "1 archived") {
		t.Fatalf("crawl with the default rule:\n%s", out)
	}
	rows := listJSON(t, env)
	if len(rows) != 1 || rows[0].PageType != extract.PageArticle {
		t.Fatalf("after the default crawl: %+v", rows)
	}

	// Make the row look as if an older extractor had made it, so that
	// reextract does not leave it alone as current.
	cat, err := sqlite.Open(ctx, filepath.Join(data, catalogFile), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	e, err := cat.Get(ctx, rows[0].CaptureID)
	if err != nil {
		t.Fatal(err)
	}
	e.ExtractorVersion = "0.0.1"
	if err := cat.Put(ctx, e); err != nil {
		t.Fatal(err)
	}
	cat.Close()
	out = mustRun(t, env, "reextract", "--config", strict)
	if !strings.Contains(out, "1 new articles") {
		t.Fatalf("reextract with the strict page_types:\n%s", out)
	}
	if rows := listJSON(t, env); len(rows) != 1 || rows[0].PageType != extract.PageOther {
		t.Errorf("after reextract with the strict page_types: %+v", rows)
	}
}

// TestCrawlSpillsURLsToTheDataDirectory: with url_memory too small for
// even one URL, `crawl` keeps its queue and seen URLs in a scratch file
// in DATA/tmp, archives what a crawl in memory archives, and removes the
// file when done, and the files of killed crawls.
func TestCrawlSpillsURLsToTheDataDirectory(t *testing.T) {
	site := startSite(t)
	crawl := []string{"crawl", "--allow-private-networks", "--delay", "5ms", site.TopicURL()}
	inMemory := map[string]string{"ARCHIVIST_DATA": t.TempDir()}
	// The demo site has a removed story: both crawls end "partly failed".
	out, _, wantCode := run(t, inMemory, crawl...)
	want := len(listJSON(t, inMemory))
	if want < 5 {
		t.Fatalf("the in-memory crawl archived %d pages; the test needs the demo site's five stories:\n%s", want, out)
	}

	data := t.TempDir()
	spilling := map[string]string{"ARCHIVIST_DATA": data}
	tiny := writeConfig(t, "crawl:\n  url_memory: 1B\n")
	// A spill file of a crawl that was killed (its process is gone): the
	// next crawl removes it.
	tmp := filepath.Join(data, "tmp")
	gone := exec.Command(os.Args[0], "-test.run=^$")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(tmp, fmt.Sprintf("archivist-crawl-spill-%d-1.db", gone.Process.Pid))
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, []byte("left by a killed crawl"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, spilling, append(crawl, "--config", tiny)...)
	if code != wantCode {
		t.Fatalf("crawl with url_memory 1B: exit %d, in memory %d\n%s\n%s", code, wantCode, out, errOut)
	}
	if got := len(listJSON(t, spilling)); got != want {
		t.Errorf("crawl with url_memory 1B archived %d pages, in memory %d\n%s", got, want, out)
	}
	if !strings.Contains(errOut, "spill file") || !strings.Contains(errOut, tmp) {
		t.Errorf("the log does not name a spill file in %s:\n%s", tmp, errOut)
	}
	if left, err := os.ReadDir(tmp); err != nil || len(left) != 0 {
		t.Errorf("DATA/tmp after the crawl: %v, %v", left, err)
	}
}
