package export

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// TestJSONLRows checks the JSON Lines rows against what was archived:
// the Article's fields as extracted, the catalog's, the provenance record,
// and the optional version chain and outlinks.
func TestJSONLRows(t *testing.T) {
	f := buildArchive(t)
	dir := t.TempDir()
	exportTo(t, f, dir, "ds.jsonl", Options{Format: JSONL, With: Fields{Versions: true, Outlinks: true}})
	rows := readJSONL(t, filepath.Join(dir, "ds.jsonl"))
	for i, r := range rows {
		key := fixtureOrder()[i]
		s := f.stories[key]
		e := f.entry(t, key)
		if r.Title != s.title || r.Language != s.lang || r.Source != s.source || !slices.Equal(r.SourceTags, s.tags) {
			t.Errorf("%s: title %q lang %q source %q tags %v; archived %q %q %q %v", key, r.Title, r.Language, r.Source, r.SourceTags, s.title, s.lang, s.source, s.tags)
		}
		if want, _ := time.Parse(time.RFC3339, s.published); r.Published == nil || !r.Published.Equal(want) {
			t.Errorf("%s: published %v, want %v", key, r.Published, want)
		}
		if !strings.Contains(r.Text, s.paras[1]) || r.Text != e.Text {
			t.Errorf("%s: text does not hold the archived paragraphs", key)
		}
		if r.Provenance == nil || r.Provenance.CaptureID != r.CaptureID || r.Provenance.FinalURL != s.url() {
			t.Errorf("%s: provenance %+v", key, r.Provenance)
		}
		if !r.FetchedAt.Equal(f.t0.Add(s.at)) || r.Kind != e.Kind || r.Host != e.Host {
			t.Errorf("%s: fetched %v kind %s host %s", key, r.FetchedAt, r.Kind, r.Host)
		}
		if !slices.Contains(r.Outlinks, "http://"+s.host+"/related/1") {
			t.Errorf("%s: outlinks %v lack the article's link", key, r.Outlinks)
		}
	}
	// Version chains, oldest first.
	byKey := map[string]Row{}
	for _, r := range rows {
		byKey[f.key(r.CaptureID)] = r
	}
	for key, want := range map[string][]string{
		"toi":             {"toi"},
		"toi-v2":          {"toi", "toi-v2"},
		"reuters-revisit": {"reuters", "reuters-revisit"},
	} {
		var got []string
		for _, id := range byKey[key].Versions {
			got = append(got, f.key(id))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: versions %v, want %v", key, got, want)
		}
	}
	if p := byKey["toi-v2"].PreviousCaptureID; p != f.ids["toi"] {
		t.Errorf("toi-v2 previous_capture_id %q, want %s", p, f.ids["toi"])
	}
	// The keys the first JSONL export had stay.
	raw, _ := os.ReadFile(filepath.Join(dir, "ds.jsonl"))
	var first map[string]any
	json.Unmarshal([]byte(strings.SplitN(string(raw), "\n", 2)[0]), &first)
	for _, k := range []string{"capture_id", "fetched_at", "url", "title", "text", "word_count", "provenance", "authors", "tags", "page_type", "extractor", "cluster_id"} {
		if _, ok := first[k]; !ok {
			t.Errorf("row lacks %q", k)
		}
	}
}

