package local

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// BenchmarkPutCapture writes one capture's three objects (a 40 KB WARC, an
// 8 KB Article, a 2 KB provenance record) the way the Recorder does: each
// into a temporary file, fsynced, linked into the capture's new directory,
// and that directory fsynced.
func BenchmarkPutCapture(b *testing.B) {
	st, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	objects := []struct {
		name string
		data []byte
	}{
		{"capture.warc.gz", bytes.Repeat([]byte("w"), 40<<10)},
		{"article.json.gz", bytes.Repeat([]byte("a"), 8<<10)},
		{"provenance.json", bytes.Repeat([]byte("p"), 2<<10)},
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		prefix := fmt.Sprintf("captures/2026/11/27/20261127T000000Z-%010d/", i)
		for _, o := range objects {
			if err := st.Put(ctx, prefix+o.name, bytes.NewReader(o.data), int64(len(o.data))); err != nil {
				b.Fatal(err)
			}
		}
	}
}
