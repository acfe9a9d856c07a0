package web

import (
	"bytes"
	"html"
	"net/url"
	"strings"

	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/archivist-project/archivist/archive/catalog"
)

// urlAttrs lists, per element, the attributes holding a URL, and whether
// following it is a navigation (a page: replayed) or a resource (image,
// style: served as archived, id_). Links are rewritten so that a click or
// a load stays inside the archive instead of reaching the live web.
var urlAttrs = map[atom.Atom]map[string]bool{
	atom.A:          {"href": true},
	atom.Area:       {"href": true},
	atom.Form:       {"action": true},
	atom.Iframe:     {"src": true},
	atom.Frame:      {"src": true},
	atom.Button:     {"formaction": true},
	atom.Input:      {"formaction": true, "src": false},
	atom.Link:       {"href": false},
	atom.Img:        {"src": false, "srcset": false},
	atom.Source:     {"src": false, "srcset": false},
	atom.Script:     {"src": false},
	atom.Embed:      {"src": false},
	atom.Object:     {"data": false},
	atom.Video:      {"src": false, "poster": false},
	atom.Audio:      {"src": false},
	atom.Track:      {"src": false},
	atom.Body:       {"background": false},
	atom.Table:      {"background": false},
	atom.Td:         {"background": false},
	atom.Blockquote: {"cite": true},
	atom.Q:          {"cite": true},
	atom.Ins:        {"cite": true},
	atom.Del:        {"cite": true},
}

// rewriter turns the URLs of one archived page into archive URLs.
type rewriter struct {
	base *url.URL // the page URL, or its <base href>
	ts   string
}

// archiveURL rewrites one URL value. ok is false when it is left as is
// (fragments, data: and other non-web schemes).
func (rw *rewriter) archiveURL(v string, nav bool) (string, bool) {
	v = strings.TrimSpace(v)
	if v == "" || strings.HasPrefix(v, "#") {
		return v, false
	}
	low := strings.ToLower(v)
	if strings.HasPrefix(low, "javascript:") || strings.HasPrefix(low, "vbscript:") {
		// Dead anyway under the sandbox; made inert in case a browser
		// ever runs it.
		return "#", true
	}
	u, err := rw.base.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return v, false
	}
	mod := ""
	if !nav {
		mod = modOriginal
	}
	return "/web/" + rw.ts + mod + "/" + u.String(), true
}

// srcset rewrites "url 1x, url 2x".
func (rw *rewriter) srcset(v string) string {
	parts := strings.Split(v, ",")
	for i, p := range parts {
		fields := strings.Fields(p)
		if len(fields) == 0 {
			continue
		}
		if u, ok := rw.archiveURL(fields[0], false); ok {
			fields[0] = u
		}
		parts[i] = strings.Join(fields, " ")
	}
	return strings.Join(parts, ", ")
}

// refresh rewrites a meta refresh's "5; url=http://...".
func (rw *rewriter) refresh(v string) string {
	i := strings.Index(strings.ToLower(v), "url=")
	if i < 0 {
		return v
	}
	target := strings.Trim(strings.TrimSpace(v[i+4:]), `'"`)
	if u, ok := rw.archiveURL(target, true); ok {
		return v[:i+4] + u
	}
	return v
}

