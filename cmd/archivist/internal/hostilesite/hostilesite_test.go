package hostilesite

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestPagesAreWhatTheyClaim checks the fixture itself, so that tests
// relying on it test what they say: the bomb inflates to BombBytes, the
// huge page and robots.txt have their sizes, the link farm its links, the
// drip drips, the loop loops.
func TestPagesAreWhatTheyClaim(t *testing.T) {
	s, err := Start(Options{DripEvery: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	client := &http.Client{
		Transport:     &http.Transport{DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	get := func(role, path string) *http.Response {
		t.Helper()
		resp, err := client.Get("http://" + s.Addr(role) + path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	count := func(r io.Reader) int64 {
		n, err := io.Copy(io.Discard, r)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	resp := get(RoleNews, "/bomb.html")
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if n := count(zr); n < BombBytes {
		t.Errorf("the bomb inflates to %d bytes, want at least %d", n, BombBytes)
	}
	if len(s.bomb) > 2<<20 {
		t.Errorf("the bomb is %d bytes of gzip", len(s.bomb))
	}
	if n := count(get(RoleNews, "/huge.html").Body); n != HugeBytes {
		t.Errorf("huge page: %d bytes", n)
	}
	if n := count(get(RoleHugeRobots, "/robots.txt").Body); n < HugeRobotsBytes-64 || n > HugeRobotsBytes+64 {
		t.Errorf("huge robots.txt: %d bytes", n)
	}
	body, _ := io.ReadAll(get(RoleNews, "/links.html").Body)
	if n := strings.Count(string(body), "<a href="); n != ManyLinks {
		t.Errorf("link farm: %d links", n)
	}
	if resp := get(RoleNews, "/loop/a"); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/loop/b" {
		t.Errorf("loop: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp := get(RoleNews, "/loop/b"); resp.Header.Get("Location") != "/loop/a" {
		t.Errorf("loop back: %s", resp.Header.Get("Location"))
	}
	drip := get(RoleNews, "/drip.html")
	buf := make([]byte, 3)
	start := time.Now()
	if _, err := io.ReadFull(drip.Body, buf); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Errorf("3 drip bytes came in %s, faster than one per 50ms", d)
	}
	listing, _ := io.ReadAll(get(RoleNews, "/").Body)
	for _, p := range s.Pages() {
		if p.Role == RoleNews && !strings.Contains(string(listing), p.URL) {
			t.Errorf("the listing does not link to %s", p.Name)
		}
	}
	if strings.Contains(string(listing), "169.254.169.254") {
		t.Error("private links without Options.PrivateLinks")
	}
}
