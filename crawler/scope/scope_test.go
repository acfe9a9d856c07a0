package scope

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	rules, err := New(nil, []string{`/video/`}, 2)
	if err != nil {
		t.Fatal(err)
	}
	seed := Page{URL: "https://www.daily.example/topics/climate", Depth: 0}
	article := Page{URL: "https://news.daily.example/2026/11/a", Depth: 1}
	deep := Page{URL: "https://www.daily.example/x", Depth: 2}
	tests := []struct {
		name       string
		link       string
		from       Page
		wantOK     bool
		wantReason string
	}{
		{"same site from seed", "https://www.daily.example/2026/11/a", seed, true, ""},
		{"other outlet from seed", "https://www.herald.example/story", seed, true, ""},
		{"same site from article (other subdomain)", "https://www.daily.example/b", article, true, ""},
		{"other outlet from article", "https://www.herald.example/story", article, false, "off-site"},
		{"beyond max depth", "https://www.daily.example/c", deep, false, "beyond max depth 2"},
		{"facebook sharer", "https://www.facebook.com/sharer/sharer.php?u=x", seed, false, "share link"},
		{"twitter intent", "https://twitter.com/intent/tweet?url=x", seed, false, "share link"},
		{"x intent", "https://x.com/intent/post?text=x", seed, false, "share link"},
		{"linkedin shareArticle", "https://www.linkedin.com/shareArticle?mini=true&url=x", seed, false, "share link"},
		{"reddit submit", "https://www.reddit.com/submit?url=x", seed, false, "share link"},
		{"pinterest pin create", "https://pinterest.com/pin/create/button/?url=x", seed, false, "share link"},
		{"telegram share", "https://t.me/share/url?url=x", seed, false, "share link"},
		{"publisher share endpoint", "https://www.daily.example/share?url=https%3A%2F%2Fx", seed, false, "share link"},
		{"addtoany", "https://www.addtoany.com/share#url=x", seed, false, "share link"},
		{"facebook page", "https://www.facebook.com/dailyexample", seed, false, "social network"},
		{"instagram", "https://instagram.com/daily", seed, false, "social network"},
		{"youtube", "https://m.youtube.com/watch?v=1", seed, false, "social network"},
		{"tiktok", "https://www.tiktok.com/@daily", seed, false, "social network"},
		{"image", "https://www.daily.example/img/photo.JPG", seed, false, "not a page (.jpg)"},
		{"pdf", "https://www.daily.example/report.pdf", seed, false, "not a page (.pdf)"},
		{"css", "https://www.daily.example/site.css", seed, false, "not a page (.css)"},
		{"login", "https://www.daily.example/account/login?next=/", seed, false, "account or search page"},
		{"search", "https://www.daily.example/search?q=climate", seed, false, "account or search page"},
		{"article about search engines", "https://www.daily.example/tech/search-engines", seed, true, ""},
		{"exclude pattern", "https://www.daily.example/video/123", seed, false, "excluded by pattern"},
		{"shared in slug is not a share link", "https://www.daily.example/shared-prosperity", seed, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, reason := rules.Check(tt.link, tt.from)
			if ok != tt.wantOK {
				t.Fatalf("Check(%q) ok = %v (%s), want %v", tt.link, ok, reason, tt.wantOK)
			}
			if !strings.Contains(reason, tt.wantReason) {
				t.Errorf("reason %q, want it to contain %q", reason, tt.wantReason)
			}
		})
	}
}

func TestIncludePatterns(t *testing.T) {
	rules, err := New([]string{`^https://www\.daily\.example/2026/`}, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	seed := Page{URL: "https://www.daily.example/", Depth: 0}
	if ok, reason := rules.Check("https://www.daily.example/2026/a", seed); !ok {
		t.Errorf("included link rejected: %s", reason)
	}
	if ok, reason := rules.Check("https://www.daily.example/about", seed); ok || reason != "matches no include pattern" {
		t.Errorf("non-included link: ok=%v reason=%q", ok, reason)
	}
}

func TestMaxDepthZeroFollowsNothing(t *testing.T) {
	rules, err := New(nil, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := rules.Check("https://www.daily.example/a", Page{URL: "https://www.daily.example/", Depth: 0}); ok {
		t.Error("link followed with max depth 0")
	}
}

func TestNewRejectsBadPattern(t *testing.T) {
	_, err := New(nil, []string{"ok", "("}, 1)
	if err == nil || !strings.Contains(err.Error(), "exclude[1]") {
		t.Errorf("error = %v, want it to name exclude[1]", err)
	}
}

func TestSite(t *testing.T) {
	tests := map[string]string{
		"www.example.com":         "example.com",
		"news.example.com":        "example.com",
		"www.bbc.co.uk":           "bbc.co.uk",
		"example.com:8080":        "example.com",
		"127.0.0.1":               "127.0.0.1",
		"localhost":               "localhost",
		"daily.test":              "daily.test",
		"www.daily.test":          "daily.test",
		"someone.github.io":       "someone.github.io",
		"other.someone.github.io": "someone.github.io",
	}
	for host, want := range tests {
		if got := Site(host); got != want {
			t.Errorf("Site(%q) = %q, want %q", host, got, want)
		}
	}
	if !SameSite("www.example.com", "news.example.com") || SameSite("a.github.io", "b.github.io") {
		t.Error("SameSite disagrees with Site")
	}
}
