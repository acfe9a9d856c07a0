package export

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
)

// reproduceOpts reproduces into dir from the fixture archive, as if it
// had been moved since (another location).
func reproduceOpts(dir string) ReproduceOptions {
	return ReproduceOptions{Dir: dir, Options: Options{
		Software:  archive.Component{Name: "archivist", Version: "test"},
		Extractor: archive.Component{Name: "archivist-extract", Version: "test"},
		Archive:   "file:///elsewhere/store",
	}}
}

// TestReproduceSameBytes exports every format, adds a capture to the
// archive (the query would now select more), then makes each export again
// from its manifest: every file comes out byte for byte the same.
func TestReproduceSameBytes(t *testing.T) {
	f := buildArchive(t)
	dir := t.TempDir()
	type export struct {
		name string
		opts Options
	}
	exports := []export{
		{"ds.jsonl", Options{Format: JSONL, With: Fields{Versions: true, Outlinks: true}}},
		{"ds.csv", Options{Format: CSV, Query: Query{Text: "Hikvision", Versions: LatestVersions}}},
		{"ds.parquet", Options{Format: Parquet, Dedupe: true, Query: Query{Sample: 5, Seed: 42}}},
		{"ds.warc.gz", Options{Format: WARC, Query: Query{Source: "asia"}}},
		{"ds.wacz", Options{Format: WACZ}},
	}
	for _, e := range exports {
		exportTo(t, f, dir, e.name, e.opts)
	}
	// A later capture the original queries would match.
	late := f.stories["ctv"]
	late.key, late.at, late.source = "ctv-late", 80*time.Hour, "asia"
	late.paras = append(append([]string{}, late.paras...), "Hikvision said it would appeal any ruling against it.")
	f.add(t, late)

	for _, e := range exports {
		again := t.TempDir()
		m, err := Reproduce(context.Background(), f.st, f.cat, filepath.Join(dir, e.name+".manifest.json"), reproduceOpts(again))
		if err != nil {
			t.Fatalf("reproduce %s: %v", e.name, err)
		}
		for _, file := range m.Files {
			orig, _ := os.ReadFile(filepath.Join(dir, file.Path))
			got, err := os.ReadFile(filepath.Join(again, file.Path))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(orig, got) {
				t.Errorf("%s: reproduced %s differs from the original", e.name, file.Path)
			}
		}
		orig, _ := os.ReadFile(filepath.Join(dir, e.name+".manifest.json"))
		got, _ := os.ReadFile(filepath.Join(again, e.name+".manifest.json"))
		if !bytes.Equal(orig, got) {
			t.Errorf("%s: reproduced manifest differs:\n%s\nvs\n%s", e.name, orig, got)
		}
	}
}

