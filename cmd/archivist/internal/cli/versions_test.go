package cli

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"

	"github.com/archivist-project/archivist/archive/versions"
	"github.com/archivist-project/archivist/cmd/archivist/internal/demosite"
)

// TestVersionsAndDiff crawls the demo site's developing story four times,
// its site clock moved on between the second and third crawl so that the
// headline, byline, modified date and body change: identical fetches are
// kept as revisits, the change as a new version, and `get --versions` and
// `diff` show it.
func TestVersionsAndDiff(t *testing.T) {
	site := startSite(t)
	env := map[string]string{"ARCHIVIST_DATA": t.TempDir()}
	crawl := func() {
		t.Helper()
		out := mustRun(t, env, "crawl", "--allow-private-networks", "--delay", "5ms", "--depth", "0", site.LiveURL())
		if !strings.Contains(out, "1 archived") {
			t.Fatalf("crawl: %s", out)
		}
	}
	crawl()
	crawl()
	site.Advance(demosite.LiveUpdateAfter)
	crawl()
	crawl()

	var chain []versions.Version
	sc := bufio.NewScanner(strings.NewReader(mustRun(t, env, "get", site.LiveURL(), "--versions", "--format", "json")))
	for sc.Scan() {
		var v versions.Version
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		chain = append(chain, v)
	}
	if len(chain) != 4 {
		t.Fatalf("%d versions, want 4: %+v", len(chain), chain)
	}
	wantKinds := []string{"response", "revisit", "response", "revisit"}
	for i, v := range chain {
		if v.Kind != wantKinds[i] || v.Content != []int{1, 1, 2, 2}[i] {
			t.Errorf("capture %d: kind %s content version %d", i, v.Kind, v.Content)
		}
		if i > 0 && v.PreviousCaptureID != chain[i-1].CaptureID {
			t.Errorf("capture %d links to %q, not to %s", i, v.PreviousCaptureID, chain[i-1].CaptureID)
		}
	}
	if strings.Join(chain[2].Changed, ",") != "headline,byline,dates,body" || chain[3].Title != demosite.LiveHeadline(2) {
		t.Errorf("new version: changed %v title %q", chain[2].Changed, chain[3].Title)
	}
	table := mustRun(t, env, "get", site.LiveURL(), "--versions")
	for _, want := range []string{"first capture", "nothing (identical payload)", "headline, byline, dates, body", chain[3].CaptureID} {
		if !strings.Contains(table, want) {
			t.Errorf("get --versions lacks %q:\n%s", want, table)
		}
	}

	// The revisit's provenance names the capture holding the payload, and
	// its page as archived is that payload.
	var prov struct {
		Previous string `json:"previous_capture_id"`
		Revisit  struct {
			CaptureID string `json:"capture_id"`
			RecordID  string `json:"record_id"`
		} `json:"revisit_of"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, env, "get", "--id", chain[1].CaptureID, "--format", "provenance")), &prov); err != nil {
		t.Fatal(err)
	}
	if prov.Revisit.CaptureID != chain[0].CaptureID || prov.Revisit.RecordID == "" || prov.Previous != chain[0].CaptureID {
		t.Errorf("revisit provenance = %+v", prov)
	}
	firstHTML := mustRun(t, env, "get", "--id", chain[0].CaptureID, "--format", "html")
	if got := mustRun(t, env, "get", "--id", chain[1].CaptureID, "--format", "html"); got != firstHTML || !strings.Contains(got, demosite.LiveHeadline(1)) {
		t.Errorf("html of the revisit is not the referred payload (%d bytes vs %d)", len(got), len(firstHTML))
	}
	// The newer provenance says what changed, the modified date included.
	var prov3 struct {
		ContentChanged *bool    `json:"content_changed"`
		Changed        []string `json:"changed"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, env, "get", "--id", chain[2].CaptureID, "--format", "provenance")), &prov3); err != nil {
		t.Fatal(err)
	}
	if prov3.ContentChanged == nil || !*prov3.ContentChanged || strings.Join(prov3.Changed, ",") != "headline,byline,dates,body" {
		t.Errorf("new version provenance: content_changed %v changed %v", prov3.ContentChanged, prov3.Changed)
	}

	// diff, by default the last two content versions.
	out := mustRun(t, env, "diff", site.LiveURL())
	for _, want := range []string{
		"--- ", "capture " + chain[1].CaptureID, "+++ ", "capture " + chain[3].CaptureID,
		"changed: headline, byline, dates, body",
		"headline\n- " + demosite.LiveHeadline(1) + "\n+ " + demosite.LiveHeadline(2) + "\n",
		"byline\n- Ana Lima\n+ Ana Lima, Tom Becker\n",
		"modified\n- 2025-07-08T14:00:00Z\n+ 2025-07-08T18:30:00Z\n",
		"- Judge Marie Tremblay said she would hear the rest of the arguments on Wednesday morning.\n",
		"+ Judge Marie Tremblay dismissed the application",
		"+ Hikvision said it was studying the decision and considering an appeal.\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("diff lacks %q:\n%s", want, out)
		}
	}
	words := mustRun(t, env, "diff", site.LiveURL(), "--words", "--from", chain[0].CaptureID, "--to", chain[2].FetchedAt.Format("2006-01-02T15:04:05.999999999Z07:00"))
	if !strings.Contains(words, "{+secret +}national security review") || !strings.Contains(words, "capture "+chain[0].CaptureID) || !strings.Contains(words, "capture "+chain[2].CaptureID) {
		t.Errorf("word diff between chosen versions:\n%s", words)
	}
	var dj struct {
		From versions.Version    `json:"from"`
		To   versions.Version    `json:"to"`
		Diff versions.Difference `json:"diff"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, env, "diff", site.LiveURL(), "--json")), &dj); err != nil {
		t.Fatal(err)
	}
	if dj.Diff.Headline == nil || dj.Diff.Stats != (versions.Stats{ParagraphsAdded: 2, ParagraphsRemoved: 1, ParagraphsChanged: 1, WordsAdded: 37, WordsRemoved: 15}) || dj.To.CaptureID != chain[3].CaptureID {
		t.Errorf("diff --json: %+v", dj.Diff)
	}

	// A single content version has nothing to compare.
	mustRun(t, env, "crawl", "--allow-private-networks", "--delay", "5ms", "--depth", "0", site.ArticleURL("reuters"))
	if out := mustRun(t, env, "diff", site.ArticleURL("reuters")); !strings.Contains(out, "nothing to compare") {
		t.Errorf("diff of one version: %s", out)
	}
	if _, errOut, code := run(t, env, "diff", "http://nowhere.test/x"); code != ExitPartial || !strings.Contains(errOut, "no capture") {
		t.Errorf("diff of an unknown URL: exit %d %s", code, errOut)
	}

	// verify accepts the revisits, and reindex rebuilds the chain.
	if out := mustRun(t, env, "verify"); !strings.Contains(out, "0 problems") {
		t.Errorf("verify: %s", out)
	}
	before := mustRun(t, env, "get", site.LiveURL(), "--versions", "--format", "json")
	mustRun(t, env, "reindex")
	if after := mustRun(t, env, "get", site.LiveURL(), "--versions", "--format", "json"); after != before {
		t.Errorf("versions after reindex differ:\n%s\n%s", before, after)
	}
}
