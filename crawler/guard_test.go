package crawler

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestPrivateNetworksRefusedByDefault(t *testing.T) {
	f := newNewsFixture(t)
	cfg := testConfig(t, f.resolver)
	cfg.AllowPrivateNetworks = false
	seed := f.daily.url("/topics/climate")
	sum := runCrawl(t, cfg, newTestSink(), seed)

	r := resultFor(t, sum, seed)
	want := "fetch " + seed + ": refused to connect to loopback address 127.0.0.1 (set allow_private_networks to allow)"
	if r.Status != StatusFailed || r.Reason != want {
		t.Errorf("result = %+v\nwant reason %q", r, want)
	}
	if n := f.daily.totalHits(); n != 0 {
		t.Errorf("the loopback server received %d requests", n)
	}
}

// mappedDialer connects the documentation address publicIP to a loopback
// test server and fails the test on any other dial, so redirects to other
// addresses can be exercised without a packet leaving the machine.
type mappedDialer struct {
	t        *testing.T
	publicIP string
	target   string // 127.0.0.1:port
	mu       sync.Mutex
	dials    []string
}

func (d *mappedDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	d.mu.Lock()
	d.dials = append(d.dials, address)
	d.mu.Unlock()
	host, _, _ := net.SplitHostPort(address)
	if host != d.publicIP {
		d.t.Errorf("dial to %s: only %s may be dialled", address, d.publicIP)
		return nil, errors.New("test dialer: refused")
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, d.target)
}

func TestRedirectToPrivateAddressRefused(t *testing.T) {
	s := newSite(t, "outlet.test")
	s.redirect("/jump", "http://intranet.test/admin", http.StatusFound)
	resolver := newTestResolver().set("outlet.test", "203.0.113.10").set("intranet.test", "10.0.0.5")
	cfg := testConfig(t, resolver)
	cfg.AllowPrivateNetworks = false
	cfg.Dialer = &mappedDialer{t: t, publicIP: "203.0.113.10", target: s.srv.Listener.Addr().String()}
	sink := newTestSink()
	seed := s.url("/jump")
	sum := runCrawl(t, cfg, sink, seed)

	r := resultFor(t, sum, seed)
	want := "fetch http://intranet.test/admin: refused to connect to private address 10.0.0.5 (set allow_private_networks to allow)"
	if r.Status != StatusFailed || r.Reason != want || r.HTTPStatus != http.StatusFound {
		t.Errorf("result = %+v\nwant failed with reason %q", r, want)
	}
	if s.hitCount("/jump") != 1 {
		t.Error("the public hop was not fetched")
	}
	if sink.exchange(seed) != nil {
		t.Error("a refused fetch reached the sink")
	}
}

func TestProxyFromEnvironment(t *testing.T) {
	var mu sync.Mutex
	var proxied []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		proxied = append(proxied, r.URL.String())
		mu.Unlock()
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, article("Via proxy", "", ""))
	}))
	t.Cleanup(proxy.Close)

	resolver := newTestResolver().set("news.example", "93.184.216.34").set("intranet.example", "10.0.0.5")
	cfg := testConfig(t, resolver)
	cfg.AllowPrivateNetworks = false // the proxy is on loopback all the same
	cfg.MaxDepth = 0
	proxyAddr := proxy.Listener.Addr().String()
	cfg.Dialer = dialerFunc(func(ctx context.Context, network, address string) (net.Conn, error) {
		if address != proxyAddr {
			t.Errorf("dial to %s: everything must go through the proxy at %s", address, proxyAddr)
			return nil, errors.New("test dialer: refused")
		}
		var nd net.Dialer
		return nd.DialContext(ctx, network, address)
	})
	t.Setenv("HTTP_PROXY", proxy.URL)

	sum := runCrawl(t, cfg, newTestSink(), "http://news.example/story", "http://intranet.example/admin")
	if r := resultFor(t, sum, "http://news.example/story"); r.Status != StatusArchived {
		t.Errorf("proxied fetch result = %+v", r)
	}
	r := resultFor(t, sum, "http://intranet.example/admin")
	if r.Status != StatusFailed || r.Reason != "fetch http://intranet.example/admin: refused to connect to private address 10.0.0.5 (set allow_private_networks to allow)" {
		t.Errorf("private target through proxy: %+v", r)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(proxied) != 2 || proxied[0] != "http://news.example/robots.txt" || proxied[1] != "http://news.example/story" {
		t.Errorf("proxy saw %v, want robots.txt and the story of news.example only", proxied)
	}
}

type dialerFunc func(ctx context.Context, network, address string) (net.Conn, error)

func (f dialerFunc) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return f(ctx, network, address)
}

// Colly's NewCollector reads COLLY_* variables after its options; the
// crawler must not let them override its configuration.
func TestCollyEnvironmentIgnored(t *testing.T) {
	f := newNewsFixture(t)
	cacheDir := filepath.Join(t.TempDir(), "colly-cache")
	for k, v := range map[string]string{
		"COLLY_USER_AGENT":                "evil-agent/1.0",
		"COLLY_MAX_DEPTH":                 "1",
		"COLLY_MAX_REQUESTS":              "1",
		"COLLY_MAX_BODY_SIZE":             "16",
		"COLLY_FOLLOW_REDIRECTS":          "no",
		"COLLY_IGNORE_ROBOTSTXT":          "no",
		"COLLY_DISALLOWED_DOMAINS":        "www.daily.test",
		"COLLY_ALLOWED_DOMAINS":           "nowhere.test",
		"COLLY_CACHE_DIR":                 cacheDir,
		"COLLY_DISABLE_COOKIES":           "yes",
		"COLLY_PARSE_HTTP_ERROR_RESPONSE": "no",
	} {
		t.Setenv(k, v)
	}
	cfg := testConfig(t, f.resolver)
	cfg.ObeyRobots = false // so a robots.txt request could only come from colly
	cfg.MaxDepth = 2
	sink := newTestSink()
	sum := runCrawl(t, cfg, sink, f.daily.url("/topics/climate"))

	if got := f.daily.requestHeaders("/topics/climate").Get("User-Agent"); got != cfg.EffectiveUserAgent() {
		t.Errorf("server saw User-Agent %q, want %q", got, cfg.EffectiveUserAgent())
	}
	if f.daily.hitCount("/robots.txt") != 0 {
		t.Error("colly fetched robots.txt on its own")
	}
	if r := resultFor(t, sum, f.daily.url("/moved")); r.Status != StatusArchived || r.FinalURL != f.daily.url("/2026/11/reef") {
		t.Errorf("redirect not followed: %+v", r)
	}
	// Depth 2 reached despite COLLY_MAX_DEPTH=1 and many requests despite
	// COLLY_MAX_REQUESTS=1.
	if f.daily.hitCount("/2026/11/glacier-followup") != 1 || sum.Fetched < 10 {
		t.Errorf("crawl was cut short: fetched %d", sum.Fetched)
	}
	ex := sink.exchange(f.daily.url("/2026/11/glacier"))
	if ex == nil || len(ex.Final().Body) <= 16 || ex.Final().Truncated != "" {
		t.Error("body cut to COLLY_MAX_BODY_SIZE")
	}
	if _, err := os.Stat(cacheDir); !os.IsNotExist(err) {
		t.Errorf("colly cache dir was created (stat: %v)", err)
	}
}
