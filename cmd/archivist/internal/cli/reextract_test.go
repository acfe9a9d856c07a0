package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/archivist-project/archivist/archive/capture"
	"github.com/archivist-project/archivist/archive/catalog/sqlite"
	"github.com/archivist-project/archivist/extract"
)

// TestReextractCommand crawls the demo site, makes one catalog row look as
// if an older extractor had made it, and re-extracts: only that capture
// gets a new Article object, the old one stays readable, and verify and
// reindex keep working.
func TestReextractCommand(t *testing.T) {
	ctx := context.Background()
	site := startSite(t)
	data := t.TempDir()
	env := map[string]string{"ARCHIVIST_DATA": data}
	crawlSite(t, site, env)
	rows := listJSON(t, env)

	// Everything is current right after the crawl.
	out := mustRun(t, env, "reextract")
	if !strings.Contains(out, "re-extracted 6 captures with "+extract.Name+" "+extract.Version) || !strings.Contains(out, "0 new articles, 0 reused, 6 already current, 0 failed") {
		t.Fatalf("reextract right after the crawl:\n%s", out)
	}

	// The reuters capture's row claims an older extractor.
	var target listed
	for _, r := range rows {
		if r.CanonicalURL == site.ArticleURL("reuters") {
			target = r
		}
	}
	if target.CaptureID == "" {
		t.Fatalf("no reuters capture in %+v", rows)
	}
	cat, err := sqlite.Open(ctx, filepath.Join(data, catalogFile), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	e, err := cat.Get(ctx, target.CaptureID)
	if err != nil {
		t.Fatal(err)
	}
	originalKey := e.Article.Key
	e.ExtractorVersion = "0.0.1"
	if err := cat.Put(ctx, e); err != nil {
		t.Fatal(err)
	}
	cat.Close()

	out = mustRun(t, env, "reextract", "--host", strings.TrimPrefix(site.URL("reuters", ""), "http://"))
	if !strings.Contains(out, "re-extracted 1 captures") || !strings.Contains(out, "1 new articles, 0 reused, 0 already current, 0 failed") {
		t.Fatalf("reextract --host:\n%s", out)
	}
	newKey := strings.TrimSuffix(originalKey, "article.json.gz") + capture.ArticleVersionName(extract.Version)

	// --versions lists both Articles and marks the one the row uses.
	out = mustRun(t, env, "reextract", "--versions", "--json", "--url", site.ArticleURL("reuters"))
	var vr versionsRow
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if err := json.Unmarshal(sc.Bytes(), &vr); err != nil {
			t.Fatalf("--versions --json line %q: %v", sc.Text(), err)
		}
	}
	if vr.CaptureID != target.CaptureID || vr.Current != newKey || len(vr.Versions) != 2 ||
		!vr.Versions[0].Original || vr.Versions[0].Ref.Key != originalKey || vr.Versions[1].Ref.Key != newKey {
		t.Errorf("--versions: %+v (want current %s)", vr, newKey)
	}
	if text := mustRun(t, env, "reextract", "--versions", "--url", site.ArticleURL("reuters")); !strings.Contains(text, newKey+" current") || !strings.Contains(text, originalKey+" original") {
		t.Errorf("--versions text:\n%s", text)
	}

	// Both Articles print; get --format json gives the new one.
	for _, v := range vr.Versions {
		var a extract.Article
		body := mustRun(t, env, "reextract", "--id", target.CaptureID, "--article", v.Version)
		if err := json.Unmarshal([]byte(body), &a); err != nil || a.Extractor.Version != v.Version || a.Title == "" {
			t.Errorf("--article %s: %v, %+v", v.Version, err, a.Extractor)
		}
	}
	var got extract.Article
	if err := json.Unmarshal([]byte(mustRun(t, env, "get", site.ArticleURL("reuters"), "--format", "json")), &got); err != nil || got.Evidence == nil {
		t.Errorf("get --format json after reextract: %v, evidence %v", err, got.Evidence != nil)
	}
	if _, _, code := run(t, env, "reextract", "--id", target.CaptureID, "--article", "9.9.9"); code != ExitPartial {
		t.Errorf("--article of a version never run: exit %d", code)
	}
	if _, _, code := run(t, env, "reextract", "--article", "0.2.0"); code != ExitUsage {
		t.Errorf("--article without --id: exit %d", code)
	}

	// The archive stays sound.
	if out := mustRun(t, env, "verify"); !strings.Contains(out, ": 0 problems") {
		t.Errorf("verify after reextract:\n%s", out)
	}
	mustRun(t, env, "reindex")
	if out := mustRun(t, env, "verify"); !strings.Contains(out, ": 0 problems") {
		t.Errorf("verify after reindex:\n%s", out)
	}
}
