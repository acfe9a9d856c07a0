package extract

import (
	"encoding/json"
	"os"
	"testing"
	"time"
)

func TestZZDump(t *testing.T) {
	out := os.Getenv("ZZ_DUMP")
	if out == "" {
		t.Skip()
	}
	pages := loadRealPages(t)
	f, _ := os.Create(out)
	defer f.Close()
	enc := json.NewEncoder(f)
	for _, p := range pages {
		res, err := Extract(p.html, Options{URL: p.url, FetchedAt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			continue
		}
		a := res.Article
		a.Text = ""
		m := map[string]any{"id": p.id[:8], "title": a.Title, "authors": a.Authors, "published": a.Published, "modified": a.Modified, "language": a.Language, "section": a.Section, "site": a.SiteName, "image": a.Image, "words": a.WordCount, "type": a.PageType}
		enc.Encode(m)
	}
}

func TestZZWalls(t *testing.T) {
	if os.Getenv("ZZ_WALLS") == "" {
		t.Skip()
	}
	for _, p := range loadRealPages(t) {
		res, err := Extract(p.html, Options{URL: p.url})
		if err == nil && res.Article.Paywalled {
			t.Logf("%s %s words=%d truth=%d: %s", p.id[:8], p.url, res.Article.WordCount, countWords(p.truth), res.Article.PaywallReason)
		}
	}
}
