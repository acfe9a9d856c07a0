package capture

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/catalog/sqlite"
	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/archive/store/local"
	"github.com/archivist-project/archivist/archive/store/miniotest"
	"github.com/archivist-project/archivist/archive/store/s3"
	"github.com/archivist-project/archivist/archive/versions"
	"github.com/archivist-project/archivist/crawler/urlnorm"
)

// errKilled stands for the process dying: no write after it happens.
var errKilled = errors.New("process killed")

// dyingStore lets the first puts through, then fails every later one, as
// a process killed part way through a capture would leave the store.
type dyingStore struct {
	store.Store
	mu   sync.Mutex
	left int
}

func (d *dyingStore) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	d.mu.Lock()
	if d.left == 0 {
		d.mu.Unlock()
		return errKilled
	}
	d.left--
	d.mu.Unlock()
	return d.Store.Put(ctx, key, r, size)
}

// crashPoints are the moments a capture can die at: before or after each
// of its writes.
var crashPoints = []struct {
	name     string
	puts     int  // objects stored before the crash
	catalog  bool // whether the catalog row is refused too
	leftover bool // whether an incomplete capture stays behind
}{
	{"before any object", 0, false, false},
	{"after the WARC", 1, false, true},
	{"after the article", 2, false, true},
	{"after the provenance record, before the catalog row", 3, true, false},
}