// TestReproduceDetectsChanges: a changed capture list or a changed archive
// is reported, and nothing is written.
func TestReproduceDetectsChanges(t *testing.T) {
	f := buildArchive(t)
	dir := t.TempDir()
	exportTo(t, f, dir, "ds.csv", Options{Format: CSV})
	manifest := filepath.Join(dir, "ds.csv.manifest.json")

	// The catalog's record of one capture changes (as after a re-extraction
	// and reindex with another extractor): the CSV would differ.
	e := f.entry(t, "ctv")
	e.Paywalled = true
	if err := f.cat.Put(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	again := t.TempDir()
	_, err := Reproduce(context.Background(), f.st, f.cat, manifest, reproduceOpts(again))
	if err == nil || !strings.Contains(err.Error(), "ds.csv differs") {
		t.Fatalf("reproduce after a change: %v, want a difference in ds.csv", err)
	}
	if left, _ := os.ReadDir(again); len(left) != 0 {
		t.Errorf("a failed reproduction left files: %v", left)
	}

	// An edited capture list.
	ids := filepath.Join(dir, "ds.csv.captures.txt")
	data, _ := os.ReadFile(ids)
	os.WriteFile(ids, bytes.Replace(data, []byte("\n"), []byte("\n\n"), 1), 0o644)
	if _, err := Reproduce(context.Background(), f.st, f.cat, manifest, reproduceOpts(t.TempDir())); err == nil || !strings.Contains(err.Error(), "capture list was changed") {
		t.Errorf("reproduce with an edited capture list: %v", err)
	}
	if _, err := Reproduce(context.Background(), f.st, f.cat, filepath.Join(dir, "ds.csv"), reproduceOpts(t.TempDir())); err == nil {
		t.Errorf("a CSV file was accepted as a manifest")
	}
}

// TestBadInputs: unknown formats and fields, existing files, unwritable
// places and failures part way leave no file behind.
func TestBadInputs(t *testing.T) {
	f := buildArchive(t)
	if _, err := ParseFormat("xlsx"); err == nil || !strings.Contains(err.Error(), "jsonl, csv, parquet, warc, wacz") {
		t.Errorf("ParseFormat(xlsx) = %v", err)
	}
	if _, err := ParseFields("evidence,mood"); err == nil || !strings.Contains(err.Error(), `"mood"`) {
		t.Errorf("ParseFields(mood) = %v", err)
	}
	base := Options{Now: time.Now(), Software: archive.Component{Name: "archivist", Version: "test"}}
	try := func(o Options) error {
		_, err := Export(context.Background(), f.st, f.cat, o)
		return err
	}

	dir := t.TempDir()
	o := base
	o.Format, o.Out = CSV, filepath.Join(dir, "ds.csv")
	os.WriteFile(o.Out+".datasheet.md", []byte("mine"), 0o644)
	if err := try(o); !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "--force") {
		t.Errorf("export over an existing datasheet: %v", err)
	}
	if got, _ := os.ReadFile(o.Out + ".datasheet.md"); string(got) != "mine" {
		t.Errorf("an existing file was overwritten")
	}
	assertFiles(t, dir, "ds.csv.datasheet.md")
	o.Force = true
	if err := try(o); err != nil {
		t.Errorf("--force: %v", err)
	}
	assertFiles(t, dir, "ds.csv", "ds.csv.captures.txt", "ds.csv.datasheet.md", "ds.csv.manifest.json")

	// A parent that is a file cannot hold the output.
	o = base
	o.Format, o.Out = JSONL, filepath.Join(dir, "ds.csv", "x.jsonl")
	if err := try(o); err == nil || !strings.Contains(err.Error(), "cannot write") {
		t.Errorf("export under a file: %v", err)
	}

	// A damaged archive: the export fails part way, nothing is left.
	bad := t.TempDir()
	e := f.entry(t, "edge")
	if err := os.Remove(filepath.Join(f.dir, filepath.FromSlash(e.Article.Key))); err != nil {
		t.Fatal(err)
	}
	for _, format := range Formats() {
		o = base
		o.Format, o.Out = format, filepath.Join(bad, "ds"+format.Extension())
		if format == WARC || format == WACZ {
			w := f.entry(t, "toi")
			os.Remove(filepath.Join(f.dir, filepath.FromSlash(w.WARC.Key)))
		}
		err := try(o)
		if err == nil || !strings.Contains(err.Error(), "export capture") {
			t.Errorf("%s export of a damaged archive: %v", format, err)
		}
	}
	assertFiles(t, bad)

	o = base
	o.Format, o.Out, o.With = WARC, filepath.Join(bad, "x.warc.gz"), Fields{Outlinks: true}
	if err := try(o); err == nil || !strings.Contains(err.Error(), "only in jsonl") {
		t.Errorf("optional fields on a WARC export: %v", err)
	}
	o = base
	o.Format, o.Out, o.Query = CSV, filepath.Join(bad, "x.csv"), Query{Versions: "newest"}
	if err := try(o); err == nil || !strings.Contains(err.Error(), "latest") {
		t.Errorf("unknown versions: %v", err)
	}
}

// assertFiles fails unless dir holds exactly the named files.
func assertFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	slices.Sort(got)
	slices.Sort(names)
	if !slices.Equal(got, names) {
		t.Errorf("%s holds %v, want %v", dir, got, names)
	}
}