// rewriteTag rewrites the URLs of a start tag; it reports whether
// anything changed.
func (rw *rewriter) rewriteTag(t *xhtml.Token) bool {
	changed := false
	attrs := t.Attr[:0]
	isRefresh := false
	for _, a := range t.Attr {
		if a.Key == "http-equiv" && strings.EqualFold(strings.TrimSpace(a.Val), "refresh") {
			isRefresh = true
		}
	}
	for _, a := range t.Attr {
		key := a.Key
		switch {
		case t.DataAtom == atom.Base && key == "href":
			// Later URLs resolve against it; the element itself goes
			// inert, or relative URLs in styles would leave the archive.
			if u, err := rw.base.Parse(strings.TrimSpace(a.Val)); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
				rw.base = u
			}
			changed = true
			continue
		case key == "ping" || strings.HasPrefix(key, "on"):
			// Hyperlink auditing and event handlers: both act, neither
			// shows anything.
			changed = true
			continue
		case isRefresh && key == "content":
			if nv := rw.refresh(a.Val); nv != a.Val {
				a.Val, changed = nv, true
			}
		case key == "srcset":
			if _, ok := urlAttrs[t.DataAtom]["srcset"]; ok {
				if nv := rw.srcset(a.Val); nv != a.Val {
					a.Val, changed = nv, true
				}
			}
		default:
			if nav, ok := urlAttrs[t.DataAtom][key]; ok {
				if nv, ok := rw.archiveURL(a.Val, nav); ok {
					a.Val, changed = nv, true
				}
			}
		}
		attrs = append(attrs, a)
	}
	t.Attr = attrs
	return changed
}

// renderTag writes a start tag with its (escaped) attributes.
func renderTag(b *bytes.Buffer, t xhtml.Token) {
	b.WriteByte('<')
	b.WriteString(t.Data)
	for _, a := range t.Attr {
		b.WriteByte(' ')
		if a.Namespace != "" {
			b.WriteString(a.Namespace + ":")
		}
		b.WriteString(a.Key)
		b.WriteString(`="`)
		b.WriteString(html.EscapeString(a.Val))
		b.WriteByte('"')
	}
	if t.Type == xhtml.SelfClosingTagToken {
		b.WriteString(" /")
	}
	b.WriteByte('>')
}

// rewriteHTML rewrites the links of an archived page to the archive and
// puts the banner at the start of its body. It works token by token and
// copies everything it does not change byte for byte, so the page's
// encoding, comments and scripts' text are untouched.
func rewriteHTML(body []byte, pageURL, ts, bannerHTML string) []byte {
	base, err := url.Parse(pageURL)
	if err != nil {
		return body
	}
	rw := &rewriter{base: base, ts: ts}
	z := xhtml.NewTokenizer(bytes.NewReader(body))
	var out bytes.Buffer
	out.Grow(len(body) + len(bannerHTML) + 1024)
	bannerDone := false
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			break
		}
		if tt != xhtml.StartTagToken && tt != xhtml.SelfClosingTagToken {
			out.Write(z.Raw())
			continue
		}
		raw := append([]byte(nil), z.Raw()...)
		tok := z.Token()
		if rw.rewriteTag(&tok) {
			renderTag(&out, tok)
		} else {
			out.Write(raw)
		}
		if tok.DataAtom == atom.Body && !bannerDone {
			out.WriteString(bannerHTML)
			bannerDone = true
		}
	}
	return out.Bytes()
}

// banner is the notice at the top of a replayed page: what it is, when
// it was captured, and where its article view and original bytes are.
// It is ASCII, so it is right in any page encoding.
func banner(e catalog.Entry, pageURL, ts string) string {
	u := html.EscapeString(asciiURL(pageURL))
	id := html.EscapeString(url.PathEscape(e.CaptureID))
	const a = `style="all:revert;color:#0645ad;text-decoration:underline"`
	return `<div role="note" id="archivist-banner" style="all:initial;display:block;box-sizing:border-box;width:100%;font:14px/1.4 system-ui,sans-serif;` +
		`background:#fff8d6;color:#1a1a1a;border-bottom:2px solid #b08d00;padding:6px 10px">` +
		`Archived copy of ` + u + `, captured ` + e.FetchedAt.UTC().Format("2006-01-02 15:04:05") + ` UTC by Archivist. Scripts do not run in archived pages. ` +
		`<a ` + a + ` href="/capture/` + id + `">Article view and provenance</a> &middot; ` +
		`<a ` + a + ` href="/web/` + ts + modOriginal + `/` + u + `">Original bytes</a></div>`
}

// asciiURL re-encodes a URL so that it holds only ASCII.
func asciiURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.String()
	}
	return url.PathEscape(s)
}