// TestCSVReadBack reads the CSV with encoding/csv and checks every cell
// against the JSON Lines export of the same selection: quotes, commas,
// line breaks, tabs and non-ASCII text come back exactly.
func TestCSVReadBack(t *testing.T) {
	f := buildArchive(t)
	dir := t.TempDir()
	with := Fields{Versions: true, Outlinks: true}
	exportTo(t, f, dir, "ds.jsonl", Options{Format: JSONL, With: with})
	exportTo(t, f, dir, "ds.csv", Options{Format: CSV, With: with})
	want := readJSONL(t, filepath.Join(dir, "ds.jsonl"))

	fh, err := os.Open(filepath.Join(dir, "ds.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	records, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatalf("encoding/csv cannot read the export: %v", err)
	}
	header := records[0]
	if !slices.Equal(header, flatColumns(with)) || header[len(header)-1] != "outlinks" {
		t.Fatalf("header %v", header)
	}
	if len(records)-1 != len(want) {
		t.Fatalf("%d records, want %d", len(records)-1, len(want))
	}
	col := func(rec []string, name string) string { return rec[slices.Index(header, name)] }
	list := func(s string) []string {
		var l []string
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatalf("list cell %q: %v", s, err)
		}
		return l
	}
	for i, rec := range records[1:] {
		w := want[i]
		checks := map[string][2]string{
			"capture_id":          {col(rec, "capture_id"), w.CaptureID},
			"fetched_at":          {col(rec, "fetched_at"), w.FetchedAt.Format(time.RFC3339Nano)},
			"requested_url":       {col(rec, "requested_url"), w.Provenance.RequestedURL},
			"title":               {col(rec, "title"), w.Title},
			"text":                {col(rec, "text"), w.Text},
			"published":           {col(rec, "published"), w.Published.UTC().Format(time.RFC3339Nano)},
			"word_count":          {col(rec, "word_count"), strconv.Itoa(w.WordCount)},
			"http_status":         {col(rec, "http_status"), "200"},
			"cluster_id":          {col(rec, "cluster_id"), w.ClusterID},
			"kind":                {col(rec, "kind"), w.Kind},
			"previous_capture_id": {col(rec, "previous_capture_id"), w.PreviousCaptureID},
			"paywalled":           {col(rec, "paywalled"), "false"},
			"payload_sha256":      {col(rec, "payload_sha256"), w.Provenance.PayloadSHA256},
		}
		for name, c := range checks {
			if c[0] != c[1] {
				t.Errorf("row %d %s = %q, want %q", i, name, c[0], c[1])
			}
		}
		if !slices.Equal(list(col(rec, "authors")), w.Authors) || !slices.Equal(list(col(rec, "versions")), w.Versions) ||
			!slices.Equal(list(col(rec, "outlinks")), w.Outlinks) || !slices.Equal(list(col(rec, "source_tags")), w.SourceTags) {
			t.Errorf("row %d: list cells differ from JSONL", i)
		}
	}
	// The awkward article, cell by cell.
	edge := records[1+slices.Index(fixtureOrder(), "edge")]
	if got := col(edge, "title"); got != edgeTitle {
		t.Errorf("edge title %q, want %q", got, edgeTitle)
	}
	if got := list(col(edge, "authors")); !slices.Equal(got, []string{edgeAuthor}) {
		t.Errorf("edge authors %q", got)
	}
	text := col(edge, "text")
	if !strings.Contains(text, "\n\n") || !strings.Contains(text, `"budget, revised"`) || !strings.HasPrefix(text, "=SUM(A1:A9)") ||
		!strings.Contains(text, "東京 と ソウル") {
		t.Errorf("edge text not exact: %q", text)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "ds.csv"))
	if !strings.Contains(string(raw), `"Budget ""révisé"", virgules, =SUM(A1) et 東京 🌊"`) {
		t.Errorf("title is not RFC 4180 quoted in the file")
	}
}

