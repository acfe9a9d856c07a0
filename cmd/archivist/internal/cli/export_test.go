package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive/capture/capturetest"
	"github.com/archivist-project/archivist/archive/embargo"
	"github.com/archivist-project/archivist/archive/store/local"
	"github.com/archivist-project/archivist/crawler/frontier"
	frontiersqlite "github.com/archivist-project/archivist/crawler/frontier/sqlite"
	"github.com/archivist-project/archivist/extract"
)

// TestExportCommand crawls the demo site and runs `archivist export` in
// every format, then makes each export again from its manifest.
func TestExportCommand(t *testing.T) {
	site := startSite(t)
	env := map[string]string{"ARCHIVIST_DATA": t.TempDir()}
	crawlSite(t, site, env)
	dir := t.TempDir()

	for _, tc := range []struct {
		format, name string
		extra        []string
		files        []string
	}{
		{"jsonl", "ds.jsonl", []string{"--with", "versions,outlinks"}, nil},
		{"csv", "ds.csv", []string{"--query", "Hikvision", "--versions", "latest", "--page-type", "article"}, nil},
		{"parquet", "ds.parquet", []string{"--dedupe", "--sample", "3", "--seed", "9"}, nil},
		{"warc", "ds.warc.gz", []string{"--host", site.ArticleURL("reuters")}, []string{"ds.cdxj"}},
		{"wacz", "ds.wacz", []string{"--published-since", "2025-07-01"}, nil},
	} {
		out := filepath.Join(dir, tc.name)
		args := append([]string{"export", "--format", tc.format, "--out", out}, tc.extra...)
		_, errOut, code := run(t, env, args...)
		if code != 0 {
			t.Fatalf("export %s: exit %d\n%s", tc.format, code, errOut)
		}
		if !strings.Contains(errOut, "exported ") || !strings.Contains(errOut, "manifest: "+out+".manifest.json") {
			t.Errorf("export %s: stderr %q", tc.format, errOut)
		}
		// Standard error is not a terminal here: no progress bar.
		if strings.ContainsAny(errOut, "█\r") || strings.Contains(errOut, "rows/s") {
			t.Errorf("export %s drew a progress bar on a non-terminal: %q", tc.format, errOut)
		}
		for _, companion := range append([]string{tc.name + ".manifest.json", tc.name + ".datasheet.md", tc.name + ".captures.txt"}, tc.files...) {
			if _, err := os.Stat(filepath.Join(dir, companion)); err != nil {
				t.Errorf("export %s: %v", tc.format, err)
			}
		}
		again := t.TempDir()
		_, errOut, code = run(t, env, "export", "--manifest", out+".manifest.json", "--out", again)
		if code != 0 || !strings.Contains(errOut, "every file matches") {
			t.Fatalf("reproduce %s: exit %d\n%s", tc.format, code, errOut)
		}
		orig, _ := os.ReadFile(out)
		got, _ := os.ReadFile(filepath.Join(again, tc.name))
		if len(orig) == 0 || !bytes.Equal(orig, got) {
			t.Errorf("reproduced %s differs (%d vs %d bytes)", tc.name, len(orig), len(got))
		}
	}

	var m struct {
		Rows  int `json:"rows"`
		Query struct {
			Text     string `json:"text"`
			Versions string `json:"versions"`
			PageType string `json:"page_type"`
		} `json:"query"`
	}
	data, _ := os.ReadFile(filepath.Join(dir, "ds.csv.manifest.json"))
	if err := json.Unmarshal(data, &m); err != nil || m.Query.Text != "Hikvision" || m.Query.Versions != "latest" || m.Query.PageType != "article" || m.Rows != 5 {
		t.Errorf("csv manifest: %+v %v", m, err)
	}

	// CSV to standard output.
	stdout, _, code := run(t, env, "export", "--format", "csv", "--out", "-", "--host", site.ArticleURL("ctv"))
	records, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if code != 0 || err != nil || len(records) != 2 || records[1][0] == "" {
		t.Errorf("csv to stdout: exit %d, %d records, %v", code, len(records), err)
	}
}

