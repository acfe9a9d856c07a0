// Package surt computes Sort-friendly URI Reordering Transform keys, the
// form pywb and the Wayback Machine key their CDX indexes by. The CDX API
// and the CDXJ indexes of WARC and WACZ exports share it, so a key in one
// is a key in the other.
package surt

import (
	"net"
	"net/url"
	"slices"
	"strings"
)

// URL returns the SURT key of a URL: scheme dropped, host labels reversed
// and comma-joined ("www." dropped), a non-default port kept, then ")" and
// the path and query, lower-cased, query parameters sorted, fragment
// dropped:
//
//	https://www.Example.com/a/B?z=1&a=2#top → com,example)/a/b?a=2&z=1
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return strings.ToLower(raw)
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	var b strings.Builder
	b.WriteString(Host(host))
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

// Host reverses a host's labels ("news.example.com" → "com,example,news");
// IP addresses are not reversed.
func Host(host string) string {
	if net.ParseIP(strings.Trim(host, "[]")) != nil {
		return host
	}
	labels := strings.Split(stripWWW(host), ".")
	slices.Reverse(labels)
	return strings.Join(labels, ",")
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
