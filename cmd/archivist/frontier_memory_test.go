package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/cmd/archivist/internal/bench"
	"github.com/archivist-project/archivist/crawler/frontier"
	frontiersqlite "github.com/archivist-project/archivist/crawler/frontier/sqlite"
)

// Settings of TestFrontierMemory, from the environment.
const (
	frontierMemEnv      = "ARCHIVIST_BENCH_FRONTIER"          // pending URLs; the test is skipped without it
	frontierMemHostsEnv = "ARCHIVIST_BENCH_FRONTIER_HOSTS"    // hosts they are spread over (default 1000)
	frontierMemRunEnv   = "ARCHIVIST_BENCH_FRONTIER_RUN"      // how long serve runs (default 90s)
	frontierMemProfEnv  = "ARCHIVIST_BENCH_FRONTIER_PROFILES" // a directory for the daemon's heap profiles
)

// frontierMemLimit is the bound on the daemon's peak resident
// memory with a frontier of 1,000,000 pending URLs.
const frontierMemLimit = 300 << 20

// evalPagesDir holds the real article pages the fixture serves.
const evalPagesDir = "../../../shared/eval/article-extraction-benchmark/html"

// TestFrontierMemory measures the real daemon's memory with a large
// frontier: it queues N pending URLs (ARCHIVIST_BENCH_FRONTIER) over many
// loopback hosts through the frontier API, host by host as sitemap polls
// would, starts `archivist serve` with default politeness and lets it
// fetch and archive real article pages for a while, querying /metrics,
// /healthz and `archivist status` as an operator would. It reports
// resident memory over time, the peak (VmHWM), pages archived and CPU per
// page, and fails when the peak reaches 300 MiB.
//
//	ARCHIVIST_BENCH_FRONTIER=1000000 go test ./cmd/archivist -run TestFrontierMemory -v -timeout 60m
func TestFrontierMemory(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv(frontierMemEnv))
	if n <= 0 {
		t.Skipf("set %s to a number of pending URLs (e.g. 1000000) to run this measurement", frontierMemEnv)
	}
	hosts := envInt(t, frontierMemHostsEnv, 1000)
	run := 90 * time.Second
	if v := os.Getenv(frontierMemRunEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("%s=%q: %v", frontierMemRunEnv, v, err)
		}
		run = d
	}
	pages := loadEvalPages(t)
	bin := filepath.Join(t.TempDir(), "archivist")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	site := startManyHosts(t, hosts, pages)
	data := t.TempDir()

	began := time.Now()
	fillFrontier(t, filepath.Join(data, "frontier.db"), site, n)
	t.Logf("queued %d URLs over %d hosts in %s", n, hosts, time.Since(began).Round(time.Second))

	cfg := filepath.Join(t.TempDir(), "archivist.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`data: %s
crawl:
  allow_private_networks: true
sources:
  - {name: bulk, url: '%s', kind: sitemap, interval: 24h}
serve:
  listen: 127.0.0.1:0
log:
  format: json
`, data, site.sitemapURL())), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(binEnv(t), "ARCHIVIST_DEBUG_PPROF=1")
	p := startServeEnv(t, bin, cfg, env, 5*time.Minute)
	pid := p.cmd.Process.Pid
	started := time.Now()
	cpu0 := cpuSeconds(t, pid)

	type sample struct {
		at       time.Duration
		rss, hwm int64
		captures int
		cpu      float64
	}
	var samples []sample
	var statusTimes []time.Duration
	lastStatus := time.Time{}
	profDir := os.Getenv(frontierMemProfEnv)
	cpuProfiled := make(chan struct{})
	profiling := false
	for time.Since(started) < run {
		if profDir != "" && !profiling && time.Since(started) >= run/3 {
			// The CPU profile of the middle third of the run.
			profiling = true
			go func() {
				defer close(cpuProfiled)
				saveProfile(t, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", p.base, int(run.Seconds()/3)),
					filepath.Join(profDir, fmt.Sprintf("serve-cpu-%d.pb.gz", n)))
			}()
		}
		time.Sleep(time.Second)
		rss, hwm := procMemory(t, pid)
		code, metrics := fetch(p.base + "/metrics")
		if code != http.StatusOK {
			t.Fatalf("/metrics answered %d\n%s", code, tailLines(p.stderr.String(), 20))
		}
		samples = append(samples, sample{at: time.Since(started), rss: rss, hwm: hwm, captures: int(metricValue(metrics, "archivist_captures_total")), cpu: cpuSeconds(t, pid) - cpu0})
		if time.Since(lastStatus) >= 15*time.Second {
			lastStatus = time.Now()
			if code, _ := fetch(p.base + "/healthz"); code != http.StatusOK {
				t.Errorf("/healthz answered %d", code)
			}
			sb := time.Now()
			out, code := runBin(t, bin, binEnv(t), "status", "--config", cfg)
			statusTimes = append(statusTimes, time.Since(sb))
			if code != 0 && code != 3 || !strings.Contains(out, "bulk") {
				t.Errorf("status: exit %d\n%s", code, out)
			}
		}
	}
	if profiling {
		<-cpuProfiled
	}
	if profDir != "" {
		saveProfile(t, p.base+"/debug/pprof/heap", filepath.Join(profDir, fmt.Sprintf("serve-heap-%d.pb.gz", n)))
	}
	_, metrics := fetch(p.base + "/metrics")
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code, _ := p.wait(t, time.Minute); code != 0 {
		t.Errorf("SIGTERM: exit %d\n%s", code, tailLines(p.stderr.String(), 20))
	}

	last := samples[len(samples)-1]
	for i, s := range samples {
		if i%10 == 9 || i == len(samples)-1 {
			t.Logf("t=%3.0fs  archived %6d  rss %4d MiB  peak %4d MiB  cpu %6.1fs", s.at.Seconds(), s.captures, s.rss>>20, s.hwm>>20, s.cpu)
		}
	}
	t.Logf("frontier: %d pending URLs over %d hosts; queue at the end: due %.0f, scheduled %.0f, leased %.0f",
		n, hosts, metricValue(metrics, `archivist_queue_depth{state="due"}`), metricValue(metrics, `archivist_queue_depth{state="scheduled"}`),
		metricValue(metrics, `archivist_queue_depth{state="leased"}`))
	t.Logf("archived %d pages in %s: %.1f pages/s, %.2f ms CPU a page (daemon process)", last.captures, last.at.Round(time.Second),
		float64(last.captures)/last.at.Seconds(), 1000*last.cpu/max(1, float64(last.captures)))
	t.Logf("peak resident memory (VmHWM) %d MiB; resident at the end %d MiB; Go heap in use at the end %.0f MiB",
		last.hwm>>20, last.rss>>20, metricValue(metrics, "go_memstats_heap_inuse_bytes")/(1<<20))
	sort.Slice(statusTimes, func(i, j int) bool { return statusTimes[i] < statusTimes[j] })
	t.Logf("`archivist status` while serving: %v", statusTimes)
	if last.captures == 0 {
		t.Errorf("nothing was archived in %s: the measurement says nothing\n%s", run, tailLines(p.stderr.String(), 30))
	}
	if last.hwm >= frontierMemLimit {
		t.Errorf("peak resident memory %d MiB, want under %d MiB", last.hwm>>20, frontierMemLimit>>20)
	}
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// loadEvalPages reads the real article pages the fixture serves.
func loadEvalPages(t *testing.T) [][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(evalPagesDir, "*.html.gz"))
	if err != nil || len(files) == 0 {
		t.Skipf("article pages not found in %s (%v): they live in ../shared/eval", evalPagesDir, err)
	}
	sort.Strings(files)
	var pages [][]byte
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		page, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		pages = append(pages, page)
	}
	return pages
}

// manyHosts is the fixture: one listener per host, each on its own
// loopback address (127.1.x.y; Linux routes all of 127/8 to lo), so the
// daemon's politeness sees as many hosts as there are listeners without a
// resolver. Each serves a permissive robots.txt, an empty sitemap and
// /news/N.html: real article page N modulo the corpus with a canonical link
// to itself and the story number, so every URL is a distinct capture.
type manyHosts struct {
	origins []string // http://127.1.x.y:port
	pages   [][]byte
}

func startManyHosts(t *testing.T, hosts int, pages [][]byte) *manyHosts {
	t.Helper()
	s := &manyHosts{pages: pages}
	head := regexp.MustCompile(`(?i)<head[^>]*>`)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/robots.txt":
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "User-agent: *\nAllow: /\n")
		case r.URL.Path == "/sitemap.xml":
			w.Header().Set("Content-Type", "application/xml")
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>`)
		case strings.HasPrefix(r.URL.Path, "/news/") && strings.HasSuffix(r.URL.Path, ".html"):
			i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/news/"), ".html"))
			if err != nil || i < 0 {
				http.NotFound(w, r)
				return
			}
			page := s.pages[i%len(s.pages)]
			self := fmt.Sprintf(`<link rel="canonical" href="http://%s%s"><!-- story %d -->`, r.Host, r.URL.Path, i)
			at := len(page)
			if loc := head.FindIndex(page); loc != nil {
				at = loc[1]
			}
			w.Header().Set("Content-Type", "text/html")
			w.Write(page[:at])
			io.WriteString(w, self)
			w.Write(page[at:])
		default:
			http.NotFound(w, r)
		}
	})
	for i := range hosts {
		addr := fmt.Sprintf("127.1.%d.%d:0", i/250, i%250+1)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("listen on %s (the fixture needs the loopback range 127/8): %v", addr, err)
		}
		srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		s.origins = append(s.origins, "http://"+ln.Addr().String())
	}
	return s
}

