package archive

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

type sample struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

func TestRecordRoundTrip(t *testing.T) {
	var enc RecordEncoder
	v := sample{Title: "Hikvision challenges Canada", Text: strings.Repeat("A federal court hearing. ", 400)}
	for _, name := range []string{ArticleName, ProvenanceName, LegacyArticleName, LegacyProvenanceName} {
		for range 3 { // reused writers must give the same bytes
			data, err := enc.Encode(name, v)
			if err != nil {
				t.Fatal(err)
			}
			gz := strings.HasSuffix(name, ".gz")
			if gz != bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
				t.Fatalf("%s: gzipped = %v, want %v", name, !gz, gz)
			}
			if gz && len(data) > 1000 {
				t.Errorf("%s: %d bytes for a repetitive 10 KB record: not compressed", name, len(data))
			}
			plain, err := DecodeRecord(name, data, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(plain, []byte("\n  ")) || !bytes.HasSuffix(plain, []byte("}\n")) {
				t.Errorf("%s: record is not compact one-line JSON: %.80q", name, plain)
			}
			var got sample
			if err := json.Unmarshal(plain, &got); err != nil || got != v {
				t.Fatalf("%s: round trip gave %+v, %v", name, got, err)
			}
		}
	}
}

func TestDecodeRecordLimits(t *testing.T) {
	var enc RecordEncoder
	data, err := enc.Encode(ArticleName, sample{Text: strings.Repeat("x", 1<<20)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeRecord(ArticleName, data, 1<<10); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("a record inflating past the limit: %v, want a size error", err)
	}
	if _, err := DecodeRecord(ArticleName, []byte(`{"title":"plain"}`), 1<<10); err == nil || !strings.Contains(err.Error(), ArticleName) {
		t.Errorf("a .gz object that is not gzip: %v, want an error naming it", err)
	}
}

// BenchmarkEncodeArticle encodes an Article-sized record with one reused
// encoder, as the Recorder does.
func BenchmarkEncodeArticle(b *testing.B) {
	var enc RecordEncoder
	v := sample{Title: "Hikvision challenges Canada", Text: strings.Repeat("A federal court hearing was set for Tuesday. ", 150)}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := enc.Encode(ArticleName, v); err != nil {
			b.Fatal(err)
		}
	}
}

// provenanceJSON is a provenance record from `archivist bench` (1,723
// bytes on average there; this one 1,768).
const provenanceJSON = `{"schema":"archivist.provenance/v1","capture_id":"20261127T072620Z-L3ZFS7AH53","requested_url":"http://h0008.bench.test:35931/story.php?id=400540","final_url":"http://h0008.bench.test:35931/story.php?id=400540","redirect_chain":[{"url":"http://h0008.bench.test:35931/story.php?id=400540","status":200}],"http_status":200,"fetch_start":"2026-11-27T07:26:20.477002742Z","fetch_end":"2026-11-27T07:26:20.51767603Z","remote_ip":"127.0.0.1","content_type":"text/html; charset=utf-8","content_length":289730,"payload_sha256":"f69694eb31dca78fdfc9e00abd0379f60e0cc73ed02e1b0acf8a0df06ee764fe","seed":"http://h0008.bench.test:35931/section/science/","via":"http://h0008.bench.test:35931/section/science/","hops":1,"robots":{"policy":"obey","result":"allowed","robots_url":"http://h0008.bench.test:35931/robots.txt"},"user_agent":"Archivist/devel (+https://github.com/archivist-project/archivist)","software":{"name":"archivist","version":"(devel)"},"extractor":{"name":"archivist-extract","version":"0.2.0"},"crawl_run_id":"20261127T072612Z-I3KQWIKHYM","warc_response":{"record_id":"\u003curn:uuid:ae497f4b-b20d-42a5-a2e6-14140d6e14a8\u003e","target_uri":"http://h0008.bench.test:35931/story.php?id=400540","date":"2026-11-27T07:26:20.477081232Z"},"objects":{"article":{"key":"captures/2026/11/27/20261127T072620Z-L3ZFS7AH53/article.json.gz","sha256":"06e1f268b7f5383ca6959148dfe9e78d88d720b659278ad27a92b27e758d71bd","size":4983},"warc":{"key":"captures/2026/11/27/20261127T072620Z-L3ZFS7AH53/capture.warc.gz","sha256":"d2270d4848d07b115a40164916d9ef85aef0bd43108bad6a5c45a56d15330b36","size":95288}}}`

// TestProvenanceNames: a capture is complete with either provenance
// name, and a gzipped record is under half the plain one.
func TestProvenanceNames(t *testing.T) {
	for name, want := range map[string]bool{ProvenanceName: true, LegacyProvenanceName: true, "provenance.json.tmp": false, ArticleName: false, "provenance.gz": false} {
		if IsProvenanceName(name) != want {
			t.Errorf("IsProvenanceName(%q) = %v", name, !want)
		}
	}
	var p Provenance
	if err := json.Unmarshal([]byte(provenanceJSON), &p); err != nil {
		t.Fatal(err)
	}
	var enc RecordEncoder
	plain, _ := enc.Encode(LegacyProvenanceName, p)
	gz, _ := enc.Encode(ProvenanceName, p)
	if len(gz) > len(plain)/2 {
		t.Errorf("provenance: %d bytes gzipped, %d plain", len(gz), len(plain))
	}
}

// BenchmarkEncodeProvenance encodes a real provenance record, gzipped
// (as stored) and plain (as earlier versions stored it): the difference
// is the CPU the smaller record costs.
func BenchmarkEncodeProvenance(b *testing.B) {
	var p Provenance
	if err := json.Unmarshal([]byte(provenanceJSON), &p); err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{ProvenanceName, LegacyProvenanceName} {
		b.Run(name, func(b *testing.B) {
			var enc RecordEncoder
			var size int
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				data, err := enc.Encode(name, p)
				if err != nil {
					b.Fatal(err)
				}
				size = len(data)
			}
			b.ReportMetric(float64(size), "bytes")
		})
	}
}
