package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	iawarc "github.com/internetarchive/gowarc"

	"github.com/archivist-project/archivist/cmd/archivist/internal/demosite"
)

// run executes one archivist command in process and returns its output and
// exit status.
func run(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := Run(context.Background(), args, IO{
		In: strings.NewReader(""), Out: &out, Err: &errOut,
		Getenv:   func(k string) string { return env[k] },
		Resolver: loopbackResolver{},
	})
	code = ExitCode(err, &errOut)
	return out.String(), errOut.String(), code
}

func mustRun(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	out, errOut, code := run(t, env, args...)
	if code != 0 {
		t.Fatalf("archivist %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func startSite(t *testing.T) *demosite.Site {
	t.Helper()
	site, err := demosite.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(site.Close)
	return site
}

// crawlSite crawls the demo site's topic page and checks the summary.
func crawlSite(t *testing.T, site *demosite.Site, env map[string]string, extra ...string) string {
	t.Helper()
	args := append([]string{"crawl", "--allow-private-networks", "--delay", "5ms"}, extra...)
	args = append(args, site.TopicURL())
	out, errOut, code := run(t, env, args...)
	// The topic page links to a removed story (404): the crawl must say so
	// with its exit status while archiving everything else.
	if code != ExitPartial {
		t.Fatalf("crawl exit = %d, want %d (one URL failed)\nstdout:\n%s\nstderr:\n%s", code, ExitPartial, out, errOut)
	}
	for _, want := range []string{
		"6 archived",
		"blocked by robots.txt",
		"/go/removed-story",
		"404",
		"not HTML",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("crawl summary lacks %q:\n%s", want, out)
		}
	}
	for _, social := range []string{"facebook.com", "twitter.com", "whatsapp", "instagram.com"} {
		if strings.Contains(out, social) {
			t.Errorf("crawl touched a share or social link (%s):\n%s", social, out)
		}
	}
	return out
}

type listed struct {
	CaptureID    string `json:"capture_id"`
	URL          string `json:"url"`
	FinalURL     string `json:"final_url"`
	CanonicalURL string `json:"canonical_url"`
	FetchedAt    string `json:"fetched_at"`
	Title        string `json:"title"`
	PageType     string `json:"page_type"`
}

func listJSON(t *testing.T, env map[string]string, args ...string) []listed {
	t.Helper()
	out := mustRun(t, env, append([]string{"list", "--json"}, args...)...)
	var rows []listed
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var r listed
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("list --json line %q: %v", sc.Text(), err)
		}
		rows = append(rows, r)
	}
	return rows
}

var wantTitles = map[string]string{
	"toi":           "Chinese spy tech giant fights back as Canada kicks out Hikvision over national security concerns",
	"ctv":           "Chinese surveillance company Hikvision seeks to overturn ban in Canada",
	"reuters":       "China's Hikvision says it is challenging Canada's shut down order",
	"aljazeera":     "China claims Canada's order for Hikvision closure ‘damages' trade relations",
	"businesstimes": "China urges Canada to ‘correct wrongdoing' over Hikvision shutdown",
}

