package benchsite

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// evalDir is the extraction benchmark, from this package's directory.
var evalDir = filepath.Join("..", "..", "..", "..", DefaultEvalDir)

func loadCorpus(t *testing.T) *Corpus {
	t.Helper()
	c, err := LoadCorpus(evalDir)
	if err != nil {
		t.Skipf("benchmark pages not found (%v): they live in ../shared/eval", err)
	}
	return c
}

// serve starts the site on loopback and returns a client whose every
// connection goes to it, whatever host a URL names, and the port.
func serve(t *testing.T, s *Site) (*http.Client, string) {
	t.Helper()
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, hostport string) (net.Conn, error) {
			host, _, _ := net.SplitHostPort(hostport)
			if _, err := (Resolver{}).LookupNetIP(ctx, "ip", host); err != nil {
				return nil, err
			}
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
		DisableCompression: true,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}, port
}

func get(t *testing.T, c *http.Client, u string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp, body
}

func TestDeterministic(t *testing.T) {
	c := loadCorpus(t)
	a, err := New(c, Options{Pages: 60, PerHost: 7, Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(c, Options{Pages: 60, PerHost: 7, Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	other, err := New(c, Options{Pages: 60, PerHost: 7, Seed: 43})
	if err != nil {
		t.Fatal(err)
	}
	if a.Hosts() != 9 || a.Pages() != 60 {
		t.Fatalf("60 pages at 7 a host: got %d hosts, %d pages; want 9, 60", a.Hosts(), a.Pages())
	}
	if strings.Join(a.ArticleURLs("80"), " ") != strings.Join(b.ArticleURLs("80"), " ") ||
		strings.Join(a.SeedURLs("80"), " ") != strings.Join(b.SeedURLs("80"), " ") {
		t.Fatal("two sites with the same seed have different URLs")
	}
	if strings.Join(a.ArticleURLs("80"), " ") == strings.Join(other.ArticleURLs("80"), " ") {
		t.Error("another seed gave the same layout")
	}
	for i := range a.Pages() {
		if !bytes.Equal(a.ArticleBody(i, "80"), b.ArticleBody(i, "80")) {
			t.Fatalf("article %d differs between two sites with the same seed", i)
		}
	}
	for h := range a.Hosts() {
		for _, target := range []string{"/robots.txt", "/feed.xml", "/sitemap.xml"} {
			pa, _ := a.Render(a.HostName(h), "80", target)
			pb, _ := b.Render(b.HostName(h), "80", target)
			if !bytes.Equal(pa.Body, pb.Body) {
				t.Fatalf("%s%s differs between two sites with the same seed", a.HostName(h), target)
			}
		}
	}
}

var hrefRE = regexp.MustCompile(`<a [^>]*href="([^"]+)"`)

// TestEveryArticleReachable crawls each host from its first section page
// over HTTP, following links on its own host, and expects to find exactly
// that host's articles among the pages it reaches.
func TestEveryArticleReachable(t *testing.T) {
	c := loadCorpus(t)
	s, err := New(c, Options{Pages: 95, PerHost: 10, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	client, port := serve(t, s)
	articles := map[string]bool{}
	for _, u := range s.ArticleURLs(port) {
		articles[u] = true
	}
	paginated := 0
	reached := map[string]bool{}
	for h := range s.Hosts() {
		first := s.origin(h, port) + listingTarget(s.hosts[h].section, 0)
		queue, seen := []string{first}, map[string]bool{first: true}
		for len(queue) > 0 {
			u := queue[0]
			queue = queue[1:]
			resp, body := get(t, client, u)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %s", u, resp.Status)
			}
			if articles[u] {
				reached[u] = true
				continue // related links are other hosts' business
			}
			if u != first {
				paginated++
			}
			for _, m := range hrefRE.FindAllSubmatch(body, -1) {
				link := string(m[1])
				pu, err := url.Parse(link)
				if err != nil || pu.Hostname() != s.HostName(h) {
					t.Errorf("section page %s links off its host: %s", u, link)
					continue
				}
				if !seen[link] {
					seen[link] = true
					queue = append(queue, link)
				}
			}
		}
	}
	for u := range articles {
		if !reached[u] {
			t.Errorf("article %s is not reachable from its host's section page", u)
		}
	}
	if paginated == 0 {
		t.Error("no host paginates its section page")
	}
	if got, want := len(s.SeedURLs(port)), s.Hosts()+paginated; got != want {
		t.Errorf("%d seed URLs, want one per section page (%d)", got, want)
	}
}

var (
	canonicalTag = regexp.MustCompile(`(?i)<link[^>]*rel\s*=\s*["']?canonical[^>]*>`)
	ogURLTag     = regexp.MustCompile(`(?i)<meta[^>]*property\s*=\s*["']?og:url[^>]*>`)
	baseTag      = regexp.MustCompile(`(?i)<base[\s/>]`)
)

// TestPagesUnique checks that no two articles share a payload and that each
// claims its own fixture URL as canonical, even when several come from one
// source page.
func TestPagesUnique(t *testing.T) {
	c := loadCorpus(t)
	s, err := New(c, Options{Pages: 2*c.Len() + 10, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[[32]byte]int{}
	urls := map[string]bool{}
	for i := range s.Pages() {
		u := s.ArticleURL(i, "8123")
		if urls[u] {
			t.Fatalf("two articles at %s", u)
		}
		urls[u] = true
		body := s.ArticleBody(i, "8123")
		sum := sha256.Sum256(body)
		if j, dup := seen[sum]; dup {
			t.Fatalf("articles %d and %d have the same bytes", j, i)
		}
		seen[sum] = i
		tags := canonicalTag.FindAll(body, -1)
		if len(tags) != 1 || !bytes.Contains(tags[0], []byte(`href="`+u+`"`)) {
			t.Fatalf("article %d (%s): canonical links %q, want exactly its own URL", i, u, tags)
		}
		if og := ogURLTag.FindAll(body, -1); len(og) != 1 || !bytes.Contains(og[0], []byte(u)) {
			t.Fatalf("article %d (%s): og:url %q, want exactly its own URL", i, u, og)
		}
		if baseTag.Match(body) {
			t.Fatalf("article %d (%s) keeps a <base> of its source page", i, u)
		}
		if !bytes.Contains(body, []byte("bench-dateline")) {
			t.Fatalf("article %d has no dateline", i)
		}
	}
}

func TestServing(t *testing.T) {
	c := loadCorpus(t)
	s, err := New(c, Options{Pages: 20, PerHost: 10, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	client, port := serve(t, s)
	u := s.ArticleURL(0, port)
	resp, body := get(t, client, u)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, s.ArticleBody(0, port)) {
		t.Fatalf("GET %s: %s, %d bytes; want 200 and the article", u, resp.Status, len(body))
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html; charset=") {
		t.Errorf("Content-Type %q, want text/html with a charset", ct)
	}
	etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if etag == "" || lm == "" {
		t.Fatalf("no validators: ETag %q, Last-Modified %q", etag, lm)
	}
	if r, _ := get(t, client, u, "If-None-Match", etag); r.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match with the ETag: %s, want 304", r.Status)
	}
	if r, _ := get(t, client, u, "If-Modified-Since", lm); r.StatusCode != http.StatusNotModified {
		t.Errorf("If-Modified-Since Last-Modified: %s, want 304", r.Status)
	}
	if r, _ := get(t, client, u, "If-None-Match", `"other"`); r.StatusCode != http.StatusOK {
		t.Errorf("If-None-Match with another ETag: %s, want 200", r.Status)
	}

	r, gz := get(t, client, u, "Accept-Encoding", "gzip, deflate")
	if r.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Accept-Encoding gzip: Content-Encoding %q", r.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := io.ReadAll(zr); err != nil || !bytes.Equal(plain, body) {
		t.Errorf("gzip body does not decode to the page (%v)", err)
	}
	if r, _ := get(t, client, u, "Accept-Encoding", "gzip;q=0"); r.Header.Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 still got gzip")
	}

	// Host dispatch: the same target on another host is not there.
	other := strings.Replace(u, s.HostName(0), s.HostName(1), 1)
	if r, _ := get(t, client, other); r.StatusCode != http.StatusNotFound {
		t.Errorf("article 0's path on host 1: %s, want 404", r.Status)
	}
	for _, bad := range []string{
		"http://h9999." + Domain + ":" + port + "/robots.txt",
		"http://localhost:" + port + "/robots.txt",
		"http://" + s.HostName(0) + ":" + port + "/no-such-page",
	} {
		if r, _ := get(t, client, bad); r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %s, want 404", bad, r.Status)
		}
	}

	r, robots := get(t, client, "http://"+s.HostName(1)+":"+port+"/robots.txt")
	if r.StatusCode != http.StatusOK || !strings.Contains(string(robots), "Allow: /") || strings.Contains(string(robots), "Disallow") {
		t.Errorf("robots.txt: %s %q, want 200 allowing everything", r.Status, robots)
	}
	_, feed := get(t, client, "http://"+s.HostName(1)+":"+port+"/feed.xml")
	_, sitemap := get(t, client, "http://"+s.HostName(1)+":"+port+"/sitemap.xml")
	for i := 10; i < 20; i++ {
		au := s.ArticleURL(i, port)
		esc := strings.ReplaceAll(au, "&", "&amp;")
		if !strings.Contains(string(feed), "<link>"+esc+"</link>") || !strings.Contains(string(sitemap), "<loc>"+esc+"</loc>") {
			t.Errorf("feed or sitemap of host 1 lacks %s", au)
		}
	}
}

func TestResolver(t *testing.T) {
	ctx := context.Background()
	for host, want := range map[string]string{
		"h0001." + Domain: "127.0.0.1",
		"H0042." + Domain: "127.0.0.1",
		"localhost":       "127.0.0.1",
		"127.0.0.2":       "127.0.0.2",
		"[::1]":           "::1",
	} {
		addrs, err := (Resolver{}).LookupNetIP(ctx, "ip", host)
		if err != nil || len(addrs) != 1 || addrs[0].String() != want {
			t.Errorf("resolve %s: %v %v, want %s", host, addrs, err, want)
		}
	}
	for _, host := range []string{"example.com", Domain, "bench.test.example.com", "10.0.0.1", "169.254.169.254"} {
		if addrs, err := (Resolver{}).LookupNetIP(ctx, "ip", host); err == nil {
			t.Errorf("resolve %s: %v, want an error", host, addrs)
		}
	}
}

func TestOptionsChecked(t *testing.T) {
	c := loadCorpus(t)
	for _, o := range []Options{{Pages: 0}, {Pages: 10, PerHost: -1}} {
		if _, err := New(c, o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
	if _, err := New(nil, Options{Pages: 1}); err == nil {
		t.Error("New without a corpus accepted")
	}
}