func (s *manyHosts) sitemapURL() string { return s.origins[0] + "/sitemap.xml" }

// fillFrontier queues n URLs through the frontier API, each host's share
// in one batch with one discovery time, as a poll of its sitemap would.
func fillFrontier(t *testing.T, path string, site *manyHosts, n int) {
	t.Helper()
	ctx := context.Background()
	fr, err := frontiersqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fr.Close()
	hosts := len(site.origins)
	at := time.Now().Add(-time.Hour)
	const batch = 5000
	ds := make([]frontier.Discovered, 0, batch)
	for h := range hosts {
		via := site.origins[h] + "/sitemap.xml"
		for i := h; i < n; i += hosts {
			ds = append(ds, frontier.Discovered{URL: fmt.Sprintf("%s/news/%d.html", site.origins[h], i), Depth: 1, Discovery: archive.Discovery{
				Source: "bulk", Kind: "sitemap", FoundAt: at.Add(time.Duration(h) * time.Millisecond), Via: via, Position: i/hosts + 1,
			}})
			if len(ds) == batch {
				if _, err := fr.Discover(ctx, ds); err != nil {
					t.Fatal(err)
				}
				ds = ds[:0]
			}
		}
	}
	if _, err := fr.Discover(ctx, ds); err != nil {
		t.Fatal(err)
	}
}

// procMemory returns a process's resident memory now and at its peak.
func procMemory(t *testing.T, pid int) (rss, hwm int64) {
	t.Helper()
	r, h, ok := bench.ProcMemory(pid)
	if !ok {
		t.Fatalf("read memory of serve (pid %d) from /proc: not available", pid)
	}
	return int64(r), int64(h)
}

// cpuSeconds is a process's user and system CPU time so far.
func cpuSeconds(t *testing.T, pid int) float64 {
	t.Helper()
	user, sys, ok := bench.ProcCPU(pid)
	if !ok {
		t.Fatalf("read CPU time of serve (pid %d) from /proc: not available", pid)
	}
	return (user + sys).Seconds()
}

// metricValue is the value of one Prometheus sample (name with labels, as
// printed), or 0 when absent.
func metricValue(text, name string) float64 {
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			v, _ := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v
		}
	}
	return 0
}

func saveProfile(t *testing.T, url, path string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Errorf("profile: %v", err)
		return
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("profile %s: %d %v", url, resp.StatusCode, err)
		return
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Errorf("profile: %v", err)
		return
	}
	t.Logf("saved %s (go tool pprof %s)", path, path)
}