func TestEndToEndLocal(t *testing.T) {
	site := startSite(t)
	data := t.TempDir()
	env := map[string]string{"ARCHIVIST_DATA": data}
	crawlSite(t, site, env)

	// Every article was fetched exactly once, despite the tracking
	// parameters and fragments that repeat its links on the topic page.
	counts := map[string]int{}
	for _, r := range site.Requests() {
		counts[r.Outlet+r.Path]++
	}
	for outlet, path := range demosite.ArticlePaths {
		if counts[outlet+path] != 1 {
			t.Errorf("%s fetched %d times, want 1", outlet, counts[outlet+path])
		}
	}
	if counts["daily8/private/drafts"] != 0 {
		t.Error("a path disallowed by robots.txt was fetched")
	}

	rows := listJSON(t, env)
	if len(rows) != 6 {
		t.Fatalf("list: %d captures, want 6 (5 articles and the topic page): %+v", len(rows), rows)
	}
	byCanonical := map[string]listed{}
	for _, r := range rows {
		if r.CaptureID == "" || r.FetchedAt == "" || r.URL == "" {
			t.Errorf("list row lacks fields: %+v", r)
		}
		byCanonical[r.CanonicalURL] = r
	}
	for outlet, title := range wantTitles {
		r, ok := byCanonical[site.ArticleURL(outlet)]
		if !ok {
			t.Errorf("no capture with canonical URL %s", site.ArticleURL(outlet))
			continue
		}
		if r.Title != title {
			t.Errorf("%s title = %q, want %q", outlet, r.Title, title)
		}
		if r.PageType != "article" {
			t.Errorf("%s page type = %q", outlet, r.PageType)
		}
	}

	// --url matches after normalisation, so a tracking-tagged link finds it.
	if got := listJSON(t, env, "--url", site.ArticleURL("reuters")+"?utm_source=x#top"); len(got) != 1 {
		t.Errorf("list --url with tracking params: %d rows", len(got))
	}
	if got := listJSON(t, env, "--host", strings.TrimPrefix(site.URL("ctv", ""), "http://")); len(got) != 1 {
		t.Errorf("list --host: %d rows", len(got))
	}

	// get: text, html, warc and provenance of the windows-1252 page.
	ctvURL := site.ArticleURL("ctv")
	text := mustRun(t, env, "get", ctvURL, "--format", "text")
	if !strings.Contains(text, "Industry Minister Mélanie Joly") {
		t.Errorf("get --format text lost the decoded accent or the body:\n%s", text)
	}
	html := mustRun(t, env, "get", ctvURL, "--format", "html")
	if !strings.Contains(html, "M\xe9lanie") {
		t.Errorf("get --format html is not the page as served (windows-1252 bytes)")
	}
	var art map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, env, "get", ctvURL)), &art); err != nil {
		t.Fatalf("get json: %v", err)
	}
	if art["language"] != "en" || art["site_name"] != "CTV News" || art["published"] == nil {
		t.Errorf("ctv article metadata: language=%v site=%v published=%v", art["language"], art["site_name"], art["published"])
	}

	// The redirected article keeps its chain in the provenance record.
	var prov struct {
		RequestedURL  string `json:"requested_url"`
		FinalURL      string `json:"final_url"`
		RedirectChain []struct {
			URL    string `json:"url"`
			Status int    `json:"status"`
		} `json:"redirect_chain"`
		Status        int                     `json:"http_status"`
		PayloadSHA256 string                  `json:"payload_sha256"`
		Seed          string                  `json:"seed"`
		Via           string                  `json:"via"`
		Hops          int                     `json:"hops"`
		RemoteIP      string                  `json:"remote_ip"`
		Robots        struct{ Result string } `json:"robots"`
		Software      struct{ Name string }   `json:"software"`
		Extractor     struct{ Name string }   `json:"extractor"`
		CrawlRunID    string                  `json:"crawl_run_id"`
	}
	ajURL := site.ArticleURL("aljazeera")
	if err := json.Unmarshal([]byte(mustRun(t, env, "get", ajURL, "--format", "provenance")), &prov); err != nil {
		t.Fatal(err)
	}
	if len(prov.RedirectChain) != 2 || prov.RedirectChain[0].Status != 301 || prov.FinalURL != ajURL {
		t.Errorf("redirect chain = %+v, final %s", prov.RedirectChain, prov.FinalURL)
	}
	if prov.Seed != site.TopicURL() || prov.Via != site.TopicURL() || prov.Hops != 1 || prov.RemoteIP != "127.0.0.1" ||
		prov.Software.Name != "archivist" || prov.Extractor.Name == "" || prov.CrawlRunID == "" || prov.Status != 200 {
		t.Errorf("provenance = %+v", prov)
	}
	served := []byte(mustRun(t, env, "get", ajURL, "--format", "html"))
	sum := sha256.Sum256(served)
	if prov.PayloadSHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("payload sha256 %s does not match the served page's %x", prov.PayloadSHA256, sum)
	}

	// The raw WARC reads with an independent reader.
	raw := mustRun(t, env, "get", ajURL, "--format", "warc")
	r, err := iawarc.NewReader(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for {
		rec, err := r.ReadRecord()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, rec.Header.Get("WARC-Type"))
		rec.Content.Close()
	}
	if strings.Join(types, ",") != "warcinfo,request,response,request,response" {
		t.Errorf("warc records = %v", types)
	}

	// search
	out := mustRun(t, env, "search", "judicial review")
	if !strings.Contains(out, "[judicial]") && !strings.Contains(out, "[review]") {
		t.Errorf("search snippet lacks highlighted terms:\n%s", out)
	}
	out = mustRun(t, env, "search", "--json", `"Uyghur Human Rights Project"`)
	if n := strings.Count(out, "\n"); n != 2 {
		t.Errorf("phrase search: %d hits, want 2 (CTV and Time of India):\n%s", n, out)
	}

	// export, and no clobbering without --force
	exp := filepath.Join(t.TempDir(), "ds.jsonl")
	mustRun(t, env, "export", "--format", "jsonl", "--out", exp)
	checkExport(t, exp, 6)
	if _, _, code := run(t, env, "export", "--format", "jsonl", "--out", exp); code != ExitUsage {
		t.Errorf("export over an existing file: exit %d, want %d", code, ExitUsage)
	}
	checkExport(t, exp, 6)

	// reindex rebuilds the same catalog from the store alone.
	before := mustRun(t, env, "list", "--json")
	os.Remove(filepath.Join(data, catalogFile))
	mustRun(t, env, "reindex")
	if after := mustRun(t, env, "list", "--json"); after != before {
		t.Errorf("catalog after reindex differs:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	// verify: clean, then a damaged object is found.
	if out := mustRun(t, env, "verify"); !strings.Contains(out, "0 problems") {
		t.Errorf("verify: %s", out)
	}
	damage(t, filepath.Join(data, localStore))
	out, _, code := run(t, env, "verify")
	if code != ExitPartial || !strings.Contains(out, "article.json") || !strings.Contains(out, "1 problems") {
		t.Errorf("verify of a damaged archive: exit %d\n%s", code, out)
	}

	// A URL that was never captured.
	if _, errOut, code := run(t, env, "get", "http://nowhere.test/x"); code != ExitPartial || !strings.Contains(errOut, "no capture") {
		t.Errorf("get of an unknown URL: exit %d %s", code, errOut)
	}
}

func checkExport(t *testing.T, path string, want int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		var row map[string]any
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"capture_id", "fetched_at", "url", "title", "text", "word_count", "provenance", "authors"} {
			if _, ok := row[k]; !ok {
				t.Errorf("export row lacks %q", k)
			}
		}
		n++
	}
	if n != want {
		t.Errorf("export has %d rows, want %d", n, want)
	}
}

