package extract

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// metaPrescanBytes bounds the search for a <meta charset>. The HTML spec
// says 1024 bytes, but pages routinely put kilobytes of inline script or
// comments before it; a browser would then guess, and so do we, but a wider
// window guesses right more often and costs nothing noticeable.
const metaPrescanBytes = 64 << 10

// parsePageURL checks that the page URL is absolute http(s): every relative
// link and the canonical URL are resolved against it.
func parsePageURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("page URL %q: %w: pass the final URL of the fetch", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("page URL %q is not absolute http(s): pass the final URL of the fetch", raw)
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// checkNotBinary rejects bodies that are clearly not HTML: a declared
// non-HTML media type, a known binary signature, or control bytes that no
// text page contains.
func checkNotBinary(body []byte, contentType string) error {
	// application/octet-stream is what servers send when they do not
	// know; the sniffer below decides for those.
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && mt != "application/octet-stream" && !textualMediaType(mt) {
		return fmt.Errorf("content type %q: %w: only HTML pages can be extracted", mt, ErrNotHTML)
	}
	if hasUnicodeBOM(body) {
		return nil
	}
	sniffed := http.DetectContentType(body)
	if mt, _, _ := mime.ParseMediaType(sniffed); !textualMediaType(mt) {
		return fmt.Errorf("body looks like %s: %w: only HTML pages can be extracted", mt, ErrNotHTML)
	}
	return nil
}

// textualMediaType reports whether a page of this media type may hold
// markup worth extracting. Servers mislabel HTML as text/plain or XML often
// enough that only clearly binary types are refused.
func textualMediaType(mt string) bool {
	return strings.HasPrefix(mt, "text/") || strings.Contains(mt, "html") || strings.Contains(mt, "xml")
}

func hasUnicodeBOM(b []byte) bool {
	return bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}) ||
		bytes.HasPrefix(b, []byte{0xFE, 0xFF}) ||
		bytes.HasPrefix(b, []byte{0xFF, 0xFE})
}

// decode converts body to UTF-8 following the HTML spec's order: byte order
// mark, then the HTTP charset, then a <meta> declaration, then a guess.
// Invalid sequences become U+FFFD, so the result is always valid UTF-8.
// A body that is already valid UTF-8 is returned as is, not copied: the
// caller must not modify the result.
func decode(body []byte, contentType string) []byte {
	enc, valid := chooseEncoding(body, contentType)
	if enc == nil {
		if valid || utf8.Valid(body) {
			return body
		}
		return bytes.ToValidUTF8(body, []byte("\uFFFD"))
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		// Decoders for the single-byte and CJK charsets replace bad input
		// rather than fail; if one fails anyway, keep the raw bytes rather
		// than lose the page.
		return bytes.ToValidUTF8(body, []byte("\uFFFD"))
	}
	if !utf8.Valid(out) {
		return bytes.ToValidUTF8(out, []byte("\uFFFD"))
	}
	return out
}

// chooseEncoding returns the page's encoding, or nil for UTF-8; valid
// reports that the body was found to be valid UTF-8 on the way, so that
// decode need not check a large page twice.
func chooseEncoding(body []byte, contentType string) (enc encoding.Encoding, valid bool) {
	switch {
	case bytes.HasPrefix(body, []byte{0xEF, 0xBB, 0xBF}):
		return unicode.UTF8BOM, false
	case bytes.HasPrefix(body, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM), false
	case bytes.HasPrefix(body, []byte{0xFF, 0xFE}):
		return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), false
	}
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		if enc := lookupCharset(params["charset"]); enc != nil || isUTF8Label(params["charset"]) {
			return enc, false
		}
	}
	if label := prescanMetaCharset(body); label != "" {
		if enc := lookupCharset(label); enc != nil || isUTF8Label(label) {
			return enc, false
		}
	}
	if utf8.Valid(body) {
		return nil, true
	}
	return charmap.Windows1252, false
}

// lookupCharset maps a charset label to its encoding; UTF-8 and unknown
// labels give nil (isUTF8Label tells them apart).
func lookupCharset(label string) encoding.Encoding {
	label = strings.TrimSpace(label)
	if label == "" || isUTF8Label(label) {
		return nil
	}
	enc, name := charset.Lookup(label)
	if enc == nil {
		return nil
	}
	switch name {
	case "utf-8":
		return nil
	case "utf-16be", "utf-16le":
		// A page that declares UTF-16 in ASCII-compatible bytes cannot be
		// UTF-16; the HTML spec says to read it as UTF-8.
		return nil
	}
	return enc
}

func isUTF8Label(label string) bool {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "utf-8", "utf8", "unicode-1-1-utf-8", "utf-16", "utf-16le", "utf-16be":
		return true
	}
	return false
}

// prescanMetaCharset finds the charset declared by a <meta charset> or
// <meta http-equiv="content-type"> before the body starts.
func prescanMetaCharset(body []byte) string {
	if len(body) > metaPrescanBytes {
		body = body[:metaPrescanBytes]
	}
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch string(name) {
			case "body":
				return ""
			case "meta":
				if !hasAttr {
					continue
				}
				if label := metaCharsetLabel(z); label != "" {
					return label
				}
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "head" {
				return ""
			}
		}
	}
}

func metaCharsetLabel(z *html.Tokenizer) string {
	var cs, httpEquiv, content string
	for {
		key, val, more := z.TagAttr()
		switch strings.ToLower(string(key)) {
		case "charset":
			cs = string(val)
		case "http-equiv":
			httpEquiv = strings.ToLower(string(val))
		case "content":
			content = string(val)
		}
		if !more {
			break
		}
	}
	if cs != "" {
		return strings.TrimSpace(cs)
	}
	if httpEquiv == "content-type" {
		return charsetFromContent(content)
	}
	return ""
}

// charsetFromContent extracts the charset from a content-type value the
// lenient way the HTML spec does ("text/html;charset=foo" without quotes
// or spaces is common and not valid for mime.ParseMediaType).
func charsetFromContent(content string) string {
	lower := strings.ToLower(content)
	i := strings.Index(lower, "charset")
	if i < 0 {
		return ""
	}
	rest := strings.TrimLeft(content[i+len("charset"):], " \t")
	if !strings.HasPrefix(rest, "=") {
		return ""
	}
	rest = strings.Trim(strings.TrimLeft(rest[1:], " \t"), `"' `)
	if j := strings.IndexAny(rest, `;"' `); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// ErrNotHTML is wrapped into the errors that refuse a body because it is
// not an HTML page (PDF, image, binary or plain text), so a caller can keep
// the capture and skip extraction instead of reporting a failure.
var ErrNotHTML = errors.New("not an HTML page")
