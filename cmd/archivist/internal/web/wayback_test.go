package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
)

func TestWaybackNearestRedirectsToExactTimestamp(t *testing.T) {
	f := newFixture(t)
	srv := serve(t, f.options())
	// 10:40 is nearest the 11:00 capture (story2).
	resp, body := get(t, srv.URL+"/web/20250708104000/"+storyURL)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status %d, want 302: %s", resp.StatusCode, body)
	}
	want := srv.URL + "/web/20250708110000/" + storyURL
	if loc := resp.Header.Get("Location"); loc != want {
		t.Errorf("Location = %q, want %q", loc, want)
	}
	// A partial timestamp and a URL without scheme work too, and a
	// modifier survives the redirect.
	resp, _ = get(t, srv.URL+"/web/2025id_/news.test/2025/07/08/hikvision-court")
	if loc := resp.Header.Get("Location"); loc != srv.URL+"/web/20250708100000id_/"+storyURL {
		t.Errorf("partial timestamp: Location = %q", loc)
	}
	// A proxy that collapsed "//" in the path is forgiven.
	resp, _ = get(t, srv.URL+"/web/20250708100000/http:/news.test/2025/07/08/hikvision-court")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("http:/ (one slash): status %d, want 200", resp.StatusCode)
	}
}

func TestReplayIsSandboxedAndRewritten(t *testing.T) {
	f := newFixture(t)
	srv := serve(t, f.options())
	resp, body := get(t, srv.URL+"/web/20250708130000/"+hostileURL)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	h := resp.Header
	csp := h.Get("Content-Security-Policy")
	if !strings.HasPrefix(csp, "sandbox;") || strings.Contains(csp, "allow-scripts") || strings.Contains(csp, "allow-same-origin") {
		t.Errorf("CSP %q: want a bare sandbox (no allow-scripts, no allow-same-origin)", csp)
	}
	if !strings.Contains(csp, "script-src 'none'") {
		t.Errorf("CSP %q lacks script-src 'none'", csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no X-Content-Type-Options: nosniff")
	}
	if len(resp.Cookies()) != 0 || h.Get("Set-Cookie") != "" {
		t.Errorf("the archived Set-Cookie reached the client: %v", h["Set-Cookie"])
	}
	for _, v := range h.Values("X-Archive-Orig-Set-Cookie") {
		t.Errorf("the archived cookie is passed on under another name: %q", v)
	}
	if got := h.Values("Content-Security-Policy"); len(got) != 1 {
		t.Errorf("the archived CSP was passed through as a second policy: %q", got)
	}
	if h.Get("X-Archive-Orig-Content-Security-Policy") != "script-src *" || h.Get("X-Archive-Orig-X-Custom") != "kept" {
		t.Errorf("other archived headers are not kept as X-Archive-Orig-*: %v", h)
	}
	page := string(body)
	for _, want := range []string{
		`href="/web/20250708130000/http://attacker.test/other-page.html"`, // relative link, resolved against <base>
		`id="jslink" href="#"`, // javascript: link made inert
		`content="30; url=/web/20250708130000/http://attacker.test/phish"`, // meta refresh stays in the archive
		`action="/web/20250708130000/http://attacker.test/api/embargo"`,
		`id="archivist-banner"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("replayed page lacks %s", want)
		}
	}
	for _, bad := range []string{`onload=`, `onerror=`, `<base href="http://attacker.test/">`} {
		if strings.Contains(page, bad) {
			t.Errorf("replayed page still has %s", bad)
		}
	}
	// The inline script's text is kept (the sandbox stops it), byte for byte.
	if !strings.Contains(page, `<script>document.title = "PWNED";`) {
		t.Error("the archived script text was altered; the replay should change only tags it rewrites")
	}
}

func TestOriginalBytesAndViews(t *testing.T) {
	f := newFixture(t)
	srv := serve(t, f.options())
	// id_: the payload exactly as transferred, with its encoding.
	resp, body := get(t, srv.URL+"/web/20250708103000id_/"+rulingURL, "Accept-Encoding", "gzip")
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, f.rulingGzip) {
		t.Fatalf("id_: status %d, %d bytes; want the %d archived gzip bytes", resp.StatusCode, len(body), len(f.rulingGzip))
	}
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Content-Language") != "fr" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("id_ headers: %v", resp.Header)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Error("id_ is served without the sandbox")
	}
	// Replay decodes it.
	resp, body = get(t, srv.URL+"/web/20250708103000/"+rulingURL)
	if resp.Header.Get("Content-Encoding") != "" || !strings.Contains(string(body), "judicial review of the shutdown order") {
		t.Errorf("replay of a gzip capture: encoding %q, body %.80q", resp.Header.Get("Content-Encoding"), body)
	}
	// A revisit replays the payload it refers to.
	_, body = get(t, srv.URL+"/web/20250708120000/"+storyURL)
	if !strings.Contains(string(body), "A hearing date has not been set") {
		t.Error("revisit replay lacks the referred capture's payload")
	}
	// The other views, of story1, stored in the legacy layout (plain
	// records), and of story2, stored as today (gzipped records): each
	// record is served as the JSON it holds.
	if e := f.entry(t, "story1"); !strings.HasSuffix(e.Provenance.Key, "/"+archive.LegacyProvenanceName) || !strings.HasSuffix(f.entry(t, "story2").Provenance.Key, "/"+archive.ProvenanceName) {
		t.Fatalf("fixture: story1 provenance %s, story2 %s; want one of each layout", e.Provenance.Key, f.entry(t, "story2").Provenance.Key)
	}
	views := map[string]string{
		"20250708100000art_":  `"title":"Hikvision takes Canada to court"`,
		"20250708100000txt_":  "Hikvision takes Canada to court\n\nHikvision asked a federal court",
		"20250708100000prov_": f.ids["story1"],
		"20250708110000art_":  `"title":"Hikvision challenges Canada's shutdown order in court"`,
		"20250708110000prov_": f.ids["story2"],
	}
	for view, want := range views {
		resp, body := get(t, srv.URL+"/web/"+view+"/"+storyURL)
		mod := view[14:]
		if mod == "prov_" {
			var p archive.Provenance
			if err := json.Unmarshal(body, &p); err != nil || p.CaptureID != want {
				t.Errorf("%s: status %d, capture %q (%v), want the record of %s", view, resp.StatusCode, p.CaptureID, err, want)
			}
		} else if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("%s: status %d, body lacks %q:\n%.300s", view, resp.StatusCode, want, body)
		}
		if mod != "txt_" && (resp.Header.Get("Content-Type") != "application/json; charset=utf-8" || !json.Valid(body)) {
			t.Errorf("%s: %s, not JSON: %.80q", view, resp.Header.Get("Content-Type"), body)
		}
		if mod != "txt_" && resp.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
			t.Errorf("%s: Content-Length %s for %d bytes", view, resp.Header.Get("Content-Length"), len(body))
		}
		at, _ := time.Parse("20060102150405", view[:14])
		if resp.Header.Get("Memento-Datetime") != at.Format(http.TimeFormat) {
			t.Errorf("%s: Memento-Datetime %q", view, resp.Header.Get("Memento-Datetime"))
		}
	}
	resp, body = get(t, srv.URL+"/web/20250708100000warc_/"+storyURL)
	if resp.Header.Get("Content-Type") != "application/warc" || int64(len(body)) != f.entry(t, "story1").WARC.Size {
		t.Errorf("warc_: %s, %d bytes", resp.Header.Get("Content-Type"), len(body))
	}
	resp, body = get(t, srv.URL+"/web/20250708100000zz_/"+storyURL)
	wantError(t, resp, body, http.StatusBadRequest, "id_")
	resp, body = get(t, srv.URL+"/web/20250708100000/http://never.test/page")
	wantError(t, resp, body, http.StatusNotFound, "no capture of http://never.test/page")
	resp, body = get(t, srv.URL+"/web/20251399000000/"+storyURL)
	wantError(t, resp, body, http.StatusBadRequest, "timestamp")
	resp, body = do(t, http.MethodPost, srv.URL+"/web/20250708100000/"+storyURL, "x")
	wantError(t, resp, body, http.StatusMethodNotAllowed, "GET")
}

func TestWithExactKeepsWaybackPaths(t *testing.T) {
	f := newFixture(t)
	h, err := NewHandler(f.options())
	if err != nil {
		t.Fatal(err)
	}
	health := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	// (An http.ServeMux would answer this Wayback path with a redirect
	// to "/web/20250708100000/http:/news.test/...".)
	srv := httptest.NewServer(WithExact(h, map[string]http.Handler{"/healthz": health}))
	defer srv.Close()
	if resp, body := get(t, srv.URL+"/healthz"); string(body) != "ok" {
		t.Errorf("/healthz: %d %q", resp.StatusCode, body)
	}
	if resp, _ := get(t, srv.URL+"/web/20250708100000/"+storyURL); resp.StatusCode != http.StatusOK {
		t.Errorf("Wayback path through WithExact: status %d", resp.StatusCode)
	}
}
