package urlnorm

import "testing"

// links is a news page's mix: absolute, tracking parameters, fragments,
// upper case hosts, dot segments.
var links = []string{
	"https://www.example-news.com/2025/07/08/world/canada/hikvision-court-ruling.html?utm_source=twitter&utm_medium=social",
	"https://www.example-news.com/section/world/",
	"HTTPS://WWW.Example-News.com:443/a/../b/./story-123#comments",
	"https://cdn.example-news.com/static/img/logo.png",
	"https://www.example-news.com/video?id=123456&ref=home&fbclid=abc",
	"http://other.example/path/to/article-title-goes-here-12345",
}

// BenchmarkNormalize is what discovery pays for every link of every page.
func BenchmarkNormalize(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Normalize(links[i%len(links)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKey is the de-duplication key of a normalised URL.
func BenchmarkKey(b *testing.B) {
	norm := make([]string, len(links))
	for i, l := range links {
		norm[i], _ = Normalize(l)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Key(norm[i%len(norm)])
	}
}
