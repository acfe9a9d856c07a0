package crawler

import (
	"bytes"
	"strings"
	"testing"
)

// readCapped must return exactly the body whatever Content-Length claims:
// the header only sizes the first buffer.
func TestReadCappedIgnoresLyingLengths(t *testing.T) {
	body := strings.Repeat("0123456789", 1000) // 10,000 bytes
	for _, tc := range []struct {
		name      string
		max, size int64
		want      int
		truncated string
	}{
		{"exact length", 1 << 20, 10000, 10000, ""},
		{"unknown length", 1 << 20, -1, 10000, ""},
		{"length too small", 1 << 20, 10, 10000, ""},
		{"length too large", 1 << 20, 1 << 30, 10000, ""},
		{"cut at max", 4096, 10000, 4096, "length"},
		{"cut at max, length unknown", 4096, -1, 4096, "length"},
		{"body exactly max", 10000, 10000, 10000, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, truncated, err := readCapped(strings.NewReader(body), tc.max, tc.size)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.want || !bytes.Equal(got, []byte(body[:tc.want])) {
				t.Errorf("read %d bytes, want the first %d of the body", len(got), tc.want)
			}
			if truncated != tc.truncated {
				t.Errorf("truncated = %q, want %q", truncated, tc.truncated)
			}
			if int64(cap(got)) > max(tc.max, 512)+1 && cap(got) > 2*len(got) {
				t.Errorf("buffer capacity %d for %d bytes: a Content-Length must not make it allocate more than max", cap(got), len(got))
			}
		})
	}
}