// TestRetryAfterCrashLocal and TestRetryAfterCrashS3 kill a capture at
// every point of its writes, restart as `serve` does (index recent
// orphans, then retry the fetch) and check that the earlier captures are
// byte for byte untouched, the page is archived once per payload, and the
// audit finds no problem.
func TestRetryAfterCrashLocal(t *testing.T) {
	testRetryAfterCrash(t, func(t *testing.T) store.Store {
		st, err := local.Open(filepath.Join(t.TempDir(), "store"))
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

func TestRetryAfterCrashS3(t *testing.T) {
	srv := miniotest.Start(t)
	testRetryAfterCrash(t, func(t *testing.T) store.Store {
		b := make([]byte, 6)
		rand.Read(b)
		st, err := s3.Open(context.Background(), s3.Config{
			Endpoint: srv.Endpoint, Bucket: "crash-" + hex.EncodeToString(b), AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}

func testRetryAfterCrash(t *testing.T, open func(t *testing.T) store.Store) {
	for _, cp := range crashPoints {
		t.Run(cp.name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			log := slog.New(slog.DiscardHandler)
			cat, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "catalog.db"), log)
			if err != nil {
				t.Fatal(err)
			}
			defer cat.Close()
			t0 := time.Date(2025, 7, 8, 10, 0, 0, 0, time.UTC)
			sw := software()
			rec := NewRecorder(st, cat, sw, Config{KeepListings: true}, log)
			v1 := storyPage("Hikvision takes Canada to court", "", "v1")
			v2 := storyPage("Court rejects Hikvision bid to stay in Canada", "<p>A judge dismissed the application on Tuesday.</p>", "v2")
			first := captureWith(t, rec, t0, storyURL, v1)
			other := captureWith(t, rec, t0.Add(time.Minute), "http://wire.test/other", mirroredPage())
			before := snapshot(t, st)

			// The crash, while capturing the story's second version.
			dying := &dyingStore{Store: st, left: cp.puts}
			var dcat catalog.Catalog = cat
			if cp.catalog {
				dcat = failingCatalog{cat}
			}
			dead := NewRecorder(dying, dcat, sw, Config{KeepListings: true}, log)
			crashAt := t0.Add(time.Hour)
			if _, err := dead.Capture(ctx, exchangeAt(storyURL, crashAt, v2), nil); err == nil {
				t.Fatal("the dying capture succeeded")
			}
			crashed := snapshot(t, st)

			// The restart: serve indexes what the crash left complete,
			// then the fetch is retried.
			if _, err := IndexRecentOrphans(ctx, st, cat, crashAt.Add(-time.Hour), crashAt.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			retry := captureWith(t, rec, crashAt.Add(time.Minute), storyURL, v2)

			// Nothing written before the retry changed, byte for byte.
			after := snapshot(t, st)
			for key, sum := range crashed {
				if after[key] != sum {
					t.Errorf("%s changed after the retry", key)
				}
			}
			for key := range before {
				if crashed[key] != before[key] {
					t.Errorf("%s changed by the crash", key)
				}
			}
			// The story: one full capture per payload, the retry a revisit
			// when the crashed capture was complete.
			chain, err := versions.Chain(ctx, cat, urlnorm.Key(storyURL))
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, v := range chain {
				kinds = append(kinds, v.Kind)
			}
			want := "response,response"
			if cp.catalog {
				want = "response,response,revisit"
			}
			if strings.Join(kinds, ",") != want || chain[0].CaptureID != first.CaptureID || chain[len(chain)-1].CaptureID != retry.CaptureID {
				t.Errorf("story chain %v (%+v), want %s from %s to %s", kinds, chain, want, first.CaptureID, retry.CaptureID)
			}
			if _, err := cat.Get(ctx, other.CaptureID); err != nil {
				t.Errorf("the other page's capture: %v", err)
			}
			// The audit: no problem; an interrupted capture is a noted
			// leftover, since the page was captured again.
			var problems, notes []string
			stats, err := Audit(ctx, st, cat, VerifyOptions{MaxWARCBody: 1 << 20, Report: func(p Problem) {
				if p.Note {
					notes = append(notes, p.String())
				} else {
					problems = append(problems, p.String())
				}
			}})
			if err != nil {
				t.Fatal(err)
			}
			if stats.Problems != 0 || len(problems) != 0 {
				t.Errorf("audit problems: %v", problems)
			}
			if wantNotes := map[bool]int{true: 1, false: 0}[cp.leftover]; len(notes) != wantNotes || stats.Leftovers != wantNotes {
				t.Errorf("audit notes %v, want %d leftover", notes, wantNotes)
			}
			for _, n := range notes {
				if !strings.HasPrefix(n, "leftover") || !strings.Contains(n, "captured again as "+retry.CaptureID) {
					t.Errorf("note %q does not name the capture that redid it", n)
				}
			}
		})
	}
}

// TestWritesNeverOverwrite: a retried write that lands on an existing
// object's key (a second process, a replayed request) is refused and the
// archived bytes stay as they were, on both backends.
func TestWritesNeverOverwrite(t *testing.T) {
	stores := map[string]func(t *testing.T) store.Store{
		"local": func(t *testing.T) store.Store {
			st, err := local.Open(filepath.Join(t.TempDir(), "store"))
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
		"s3": func(t *testing.T) store.Store {
			srv := miniotest.Start(t)
			st, err := s3.Open(context.Background(), s3.Config{Endpoint: srv.Endpoint, Bucket: "overwrite", AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			log := slog.New(slog.DiscardHandler)
			cat, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "catalog.db"), log)
			if err != nil {
				t.Fatal(err)
			}
			defer cat.Close()
			rec := NewRecorder(st, cat, software(), Config{KeepListings: true}, log)
			res := captureWith(t, rec, time.Date(2025, 7, 8, 10, 0, 0, 0, time.UTC), storyURL, storyPage("Original", "", "x"))
			before := snapshot(t, st)
			for _, name := range []string{archive.WARCName, archive.ArticleName, archive.ProvenanceName} {
				key, _ := archive.CaptureKey(res.CaptureID, name)
				forged := "forged " + name
				err := st.Put(ctx, key, strings.NewReader(forged), int64(len(forged)))
				if !errors.Is(err, store.ErrExists) {
					t.Errorf("put over %s = %v, want ErrExists", key, err)
				}
			}
			after := snapshot(t, st)
			for key, sum := range before {
				if after[key] != sum {
					t.Errorf("%s changed", key)
				}
			}
			var problems []string
			if _, err := Verify(ctx, st, cat, 1<<20, func(p Problem) { problems = append(problems, p.String()) }); err != nil || len(problems) > 0 {
				t.Errorf("verify: %v %v", problems, err)
			}
		})
	}
}

func software() archive.Component { return archive.Component{Name: "archivist", Version: "test"} }

// captureWith archives body fetched from url at start, or fails the test.
func captureWith(t *testing.T, rec *Recorder, start time.Time, url string, body []byte) Result {
	t.Helper()
	res, err := rec.Capture(context.Background(), exchangeAt(url, start, body), nil)
	if err != nil || !res.Archived {
		t.Fatalf("capture %s: %+v, %v", url, res, err)
	}
	return res
}

func exchangeAt(url string, start time.Time, body []byte) *archive.Exchange {
	ex := exchangeFor(evalPage{url: url, body: body}, start)
	ex.Hops[0].ResponseHeader.Set("Content-Type", "text/html; charset=utf-8")
	return ex
}

// snapshot maps every object key of the store to its SHA-256.
func snapshot(t *testing.T, st store.Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := st.List(context.Background(), "", func(oi store.ObjectInfo) error {
		ref, err := HashObject(context.Background(), st, oi.Key)
		out[oi.Key] = ref.SHA256
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// corruptingStore flips a byte in every object whose key ends in name, as
// a failing disk would.
type corruptingStore struct {
	store.Store
	name string
}

func (c *corruptingStore) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if !strings.HasSuffix(key, "/"+c.name) {
		return c.Store.Put(ctx, key, r, size)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	data[len(data)/2] ^= 0xff
	return c.Store.Put(ctx, key, bytes.NewReader(data), size)
}
