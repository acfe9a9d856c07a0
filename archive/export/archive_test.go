package export

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"github.com/archivist-project/archivist/archive/surt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	iawarc "github.com/internetarchive/gowarc"
)

// cdxjEntry is one parsed CDXJ line.
type cdxjEntry struct {
	key, ts string
	block   cdxjBlock
}

// readCDXJ parses CDXJ lines and checks they are sorted bytewise.
func readCDXJ(t *testing.T, data []byte) []cdxjEntry {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if !slices.IsSorted(lines) {
		t.Errorf("CDXJ lines are not sorted:\n%s", data)
	}
	var out []cdxjEntry
	for _, l := range lines {
		key, rest, _ := strings.Cut(l, " ")
		ts, js, _ := strings.Cut(rest, " ")
		var e cdxjEntry
		e.key, e.ts = key, ts
		if err := json.Unmarshal([]byte(js), &e.block); err != nil {
			t.Fatalf("CDXJ line %q: %v", l, err)
		}
		if len(ts) != 14 {
			t.Errorf("CDXJ timestamp %q is not 14 digits", ts)
		}
		out = append(out, e)
	}
	return out
}

// checkIndexPointsAtRecords reads, for every index entry, the bytes at its
// offset and length with the Internet Archive's WARC reader and checks it
// finds the record the entry describes.
func checkIndexPointsAtRecords(t *testing.T, entries []cdxjEntry, warcData []byte, filename string) {
	t.Helper()
	for _, e := range entries {
		b := e.block
		off, err1 := strconv.ParseInt(b.Offset, 10, 64)
		n, err2 := strconv.ParseInt(b.Length, 10, 64)
		if err1 != nil || err2 != nil || off < 0 || off+n > int64(len(warcData)) {
			t.Fatalf("index entry %+v: offset/length outside the WARC (%d bytes)", b, len(warcData))
		}
		r, err := iawarc.NewReader(bytes.NewReader(warcData[off : off+n]))
		if err != nil {
			t.Fatal(err)
		}
		rec, err := r.ReadRecord()
		if err != nil {
			t.Fatalf("index entry for %s: no WARC record at offset %d: %v", b.URL, off, err)
		}
		typ := rec.Header.Get("WARC-Type")
		date, _ := time.Parse(time.RFC3339Nano, rec.Header.Get("WARC-Date"))
		switch {
		case rec.Header.Get("WARC-Target-URI") != b.URL:
			t.Errorf("offset %d holds %s, index says %s", off, rec.Header.Get("WARC-Target-URI"), b.URL)
		case typ != "response" && typ != "revisit":
			t.Errorf("offset %d holds a %s record", off, typ)
		case (typ == "revisit") != (b.Mime == "warc/revisit"):
			t.Errorf("offset %d: %s record indexed with mime %s", off, typ, b.Mime)
		case date.UTC().Format("20060102150405") != e.ts:
			t.Errorf("offset %d: WARC-Date %s, index timestamp %s", off, date, e.ts)
		case rec.Header.Get("WARC-Payload-Digest") != b.Digest:
			t.Errorf("offset %d: digest %s, index %s", off, rec.Header.Get("WARC-Payload-Digest"), b.Digest)
		case e.key != surt.URL(b.URL) || b.Status != "200" || b.Filename != filename:
			t.Errorf("index entry %s %+v", e.key, b)
		}
		rec.Content.Close()
		if _, err := r.ReadRecord(); !errors.Is(err, io.EOF) {
			t.Errorf("offset %d, length %d spans more than one record", off, n)
		}
	}
}

