package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"html"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/catalog/sqlite"
)

// newsroom is the fault tests' news site: a listing of n articles, each
// served after delay, so that a crawl of it lasts long enough to be
// killed, starved of storage or cut off from its store part way. Every
// article's bytes are the same on every request (a refetch is a revisit).
type newsroom struct {
	srv   *httptest.Server
	n     int
	delay time.Duration
	size  int // approximate bytes of article text

	mu       sync.Mutex
	inflight int
	requests int
}

func newNewsroom(t *testing.T, n int, delay time.Duration, size int) *newsroom {
	t.Helper()
	s := &newsroom{n: n, delay: delay, size: size}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *newsroom) listURL() string { return s.srv.URL + "/" }

func (s *newsroom) articleURL(i int) string { return s.srv.URL + "/story/" + strconv.Itoa(i) }

func (s *newsroom) articleURLs() []string {
	out := make([]string, s.n)
	for i := range s.n {
		out[i] = s.articleURL(i + 1)
	}
	return out
}

// inFlight is how many article requests are being answered now.
func (s *newsroom) inFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inflight
}

func (s *newsroom) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		var b strings.Builder
		b.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Newsroom</title></head><body><main><h1>Latest</h1><ul>`)
		for i := 1; i <= s.n; i++ {
			fmt.Fprintf(&b, "<li><a href=\"/story/%d\">%s</a></li>\n", i, html.EscapeString(nrHeadline(i)))
		}
		b.WriteString("</ul></main></body></html>")
		fmt.Fprint(w, b.String())
	case strings.HasPrefix(r.URL.Path, "/story/"):
		i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/story/"))
		if err != nil || i < 1 || i > s.n {
			http.NotFound(w, r)
			return
		}
		s.mu.Lock()
		s.inflight++
		s.requests++
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.inflight--
			s.mu.Unlock()
		}()
		select {
		case <-time.After(s.delay):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(nrStoryPage(i, s.size))
	default:
		http.NotFound(w, r)
	}
}

func nrHeadline(i int) string { return fmt.Sprintf("Council story number %d", i) }

// nrWords is the vocabulary of the generated stories.
var nrWords = strings.Fields(`council library budget residents petition vote minister court review hearing
statute evidence report committee spring district reading room evening staff decision official
harbour ferry schedule bridge repair tender contract audit inquiry witness record archive river
school teacher parent transport tram route fare station platform winter storm power outage grid`)

// nrStoryPage is article i: deterministic, unique, about size bytes of text.
func nrStoryPage(i, size int) []byte {
	h := fnv.New64a()
	fmt.Fprint(h, i)
	rng := rand.New(rand.NewPCG(h.Sum64(), 7))
	var b bytes.Buffer
	fmt.Fprintf(&b, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>%s</title>
<meta property="og:type" content="article"><meta name="author" content="Ana Ruiz">
<meta property="article:published_time" content="2025-07-08T10:00:00Z"></head><body><article><h1>%s</h1>`, nrHeadline(i), nrHeadline(i))
	for b.Len() < size {
		b.WriteString("<p>")
		fmt.Fprintf(&b, "Story %d. ", i)
		for range 40 {
			b.WriteString(nrWords[rng.IntN(len(nrWords))])
			b.WriteByte(' ')
		}
		b.WriteString("the end of the paragraph.</p>\n")
	}
	b.WriteString("</article></body></html>")
	return b.Bytes()
}

// faultEnv is the binary's environment: loopback only, and the store's
// credentials when env names them.
func faultEnv(t *testing.T, extra ...string) []string {
	return append(binEnv(t), extra...)
}

// faultServe starts `archivist serve` with env and waits for /healthz.
func faultServe(t *testing.T, bin, cfg string, env []string) *daemonProc {
	t.Helper()
	return startServeEnv(t, bin, cfg, env, 30*time.Second)
}

// faultRun runs an archivist command and returns its output and exit code.
func faultRun(t *testing.T, bin string, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), errOut.String(), ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errOut.String(), 0
}

// faultCatalog reads every catalog row of a data directory (with no
// daemon running, or beside one: the catalog is WAL).
func faultCatalog(t *testing.T, data string) []catalog.Entry {
	t.Helper()
	cat, err := sqlite.Open(context.Background(), filepath.Join(data, "catalog.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	var out []catalog.Entry
	if err := cat.List(context.Background(), catalog.Filter{}, func(e catalog.Entry) error {
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// faultKinds counts, per final URL, the full captures and revisits.
func faultKinds(entries []catalog.Entry) map[string][2]int {
	out := map[string][2]int{}
	for _, e := range entries {
		c := out[e.FinalURL]
		if e.Kind == "revisit" {
			c[1]++
		} else {
			c[0]++
		}
		out[e.FinalURL] = c
	}
	return out
}

// faultArchivedOnce fails the test unless every article has exactly one
// full capture (any further fetch recorded as a revisit).
func faultArchivedOnce(t *testing.T, site *newsroom, entries []catalog.Entry) {
	t.Helper()
	kinds := faultKinds(entries)
	for _, u := range site.articleURLs() {
		if k := kinds[u]; k[0] != 1 {
			t.Errorf("%s: %d full captures and %d revisits, want exactly 1 full capture", u, k[0], k[1])
		}
	}
}

// faultVerify runs `archivist verify` and fails the test on any problem;
// it returns the number of leftovers of interrupted captures it noted.
func faultVerify(t *testing.T, bin string, env []string, data string) int {
	t.Helper()
	out, errOut, code := faultRun(t, bin, env, "verify", "--data", data)
	if code != 0 || !strings.Contains(out, ": 0 problems") {
		t.Errorf("verify: exit %d\n%s\n%s", code, tailLines(out, 30), errOut)
	}
	leftovers := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "leftover ") {
			leftovers++
		}
	}
	return leftovers
}

// faultAllArchived reports whether every article has a catalogued capture.
func faultAllArchived(t *testing.T, site *newsroom, data string) bool {
	kinds := faultKinds(faultCatalog(t, data))
	for _, u := range site.articleURLs() {
		if kinds[u][0] == 0 {
			return false
		}
	}
	return true
}

var faultStoreErrors = regexp.MustCompile(`(?m)^archivist_store_errors_total ([0-9.e+]+)$`)

// faultConfig writes a serve config for the newsroom.
func faultConfig(t *testing.T, data, store string, site *newsroom, extra string) string {
	t.Helper()
	cfg := fmt.Sprintf(`data: %s
store: '%s'
crawl:
  allow_private_networks: true
  per_host_delay: 10ms
sources:
  - {name: newsroom, url: '%s', kind: page, interval: 2s}
hosts:
  127.0.0.1: {parallelism: 3, delay: 10ms}
serve:
  listen: 127.0.0.1:0
  workers: 4
  drain_timeout: 2s
  lease: 10s
  store_retry: 2s
log:
  format: json
%s`, data, store, site.listURL(), extra)
	path := filepath.Join(t.TempDir(), "archivist.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
