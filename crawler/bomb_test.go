package crawler

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"runtime"
	"testing"
)

// TestGzipBombNotInflated fetches a page sent with Content-Encoding gzip
// that inflates to 256 MiB: the fetch records the body as transferred (about
// 1 MB) and allocates nowhere near the inflated size, whatever the HTTP
// library underneath would do with it.
func TestGzipBombNotInflated(t *testing.T) {
	const inflated = 256 << 20
	// One compressed 16 MiB member repeated: gzip readers concatenate
	// members, and building it costs milliseconds.
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	zw.Write(bytes.Repeat([]byte{' '}, 16<<20))
	zw.Close()
	var bomb bytes.Buffer
	zw, _ = gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zw.Write([]byte("<!doctype html><html><head><title>Bomb</title></head><body><p>"))
	zw.Close()
	for n := 0; n < inflated; n += 16 << 20 {
		bomb.Write(member.Bytes())
	}

	s := newSite(t, "bomb.test")
	s.mux.HandleFunc("/bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb.Bytes())
	})
	cfg := testConfig(t, newTestResolver("bomb.test"))
	cfg.ObeyRobots = false
	f := newTestFetcher(t, cfg)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res := f.Fetch(t.Context(), FetchRequest{URL: s.url("/bomb")})
	runtime.ReadMemStats(&after)
	if res.Outcome != FetchOK {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Reason)
	}
	if got := res.Exchange.Final().Body; !bytes.Equal(got, bomb.Bytes()) {
		t.Errorf("recorded body of %d bytes, want the %d bytes sent", len(got), bomb.Len())
	}
	// The body is held a few times over (recording, colly, the
	// exchange); inflating it would allocate over 256 MiB.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("the fetch allocated %d MiB for a %d KiB body", alloc>>20, bomb.Len()>>10)
	}
}