func TestExportBadInput(t *testing.T) {
	site := startSite(t)
	env := map[string]string{"ARCHIVIST_DATA": t.TempDir()}
	crawlSite(t, site, env)
	dir := t.TempDir()
	out := filepath.Join(dir, "ds.csv")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "xlsx"}, "unknown format"},
		{[]string{"--format", "csv", "--colour", "red"}, "selection flags: --query"},
		{[]string{"--format", "csv", "--versions", "newest"}, "--versions"},
		{[]string{"--format", "csv", "--with", "mood"}, `unknown field "mood"`},
		{[]string{"--format", "csv", "--since", "last week"}, "--since"},
		{[]string{"--format", "csv", "--sample", "-3"}, "--sample"},
		{[]string{"--format", "wacz", "--with", "outlinks"}, "only in jsonl"},
		{[]string{"--format", "parquet", "--out", "-"}, "standard output"},
		{[]string{"--manifest", filepath.Join(dir, "none.json"), "--format", "csv"}, "drop --format"},
		{[]string{"--manifest", filepath.Join(dir, "none.json")}, "read manifest"},
	} {
		args := append([]string{"export", "--out", out}, tc.args...)
		if tc.args[len(tc.args)-1] == "-" {
			args = append([]string{"export"}, tc.args...)
		}
		_, errOut, code := run(t, env, args...)
		if code != ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("export %v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, errOut, ExitUsage, tc.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("bad exports left files: %v", entries)
	}

	// An existing output is kept unless --force.
	mustRun(t, env, "export", "--format", "csv", "--out", out)
	before, _ := os.ReadFile(out)
	if _, errOut, code := run(t, env, "export", "--format", "csv", "--out", out, "--host", site.ArticleURL("ctv")); code != ExitUsage || !strings.Contains(errOut, "--force") {
		t.Errorf("export over an existing file: exit %d %q", code, errOut)
	}
	if after, _ := os.ReadFile(out); !bytes.Equal(before, after) {
		t.Errorf("an existing export was changed without --force")
	}
	mustRun(t, env, "export", "--format", "csv", "--out", out, "--host", site.ArticleURL("ctv"), "--force")
	if after, _ := os.ReadFile(out); bytes.Equal(before, after) {
		t.Errorf("--force did not replace the export")
	}

	// An output under a regular file cannot be written.
	_, errOut, code := run(t, env, "export", "--format", "jsonl", "--out", filepath.Join(out, "x.jsonl"))
	if code == 0 || !strings.Contains(errOut, "cannot write") {
		t.Errorf("export under a file: exit %d %q", code, errOut)
	}
}

// oldCaptureDir is a capture stored by an earlier version, whose WARC
// ends with a metadata record of outlink lines (see its README.md).
const oldCaptureDir = "../../../../archive/export/testdata/old-capture"

