package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive/versions"
	"github.com/archivist-project/archivist/cmd/archivist/internal/demosite"
)

// daemonProc is a running `archivist serve`.
type daemonProc struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	base   string // http://ADDR of /healthz and /metrics
	exited chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var listenLine = regexp.MustCompile(`/healthz and /metrics on (http://[0-9.:]+)`)

func binEnv(t *testing.T) []string {
	return []string{"HOME=" + t.TempDir(), "PATH=/usr/bin:/bin", "ARCHIVIST_TEST_LOOPBACK_ONLY=1"}
}

func startServe(t *testing.T, bin, cfg string) *daemonProc {
	t.Helper()
	return startServeEnv(t, bin, cfg, binEnv(t), 20*time.Second)
}

// startServeEnv starts `archivist serve --config cfg` with env, waits up
// to limit for it to listen and for /healthz to answer 200, and kills it
// when the test ends if it is still running.
func startServeEnv(t *testing.T, bin, cfg string, env []string, limit time.Duration) *daemonProc {
	t.Helper()
	p := &daemonProc{stderr: &lockedBuffer{}, exited: make(chan error, 1)}
	p.cmd = exec.Command(bin, "serve", "--config", cfg)
	p.cmd.Env = env
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	poll(t, limit, "serve to listen", func() bool {
		if m := listenLine.FindStringSubmatch(p.stderr.String()); m != nil {
			p.base = m[1]
			return true
		}
		select {
		case err := <-p.exited:
			p.exited <- err
			t.Fatalf("serve exited at start: %v\n%s", err, tailLines(p.stderr.String(), 30))
		default:
		}
		return false
	})
	poll(t, limit, "/healthz to answer 200", func() bool { code, _ := fetch(p.base + "/healthz"); return code == 200 })
	return p
}

// wait returns the exit code and how long the process took to exit.
func (p *daemonProc) wait(t *testing.T, limit time.Duration) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	select {
	case err := <-p.exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), time.Since(start)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, time.Since(start)
	case <-time.After(limit):
		t.Fatalf("serve did not exit within %s\n%s", limit, tailLines(p.stderr.String(), 30))
	}
	return -1, 0
}

