package urlnorm

import (
	"fmt"
	"testing"
)

// TestMemo checks that the memory changes nothing: every answer equals
// Normalize's, errors included, through many more URLs than it holds, and
// that it holds at most two generations.
func TestMemo(t *testing.T) {
	const size = 64
	m := NewMemo(size)
	nav := []string{
		"https://News.Example/world/?utm_source=nav",
		"https://news.example/a/../sport",
		"mailto:desk@news.example",
		"javascript:void(0)",
		"https://user:pw@news.example/private",
	}
	for i := range 10 * size {
		links := append([]string{fmt.Sprintf("https://news.example/story-%d?ref=home#c", i)}, nav...)
		for _, raw := range links {
			got, gotErr := m.Normalize(raw)
			want, wantErr := Normalize(raw)
			if got != want || (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
				t.Fatalf("Memo.Normalize(%q) = %q, %v; Normalize says %q, %v", raw, got, gotErr, want, wantErr)
			}
		}
		if n := len(m.cur) + len(m.prev); n > 2*size {
			t.Fatalf("holds %d URLs, more than two generations of %d", n, size)
		}
	}
	// The navigation, on every page, outlives the generations.
	for _, raw := range nav {
		if _, ok := m.cur[raw]; !ok {
			t.Errorf("%q forgotten though every page links to it", raw)
		}
	}
}

// BenchmarkMemo compares normalising pages' links through a Memo and
// directly, on a news page's mix: 50 links of the site's navigation, 10
// to stories:
//
//	go test ./crawler/urlnorm -run '^$' -bench Memo -benchmem
func BenchmarkMemo(b *testing.B) {
	pages := make([][]string, 1000)
	for i := range pages {
		for j := range 50 {
			pages[i] = append(pages[i], fmt.Sprintf("https://www.news.example/section-%d/", j))
		}
		for j := range 10 {
			pages[i] = append(pages[i], fmt.Sprintf("https://www.news.example/2026/11/27/story-%d.html?utm_source=home", i*10+j))
		}
	}
	b.Run("memo", func(b *testing.B) {
		m := NewMemo(DefaultMemoSize)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			for _, l := range pages[i%len(pages)] {
				m.Normalize(l)
			}
		}
	})
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			for _, l := range pages[i%len(pages)] {
				Normalize(l)
			}
		}
	})
}
