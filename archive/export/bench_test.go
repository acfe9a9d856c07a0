package export

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/extract"
)

// The memory benchmark exports N synthetic captures and reports the peak
// heap in use during the export. The catalog and store are synthetic:
// they generate each entry and object from its capture id on demand, so
// that a million rows need no million files and the heap measured is the
// export's own. Every row has a ~300-word article and a provenance record;
// one row in 20 is a near-copy of the row before it.
//
//	go test ./archive/export -run '^$' -bench Memory -benchtime 1x -timeout 60m
//	ARCHIVIST_BENCH_ROWS=1000000 go test ./archive/export -run '^$' -bench Memory -benchtime 1x -timeout 60m
func BenchmarkExportMemory(b *testing.B) {
	rows := 100000
	if v := os.Getenv("ARCHIVIST_BENCH_ROWS"); v != "" {
		rows, _ = strconv.Atoi(v)
	}
	warcTemplate := templateWARC(b)
	for _, f := range Formats() {
		b.Run(fmt.Sprintf("format=%s/rows=%d", f, rows), func(b *testing.B) {
			for range b.N {
				src := &synthetic{n: rows, t0: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), warc: warcTemplate, vocab: vocabulary()}
				// ARCHIVIST_BENCH_OUT keeps the outputs there, to read them
				// back with other tools.
				dir := os.Getenv("ARCHIVIST_BENCH_OUT")
				if dir == "" {
					dir = b.TempDir()
				}
				peak, base := measurePeak(func() {
					_, err := Export(context.Background(), src.store(), src, Options{
						Format: f, Out: filepath.Join(dir, "bench"+f.Extension()), Now: time.Now(),
						Software: archive.Component{Name: "archivist", Version: "bench"},
					})
					if err != nil {
						b.Fatal(err)
					}
				})
				st, _ := os.Stat(filepath.Join(dir, "bench"+f.Extension()))
				b.ReportMetric(float64(peak-base)/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(st.Size())/(1<<20), "output-MiB")
				b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
			}
		})
	}
}

// measurePeak runs fn while sampling the heap in use (the runtime's
// HeapInuse: spans holding objects) every 5 ms, and returns the peak and
// the heap in use before fn started. runtime/metrics is read rather than
// ReadMemStats, which stops the world at every sample.
func measurePeak(fn func()) (peak, base uint64) {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	inuse := func() uint64 {
		metrics.Read(samples)
		return samples[0].Value.Uint64() + samples[1].Value.Uint64()
	}
	runtime.GC()
	base = inuse()
	var max atomic.Uint64
	max.Store(base)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		local := []metrics.Sample{{Name: samples[0].Name}, {Name: samples[1].Name}}
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				metrics.Read(local)
				if v := local[0].Value.Uint64() + local[1].Value.Uint64(); v > max.Load() {
					max.Store(v)
				}
			}
		}
	}()
	fn()
	close(stop)
	<-done
	return max.Load(), base
}

// templateWARC is one real capture's WARC file, served for every
// synthetic capture.
func templateWARC(b *testing.B) []byte {
	f := newFixture(b)
	s := story{key: "t", host: "news.test", path: "/a", title: "A story", author: "Ana Ruiz", published: "2025-07-08T10:00:00Z",
		lang: "en", paras: []string{strings.Repeat("The council met on Monday to discuss the harbour budget. ", 12), strings.Repeat("Ferries will run later in summer. ", 10)}}
	f.add(b, s)
	e := f.entry(b, "t")
	rc, err := f.st.Get(context.Background(), e.WARC.Key)
	if err != nil {
		b.Fatal(err)
	}
	defer rc.Close()
	data, _ := io.ReadAll(rc)
	return data
}

// synthetic is a catalog and store of n generated captures.
type synthetic struct {
	n     int
	t0    time.Time
	warc  []byte
	vocab []string
}

func (s *synthetic) id(i int) string {
	return s.t0.Add(time.Duration(i)*time.Second).Format("20060102T150405Z") + "-" + fmt.Sprintf("%010d", i)
}

func (s *synthetic) index(id string) (int, error) {
	_, n, ok := strings.Cut(id, "-")
	if !ok {
		return 0, fmt.Errorf("bad id %q", id)
	}
	return strconv.Atoi(n)
}

// text is row i's article: ~300 words; every 20th row repeats the row
// before it with a different last sentence, like a syndicated copy.
func (s *synthetic) text(i int) string {
	src := i
	if i%20 == 19 {
		src = i - 1
	}
	r := rand.New(rand.NewPCG(uint64(src), 7))
	var b strings.Builder
	for w := range 300 {
		if w > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s.vocab[r.IntN(len(s.vocab))])
	}
	if src != i {
		b.WriteString(" Carried from the wire.")
	}
	return b.String()
}

func (s *synthetic) entry(i int) catalog.Entry {
	id := s.id(i)
	prefix, _ := archive.CapturePrefix(id)
	pub := s.t0.Add(time.Duration(i) * time.Second).Add(-time.Hour)
	return catalog.Entry{
		CaptureID: id, URL: fmt.Sprintf("https://news%d.test/story/%d", i%50, i), FinalURL: fmt.Sprintf("https://news%d.test/story/%d", i%50, i),
		URLKey: fmt.Sprintf("https://news%d.test/story/%d", i%50, i), Host: fmt.Sprintf("news%d.test", i%50),
		FetchedAt: s.t0.Add(time.Duration(i) * time.Second), Status: 200, PageType: "article", Title: fmt.Sprintf("Story %d", i),
		Published: &pub, Language: "en", Text: s.text(i), Source: fmt.Sprintf("source-%d", i%7), Kind: "response",
		ExtractorVersion: "bench",
		WARC:             archive.ObjectRef{Key: prefix + archive.WARCName},
		Article:          archive.ObjectRef{Key: prefix + archive.ArticleName},
		Provenance:       archive.ObjectRef{Key: prefix + archive.ProvenanceName},
	}
}

