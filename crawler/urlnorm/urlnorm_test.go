package urlnorm

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"lower-case scheme and host", "HTTP://Example.COM/Path", "http://example.com/Path"},
		{"empty path becomes slash", "https://example.com", "https://example.com/"},
		{"default http port dropped", "http://example.com:80/a", "http://example.com/a"},
		{"default https port dropped", "https://example.com:443/a", "https://example.com/a"},
		{"other port kept", "https://example.com:8443/a", "https://example.com:8443/a"},
		{"leading zeros in port", "http://example.com:0080/", "http://example.com/"},
		{"empty port dropped", "http://example.com:/a", "http://example.com/a"},
		{"fragment dropped", "https://example.com/a#section-2", "https://example.com/a"},
		{"utm params removed", "https://example.com/a?utm_source=x&utm_medium=y&id=3", "https://example.com/a?id=3"},
		{"upper-case utm removed", "https://example.com/a?UTM_Source=x", "https://example.com/a"},
		{"click ids removed", "https://example.com/a?fbclid=1&gclid=2&dclid=3&msclkid=4&mc_cid=5&mc_eid=6&igshid=7&yclid=8&_ga=9&ref_src=10&cmpid=11&ocid=12", "https://example.com/a"},
		{"query sorted by key", "https://example.com/s?b=2&a=1&c=3", "https://example.com/s?a=1&b=2&c=3"},
		{"repeated key keeps value order", "https://example.com/s?tag=z&a=1&tag=b", "https://example.com/s?a=1&tag=z&tag=b"},
		{"empty query dropped", "https://example.com/a?", "https://example.com/a"},
		{"empty params dropped", "https://example.com/a?&&x=1&", "https://example.com/a?x=1"},
		{"key without value kept", "https://example.com/a?amp&x=", "https://example.com/a?amp&x="},
		{"dot segments", "https://example.com/a/b/../c/./d", "https://example.com/a/c/d"},
		{"dot segment above root", "https://example.com/../../a", "https://example.com/a"},
		{"trailing dot-dot keeps directory", "https://example.com/a/b/..", "https://example.com/a/"},
		{"encoded dot segments", "https://example.com/a/%2E%2E/b", "https://example.com/b"},
		{"unreserved decoded", "https://example.com/%7Euser/%41bc", "https://example.com/~user/Abc"},
		{"hex upper-cased", "https://example.com/a%2fb?q=%e2%82%ac", "https://example.com/a%2Fb?q=%E2%82%AC"},
		{"unsafe encoded", "https://example.com/a b/\"x\"", "https://example.com/a%20b/%22x%22"},
		{"non-ASCII path encoded", "https://example.com/café", "https://example.com/caf%C3%A9"},
		{"stray percent encoded", "https://example.com/50%-off", "https://example.com/50%25-off"},
		{"plus kept in query", "https://example.com/s?q=a+b", "https://example.com/s?q=a+b"},
		{"IDNA host to punycode", "https://Bücher.example/", "https://xn--bcher-kva.example/"},
		{"punycode host kept", "https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/"},
		{"trailing dot in host", "https://example.com./a", "https://example.com/a"},
		{"underscore host allowed", "https://my_site.example.org/", "https://my_site.example.org/"},
		{"IPv6 host canonical", "http://[2001:DB8:0:0::1]:8080/", "http://[2001:db8::1]:8080/"},
		{"surrounding space and newlines", "  https://example.com/a\n/b\t ", "https://example.com/a/b"},
		{"double slash kept", "https://example.com//a", "https://example.com//a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if err != nil {
				t.Fatalf("Normalize(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			again, err := Normalize(got)
			if err != nil || again != got {
				t.Errorf("Normalize not idempotent: %q -> %q (err %v)", got, again, err)
			}
		})
	}
}

func TestNormalizeRejects(t *testing.T) {
	tests := []struct {
		name, in string
		wantErr  error  // matched with errors.Is when set
		wantText string // substring of the message
	}{
		{"mailto", "mailto:desk@example.com", ErrUnsupportedScheme, "mailto"},
		{"whatsapp", "whatsapp://send?text=hi", ErrUnsupportedScheme, "whatsapp"},
		{"javascript", "javascript:void(0)", ErrUnsupportedScheme, "javascript"},
		{"ftp", "ftp://example.com/file", ErrUnsupportedScheme, "ftp"},
		{"relative", "/news/a", nil, "no scheme"},
		{"missing host", "http:///a", ErrMissingHost, "missing host"},
		{"opaque", "http:example.com", ErrMissingHost, "missing host"},
		{"empty", "   ", nil, "empty url"},
		{"too long", "https://example.com/" + strings.Repeat("a", MaxLength), ErrTooLong, "2048"},
		{"too long once encoded", "https://example.com/" + strings.Repeat(" ", 700) + "x", ErrTooLong, "once normalised"},
		{"bad port", "http://example.com:99999/", nil, "invalid port"},
		{"empty label", "http://a..b/", ErrInvalidHost, "empty label"},
		{"IPv6 zone", "http://[fe80::1%25eth0]/", ErrInvalidHost, "zones"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if err == nil {
				t.Fatalf("Normalize(%q) = %q, want error", tt.in, got)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v is not %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not mention %q", err, tt.wantText)
			}
		})
	}
}

