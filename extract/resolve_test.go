package extract

import (
	"net/url"
	"testing"
)

var resolveBases = []string{
	"https://www.example.com/news/2025/07/story.html?id=3#top",
	"http://Example.COM:8080/a/b/",
	"https://user:pw@example.com/x",
	"https://example.com",
	"https://xn--bcher-kva.example/%7Euser/",
}

var resolveHrefs = []string{
	"https://www.example.com/a/b-c_d.e~f/", "http://OTHER.example/x?y=1&z=2#frag",
	"/a/b", "/a/./b", "/a/../b", "/a/b/..", "/", "//cdn.example/x", "story.html",
	"../up", "?q=1", "#top", "", " /a ", "/a\tb", "https://example.com", "https://example.com?x",
	"https://example.com#f", "https://example.com/a?", "https://example.com/a?#", "/a?b?c#d#e",
	"/a%20b", "/a b", "/ünï", "https://ex ample.com/", "https://example.com:443/", "https://[::1]/",
	"https://a@b.example/", "javascript:void(0)", "mailto:x@example.com", "/a#%zz", "/a?%zz",
	"/a/b;p=1,2:3@4+5$6&7", "/a!b", "/a*b", "/a'b", "/a(b)", "HTTPS://EXAMPLE.COM/A", "https://...", "/.", "/..", "/a/.", "/%2e%2e/",
}

func TestResolverMatchesResolveURL(t *testing.T) {
	for _, b := range resolveBases {
		for _, h := range resolveHrefs {
			checkResolver(t, b, h)
		}
	}
}

func FuzzResolverMatchesResolveURL(f *testing.F) {
	for i, h := range resolveHrefs {
		f.Add(resolveBases[i%len(resolveBases)], h)
	}
	f.Fuzz(checkResolver)
}

func checkResolver(t *testing.T, rawBase, href string) {
	base, err := url.Parse(rawBase)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return
	}
	want, wantOK := resolveURL(base, href)
	got, gotOK := newResolver(base).resolve(href)
	if got != want || gotOK != wantOK {
		t.Errorf("resolve(%q, %q) = %q, %v; resolveURL says %q, %v", rawBase, href, got, gotOK, want, wantOK)
	}
}
