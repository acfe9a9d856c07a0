// Package extract turns one fetched HTML page into an Article (clean text
// and metadata) plus every link found on the page.
//
// The page is decoded to UTF-8 and parsed once with golang.org/x/net/html,
// without the text of its scripts (JSON-LD excepted) and styles, which
// nothing reads.
// Metadata and links are read from that raw tree first, because the
// readability pass that finds the article body rewrites the tree in place.
// Extract is pure: it does no I/O, keeps no state between calls and is safe
// for concurrent use.
package extract

import (
	"bytes"
	"fmt"
	"net/url"

	"golang.org/x/net/html"
)

// Name and Version identify this extractor in Article.Extractor. Bump
// Version whenever a change alters the output for some page, so archived
// records can be told apart from re-extractions.
const (
	Name    = "archivist-extract"
	Version = "0.2.1"
)

// MaxBodyBytes is the largest page Extract accepts. The fetcher caps bodies
// at this size; anything larger reaching Extract is a caller bug, and
// parsing it would cost unbounded memory.
const MaxBodyBytes = 10 << 20

// Extract turns one HTML page into an Article and its links.
//
// It fails on an empty body, on a body larger than MaxBodyBytes, on input
// that is not HTML (PDF, images, other binary data), on a page URL that is
// not absolute http(s), and on markup nested deeper than the HTML parser
// accepts. It never panics: a failure inside the readability library is
// returned as an error naming the URL.
func Extract(body []byte, opts Options) (res *Result, err error) {
	return extract(body, opts, true)
}

// extract is Extract; elide false parses the scripts' and styles' text
// too, for the tests that check dropping it changes nothing.
func extract(body []byte, opts Options, elide bool) (res *Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("extract %s: internal error (please report with the page attached): %v", opts.URL, r)
		}
	}()
	doc, pageURL, err := parse(body, opts, elide)
	if err != nil {
		return nil, err
	}

	// Everything taken from the raw tree must be read before readability
	// runs, since it moves and deletes nodes.
	page := scanDocument(doc)
	base := resolveBase(pageURL, page.base)
	links := collectLinks(page.anchors, base)
	ld := parseJSONLD(page.jsonLD)
	partWords := -1
	if ld.notFree {
		partWords = declaredPartWords(doc, ld.wallSelectors)
	}

	var read readResult
	if overReadabilityBudget(page) {
		read = readResult{content: fallbackContent(doc)}
	} else if read, err = runReadability(doc, base); err != nil {
		return nil, fmt.Errorf("extract %s: %w", opts.URL, err)
	}
	content := renderContent(read.content, base, page.names)
	markInArticle(links, content.hrefs)

	art := buildArticle(page, ld, partWords, pageURL, base, read, content, links, opts)
	return &Result{Article: art, Links: links}, nil
}

// parse checks, decodes and parses a page: the part of Extract that Links
// shares, so both accept the same pages and see the same tree.
func parse(body []byte, opts Options, elide bool) (*html.Node, *url.URL, error) {
	if isBlank(body) {
		return nil, nil, fmt.Errorf("extract %s: empty body: nothing to extract", opts.URL)
	}
	if len(body) > MaxBodyBytes {
		return nil, nil, fmt.Errorf("extract %s: body is %d bytes, over the %d-byte limit: cap the fetch", opts.URL, len(body), MaxBodyBytes)
	}
	pageURL, err := parsePageURL(opts.URL)
	if err != nil {
		return nil, nil, fmt.Errorf("extract: %w", err)
	}
	if err := checkNotBinary(body, opts.ContentType); err != nil {
		return nil, nil, fmt.Errorf("extract %s: %w", opts.URL, err)
	}
	decoded := decode(body, opts.ContentType)
	if !hasMarkup(decoded) {
		return nil, nil, fmt.Errorf("extract %s: no tags found: %w: only HTML pages can be extracted", opts.URL, ErrNotHTML)
	}
	if elide {
		// Parsing without the bodies of scripts and styles gives the same
		// tree less their text, which nothing reads (see elideRawText).
		decoded = elideRawText(decoded)
	}
	doc, err := html.Parse(bytes.NewReader(decoded))
	if err != nil {
		return nil, nil, fmt.Errorf("extract %s: parse HTML: %w", opts.URL, err)
	}
	return doc, pageURL, nil
}

// Links returns the links of a page as Extract returns them in
// Result.Links (same URLs, texts, rels, order), except that InArticle is
// always false: which links sit in the article body is known only after
// the readability pass, which Links skips, so it costs a fraction of
// Extract. It accepts and refuses the same pages as Extract, and like it
// never panics.
func Links(body []byte, opts Options) (links []Link, err error) {
	defer func() {
		if r := recover(); r != nil {
			links, err = nil, fmt.Errorf("extract links of %s: internal error (please report with the page attached): %v", opts.URL, r)
		}
	}()
	doc, pageURL, err := parse(body, opts, true)
	if err != nil {
		return nil, err
	}
	page := scanDocument(doc)
	return collectLinks(page.anchors, resolveBase(pageURL, page.base)), nil
}

// hasMarkup reports whether s contains something that looks like an HTML
// tag, comment or doctype near its start. Plain text would otherwise be
// "extracted" as a page whose article is the whole file.
func hasMarkup(s []byte) bool {
	const window = 64 << 10
	if len(s) > window {
		s = s[:window]
	}
	for i := bytes.IndexByte(s, '<'); i >= 0 && i+1 < len(s); {
		c := s[i+1]
		if c == '!' || c == '/' || c == '?' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') {
			return true
		}
		next := bytes.IndexByte(s[i+1:], '<')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return false
}

// isBlank reports whether b holds only whitespace.
func isBlank(b []byte) bool {
	return len(bytes.TrimSpace(b)) == 0
}
