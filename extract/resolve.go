package extract

import (
	"net/url"
	"strings"
)

// A page has a hundred or more links, most of them absolute or
// root-relative URLs made only of letters, digits and a few safe
// punctuation marks. For those, parsing, resolving and printing the URL
// (resolveURL) gives back the same characters, so resolver builds the
// result directly and leaves every other link to resolveURL.
// FuzzResolverMatchesResolveURL holds the two to the same answers.

// resolver resolves links against one base URL.
type resolver struct {
	base *url.URL
	// prefix is the base's scheme and authority as resolveURL prints them
	// ("https://www.example.com"), "" when root-relative links must take
	// the slow path.
	prefix string
}

func newResolver(base *url.URL) resolver {
	r := resolver{base: base}
	if root, ok := resolveURL(base, "/"); ok && strings.HasSuffix(root, "/") {
		r.prefix = root[:len(root)-1]
	}
	return r
}

// resolve is resolveURL(r.base, href).
func (r resolver) resolve(href string) (string, bool) {
	if u, ok := r.fast(href); ok {
		return u, true
	}
	return resolveURL(r.base, href)
}

// fast resolves the common forms: "http(s)://host/path?query#fragment"
// with a plain host name, and "/path?query#fragment", where the path holds
// no dot segment and only characters that URL parsing keeps as they are.
// ok is false when href is not one of them.
func (r resolver) fast(href string) (string, bool) {
	var scheme, host, rest string
	switch {
	case strings.HasPrefix(href, "https://"):
		scheme, rest = "https://", href[len("https://"):]
	case strings.HasPrefix(href, "http://"):
		scheme, rest = "http://", href[len("http://"):]
	case strings.HasPrefix(href, "/") && !strings.HasPrefix(href, "//") && r.prefix != "":
		rest = href
	default:
		return "", false
	}
	if scheme != "" {
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		host, rest = rest[:end], rest[end:]
		if !plainHost(host) {
			return "", false
		}
	}
	beforeFragment, fragment, _ := strings.Cut(rest, "#")
	path, query, hasQuery := strings.Cut(beforeFragment, "?")
	if !plainPath(path) || !plainPart(query) || !plainPart(fragment) || strings.Contains(fragment, "%") {
		return "", false
	}
	var b strings.Builder
	if scheme != "" {
		b.Grow(len(scheme) + len(host) + len(beforeFragment))
		b.WriteString(scheme)
		for i := 0; i < len(host); i++ {
			c := host[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
		}
	} else {
		b.Grow(len(r.prefix) + len(beforeFragment))
		b.WriteString(r.prefix)
	}
	b.WriteString(path)
	if hasQuery {
		b.WriteByte('?')
		b.WriteString(query)
	}
	return b.String(), true
}

// plainHost accepts a non-empty host name of letters, digits, dots and
// hyphens: no port, user, IP literal or escape.
func plainHost(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// plainPath accepts an empty path or one starting with "/" whose
// characters URL parsing and printing leave unchanged, with no "." or
// ".." segment.
func plainPath(p string) bool {
	if p == "" {
		return true
	}
	if p[0] != '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			switch c {
			case '-', '_', '.', '~', '/', '$', '&', '+', ',', ';', '=', ':', '@':
			default:
				return false
			}
		}
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// plainPart accepts a query or fragment of printable ASCII without spaces.
func plainPart(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}
