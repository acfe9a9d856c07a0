package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// chromium finds the browser: $ARCHIVIST_CHROMIUM, else chromium on the
// PATH. cmd/test.sh installs Debian's chromium and sets
// ARCHIVIST_REQUIRE_CHROMIUM=1, so a missing browser fails there instead
// of skipping.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("ARCHIVIST_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("ARCHIVIST_REQUIRE_CHROMIUM") == "1" {
		t.Fatal("chromium is not installed: run the tests with `bash cmd/test.sh`, which installs it (apt-get install chromium), or set ARCHIVIST_CHROMIUM to a Chromium binary")
	}
	t.Skip("chromium is not installed (bash cmd/test.sh installs it); skipping the browser tests")
	return ""
}

// browser starts a headless Chromium that can reach loopback only: every
// other host name resolves to nothing, and the background services that
// would call home are off.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	// A generous bound: it only stops a hung browser.
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

func TestBrowserSearchArticleDiffAndHostileReplay(t *testing.T) {
	f := newFixture(t)
	h, err := NewHandler(f.options())
	if err != nil {
		t.Fatal(err)
	}
	// The hostile page's scripts would call /beacon; count what arrives.
	var beacons atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/beacon", func(w http.ResponseWriter, r *http.Request) { beacons.Add(1) })
	mux.Handle("/", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	ctx := browser(t)
	var (
		mu       sync.Mutex
		requests []string
	)
	err = chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, e.Request.URL)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return v
	}
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	// Search, open the article, view the diff.
	step("search",
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.SendKeys(chromedp.ID("q"), "challenges shutdown"),
		chromedp.Submit(chromedp.ID("q")),
		chromedp.WaitVisible(chromedp.CSS("ol.results")),
	)
	hitTitle := text(".hit h3 a")
	step("open the article",
		chromedp.Click(chromedp.CSS(".hit h3 a")),
		chromedp.WaitVisible(chromedp.CSS("article.capture h1")),
	)
	h1, body := text("article.capture h1"), text("section.text")
	step("open the diff",
		chromedp.Click(chromedp.ID("diff-prev")),
		chromedp.WaitVisible(chromedp.CSS("section.body-diff")),
	)
	inserted, deleted := text("section.body-diff p.added ins"), text("table.fields del")
	const headline = "Hikvision challenges Canada's shutdown order in court"
	if hitTitle != headline || h1 != headline {
		t.Errorf("hit %q, article heading %q, want %q", hitTitle, h1, headline)
	}
	if !strings.Contains(body, "A hearing date has not been set") {
		t.Errorf("article text: %.200q", body)
	}
	if !strings.HasPrefix(inserted, "A hearing date has not been set") || deleted != "Hikvision takes Canada to court" {
		t.Errorf("diff: inserted %q, deleted %q", inserted, deleted)
	}

	// Replayed hostile HTML, rewritten and as original bytes: nothing of
	// it may run.
	for _, mod := range []string{"", "id_"} {
		mu.Lock()
		requests = nil
		mu.Unlock()
		step("replay"+mod,
			chromedp.Navigate(srv.URL+"/web/20250708130000"+mod+"/"+hostileURL),
			chromedp.WaitReady(chromedp.ID("marker")),
		)
		title, err := chromedp.Run(ctx, chromedp.Title())
		if err != nil {
			t.Fatal(err)
		}
		marker := text("#marker")
		origin, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.origin`))
		if err != nil {
			t.Fatal(err)
		}
		cookie, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { try { return "readable:" + document.cookie } catch (e) { return "blocked:" + e.name } })()`))
		if err != nil {
			t.Fatal(err)
		}
		if title != "Original title" || marker != "Untouched" {
			t.Errorf("replay%s: a script ran: title %q, marker %q", mod, title, marker)
		}
		if origin != "null" {
			t.Errorf("replay%s: the page runs in origin %q, want an opaque origin (\"null\")", mod, origin)
		}
		if cookie != "blocked:SecurityError" {
			t.Errorf("replay%s: document.cookie gave %q, want a SecurityError (sandboxed, opaque origin)", mod, cookie)
		}
		mu.Lock()
		for _, u := range requests {
			// Images and styles of the page load from the archive
			// (/web/TSid_/URL); nothing may reach another host, and
			// nothing may call the beacon a script would call.
			if !strings.HasPrefix(u, srv.URL+"/") || strings.HasPrefix(u, srv.URL+"/beacon") {
				t.Errorf("replay%s: the page made a request a script, refresh or live resource would make: %s", mod, u)
			}
		}
		mu.Unlock()
	}
	if n := beacons.Load(); n != 0 {
		t.Errorf("the archive received %d beacon requests from replayed pages", n)
	}
}
