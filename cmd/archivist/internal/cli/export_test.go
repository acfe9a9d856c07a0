package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive/embargo"
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