func TestWARCExport(t *testing.T) {
	f := buildArchive(t)
	dir := t.TempDir()
	m := exportTo(t, f, dir, "ds.warc.gz", Options{Format: WARC})
	data, err := os.ReadFile(filepath.Join(dir, "ds.warc.gz"))
	if err != nil {
		t.Fatal(err)
	}
	// The captures' WARC files, byte for byte, in row order.
	var want bytes.Buffer
	for _, key := range fixtureOrder() {
		rc, err := f.st.Get(context.Background(), f.entry(t, key).WARC.Key)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(&want, rc)
		rc.Close()
	}
	if !bytes.Equal(data, want.Bytes()) {
		t.Fatalf("the WARC export (%d bytes) is not the captures' WARC files concatenated (%d bytes)", len(data), want.Len())
	}
	// An independent reader reads every record.
	r, err := iawarc.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	for {
		rec, err := r.ReadRecord()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("internetarchive/gowarc: %v", err)
		}
		types[rec.Header.Get("WARC-Type")]++
		rec.Content.Close()
	}
	if types["response"] != 10 || types["revisit"] != 1 || types["warcinfo"] != 11 || types["request"] != 11 || len(types) != 4 {
		t.Errorf("record types %v, want 10 responses, 1 revisit, 11 requests and 11 warcinfo", types)
	}
	index, err := os.ReadFile(filepath.Join(dir, "ds.cdxj"))
	if err != nil {
		t.Fatal(err)
	}
	entries := readCDXJ(t, index)
	if len(entries) != 11 {
		t.Errorf("%d index entries, want 11 (10 responses, 1 revisit)", len(entries))
	}
	checkIndexPointsAtRecords(t, entries, data, "ds.warc.gz")
	checkRevisitsResolve(t, entries, data)
	if m.RevisitTargetsAdded != 0 {
		t.Errorf("%d revisit targets added, but every original is selected", m.RevisitTargetsAdded)
	}
	if len(m.Files) != 4 || m.Files[1].Role != RoleIndex || m.Files[1].Path != "ds.cdxj" {
		t.Errorf("manifest files %+v", m.Files)
	}
}

// TestWACZ checks the package against the WACZ 1.1.1 specification: the
// zip layout, STORE entries with sizes in their local headers,
// datapackage.json's digests, datapackage-digest.json, pages.jsonl and
// an index whose offsets point at the records.
func TestWACZ(t *testing.T) {
	f := buildArchive(t)
	dir := t.TempDir()
	now := time.Date(2025, 8, 1, 12, 0, 0, 0, time.UTC)
	m := exportTo(t, f, dir, "ds.wacz", Options{Format: WACZ, Now: now, Query: Query{Versions: LatestVersions}})
	path := filepath.Join(dir, "ds.wacz")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	var names []string
	content := map[string][]byte{}
	for _, zf := range zr.File {
		names = append(names, zf.Name)
		if zf.Method != zip.Store {
			t.Errorf("%s is compressed (method %d); WACZ entries here are stored", zf.Name, zf.Method)
		}
		// Local header: no data descriptor, and the CRC and sizes that
		// range-reading clients take from it.
		off, err := zf.DataOffset()
		if err != nil {
			t.Fatal(err)
		}
		lh := raw[off-30-int64(len(zf.Name))-int64(len(zf.Extra)):]
		if binary.LittleEndian.Uint32(lh) != 0x04034b50 || binary.LittleEndian.Uint16(lh[6:])&0x8 != 0 ||
			binary.LittleEndian.Uint32(lh[14:]) != zf.CRC32 || uint64(binary.LittleEndian.Uint32(lh[18:])) != zf.CompressedSize64 {
			t.Errorf("%s: local header lacks CRC and sizes", zf.Name)
		}
		if !zf.Modified.Equal(now) {
			t.Errorf("%s: modified %v, want the export time %v", zf.Name, zf.Modified, now)
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", zf.Name, err)
		}
		if !bytes.Equal(b, raw[off:off+int64(len(b))]) {
			t.Errorf("%s is not stored byte for byte at its data offset", zf.Name)
		}
		content[zf.Name] = b
	}
	wantNames := []string{"archive/data.warc.gz", "indexes/index.cdxj", "pages/pages.jsonl", "datapackage.json", "datapackage-digest.json"}
	if !slices.Equal(names, wantNames) {
		t.Fatalf("entries %v, want %v", names, wantNames)
	}

	var pkg struct {
		Profile     string `json:"profile"`
		WACZVersion string `json:"wacz_version"`
		Created     string `json:"created"`
		Software    string `json:"software"`
		Resources   []struct {
			Name, Path, Hash string
			Bytes            int64
		} `json:"resources"`
	}
	if err := json.Unmarshal(content["datapackage.json"], &pkg); err != nil {
		t.Fatal(err)
	}
	if pkg.Profile != "data-package" || pkg.WACZVersion != "1.1.1" || pkg.Created != "2025-08-01T12:00:00Z" || pkg.Software == "" {
		t.Errorf("datapackage.json: %+v", pkg)
	}
	if len(pkg.Resources) != 3 {
		t.Errorf("%d resources, want the 3 data files", len(pkg.Resources))
	}
	for _, res := range pkg.Resources {
		sum := sha256.Sum256(content[res.Path])
		if res.Hash != "sha256:"+hex.EncodeToString(sum[:]) || res.Bytes != int64(len(content[res.Path])) || res.Name != filepath.Base(res.Path) {
			t.Errorf("resource %+v does not match the entry's content", res)
		}
	}
	var digest struct{ Path, Hash string }
	json.Unmarshal(content["datapackage-digest.json"], &digest)
	if sum := sha256.Sum256(content["datapackage.json"]); digest.Path != "datapackage.json" || digest.Hash != "sha256:"+hex.EncodeToString(sum[:]) {
		t.Errorf("datapackage-digest.json %+v", digest)
	}

	// Latest versions only: the second TOI version and the Reuters
	// revisit stand for their pages, and the first Reuters capture is
	// added for the payload the revisit refers to.
	entries := readCDXJ(t, content["indexes/index.cdxj"])
	checkIndexPointsAtRecords(t, entries, content["archive/data.warc.gz"], "data.warc.gz")
	if len(entries) != 10 {
		t.Errorf("%d index entries, want 10 (one per page and the revisit's original)", len(entries))
	}
	checkRevisitsResolve(t, entries, content["archive/data.warc.gz"])
	if m.RevisitTargetsAdded != 1 || m.Rows != 9 {
		t.Errorf("manifest: %d rows, %d revisit targets added; want 9 and 1", m.Rows, m.RevisitTargetsAdded)
	}
	sc := bufio.NewScanner(bytes.NewReader(content["pages/pages.jsonl"]))
	sc.Buffer(nil, 16<<20)
	sc.Scan()
	var header map[string]string
	if json.Unmarshal(sc.Bytes(), &header); header["format"] != "json-pages-1.0" || header["id"] != "pages" {
		t.Errorf("pages.jsonl header %s", sc.Text())
	}
	var pageIDs []string
	for sc.Scan() {
		var p waczPage
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		ts, err := time.Parse(time.RFC3339, p.TS)
		if err != nil || p.URL == "" || p.Title == "" {
			t.Errorf("page %+v", p)
		}
		found := slices.ContainsFunc(entries, func(e cdxjEntry) bool {
			return e.block.URL == p.URL && e.ts == ts.Format("20060102150405")
		})
		if !found {
			t.Errorf("page %s at %s has no index entry", p.URL, p.TS)
		}
		pageIDs = append(pageIDs, f.key(p.ID))
	}
	want := []string{"ctv", "aljazeera", "bt", "reuters-copy1", "reuters-copy2", "bt-copy", "edge", "toi-v2", "reuters-revisit"}
	if !slices.Equal(pageIDs, want) {
		t.Errorf("pages %v, want %v", pageIDs, want)
	}
}

