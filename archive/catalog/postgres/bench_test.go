package postgres

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
)

// benchEntries returns n entries shaped like crawled articles (about 5 KB
// of English text over a 5,000-word vocabulary), as the SQLite backend's
// benchmarks make them.
func benchEntries(n int) []catalog.Entry {
	r := rand.New(rand.NewPCG(7, 11))
	vocab := make([]string, 5000)
	for i := range vocab {
		var b strings.Builder
		for range 3 + r.IntN(8) {
			b.WriteByte(byte('a' + r.IntN(26)))
		}
		vocab[i] = b.String()
	}
	text := func(size int) string {
		var b strings.Builder
		for b.Len() < size {
			b.WriteString(vocab[int(float64(len(vocab))*r.Float64()*r.Float64())])
			b.WriteByte(' ')
		}
		return b.String()
	}
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	out := make([]catalog.Entry, n)
	for i := range out {
		fetched := start.Add(time.Duration(i) * time.Second)
		id := archive.NewCaptureID(fetched)
		published := fetched.Add(-2 * time.Hour)
		url := fmt.Sprintf("https://news%d.example/2025/03/story-%d", i%50, i)
		ref := func(name string) archive.ObjectRef {
			return archive.ObjectRef{Key: "captures/2025/03/01/" + id + "/" + name, SHA256: strings.Repeat("0f", 32), Size: 40000}
		}
		out[i] = catalog.Entry{
			CaptureID: id, URL: url, FinalURL: url, URLKey: url,
			Host: fmt.Sprintf("news%d.example", i%50), FetchedAt: fetched, Status: 200,
			ContentType: "text/html; charset=utf-8", PageType: "article",
			Title: text(60), Authors: []string{"Ada Reporter"}, Published: &published,
			SiteName: "Example News", Language: "en", Description: text(150), WordCount: 800,
			Text: text(5000), PayloadSHA256: fmt.Sprintf("%064x", i), Seed: "https://news.example/",
			RunID: "bench", WARC: ref(archive.WARCName), Article: ref(archive.ArticleName),
			Provenance: ref(archive.ProvenanceName),
		}
	}
	return out
}

// BenchmarkPut measures one entry per transaction, the daemon's path.
func BenchmarkPut(b *testing.B) {
	c := openTemp(b)
	entries := benchEntries(1000)
	i := 0
	for b.Loop() {
		e := entries[i%len(entries)]
		e.CaptureID = fmt.Sprintf("%s-%d", e.CaptureID, i)
		if err := c.Put(b.Context(), e); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkPutBatch measures 100 entries per transaction, the reindex and
// migrate-catalog path; one op is one batch.
func BenchmarkPutBatch(b *testing.B) {
	c := openTemp(b)
	entries := benchEntries(1000)
	batch := make([]catalog.Entry, 100)
	n := 0
	for b.Loop() {
		for j := range batch {
			batch[j] = entries[(n+j)%len(entries)]
			batch[j].CaptureID = fmt.Sprintf("%s-%d", batch[j].CaptureID, n+j)
		}
		if err := c.PutBatch(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
		n += len(batch)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/entry")
}

// BenchmarkSearch measures a two-word ranked search with snippets over
// 20,000 articles.
func BenchmarkSearch(b *testing.B) {
	c := openTemp(b)
	entries := benchEntries(20000)
	for i := 0; i < len(entries); i += 500 {
		if err := c.PutBatch(b.Context(), entries[i:i+500]); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := c.pool.Exec(b.Context(), `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	var size int64
	if err := c.pool.QueryRow(b.Context(), `SELECT pg_total_relation_size('captures')`).Scan(&size); err != nil {
		b.Fatal(err)
	}
	// Two words of middling frequency, as a researcher's query would be.
	words := strings.Fields(entries[7].Text)
	q := catalog.Query{Text: words[40] + " " + words[41]}
	for b.Loop() {
		if _, err := c.Search(b.Context(), q); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(size)/float64(len(entries)), "bytes/entry")
}
