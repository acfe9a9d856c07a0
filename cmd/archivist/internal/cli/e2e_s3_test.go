package cli

import (
	"strings"
	"testing"

	"github.com/archivist-project/archivist/archive/store/miniotest"
	"github.com/archivist-project/archivist/cmd/archivist/internal/demosite"
)

// TestEndToEndS3 crawls into a real MinIO server and reads everything back
// through the S3 store: list, get, search, export, reindex and verify.
func TestEndToEndS3(t *testing.T) {
	srv := miniotest.Start(t)
	site := startSite(t)
	data := t.TempDir()
	env := map[string]string{
		"ARCHIVIST_DATA":        data,
		"AWS_ACCESS_KEY_ID":     srv.AccessKey,
		"AWS_SECRET_ACCESS_KEY": srv.SecretKey,
	}
	storeURL := "s3://news-archive/hikvision?endpoint=" + srv.Endpoint + "&secure=false"
	crawlSite(t, site, env, "--store", storeURL)

	rows := listJSON(t, env)
	if len(rows) != 6 {
		t.Fatalf("list: %d captures, want 6", len(rows))
	}
	// The data dir remembers its store: later commands need only --data.
	text := mustRun(t, env, "get", site.ArticleURL("reuters"), "--format", "text")
	if !strings.Contains(text, "SHANGHAI, July 7 (Reuters)") {
		t.Errorf("get --format text from S3:\n%s", text)
	}
	if out := mustRun(t, env, "search", "Xinjiang"); !strings.Contains(out, "[Xinjiang]") {
		t.Errorf("search over S3-backed archive:\n%s", out)
	}
	before := mustRun(t, env, "list", "--json")
	mustRun(t, env, "reindex")
	if after := mustRun(t, env, "list", "--json"); after != before {
		t.Errorf("reindex from S3 changed the catalog")
	}
	if out := mustRun(t, env, "verify"); !strings.Contains(out, "0 problems") {
		t.Errorf("verify: %s", out)
	}

	// A second crawl into the same data dir with another store is refused.
	if _, errOut, code := run(t, env, "crawl", "--store", "s3://other?endpoint="+srv.Endpoint+"&secure=false", site.TopicURL()); code != ExitUsage || !strings.Contains(errOut, "belongs to store") {
		t.Errorf("crawl with a different store: exit %d: %s", code, errOut)
	}
	// Wrong credentials: a clear error that names the variables, never the secret.
	bad := map[string]string{"ARCHIVIST_DATA": t.TempDir(), "AWS_ACCESS_KEY_ID": "nobody", "AWS_SECRET_ACCESS_KEY": "wrong-secret-value"}
	out, errOut, code := run(t, bad, "crawl", "--allow-private-networks", "--delay", "5ms", "--store", storeURL, site.TopicURL())
	if code == 0 {
		t.Errorf("crawl with bad credentials succeeded:\n%s", out)
	}
	if strings.Contains(out+errOut, "wrong-secret-value") {
		t.Errorf("the secret appears in the output")
	}
	if !strings.Contains(out+errOut, "AWS_ACCESS_KEY_ID") {
		t.Errorf("the error does not say which setting to fix:\n%s\n%s", out, errOut)
	}
}

// TestStoreOutageLosesNothing stops MinIO in the middle of a crawl: the
// captures that fail are reported and reach neither the store nor the
// catalog; once MinIO is back, the next crawl archives them, and the
// capture made before the outage is untouched.
func TestStoreOutageLosesNothing(t *testing.T) {
	srv := miniotest.Start(t)
	site := startSite(t)
	env := map[string]string{
		"ARCHIVIST_DATA":        t.TempDir(),
		"AWS_ACCESS_KEY_ID":     srv.AccessKey,
		"AWS_SECRET_ACCESS_KEY": srv.SecretKey,
	}
	storeURL := "s3://outage?endpoint=" + srv.Endpoint + "&secure=false"
	mustRun(t, env, "crawl", "--allow-private-networks", "--delay", "5ms", "--depth", "0", "--store", storeURL, site.ArticleURL("reuters"))
	before := mustRun(t, env, "get", site.ArticleURL("reuters"), "--format", "warc")

	// The store goes down just as the Reuters article is being served.
	site.OnRequest(func(outlet, path string) {
		if outlet == "reuters" && path == demosite.ArticlePaths["reuters"] {
			if err := srv.Stop(); err != nil {
				t.Error(err)
			}
		}
	})
	out, errOut, code := run(t, env, "crawl", "--allow-private-networks", "--delay", "5ms", site.TopicURL())
	site.OnRequest(nil)
	if code != ExitPartial {
		t.Fatalf("crawl with the store going down: exit %d, want %d\n%s\n%s", code, ExitPartial, out, errOut)
	}
	if !strings.Contains(out, "store unavailable") || !strings.Contains(out, srv.Endpoint) {
		t.Errorf("the failures do not say the store is unavailable and where:\n%s", out)
	}

	// With the store down the archive cannot even be opened: a clear error.
	if _, errOut, code := run(t, env, "list"); code == 0 || !strings.Contains(errOut, srv.Endpoint) {
		t.Errorf("list with the store down: exit %d: %s", code, errOut)
	}

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	// Every row in the catalog has its objects: nothing half-recorded. A
	// capture whose last write landed while its answer was lost to the
	// outage is complete in the store without a catalog row; that is the
	// one finding allowed here (the next crawl indexes it first).
	out, _, _ = run(t, env, "verify")
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		switch {
		case strings.HasPrefix(line, "verified "), strings.HasPrefix(line, "leftover "), // harmless, kept
			strings.Contains(line, "complete capture in the store but not in the catalog"):
			continue
		}
		t.Errorf("verify after the outage found a problem other than a complete uncatalogued capture: %s\n%s", line, out)
	}
	crawlSite(t, site, env)
	rows := listJSON(t, env)
	got := map[string]int{}
	for _, r := range rows {
		got[r.CanonicalURL]++
	}
	for outlet := range demosite.ArticlePaths {
		if got[site.ArticleURL(outlet)] == 0 {
			t.Errorf("%s not archived after the store came back", outlet)
		}
		// Pages archived before the outage were fetched again with the
		// same payload: revisit records, not second copies.
		full := strings.Count(mustRun(t, env, "get", site.ArticleURL(outlet), "--versions", "--format", "json"), `"kind":"response"`)
		if full != 1 {
			t.Errorf("%s has %d full captures, want 1 (later fetches as revisits)", outlet, full)
		}
	}
	if after := mustRun(t, env, "get", site.ArticleURL("reuters"), "--at", "2000-01-01", "--format", "warc"); after != before {
		t.Error("the capture made before the outage changed")
	}
	if out := mustRun(t, env, "verify"); !strings.Contains(out, "0 problems") {
		t.Errorf("verify after recovery: %s", out)
	}
}
