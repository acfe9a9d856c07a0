package extract

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*/want.json from the current output")

// goldenMeta is a case's optional meta.json: what the fetcher would pass.
type goldenMeta struct {
	URL         string    `json:"url"`
	ContentType string    `json:"content_type"`
	FetchedAt   time.Time `json:"fetched_at"`
	Hints       struct {
		FeedDate            *time.Time `json:"feed_date"`
		FeedTitle           string     `json:"feed_title"`
		NewsPublicationDate *time.Time `json:"news_publication_date"`
		SitemapLastmod      *time.Time `json:"sitemap_lastmod"`
		LastModified        string     `json:"last_modified"`
		ContentLanguage     string     `json:"content_language"`
	} `json:"hints"`
}

// TestGolden extracts every testdata/golden/<case>/input.html and compares
// the Article with want.json. Run with -update to rewrite the expectations
// after a deliberate change, then review the diff.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "golden", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no golden cases found in testdata/golden")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			input, err := os.ReadFile(filepath.Join(dir, "input.html"))
			if err != nil {
				t.Fatal(err)
			}
			meta := goldenMeta{URL: "https://example.com/" + filepath.Base(dir)}
			if raw, err := os.ReadFile(filepath.Join(dir, "meta.json")); err == nil {
				if err := json.Unmarshal(raw, &meta); err != nil {
					t.Fatalf("meta.json: %v", err)
				}
			} else if !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			res, err := Extract(input, Options{URL: meta.URL, ContentType: meta.ContentType, FetchedAt: meta.FetchedAt, Hints: Hints(meta.Hints)})
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(res.Article); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			wantPath := filepath.Join(dir, "want.json")
			if *update {
				if err := os.WriteFile(wantPath, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(wantPath)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("article differs from %s (run with -update after checking the change):\n%s", wantPath, lineDiff(string(want), string(got)))
			}
		})
	}
}

// lineDiff shows the lines only in want ("-") and only in got ("+"),
// aligned on their longest common subsequence: enough to read a golden
// mismatch without a diff tool.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	// lcs[i][j] is the common subsequence length of w[i:] and g[j:].
	lcs := make([][]int, len(w)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(g)+1)
	}
	for i := len(w) - 1; i >= 0; i-- {
		for j := len(g) - 1; j >= 0; j-- {
			if w[i] == g[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var b strings.Builder
	i, j := 0, 0
	for i < len(w) || j < len(g) {
		switch {
		case i < len(w) && j < len(g) && w[i] == g[j]:
			i, j = i+1, j+1
		case j < len(g) && (i == len(w) || lcs[i][j+1] >= lcs[i+1][j]):
			b.WriteString("+ " + g[j] + "\n")
			j++
		default:
			b.WriteString("- " + w[i] + "\n")
			i++
		}
	}
	return b.String()
}