// TestParquetReadBack reads the Parquet file with Apache Arrow's Go
// implementation (not the library that wrote it), and checks the typed
// schema, zstd compression and every value against JSON Lines.
func TestParquetReadBack(t *testing.T) {
	f := buildArchive(t)
	dir := t.TempDir()
	with := Fields{Versions: true, Evidence: true}
	exportTo(t, f, dir, "ds.jsonl", Options{Format: JSONL, With: with})
	exportTo(t, f, dir, "ds.parquet", Options{Format: Parquet, With: with})
	want := readJSONL(t, filepath.Join(dir, "ds.jsonl"))

	rdr, err := file.OpenParquetFile(filepath.Join(dir, "ds.parquet"), false)
	if err != nil {
		t.Fatalf("arrow cannot open the parquet file: %v", err)
	}
	defer rdr.Close()
	md := rdr.MetaData()
	if md.NumRows != int64(len(want)) {
		t.Fatalf("parquet has %d rows, want %d", md.NumRows, len(want))
	}
	for g := range rdr.NumRowGroups() {
		rg := md.RowGroup(g)
		for c := range rg.NumColumns() {
			cc, err := rg.ColumnChunk(c)
			if err != nil {
				t.Fatal(err)
			}
			if cc.Compression() != compress.Codecs.Zstd {
				t.Errorf("column %s is compressed with %v, want zstd", cc.PathInSchema(), cc.Compression())
			}
		}
	}
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatalf("arrow cannot read the table: %v", err)
	}
	defer tbl.Release()
	sc := tbl.Schema()
	typeOf := func(name string) arrow.DataType {
		idx := sc.FieldIndices(name)
		if len(idx) != 1 {
			t.Fatalf("no column %s in %v", name, sc)
		}
		return sc.Field(idx[0]).Type
	}
	for _, name := range []string{"fetched_at", "published", "modified"} {
		ts, ok := typeOf(name).(*arrow.TimestampType)
		if !ok || ts.Unit != arrow.Microsecond || ts.TimeZone != "UTC" {
			t.Errorf("%s has type %v, want timestamp[us, tz=UTC]", name, typeOf(name))
		}
	}
	for name, id := range map[string]arrow.Type{
		"word_count": arrow.INT32, "http_status": arrow.INT32, "paywalled": arrow.BOOL,
		"authors": arrow.LIST, "tags": arrow.LIST, "versions": arrow.LIST, "title": arrow.STRING, "text": arrow.STRING,
	} {
		if got := typeOf(name).ID(); got != id {
			t.Errorf("%s has type %v, want %v", name, typeOf(name), id)
		}
	}
	column := func(name string) []any { return columnValues(t, tbl, name) }
	ids, titles, texts := column("capture_id"), column("title"), column("text")
	fetched, published, modified := column("fetched_at"), column("published"), column("modified")
	authors, versions, outlinks, wc := column("authors"), column("versions"), column("outlinks"), column("word_count")
	evidence := column("evidence")
	for i, w := range want {
		if ids[i] != w.CaptureID || titles[i] != w.Title || texts[i] != w.Text || wc[i] != int32(w.WordCount) {
			t.Errorf("row %d: %v %q differs from JSONL", i, ids[i], titles[i])
		}
		if !fetched[i].(time.Time).Equal(w.FetchedAt) || !published[i].(time.Time).Equal(*w.Published) {
			t.Errorf("row %d: times %v %v, want %v %v", i, fetched[i], published[i], w.FetchedAt, w.Published)
		}
		if modified[i] != nil {
			t.Errorf("row %d: modified %v, want null (unknown)", i, modified[i])
		}
		if !slices.Equal(authors[i].([]string), w.Authors) || !slices.Equal(versions[i].([]string), w.Versions) {
			t.Errorf("row %d: lists %v %v, want %v %v", i, authors[i], versions[i], w.Authors, w.Versions)
		}
		if outlinks[i] != nil {
			t.Errorf("row %d: outlinks %v, want null (not asked for)", i, outlinks[i])
		}
		switch {
		case w.Evidence == nil && evidence[i] != nil:
			t.Errorf("row %d: evidence %v, want null", i, evidence[i])
		case w.Evidence != nil && !jsonEqual(t, evidence[i], w.Evidence):
			t.Errorf("row %d: evidence %v, want %s", i, evidence[i], w.Evidence)
		}
	}
}

// columnValues reads one column of an Arrow table into Go values: strings,
// int32, bool, time.Time (UTC), []string, or nil for null.
func columnValues(t *testing.T, tbl arrow.Table, name string) []any {
	t.Helper()
	idx := tbl.Schema().FieldIndices(name)
	var out []any
	for _, chunk := range tbl.Column(idx[0]).Data().Chunks() {
		for i := range chunk.Len() {
			if chunk.IsNull(i) {
				out = append(out, nil)
				continue
			}
			switch a := chunk.(type) {
			case *array.String:
				out = append(out, a.Value(i))
			case *array.Int32:
				out = append(out, a.Value(i))
			case *array.Boolean:
				out = append(out, a.Value(i))
			case *array.Timestamp:
				unit := a.DataType().(*arrow.TimestampType).Unit
				out = append(out, a.Value(i).ToTime(unit).UTC())
			case *array.List:
				start, end := a.ValueOffsets(i)
				vals := a.ListValues().(*array.String)
				l := []string{}
				for j := start; j < end; j++ {
					l = append(l, vals.Value(int(j)))
				}
				out = append(out, l)
			default:
				out = append(out, chunk.ValueStr(i))
			}
		}
	}
	return out
}

// jsonEqual reports whether the JSON text v (a string from a column)
// holds the same JSON value as want.
func jsonEqual(t *testing.T, v any, want []byte) bool {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		return false
	}
	var a, b any
	if json.Unmarshal([]byte(s), &a) != nil || json.Unmarshal(want, &b) != nil {
		return false
	}
	return reflect.DeepEqual(a, b)
}
