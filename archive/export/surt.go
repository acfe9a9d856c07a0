package export

import (
	"net"
	"net/url"
	"slices"
	"strings"
)

// surt returns the Sort-friendly URI Reordering Transform of u in pywb's
// form: scheme dropped, host labels reversed and comma-joined ("www."
// dropped), a non-default port kept, then ")" and the path and query,
// lower-cased, query parameters sorted, fragment dropped:
//
//	https://www.Example.com/a/B?z=1&a=2#top → com,example)/a/b?a=2&z=1
//
// CDXJ lines are sorted by this key so replay tools can binary-search them.
func surt(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return strings.ToLower(raw)
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	var b strings.Builder
	if net.ParseIP(host) != nil {
		// Addresses are not reversed.
		b.WriteString(host)
	} else {
		labels := strings.Split(stripWWW(strings.TrimSuffix(host, ".")), ".")
		slices.Reverse(labels)
		b.WriteString(strings.Join(labels, ","))
	}
	if port != "" {
		b.WriteString(":" + port)
	}
	b.WriteString(")")
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	b.WriteString(strings.ToLower(path))
	if u.RawQuery != "" {
		params := strings.Split(strings.ToLower(u.RawQuery), "&")
		slices.Sort(params)
		b.WriteString("?" + strings.Join(params, "&"))
	}
	return b.String()
}

// stripWWW drops a leading "www.", "www2." and the like, as the Internet
// Archive's canonicaliser (Python's surt, used by pywb) does.
func stripWWW(host string) string {
	rest, ok := strings.CutPrefix(host, "www")
	if !ok {
		return host
	}
	rest = strings.TrimLeft(rest, "0123456789")
	if after, ok := strings.CutPrefix(rest, "."); ok && after != "" {
		return after
	}
	return host
}
