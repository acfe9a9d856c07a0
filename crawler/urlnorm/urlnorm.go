// Package urlnorm turns the many spellings of a web address into one, so
// the crawler fetches each page once per run and a lookup by URL finds what
// was archived under another spelling of it.
//
// Normalize applies only changes that do not alter which resource a server
// returns (case of scheme and host, default ports, percent-encoding, dot
// segments, fragments, query order) plus the removal of tracking parameters
// listed in tracking.go. Key goes further for de-duplication and lookups.
package urlnorm

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// MaxLength is the longest URL, in bytes, that Normalize accepts, before and
// after normalisation. Longer URLs are almost always generated junk (session
// blobs, redirect loops) and many servers refuse them anyway.
const MaxLength = 2048

// Errors wrapped by Normalize, for errors.Is.
var (
	ErrUnsupportedScheme = errors.New("unsupported scheme (only http and https are crawled)")
	ErrMissingHost       = errors.New("missing host")
	ErrTooLong           = fmt.Errorf("url longer than %d bytes", MaxLength)
	ErrInvalidHost       = errors.New("invalid host")
)

// hostProfile converts internationalised host names to punycode. It is the
// lookup profile without STD3 and hyphen checks, because real host names do
// contain underscores and "--" (e.g. CDN shards) and browsers resolve them.
var hostProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.Transitional(false),
	idna.StrictDomainName(false),
	idna.CheckHyphens(false),
)

// Normalize returns the canonical spelling of an absolute http(s) URL:
// lower-case scheme and host, host in punycode, default port dropped,
// fragment dropped, tracking parameters removed, remaining query parameters
// sorted by key (values of a repeated key keep their order), dot segments
// resolved, percent-encoding normalised (unreserved characters decoded,
// hex digits upper-case, unsafe characters encoded) and an empty path
// written "/". Normalize(Normalize(x)) == Normalize(x).
//
// It rejects non-http(s) URLs, URLs without a host, URLs with user info
// (credentials are never sent) and URLs over MaxLength bytes.
func Normalize(raw string) (string, error) {
	s := cleanInput(raw)
	if s == "" {
		return "", errors.New("normalize url: empty url")
	}
	if len(s) > MaxLength {
		return "", fmt.Errorf("normalize url %.80q...: %w", s, ErrTooLong)
	}
	u, err := url.Parse(escapeStrayPercents(s))
	if err != nil {
		return "", fmt.Errorf("normalize url: %w", err)
	}
	if u.User != nil {
		u.User = nil
		return "", fmt.Errorf("normalize url %q: user info (credentials) in urls is not supported; remove it", u.String())
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme == "":
		return "", fmt.Errorf("normalize url %q: no scheme; give an absolute http or https url", s)
	case scheme != "http" && scheme != "https":
		return "", fmt.Errorf("normalize url %q: %w: %q", s, ErrUnsupportedScheme, scheme)
	case u.Opaque != "" || u.Host == "":
		return "", fmt.Errorf("normalize url %q: %w", s, ErrMissingHost)
	}
	host, err := normalizeHost(u.Hostname())
	if err != nil {
		return "", fmt.Errorf("normalize url %q: %w", s, err)
	}
	port, err := normalizePort(u.Port(), scheme)
	if err != nil {
		return "", fmt.Errorf("normalize url %q: %w", s, err)
	}

	var b strings.Builder
	b.WriteString(scheme)
	b.WriteString("://")
	b.WriteString(host)
	if port != "" {
		b.WriteString(":")
		b.WriteString(port)
	}
	b.WriteString(normalizePath(u.EscapedPath()))
	if q := normalizeQuery(u.RawQuery); q != "" {
		b.WriteString("?")
		b.WriteString(q)
	}
	out := b.String()
	if len(out) > MaxLength {
		return "", fmt.Errorf("normalize url %.80q...: %w once normalised", s, ErrTooLong)
	}
	return out, nil
}

// Key returns a de-duplication key for raw: its normalised form without the
// scheme, without a leading "www." on the host and without a trailing slash
// on a non-root path, e.g. "example.com/news/a?id=1". Those variants serve
// the same page on virtually every news site. Key returns "" when raw is not
// a URL that Normalize accepts.
func Key(raw string) string {
	n, err := Normalize(raw)
	if err != nil {
		return ""
	}
	return KeyOfNormalized(n)
}

// KeyOfNormalized is Key of a URL that Normalize returned, without
// normalising it again: discovery has every link's normal form at hand,
// and normalising is most of what a link costs it.
func KeyOfNormalized(n string) string {
	_, rest, _ := strings.Cut(n, "://")
	rest = strings.TrimPrefix(rest, "www.")
	pathAndQuery := ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest, pathAndQuery = rest[:i], rest[i:]
	}
	p, q, hasQuery := strings.Cut(pathAndQuery, "?")
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	if hasQuery {
		return rest + p + "?" + q
	}
	return rest + p
}

// HostOfNormalized returns the host name of a URL that Normalize returned,
// as url.URL.Hostname would (an IPv6 address without its brackets), without
// parsing it again.
func HostOfNormalized(n string) string {
	_, rest, _ := strings.Cut(n, "://")
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		rest = rest[:i]
	}
	if strings.HasPrefix(rest, "[") {
		if end := strings.IndexByte(rest, ']'); end > 0 {
			return rest[1:end]
		}
		return rest
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		return rest[:i]
	}
	return rest
}

