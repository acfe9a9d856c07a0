// Package discover reads the documents a news source publishes to announce
// its articles: RSS and Atom feeds (through github.com/mmcdole/gofeed),
// sitemaps, sitemap indexes and Google News sitemaps (encoding/xml,
// streamed, gzip'd or not), and the <link rel="alternate"> feed
// announcements of HTML pages. It does no I/O: the daemon fetches the
// bytes politely and hands them here.
//
// Every parser is bounded (entries, decompressed bytes) and recovers from
// panics in third-party code, since the input is untrusted.
package discover

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// Limits bound what one document may make the parsers do.
type Limits struct {
	// MaxBytes caps the decompressed document (default 50 MiB, the
	// sitemap protocol's own limit).
	MaxBytes int64
	// MaxEntries caps the entries read from one document (default 50,000,
	// the sitemap protocol's limit per file).
	MaxEntries int
}

// DefaultLimits are the sitemap protocol's limits.
func DefaultLimits() Limits { return Limits{MaxBytes: 50 << 20, MaxEntries: 50000} }

func (l Limits) orDefault() Limits {
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	return l
}

// Entry is one URL a feed or sitemap lists.
type Entry struct {
	URL      string // absolute, resolved against the document's URL
	Position int    // 1-based, in document order
	Title    string // feed item title or news:title
	// Feed items.
	GUID      string
	Published *time.Time
	Updated   *time.Time
	// Sitemaps.
	Lastmod             *time.Time
	NewsPublicationDate *time.Time
}

// ErrTooLarge is returned when a document decompresses beyond MaxBytes.
var ErrTooLarge = errors.New("document larger than the limit")

// Decode undoes a Content-Encoding (gzip, deflate) and then a gzip file
// format (sitemap.xml.gz, served as application/gzip), reading at most
// limit bytes so a compression bomb cannot exhaust memory.
func Decode(body []byte, contentEncoding string, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = DefaultLimits().MaxBytes
	}
	var err error
	switch enc := strings.ToLower(strings.TrimSpace(contentEncoding)); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		if body, err = gunzip(body, limit); err != nil {
			return nil, fmt.Errorf("decode gzip content encoding: %w", err)
		}
	case "deflate":
		if body, err = readLimited(flate.NewReader(bytes.NewReader(body)), limit); err != nil {
			return nil, fmt.Errorf("decode deflate content encoding: %w", err)
		}
	default:
		return nil, fmt.Errorf("decode: unsupported Content-Encoding %q", contentEncoding)
	}
	if len(body) >= 2 && body[0] == 0x1f && body[1] == 0x8b {
		if body, err = gunzip(body, limit); err != nil {
			return nil, fmt.Errorf("decode gzip file: %w", err)
		}
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("decode: %w (%d bytes)", ErrTooLarge, limit)
	}
	return body, nil
}

func gunzip(body []byte, limit int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	return readLimited(zr, limit)
}

func readLimited(r io.Reader, limit int64) ([]byte, error) {
	out, err := io.ReadAll(io.LimitReader(r, limit+1))
	// A body cut by the fetcher's size cap ends mid-stream; keep what
	// decompressed, the parsers stop at the break.
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	if int64(len(out)) > limit {
		return nil, fmt.Errorf("%w (%d bytes)", ErrTooLarge, limit)
	}
	return out, nil
}

// Sniff guesses what a document is from its first bytes: "sitemap",
// "feed", "html" or "" (unknown).
func Sniff(body []byte) string {
	head := strings.ToLower(string(body[:min(len(body), 2048)]))
	switch {
	case strings.Contains(head, "<urlset") || strings.Contains(head, "<sitemapindex"):
		return "sitemap"
	case strings.Contains(head, "<rss") || strings.Contains(head, "<feed") || strings.Contains(head, "<rdf:rdf"):
		return "feed"
	case strings.Contains(head, "<html") || strings.Contains(head, "<!doctype html"):
		return "html"
	case strings.HasPrefix(strings.TrimSpace(head), "{") && strings.Contains(head, "jsonfeed.org"):
		return "feed"
	}
	return ""
}

// resolve makes ref absolute against base; "" when it is not http(s).
func resolve(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

// w3cLayouts are the W3C datetime layouts sitemaps use, most specific first.
func w3cLayouts() []string {
	return []string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05Z07:00",
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04:05",
		"2006-01-02T15:04",
		"2006-01-02",
		"2006-01",
		"2006",
	}
}

// parseW3C parses a sitemap date; nil when it is not one.
func parseW3C(s string) *time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	for _, layout := range w3cLayouts() {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return &t
		}
	}
	return nil
}