// TestLineSorterSpills sorts more lines than fit in its buffer, through
// runs on disk.
func TestLineSorterSpills(t *testing.T) {
	dir := t.TempDir()
	var files []*os.File
	s := newLineSorter(func() (*os.File, error) {
		f, err := os.CreateTemp(dir, "run-*")
		files = append(files, f)
		return f, err
	})
	s.limit = 1 << 10
	var want []string
	for i := range 5000 {
		l := strconv.Itoa((i * 7919) % 5003)
		want = append(want, l)
		if err := s.add(l); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if err := s.writeTo(&out); err != nil {
		t.Fatal(err)
	}
	slices.Sort(want)
	if got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n"); !slices.Equal(got, want) {
		t.Errorf("sorted output differs (%d lines, want %d)", len(got), len(want))
	}
	if len(files) < 10 {
		t.Errorf("%d runs: the sorter did not spill", len(files))
	}
	for _, f := range files {
		f.Close()
	}
}

// checkRevisitsResolve checks that every revisit record in the index
// refers to a response that is in the index too, so replay finds it.
func checkRevisitsResolve(t *testing.T, entries []cdxjEntry, warcData []byte) {
	t.Helper()
	revisits := 0
	for _, e := range entries {
		if e.block.Mime != "warc/revisit" {
			continue
		}
		revisits++
		off, _ := strconv.ParseInt(e.block.Offset, 10, 64)
		r, err := iawarc.NewReader(bytes.NewReader(warcData[off:]))
		if err != nil {
			t.Fatal(err)
		}
		rec, err := r.ReadRecord()
		if err != nil {
			t.Fatal(err)
		}
		uri := rec.Header.Get("WARC-Refers-To-Target-URI")
		date, _ := time.Parse(time.RFC3339Nano, rec.Header.Get("WARC-Refers-To-Date"))
		rec.Content.Close()
		if !slices.ContainsFunc(entries, func(o cdxjEntry) bool {
			return o.block.Mime != "warc/revisit" && o.block.URL == uri && o.ts == date.UTC().Format("20060102150405")
		}) {
			t.Errorf("revisit of %s refers to %s at %s, which is not in the export", e.block.URL, uri, date)
		}
	}
	if revisits == 0 {
		t.Errorf("no revisit in the export to check")
	}
}