func TestNormalizeUserInfoIsNotEchoed(t *testing.T) {
	_, err := Normalize("https://editor:hunter2@example.com/admin")
	if err == nil {
		t.Fatal("url with credentials accepted")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error leaks the password: %v", err)
	}
}

func TestKey(t *testing.T) {
	same := []string{
		"https://www.example.com/news/a/",
		"http://example.com/news/a",
		"https://EXAMPLE.com/news/a?utm_source=x#top",
		"https://www.example.com:443/news/./a",
	}
	want := "example.com/news/a"
	for _, in := range same {
		if got := Key(in); got != want {
			t.Errorf("Key(%q) = %q, want %q", in, got, want)
		}
	}
	different := map[string]string{
		"https://example.com/":            "example.com/",
		"https://example.com/news/a?id=1": "example.com/news/a?id=1",
		"https://example.com/News/A":      "example.com/News/A",
		"https://news.example.com/a":      "news.example.com/a",
		"mailto:x@example.com":            "",
	}
	for in, want := range different {
		if got := Key(in); got != want {
			t.Errorf("Key(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTrackingParamsListed(t *testing.T) {
	for _, name := range TrackingParams() {
		in := "https://example.com/a?keep=1&" + name + "=x"
		got, err := Normalize(in)
		if err != nil {
			t.Fatal(err)
		}
		if got != "https://example.com/a?keep=1" {
			t.Errorf("%s not removed: %q", name, got)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	seeds := []string{
		"https://example.com/a?b=1&utm_source=x#f",
		"HTTP://Bücher.Example:80/%7e/../a b?c=%zz&c=1",
		"http://[::ffff:10.0.0.1]:8080//x/./y/%2e%2E/z",
		"https://example.com/50%-off?q=a+b&&=x",
		"http://a_b.example./?%41=%61",
		"https://example.com/\u00e9\u0301?x=\u2028",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		once, err := Normalize(raw)
		if err != nil {
			return
		}
		twice, err := Normalize(once)
		if err != nil {
			t.Fatalf("Normalize(%q) = %q, which is rejected: %v", raw, once, err)
		}
		if twice != once {
			t.Fatalf("not idempotent: %q -> %q -> %q", raw, once, twice)
		}
		if len(once) > MaxLength {
			t.Fatalf("output longer than %d bytes: %d", MaxLength, len(once))
		}
		if Key(once) != Key(raw) {
			t.Fatalf("Key differs between %q and its normal form", raw)
		}
		if k := KeyOfNormalized(once); k != Key(raw) {
			t.Fatalf("KeyOfNormalized(%q) = %q, Key(%q) = %q", once, k, raw, Key(raw))
		}
		u, err := url.Parse(once)
		if err != nil {
			t.Fatalf("Normalize(%q) = %q, which net/url rejects: %v", raw, once, err)
		}
		if h := HostOfNormalized(once); h != u.Hostname() {
			t.Fatalf("HostOfNormalized(%q) = %q, net/url says %q", once, h, u.Hostname())
		}
	})
}

// TestOfNormalized checks the shortcuts discovery takes on normal forms
// against the long way round (the fuzz test checks them on any input).
func TestOfNormalized(t *testing.T) {
	for _, raw := range append(links,
		"http://[::ffff:10.0.0.1]:8080//x/./y/%2e%2E/z",
		"http://[2001:db8::1]/a?b=1",
		"https://www.example.com:8443/news/story/?id=7&utm_source=x",
		"http://a_b.example./?%41=%61",
	) {
		n, err := Normalize(raw)
		if err != nil {
			t.Fatalf("Normalize(%q): %v", raw, err)
		}
		u, err := url.Parse(n)
		if err != nil {
			t.Fatal(err)
		}
		if got := HostOfNormalized(n); got != u.Hostname() {
			t.Errorf("HostOfNormalized(%q) = %q, want %q", n, got, u.Hostname())
		}
		if got, want := KeyOfNormalized(n), Key(raw); got != want {
			t.Errorf("KeyOfNormalized(%q) = %q, want %q", n, got, want)
		}
	}
}