// damage rewrites one Article (article.json.gz) in a local store with
// different bytes.
func damage(t *testing.T, storeDir string) {
	t.Helper()
	var target string
	filepath.WalkDir(storeDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && target == "" && filepath.Base(p) == "article.json.gz" {
			target = p
		}
		return nil
	})
	if target == "" {
		t.Fatal("no article.json.gz in the store")
	}
	os.Chmod(target, 0o644)
	if err := os.WriteFile(target, []byte(`{"title":"forged"}`), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestListAndSearchFilters checks the metadata filters of list and search
// against the demo site's articles.
func TestListAndSearchFilters(t *testing.T) {
	site := startSite(t)
	env := map[string]string{"ARCHIVIST_DATA": t.TempDir()}
	crawlSite(t, site, env)
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"--page-type", "article"}, 5},
		{[]string{"--page-type", "listing"}, 1},
		{[]string{"--author", "ana lima"}, 1},
		{[]string{"--language", "en", "--page-type", "article"}, 5},
		{[]string{"--published-since", "2025-07-07", "--page-type", "article"}, 3},
		{[]string{"--published-until", "2025-06-30"}, 2},
	} {
		if got := listJSON(t, env, tc.args...); len(got) != tc.want {
			t.Errorf("list %v: %d captures, want %d", tc.args, len(got), tc.want)
		}
	}
	out := mustRun(t, env, "search", "--json", "--published-until", "2025-06-30", "Hikvision")
	if n := strings.Count(out, "\n"); n != 2 {
		t.Errorf("search with --published-until: %d hits, want the 2 stories of 30 June:\n%s", n, out)
	}
	if _, errOut, code := run(t, env, "list", "--page-type", "video"); code != ExitUsage || !strings.Contains(errOut, "--page-type") {
		t.Errorf("list with a bad --page-type: exit %d %s", code, errOut)
	}
}
