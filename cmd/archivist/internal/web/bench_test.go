package web

import (
	"io"
	"net/http"
	"net/url"
	"testing"
)

// BenchmarkEndpoints measures whole requests over loopback against the
// fixture archive (sqlite catalog, local store), one endpoint at a time:
//
//	go test ./cmd/archivist/internal/web -run '^$' -bench . -benchtime 200x
func BenchmarkEndpoints(b *testing.B) {
	f := newFixture(b)
	h, err := NewHandler(f.options())
	if err != nil {
		b.Fatal(err)
	}
	srv := serveBench(b, h)
	for _, c := range []struct{ name, path string }{
		{"search", "/api/search?q=court"},
		{"replay", "/web/20250708110000/" + storyURL},
		{"original", "/web/20250708110000id_/" + storyURL},
		{"timemap", "/timemap/link/" + storyURL},
		{"cdx-domain", "/cdx?url=*.test&output=json"},
		{"diff", "/api/diff?url=" + url.QueryEscape(storyURL)},
		{"article-page", "/capture/" + f.ids["story2"]},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				resp, err := http.Get(srv + c.path)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: status %d", c.path, resp.StatusCode)
				}
			}
		})
	}
}