func (s *synthetic) Select(ctx context.Context, sel catalog.Selection, fn func(catalog.Entry) error) error {
	for i := range s.n {
		if err := fn(s.entry(i)); err != nil {
			return err
		}
	}
	return nil
}

func (s *synthetic) Get(ctx context.Context, id string) (catalog.Entry, error) {
	i, err := s.index(id)
	if err != nil || i >= s.n {
		return catalog.Entry{}, catalog.ErrNotFound
	}
	return s.entry(i), nil
}

// store is the synthetic store's view: Get serves the objects of a key.
func (s *synthetic) store() Store { return syntheticStore{s} }

type syntheticStore struct{ s *synthetic }

func (ss syntheticStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	id, name, ok := archive.ParseCaptureKey(key)
	if !ok {
		return nil, fmt.Errorf("bad key %s", key)
	}
	i, err := ss.s.index(id)
	if err != nil {
		return nil, err
	}
	e := ss.s.entry(i)
	var v any
	switch name {
	case archive.WARCName:
		return io.NopCloser(bytes.NewReader(ss.s.warc)), nil
	case archive.ArticleName:
		v = extract.Article{URL: e.FinalURL, Title: e.Title, Authors: []string{"Ana Ruiz"}, Published: e.Published,
			Language: "en", Text: e.Text, WordCount: 300, PageType: "article", Tags: []string{},
			Extractor: extract.Component{Name: extract.Name, Version: "bench"}}
	case archive.ProvenanceName:
		v = archive.Provenance{Schema: archive.ProvenanceSchema, CaptureID: id, RequestedURL: e.URL, FinalURL: e.FinalURL,
			Status: 200, FetchStart: e.FetchedAt, FetchEnd: e.FetchedAt, ContentType: "text/html", PayloadSHA256: strings.Repeat("ab", 32),
			Objects: map[string]archive.ObjectRef{"article": e.Article, "warc": e.WARC}}
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

// vocabulary is a fixed list of words for synthetic articles.
func vocabulary() []string {
	return strings.Fields(`the council met on monday to discuss harbour budget ferry timetable minister said
government court ruling company statement security review national market trade price rose fell week year month
report police city region election vote party leader official spokesperson water energy school hospital road
bridge rail airport climate storm flood drought farmers workers union strike talks agreement deal sanctions
investors shares bank rates inflation growth export import factory plant jobs wages tax spending plan law bill
parliament senate president prime foreign ministry embassy border health vaccine study researchers university`)
}

// BenchmarkExportRealArchive exports N captures from a real SQLite
// catalog and local store, filled beforehand (objects written straight
// into the store's directory layout, catalog rows in batches), so that
// SQLite's reading and the store's file reads are part of the figure.
//
//	ARCHIVIST_BENCH_ROWS=100000 go test ./archive/export -run '^$' -bench RealArchive -benchtime 1x -timeout 60m
func BenchmarkExportRealArchive(b *testing.B) {
	rows := 20000
	if v := os.Getenv("ARCHIVIST_BENCH_ROWS"); v != "" {
		rows, _ = strconv.Atoi(v)
	}
	f := newFixture(b)
	syn := &synthetic{n: rows, t0: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), warc: templateWARC(b), vocab: vocabulary()}
	ctx := context.Background()
	warcSum := sha256.Sum256(syn.warc)
	batch := make([]catalog.Entry, 0, 1000)
	write := func(key string, data []byte) archive.ObjectRef {
		path := filepath.Join(f.dir, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			b.Fatal(err)
		}
		sum := sha256.Sum256(data)
		return archive.ObjectRef{Key: key, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
	}
	st := syn.store()
	for i := range rows {
		e := syn.entry(i)
		read := func(key string) []byte {
			rc, err := st.Get(ctx, key)
			if err != nil {
				b.Fatal(err)
			}
			data, _ := io.ReadAll(rc)
			return data
		}
		e.WARC = write(e.WARC.Key, syn.warc)
		e.WARC.SHA256 = hex.EncodeToString(warcSum[:])
		e.Article = write(e.Article.Key, read(e.Article.Key))
		var prov archive.Provenance
		json.Unmarshal(read(e.Provenance.Key), &prov)
		prov.Objects = map[string]archive.ObjectRef{"article": e.Article, "warc": e.WARC}
		provJSON, _ := json.Marshal(prov)
		e.Provenance = write(e.Provenance.Key, provJSON)
		batch = append(batch, e)
		if len(batch) == cap(batch) || i == rows-1 {
			if err := f.cat.PutBatch(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	b.ResetTimer()
	for _, format := range []Format{JSONL, Parquet, WACZ} {
		b.Run(fmt.Sprintf("format=%s/rows=%d", format, rows), func(b *testing.B) {
			for range b.N {
				dir := b.TempDir()
				peak, base := measurePeak(func() {
					_, err := Export(ctx, f.st, f.cat, Options{
						Format: format, Out: filepath.Join(dir, "bench"+format.Extension()), Now: time.Now(),
						Software: archive.Component{Name: "archivist", Version: "bench"},
						Query:    Query{Text: "council"},
					})
					if err != nil {
						b.Fatal(err)
					}
				})
				b.ReportMetric(float64(peak-base)/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
			}
		})
	}
}