// cleanInput strips what browsers strip from an href: leading and trailing
// spaces and control characters, and tabs and newlines anywhere.
func cleanInput(raw string) string {
	s := strings.TrimFunc(raw, func(r rune) bool { return r <= ' ' })
	if strings.ContainsAny(s, "\t\n\r") {
		s = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return -1
			}
			return r
		}, s)
	}
	return s
}

// escapeStrayPercents encodes a '%' not followed by two hex digits as "%25",
// as browsers do, so that url.Parse accepts hand-written links like "50%-off".
func escapeStrayPercents(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && !(i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2])) {
			b.WriteString("%25")
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func normalizeHost(h string) (string, error) {
	if h == "" {
		return "", ErrMissingHost
	}
	if strings.Contains(h, ":") {
		addr, err := netip.ParseAddr(h)
		if err != nil || addr.Zone() != "" {
			return "", fmt.Errorf("%w %q: not a valid IPv6 address (zones are not allowed)", ErrInvalidHost, h)
		}
		return "[" + addr.String() + "]", nil
	}
	h = strings.TrimSuffix(h, ".")
	if !isASCII(h) {
		a, err := hostProfile.ToASCII(h)
		if err != nil {
			return "", fmt.Errorf("%w %q: %w", ErrInvalidHost, h, err)
		}
		h = a
	}
	h = strings.ToLower(h)
	if len(h) > 253 {
		return "", fmt.Errorf("%w: longer than 253 bytes", ErrInvalidHost)
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 {
			return "", fmt.Errorf("%w %q: empty label or label over 63 bytes", ErrInvalidHost, h)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return "", fmt.Errorf("%w %q: character %q not allowed", ErrInvalidHost, h, c)
			}
		}
	}
	return h, nil
}

func normalizePort(p, scheme string) (string, error) {
	if p == "" {
		return "", nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("invalid port %q: want 1-65535", p)
	}
	if scheme == "http" && n == 80 || scheme == "https" && n == 443 {
		return "", nil
	}
	return strconv.Itoa(n), nil
}

// normalizePath normalises an escaped path: percent-encoding first, so that
// "%2E%2E" counts as "..", then dot segments (RFC 3986 section 5.2.4).
func normalizePath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	return removeDotSegments(normalizePercent(p, isPathSafe))
}

func removeDotSegments(p string) string {
	segs := strings.Split(p[1:], "/")
	out := make([]string, 0, len(segs))
	for i, seg := range segs {
		last := i == len(segs)-1
		switch seg {
		case ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
			continue
		}
		// "/a/." and "/a/b/.." name a directory: keep the trailing slash.
		if last {
			out = append(out, "")
		}
	}
	return "/" + strings.Join(out, "/")
}

type queryParam struct{ key, pair string }

// normalizeQuery drops empty and tracking parameters, normalises the
// percent-encoding of each key and value and sorts by key. A stable sort
// keeps the order of repeated keys, which some servers depend on.
func normalizeQuery(q string) string {
	if q == "" {
		return ""
	}
	var params []queryParam
	for piece := range strings.SplitSeq(q, "&") {
		if piece == "" {
			continue
		}
		k, v, hasValue := strings.Cut(piece, "=")
		if decoded, err := url.QueryUnescape(k); err == nil && isTrackingParam(decoded) || isTrackingParam(k) {
			continue
		}
		k = normalizePercent(k, isQuerySafe)
		pair := k
		if hasValue {
			pair += "=" + normalizePercent(v, isQuerySafe)
		}
		params = append(params, queryParam{key: k, pair: pair})
	}
	slices.SortStableFunc(params, func(a, b queryParam) int { return strings.Compare(a.key, b.key) })
	pairs := make([]string, len(params))
	for i, p := range params {
		pairs[i] = p.pair
	}
	return strings.Join(pairs, "&")
}

// normalizePercent decodes percent-encoded unreserved characters, upper-cases
// the hex digits of the others and encodes every byte that is neither
// unreserved nor safe in the component.
func normalizePercent(s string, safe func(byte) bool) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			d := unhex(s[i+1])<<4 | unhex(s[i+2])
			if isUnreserved(d) {
				b.WriteByte(d)
			} else {
				writeEscaped(&b, d)
			}
			i += 2
		case c != '%' && (isUnreserved(c) || safe(c)):
			b.WriteByte(c)
		default:
			writeEscaped(&b, c)
		}
	}
	return b.String()
}

func writeEscaped(b *strings.Builder, c byte) {
	const hexDigits = "0123456789ABCDEF"
	b.WriteByte('%')
	b.WriteByte(hexDigits[c>>4])
	b.WriteByte(hexDigits[c&15])
}

func isUnreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// isPathSafe: sub-delims, ':', '@' and '/' may appear unencoded in a path.
func isPathSafe(c byte) bool {
	return strings.IndexByte("!$&'()*+,;=:@/", c) >= 0
}

// isQuerySafe: as in a path, plus '?', minus '&' and '=' which separate
// parameters (a literal '=' in a value stays, see normalizeQuery).
func isQuerySafe(c byte) bool {
	return strings.IndexByte("!$'()*+,;=:@/?", c) >= 0
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