// TestExportOutlinks crawls one article twice (a full capture, then a
// revisit whose WARC holds no body), adds a capture stored by an earlier
// version and reindexes, then exports outlinks: each row has the links
// of its archived page, and the old capture's stored outlink lines, which
// hold two links the extractor drops, are not used.
func TestExportOutlinks(t *testing.T) {
	site := startSite(t)
	data := t.TempDir()
	env := map[string]string{"ARCHIVIST_DATA": data}
	for range 2 {
		if out := mustRun(t, env, "crawl", "--allow-private-networks", "--delay", "5ms", "--depth", "0", site.ArticleURL("reuters")); !strings.Contains(out, "1 archived") {
			t.Fatalf("crawl: %s", out)
		}
	}
	st, err := local.Open(filepath.Join(data, localStore))
	if err != nil {
		t.Fatal(err)
	}
	_, err = capturetest.PutTree(t.Context(), st, oldCaptureDir)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, env, "reindex")

	out := filepath.Join(t.TempDir(), "ds.jsonl")
	mustRun(t, env, "export", "--format", "jsonl", "--with", "outlinks", "--out", out)
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	origin := site.URL("reuters", "")
	wantPrefix := []string{origin + "/", origin + "/world/", origin + "/business/", origin + "/politics/", origin + "/tech/",
		origin + "/opinion/", origin + "/sport/", origin + "/authors/reuters"}
	kinds := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var r struct {
			URL      string   `json:"url"`
			Kind     string   `json:"kind"`
			Outlinks []string `json:"outlinks"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasPrefix(r.URL, origin):
			kinds[r.Kind]++
			if len(r.Outlinks) < len(wantPrefix) || !slices.Equal(r.Outlinks[:len(wantPrefix)], wantPrefix) ||
				!slices.Contains(r.Outlinks, origin+"/about") || !slices.Contains(r.Outlinks, "https://x.com/Reuters") {
				t.Errorf("%s capture of %s: outlinks %q", r.Kind, r.URL, r.Outlinks)
			}
			for _, l := range r.Outlinks {
				if !strings.HasPrefix(l, "http") {
					t.Errorf("%s capture: outlink %q is not http(s)", r.Kind, l)
				}
			}
		case strings.HasPrefix(r.URL, "http://oldformat.test/"):
			kinds["old"]++
			want := []string{"http://oldformat.test/", "http://oldformat.test/world/",
				"http://oldformat.test/world/2025/07/06/hikvision-ordered-to-close", "https://other.test/analysis?id=7"}
			if !slices.Equal(r.Outlinks, want) {
				t.Errorf("old capture: outlinks %q, want %q (not its stored outlink lines)", r.Outlinks, want)
			}
		default:
			t.Errorf("unexpected row for %s", r.URL)
		}
	}
	if kinds["response"] != 1 || kinds["revisit"] != 1 || kinds["old"] != 1 {
		t.Errorf("rows by kind %v, want a response and a revisit of the article and the old capture", kinds)
	}
	var m struct {
		Outlinks struct {
			Method    string `json:"method"`
			Extractor struct {
				Name, Version string
			} `json:"extractor"`
		} `json:"outlinks"`
	}
	manifest, _ := os.ReadFile(out + ".manifest.json")
	if err := json.Unmarshal(manifest, &m); err != nil || m.Outlinks.Extractor.Name != extract.Name || m.Outlinks.Extractor.Version != extract.Version {
		t.Errorf("manifest does not say how outlinks were found (%v):\n%s", err, manifest)
	}
}

// TestExportHonoursEmbargo: a page on the embargo list is not exported.
func TestExportHonoursEmbargo(t *testing.T) {
	site := startSite(t)
	data := t.TempDir()
	env := map[string]string{"ARCHIVIST_DATA": data}
	crawlSite(t, site, env)
	list, err := embargo.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := list.Add(embargo.Request{URL: site.ArticleURL("reuters"), Reason: "legal request", Who: "editor"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "ds.jsonl")
	mustRun(t, env, "export", "--format", "jsonl", "--out", out)
	raw, _ := os.ReadFile(out)
	if n := strings.Count(string(raw), "\n"); n != 5 || strings.Contains(string(raw), site.ArticleURL("reuters")) {
		t.Errorf("export with the Reuters page embargoed: %d rows, mentions it: %v", n, strings.Contains(string(raw), site.ArticleURL("reuters")))
	}
	manifest, _ := os.ReadFile(out + ".manifest.json")
	if !strings.Contains(string(manifest), `"excluded_by_embargo": 1`) {
		t.Errorf("manifest does not count the embargoed capture:\n%s", manifest)
	}
}

// TestExportDatasheetCrawlLog: with the daemon's frontier in the data
// directory, the datasheet reports failed polls and failed URLs from it;
// without one, it says no crawl log is available.
func TestExportDatasheetCrawlLog(t *testing.T) {
	site := startSite(t)
	data := t.TempDir()
	env := map[string]string{"ARCHIVIST_DATA": data}
	crawlSite(t, site, env)
	dir := t.TempDir()
	mustRun(t, env, "export", "--format", "csv", "--out", filepath.Join(dir, "a.csv"))
	sheet, _ := os.ReadFile(filepath.Join(dir, "a.csv.datasheet.md"))
	if !strings.Contains(string(sheet), "No crawl log available") {
		t.Errorf("datasheet without a frontier:\n%s", sheet)
	}

	ctx := t.Context()
	fr, err := frontiersqlite.Open(ctx, filepath.Join(data, frontierFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := fr.SyncSources(ctx, []frontier.SourceSpec{
		{Name: "wires", URL: "http://wires.test/feed.xml", Kind: "feed", Interval: time.Hour},
		{Name: "quiet", URL: "http://quiet.test/", Kind: "page", Interval: time.Hour},
	}, now); err != nil {
		t.Fatal(err)
	}
	if err := fr.RecordPoll(ctx, frontier.PollResult{Source: "wires", At: now, OK: false, Result: "HTTP 503", HTTPStatus: 503}); err != nil {
		t.Fatal(err)
	}
	fr.Close()
	mustRun(t, env, "export", "--format", "csv", "--out", filepath.Join(dir, "b.csv"))
	sheet, _ = os.ReadFile(filepath.Join(dir, "b.csv.datasheet.md"))
	for _, want := range []string{"source wires (http://wires.test/feed.xml): last poll failed at", "HTTP 503", "source quiet (http://quiet.test/): never polled"} {
		if !strings.Contains(string(sheet), want) {
			t.Errorf("datasheet lacks %q:\n%s", want, sheet)
		}
	}
}

func TestCrawlLogLines(t *testing.T) {
	now := time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC)
	lines := crawlLogLines([]frontier.SourceStat{
		{Name: "b", URL: "http://b.test/", PollRecord: frontier.PollRecord{Polls: 40, LastOK: true, LastPoll: now, LastResult: "0 new"}, Stalled: true, LastNew: now.Add(-72 * time.Hour)},
		{Name: "a", URL: "http://a.test/", PollRecord: frontier.PollRecord{Polls: 3, LastOK: true}, Found: 10, Archived: 6, Failed: 3, BlockedByRobots: 1},
	}, now)
	want := []string{
		"source a: 3 of 10 URLs found failed and 1 were blocked by robots.txt (6 archived, 0 pending); `archivist status` and the frontier list them",
		"source b (http://b.test/): stalled, nothing new since 2025-07-29T00:00:00Z (last poll 2025-08-01T00:00:00Z: 0 new)",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if got := crawlLogLines([]frontier.SourceStat{{Name: "a", PollRecord: frontier.PollRecord{Polls: 2, LastOK: true}}}, now); len(got) != 1 || !strings.Contains(got[0], "No stalled source") {
		t.Errorf("healthy log: %v", got)
	}
}

// TestProgressBar draws the bar into a buffer, as it would on a terminal:
// the phase, rows done of the total, and the rate.
func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{w: &buf}
	p.Phase("writing", 250)
	p.Add(100)
	p.Add(150)
	p.Done()
	out := buf.String()
	for _, want := range []string{"writing", "250/250", "rows/s"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress bar lacks %q: %q", want, out)
		}
	}
	if newProgress(&buf) != nil {
		t.Errorf("a progress bar was made for a writer that is not a terminal")
	}
}
