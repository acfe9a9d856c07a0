package surt

import "testing"

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://www.Example.com/a/B?z=1&a=2#top": "com,example)/a/b?a=2&z=1",
		"http://example.com":                      "com,example)/",
		"http://news.example.co.uk:8080/x":        "uk,co,example,news:8080)/x",
		"http://www2.example.com:8080/x":          "com,example:8080)/x",
		"https://example.com:443/":                "com,example)/",
		"http://127.0.0.1:37467/topics/t":         "127.0.0.1:37467)/topics/t",
		"http://www2.example.org/":                "org,example)/",
		"http://wwwexample.org/":                  "org,wwwexample)/",
		"http://[::1]:8080/x":                     "::1:8080)/x",
	} {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}
