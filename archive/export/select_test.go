package export

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/extract"
)

// keysOf exports f with q to JSONL and returns the fixture keys of the rows.
func keysOf(t *testing.T, f *fixture, q Query) []string {
	t.Helper()
	dir := t.TempDir()
	exportTo(t, f, dir, "q.jsonl", Options{Format: JSONL, Query: q})
	var keys []string
	for _, r := range readJSONL(t, filepath.Join(dir, "q.jsonl")) {
		keys = append(keys, f.key(r.CaptureID))
	}
	return keys
}

func TestSelection(t *testing.T) {
	f := buildArchive(t)
	ts := func(s string) *time.Time {
		v, _ := time.Parse(time.RFC3339, s)
		return &v
	}
	all := fixtureOrder()
	for _, tc := range []struct {
		name string
		q    Query
		want []string
	}{
		{"everything", Query{}, all},
		{"full-text query", Query{Text: "Hikvision"}, slices.DeleteFunc(slices.Clone(all), func(k string) bool { return k == "edge" })},
		{"phrase and filter", Query{Text: `"stern representations"`, Source: "asia"}, []string{"bt", "reuters-copy1", "reuters-copy2", "bt-copy"}},
		{"latest versions", Query{Versions: LatestVersions}, []string{"ctv", "aljazeera", "bt", "reuters-copy1", "reuters-copy2", "bt-copy", "edge", "toi-v2", "reuters-revisit"}},
		{"host", Query{Host: "asiadesk.test"}, []string{"reuters-copy2"}},
		{"source and tag", Query{Source: "asia", Tag: "canada"}, []string{"reuters-copy2"}},
		{"language", Query{Language: "fr"}, []string{"edge"}},
		{"author", Query{Author: "van DYK"}, []string{"ctv"}},
		{"published window", Query{PublishedSince: ts("2025-07-07T00:00:00Z"), PublishedUntil: ts("2025-07-07T23:59:59Z")},
			[]string{"reuters", "ctv", "reuters-copy1", "reuters-copy2", "reuters-revisit"}},
		{"captured window", Query{Since: ts("2025-07-09T00:00:00Z")}, []string{"toi-v2", "reuters-revisit"}},
		{"limit", Query{Limit: 2}, []string{"reuters", "toi"}},
	} {
		if got := keysOf(t, f, tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("%s: rows %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestSample: a seeded sample is reproducible, in capture order, drawn
// from the selection, and grows consistently with N.
func TestSample(t *testing.T) {
	f := buildArchive(t)
	s4 := keysOf(t, f, Query{Sample: 4, Seed: 7})
	if len(s4) != 4 || !slices.Equal(s4, keysOf(t, f, Query{Sample: 4, Seed: 7})) {
		t.Fatalf("sample of 4 with seed 7: %v, not reproducible or not 4", s4)
	}
	order := fixtureOrder()
	if !slices.IsSortedFunc(s4, func(a, b string) int { return slices.Index(order, a) - slices.Index(order, b) }) {
		t.Errorf("sample %v is not in capture order", s4)
	}
	s6 := keysOf(t, f, Query{Sample: 6, Seed: 7})
	for _, k := range s4 {
		if !slices.Contains(s6, k) {
			t.Errorf("sample of 6 %v lacks %s from the sample of 4 %v", s6, k, s4)
		}
	}
	seeds := map[string]bool{}
	for seed := range uint64(8) {
		seeds[strings.Join(keysOf(t, f, Query{Sample: 4, Seed: seed}), ",")] = true
	}
	if len(seeds) < 4 {
		t.Errorf("8 seeds gave only %d different samples", len(seeds))
	}
	latest := keysOf(t, f, Query{Sample: 20, Seed: 1, Versions: LatestVersions})
	if len(latest) != 9 || slices.Contains(latest, "toi") {
		t.Errorf("sample larger than a latest-only selection: %v", latest)
	}
}

// TestDatasheet checks the datasheet's counts against the fixture.
func TestDatasheet(t *testing.T) {
	f := buildArchive(t)
	e := f.entry(t, "ctv")
	e.Paywalled = true
	if err := f.cat.Put(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	exportTo(t, f, dir, "ds.csv", Options{Format: CSV, Query: Query{Text: "Canada OR conseil"}})
	sheet, err := os.ReadFile(filepath.Join(dir, "ds.csv.datasheet.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| full-text query | Canada OR conseil |",
		"| rows | 11 |",
		"Period covered: 2025-07-08 to 2025-07-10 (3 days), 3 of them with captures.",
		"Paywalled or consent-walled pages: 1 of 11 (9.1%).",
		"| asia | 4 | 2025-07-08T14:00:00Z | 2025-07-08T17:00:00Z | 1 |",
		"| wires | 3 | 2025-07-08T10:00:00Z | 2025-07-10T12:00:00Z | 2 |",
		"| day | captures | asia | canada | india | local | wires |",
		"| 2025-07-08 | 9 | 4 | 1 | 1 | 1 | 2 |",
		"| 2025-07-09 | 1 | 0 | 0 | 1 | 0 | 0 |",
		"| en | 10 |",
		"| fr | 1 |",
		"| revisit | 1 |",
		"6 clusters among the selected captures; 8 captures have at least one near-duplicate",
		"- asia: stalled: no captures from 2025-07-09 to 2025-07-10 (2 days)",
		"No crawl log available",
	} {
		if !strings.Contains(string(sheet), want) {
			t.Errorf("datasheet lacks %q", want)
		}
	}
	if strings.Contains(string(sheet), "- india:") || strings.Contains(string(sheet), "- wires:") {
		t.Errorf("a one-day gap is listed as a gap:\n%s", sheet)
	}

	exportTo(t, f, dir, "log.csv", Options{Format: CSV, CrawlLog: []string{"http://x.test/a: 404 Not Found (3 attempts)"}})
	sheet, _ = os.ReadFile(filepath.Join(dir, "log.csv.datasheet.md"))
	if !strings.Contains(string(sheet), "- http://x.test/a: 404 Not Found (3 attempts)") || strings.Contains(string(sheet), "No crawl log") {
		t.Errorf("crawl log section:\n%s", sheet)
	}
}

// recorder records what an export tells its progress bar.
type recorder struct {
	phases []string
	totals []int64
	added  map[string]int
	cur    string
}

func (r *recorder) Phase(name string, total int64) {
	r.phases, r.totals, r.cur = append(r.phases, name), append(r.totals, total), name
}
func (r *recorder) Add(n int) { r.added[r.cur] += n }
func (r *recorder) Done()     { r.cur = "" }

func TestStdoutAndProgress(t *testing.T) {
	f := buildArchive(t)
	var out bytes.Buffer
	rec := &recorder{added: map[string]int{}}
	m, err := Export(context.Background(), f.st, f.cat, Options{
		Format: CSV, Stdout: &out, Now: time.Now(), Progress: rec, Query: Query{Host: "toi.test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&out).ReadAll()
	if err != nil || len(records) != 3 || m.Rows != 2 {
		t.Fatalf("CSV on stdout: %d records, %v; manifest rows %d", len(records), err, m.Rows)
	}
	if !slices.Equal(rec.phases, []string{"selecting", "clustering", "writing"}) || rec.totals[2] != 2 || rec.added["writing"] != 2 || rec.added["selecting"] != 2 {
		t.Errorf("progress: phases %v totals %v added %v", rec.phases, rec.totals, rec.added)
	}
	if _, err := Export(context.Background(), f.st, f.cat, Options{Format: Parquet, Stdout: &out, Now: time.Now()}); err == nil {
		t.Errorf("parquet to standard output was accepted")
	}
}

// TestEvidence: the extractor's metadata evidence is passed on exactly as
// the Article records it, in JSONL and CSV, and only when asked for.
func TestEvidence(t *testing.T) {
	f := buildArchive(t)
	ctx := context.Background()
	src := f.entry(t, "edge")
	data, err := readVerified(ctx, f.st, src.Article)
	if err != nil {
		t.Fatal(err)
	}
	if data, err = archive.DecodeRecord(src.Article.Key, data, 1<<20); err != nil {
		t.Fatal(err)
	}
	// What the extractor recorded for the edge page, if anything.
	var recorded struct {
		Evidence json.RawMessage `json:"evidence"`
	}
	json.Unmarshal(data, &recorded)
	var wantRecorded json.RawMessage
	if len(recorded.Evidence) > 0 {
		var b bytes.Buffer
		json.Compact(&b, recorded.Evidence)
		wantRecorded = b.Bytes()
	}

	// A capture of the same page whose Article carries known evidence.
	var art map[string]any
	json.Unmarshal(data, &art)
	evidence := map[string]*extract.Evidence{"published": {
		Chosen: "2025-07-08T06:00:00Z", Source: "meta:article:published_time",
		Candidates: []extract.Candidate{
			{Source: "meta:article:published_time", Value: "2025-07-08T06:00:00Z"},
			{Source: "url", Value: "2025-07-08", Rejected: "less precise than another candidate"},
		},
	}}
	art["evidence"] = evidence
	artJSON, _ := json.Marshal(art)
	want, _ := json.Marshal(evidence)

	fetched := f.t0.Add(90 * time.Hour)
	id := archive.NewCaptureID(fetched)
	prefix, _ := archive.CapturePrefix(id)
	put := func(name string, b []byte) archive.ObjectRef {
		if err := f.st.Put(ctx, prefix+name, bytes.NewReader(b), int64(len(b))); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		return archive.ObjectRef{Key: prefix + name, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(b))}
	}
	// Stored the way captures made before records were gzipped are (plain
	// article.json and provenance.json): old archives export too.
	artRef := put(archive.LegacyArticleName, artJSON)
	provData, err := readRecord(ctx, f.st, src.Provenance)
	if err != nil {
		t.Fatal(err)
	}
	var prov archive.Provenance
	json.Unmarshal(provData, &prov)
	prov.CaptureID, prov.Objects = id, map[string]archive.ObjectRef{"article": artRef, "warc": src.WARC}
	provJSON, _ := json.MarshalIndent(prov, "", "  ")
	provRef := put(archive.LegacyProvenanceName, provJSON)
	e := src
	e.CaptureID, e.FetchedAt, e.Article, e.Provenance, e.PreviousCaptureID = id, fetched, artRef, provRef, src.CaptureID
	if err := f.cat.Put(ctx, e); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	q := Query{Language: "fr"}
	exportTo(t, f, dir, "ev.jsonl", Options{Format: JSONL, Query: q, With: Fields{Evidence: true, Versions: true}})
	rows := readJSONL(t, filepath.Join(dir, "ev.jsonl"))
	if len(rows) != 2 || !bytes.Equal(rows[0].Evidence, wantRecorded) {
		t.Fatalf("rows %d; the extractor's evidence %s came out as %s", len(rows), wantRecorded, rows[0].Evidence)
	}
	if !bytes.Equal(rows[1].Evidence, want) {
		t.Errorf("evidence %s, want %s", rows[1].Evidence, want)
	}
	if !slices.Equal(rows[1].Versions, []string{src.CaptureID, id}) {
		t.Errorf("versions %v", rows[1].Versions)
	}
	// Both layouts give the provenance record in the same form: the JSON
	// object it holds, never the stored bytes.
	for i, r := range rows {
		if want := []string{src.CaptureID, id}[i]; r.Provenance == nil || r.Provenance.CaptureID != want || r.Provenance.Objects["article"].Key != []string{src.Article.Key, artRef.Key}[i] {
			t.Errorf("row %d: provenance %+v, want the record of %s", i, r.Provenance, want)
		}
	}
	exportTo(t, f, dir, "ev.csv", Options{Format: CSV, Query: q, With: Fields{Evidence: true}})
	fh, _ := os.Open(filepath.Join(dir, "ev.csv"))
	defer fh.Close()
	records, _ := csv.NewReader(fh).ReadAll()
	if got := records[2][len(records[2])-1]; got != string(want) || records[0][len(records[0])-1] != "evidence" {
		t.Errorf("CSV evidence cell %q, want %s", got, want)
	}
	// Without the option, no evidence.
	exportTo(t, f, dir, "plain.jsonl", Options{Format: JSONL, Query: q})
	if r := readJSONL(t, filepath.Join(dir, "plain.jsonl")); r[1].Evidence != nil || r[1].Versions != nil {
		t.Errorf("optional fields present without being asked for")
	}
}

// TestEmbargo: captures the embargo list hides are left out of the rows
// and of version chains, counted in the manifest, and a reproduction that
// would need one fails.
func TestEmbargo(t *testing.T) {
	f := buildArchive(t)
	dir := t.TempDir()
	exportTo(t, f, dir, "before.jsonl", Options{Format: JSONL})
	hideTOI1 := func(e catalog.Entry) bool { return e.CaptureID == f.ids["toi"] || e.Host == "asiadesk.test" }
	m := exportTo(t, f, dir, "ds.jsonl", Options{Format: JSONL, Hidden: hideTOI1, With: Fields{Versions: true}})
	var keys []string
	for _, r := range readJSONL(t, filepath.Join(dir, "ds.jsonl")) {
		keys = append(keys, f.key(r.CaptureID))
		if f.key(r.CaptureID) == "toi-v2" && !slices.Equal(r.Versions, []string{f.ids["toi-v2"]}) {
			t.Errorf("toi-v2 versions %v name the embargoed first version", r.Versions)
		}
	}
	if slices.Contains(keys, "toi") || slices.Contains(keys, "reuters-copy2") || len(keys) != 9 || m.ExcludedByEmbargo != 2 {
		t.Errorf("rows %v, excluded %d; want 9 rows without toi and reuters-copy2, 2 excluded", keys, m.ExcludedByEmbargo)
	}
	o := reproduceOpts(t.TempDir())
	o.Options.Hidden = hideTOI1
	if _, err := Reproduce(context.Background(), f.st, f.cat, filepath.Join(dir, "before.jsonl.manifest.json"), o); err == nil || !strings.Contains(err.Error(), "under embargo") {
		t.Errorf("reproducing an export that holds an embargoed capture: %v", err)
	}
}
