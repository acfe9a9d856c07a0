package benchsite

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Handler serves every host of the site, choosing the host by the Host
// header, with the headers news sites send: Content-Type with charset,
// Last-Modified and ETag (answering conditional requests with 304), and
// gzip when the client accepts it.
func (s *Site) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, port := splitHost(r.Host)
		target := r.URL.EscapedPath()
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		page, ok := s.Render(name, port, target)
		if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		etag := etagOf(s.opts.Seed, name, target)
		h.Set("Content-Type", page.ContentType)
		h.Set("Last-Modified", page.LastModified.UTC().Format(http.TimeFormat))
		h.Set("ETag", etag)
		h.Set("Cache-Control", "public, max-age=300")
		h.Set("Vary", "Accept-Encoding")
		if notModified(r, etag, page.LastModified) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
			h.Set("Content-Length", strconv.Itoa(len(page.Body)))
			if r.Method == http.MethodGet {
				w.Write(page.Body)
			}
			return
		}
		h.Set("Content-Encoding", "gzip")
		if r.Method == http.MethodHead {
			return
		}
		zw, _ := s.gzips.Get().(*gzip.Writer)
		if zw == nil {
			zw = gzip.NewWriter(w)
		} else {
			zw.Reset(w)
		}
		zw.Write(page.Body)
		zw.Close()
		s.gzips.Put(zw)
	})
}

// splitHost returns the lower-case host name and the port of a Host
// header.
func splitHost(hostport string) (string, string) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, ""
	}
	return strings.ToLower(strings.TrimSuffix(host, ".")), port
}

func etagOf(seed int64, name, target string) string {
	f := fnv.New64a()
	fmt.Fprintf(f, "%d %s %s", seed, name, target)
	return `"` + hex.EncodeToString(f.Sum(nil)) + `"`
}

// notModified applies If-None-Match, else If-Modified-Since (RFC 9110).
func notModified(r *http.Request, etag string, modified time.Time) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for t := range strings.SplitSeq(inm, ",") {
			if t = strings.TrimPrefix(strings.TrimSpace(t), "W/"); t == etag || t == "*" {
				return true
			}
		}
		return false
	}
	if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil {
		return !modified.Truncate(time.Second).After(ims)
	}
	return false
}

// acceptsGzip reports whether an Accept-Encoding value allows gzip.
func acceptsGzip(ae string) bool {
	for part := range strings.SplitSeq(ae, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// Resolver resolves the fixture's host names (any name under Domain) and
// "localhost" to 127.0.0.1 and loopback IP literals to themselves. Any
// other name is an error, so no lookup ever leaves the machine whatever a
// page links to.
type Resolver struct{}

// LookupNetIP implements the network guard's Resolver.
func (Resolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if name == "localhost" || IsFixtureHost(name) {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil || !ip.Unmap().IsLoopback() {
		return nil, fmt.Errorf("resolve %s: %w", host, errNotFixture)
	}
	return []netip.Addr{ip}, nil
}

var errNotFixture = errors.New("only the benchmark fixture's hosts and loopback addresses resolve in this mode")

// IsFixtureHost reports whether name is under Domain.
func IsFixtureHost(name string) bool {
	return strings.HasSuffix(strings.ToLower(strings.TrimSuffix(name, ".")), "."+Domain)
}
