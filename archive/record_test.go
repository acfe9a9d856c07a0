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
	for _, name := range []string{ArticleName, ProvenanceName, LegacyArticleName} {
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