func poll(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func fetch(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func tailLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// archiveCmd runs a read-only archivist command on the data directory.
func archiveCmd(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = binEnv(t)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("archivist %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String()
}

func chainOf(t *testing.T, bin, data, url string) []versions.Version {
	t.Helper()
	cmd := exec.Command(bin, "get", "--data", data, url, "--versions", "--format", "json")
	cmd.Env = binEnv(t)
	out, err := cmd.Output()
	if err != nil {
		return nil // not captured yet
	}
	var chain []versions.Version
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var v versions.Version
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		chain = append(chain, v)
	}
	return chain
}

// TestDaemonSurvivesKill9 runs the real binary against the demo site:
// kill -9 in the middle of the crawl, start again, and check that every
// article is archived exactly once as a full capture (later fetches only
// as revisits), that the developing story's second edition is a new
// version linked to the first, that SIGTERM drains and exits 0 within the
// bound, that a second signal exits at once, and that the next start
// recovers.
func TestDaemonSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "archivist")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	site, err := demosite.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer site.Close()
	// In the first run the site serves articles one at a time, slowly, and
	// holds the third request until the daemon has been killed: the kill
	// lands in the middle of the crawl whatever the machine's speed.
	var slow sync.Mutex // guards the fields below
	var serial sync.Mutex
	block := make(chan struct{})
	arrived := make(chan struct{}, 1)
	third, release := make(chan struct{}), make(chan struct{})
	blocking, serialize, articles := false, true, 0
	site.OnRequest(func(outlet, path string) {
		slow.Lock()
		b, ser := blocking, serialize
		slow.Unlock()
		if b && path == demosite.TopicPath {
			select {
			case arrived <- struct{}{}:
			default:
			}
			<-block
			return
		}
		if path != demosite.ArticlePaths[outlet] && path != demosite.LivePath {
			return
		}
		if ser {
			serial.Lock()
			defer serial.Unlock()
			slow.Lock()
			articles++
			n := articles
			slow.Unlock()
			if n == 3 {
				close(third)
				<-release
			}
		}
		time.Sleep(200 * time.Millisecond)
	})
	defer func() {
		slow.Lock()
		if blocking {
			close(block)
			blocking = false
		}
		slow.Unlock()
	}()

	data := t.TempDir()
	loopback := `'^http://127\.0\.0\.1:'`
	cfg := filepath.Join(t.TempDir(), "archivist.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`data: %s
crawl:
  allow_private_networks: true
  per_host_delay: 10ms
sources:
  - {name: topic, url: '%s', kind: page, interval: 2s, include: [%s]}
  - {name: rss, url: '%s', kind: feed, interval: 2s, include: [%s]}
  - {name: wire, url: '%s', kind: sitemap, interval: 2s, include: [%s]}
revisit_schedule: [2s, 4s, 6s, 8s, 10s, 12s]
serve:
  listen: 127.0.0.1:0
  drain_timeout: 3s
  lease: 20s
log:
  format: json
`, data, site.TopicURL(), loopback, site.URL("daily8", demosite.RSSPath), loopback, site.URL("wire", demosite.SitemapIndexPath), loopback)), 0o644); err != nil {
		t.Fatal(err)
	}
	pages := []string{site.TopicURL(), site.LiveURL()}
	for outlet := range demosite.ArticlePaths {
		pages = append(pages, site.ArticleURL(outlet))
	}
	captured := func() int {
		n := 0
		for _, line := range strings.Split(strings.TrimSpace(archiveCmd(t, bin, "list", "--data", data, "--json")), "\n") {
			if line != "" {
				n++
			}
		}
		return n
	}

	// Run 1: killed with SIGKILL while the third article is being served,
	// once the first capture is in.
	p1 := startServe(t, bin, cfg)
	select {
	case <-third:
	case <-time.After(60 * time.Second):
		t.Fatalf("the third article was not requested within 60s\n%s", tailLines(p1.stderr.String(), 20))
	}
	poll(t, 30*time.Second, "a first capture", func() bool {
		_, err := os.Stat(filepath.Join(data, "catalog.db"))
		return err == nil && captured() > 0
	})
	p1.cmd.Process.Kill()
	p1.wait(t, 10*time.Second)
	slow.Lock()
	serialize = false
	slow.Unlock()
	close(release)
	atKill := captured()
	t.Logf("killed with %d of %d pages captured", atKill, len(pages))
	if atKill >= len(pages) {
		t.Errorf("the crawl had already finished when killed (%d captures): the test proves nothing", atKill)
	}

	// Run 2: picks up where run 1 died.
	p2 := startServe(t, bin, cfg)
	poll(t, 60*time.Second, "every page archived after the restart", func() bool {
		for _, u := range pages {
			if len(chainOf(t, bin, data, u)) == 0 {
				return false
			}
		}
		return true
	})
	code, health := fetch(p2.base + "/healthz")
	if code != 200 || !strings.Contains(health, `"status":"ok"`) {
		t.Errorf("healthz = %d %s", code, health)
	}
	_, metrics := fetch(p2.base + "/metrics")
	for _, name := range []string{"archivist_fetches_total", "archivist_captures_total", "archivist_queue_depth", "archivist_hosts_in_backoff",
		"archivist_store_errors_total", "archivist_extraction_failures_total", "process_resident_memory_bytes"} {
		if !strings.Contains(metrics, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if !strings.Contains(p2.stderr.String(), `"reclaimed_leases"`) {
		t.Errorf("no JSON log of the start")
	}

	// The story changes; a scheduled revisit records the new version.
	site.Advance(demosite.LiveUpdateAfter)
	poll(t, 60*time.Second, "the story's second version", func() bool {
		c := chainOf(t, bin, data, site.LiveURL())
		return len(c) > 0 && c[len(c)-1].Content == 2
	})

	// SIGTERM: drain and exit 0 within drain_timeout plus grace.
	p2.cmd.Process.Signal(syscall.SIGTERM)
	if code, took := p2.wait(t, 30*time.Second); code != 0 || took > 15*time.Second {
		t.Errorf("SIGTERM: exit %d after %s, want 0 within 15s\n%s", code, took, tailLines(p2.stderr.String(), 20))
	}

	// Every page: exactly one full capture per content version, the rest
	// revisits, each linked to the capture before.
	for _, u := range pages {
		chain := chainOf(t, bin, data, u)
		full := 0
		for i, v := range chain {
			if v.Kind == "response" {
				full++
			} else if v.Kind != "revisit" {
				t.Errorf("%s: capture %s has kind %q", u, v.CaptureID, v.Kind)
			}
			if i > 0 && v.PreviousCaptureID != chain[i-1].CaptureID {
				t.Errorf("%s: capture %s links to %q, not %s", u, v.CaptureID, v.PreviousCaptureID, chain[i-1].CaptureID)
			}
		}
		wantFull := 1
		if u == site.LiveURL() {
			wantFull = 2
		}
		if full != wantFull {
			t.Errorf("%s: %d full captures, want %d: %+v", u, full, wantFull, chain)
		}
	}
	live := chainOf(t, bin, data, site.LiveURL())
	for _, v := range live {
		if v.Content == 2 && v.Kind == "response" && strings.Join(v.Changed, ",") != "headline,byline,dates,body" {
			t.Errorf("the new version says it changed %v", v.Changed)
		}
	}
	diff := archiveCmd(t, bin, "diff", "--data", data, site.LiveURL())
	if !strings.Contains(diff, "+ "+demosite.LiveHeadline(2)) {
		t.Errorf("diff:\n%s", diff)
	}
	// verify: clean, except that a kill between the provenance record and
	// the catalog row leaves an orphan, which verify rightly reports.
	vcmd := exec.Command(bin, "verify", "--data", data)
	vcmd.Env = binEnv(t)
	vout, _ := vcmd.CombinedOutput()
	for _, line := range strings.Split(string(vout), "\n") {
		if strings.HasPrefix(line, "missing") || strings.HasPrefix(line, "sha256") || strings.HasPrefix(line, "warc") ||
			strings.HasPrefix(line, "revisit") || strings.HasPrefix(line, "size") || strings.HasPrefix(line, "unreadable") {
			t.Errorf("verify: %s", line)
		}
	}

	// Run 3: a second signal while work is in flight exits at once.
	slow.Lock()
	blocking = true
	slow.Unlock()
	p3 := startServe(t, bin, cfg)
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("the topic page was not polled again within 30s")
	}
	p3.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond)
	p3.cmd.Process.Signal(syscall.SIGTERM)
	if code, took := p3.wait(t, 10*time.Second); code == 0 || took > 2*time.Second {
		t.Errorf("second signal: exit %d after %s, want nonzero at once\n%s", code, took, tailLines(p3.stderr.String(), 20))
	}
	slow.Lock()
	close(block)
	blocking = false
	slow.Unlock()

	// Run 4: recovers the abandoned lease and runs normally.
	p4 := startServe(t, bin, cfg)
	if !regexp.MustCompile(`"reclaimed_leases":[1-9]`).MatchString(p4.stderr.String()) {
		t.Errorf("the abandoned lease was not reclaimed:\n%s", tailLines(p4.stderr.String(), 20))
	}
	p4.cmd.Process.Signal(syscall.SIGINT)
	if code, _ := p4.wait(t, 30*time.Second); code != 0 {
		t.Errorf("SIGINT: exit %d\n%s", code, tailLines(p4.stderr.String(), 20))
	}
	// Whether the sources count as stalled yet depends on how long the
	// run took (exit 3 then); status_test checks stalls on a set clock.
	scmd := exec.Command(bin, "status", "--config", cfg)
	scmd.Env = binEnv(t)
	sout, err := scmd.Output()
	var ee *exec.ExitError
	if err != nil && (!errors.As(err, &ee) || ee.ExitCode() != 3) {
		t.Errorf("status: %v", err)
	}
	for _, want := range []string{"topic", "rss", "wire", "ARCHIVED", "6         0"} {
		if !strings.Contains(string(sout), want) {
			t.Errorf("status lacks %q:\n%s", want, sout)
		}
	}
}
