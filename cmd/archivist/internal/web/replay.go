package web

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/capture"
	"github.com/archivist-project/archivist/archive/catalog"
)

// replayCSP is the Content-Security-Policy of every archived payload.
// "sandbox" with no allow-* token gives the page an opaque origin and no
// script, forms, popups or plugins, so an archived page cannot read the
// archive's cookies, call its API with the user's credentials or run at
// all; script-src 'none' says the same to a browser that ignores sandbox
// in some context. connect-src 'none' and default-src 'self' keep the
// page from reaching the live web: a replay must show the archive only.
const replayCSP = "sandbox; default-src 'self' data: blob:; script-src 'none'; script-src-elem 'none'; script-src-attr 'none'; " +
	"object-src 'none'; connect-src 'none'; worker-src 'none'; manifest-src 'none'; style-src 'self' 'unsafe-inline' data:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'self'"

// setReplaySecurity sets the headers every archived payload is served with.
func setReplaySecurity(h http.Header) {
	h.Set("Content-Security-Policy", replayCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("X-Frame-Options", "SAMEORIGIN")
}

// Archived response headers: some pass through as they are, some are
// dropped, the rest are kept as X-Archive-Orig-NAME (as pywb does), where
// they inform without acting (an archived Link, CSP or cache header must
// not steer the browser).
var (
	passHeaders = map[string]bool{"Content-Type": true, "Content-Language": true}
	dropHeaders = map[string]bool{
		// Cookies: an archived site must never set one on the archive.
		"Set-Cookie": true, "Set-Cookie2": true,
		// Hop-by-hop, and lengths the archive recomputes.
		"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Transfer-Encoding": true,
		"Te": true, "Trailer": true, "Upgrade": true, "Content-Length": true, "Content-Encoding": true,
	}
)

// copyArchivedHeaders copies the archived response's headers onto h.
func copyArchivedHeaders(h, archived http.Header) {
	for name, vals := range archived {
		name = http.CanonicalHeaderKey(name)
		switch {
		case dropHeaders[name]:
		case passHeaders[name]:
			h[name] = append([]string(nil), vals...)
		default:
			h["X-Archive-Orig-"+name] = append([]string(nil), vals...)
		}
	}
}

// serveCapture serves one view of capture e with its Memento headers.
func (s *server) serveCapture(w http.ResponseWriter, r *http.Request, e catalog.Entry, mod string, m mementos) {
	h := w.Header()
	m.setMementoHeaders(h)
	h.Set("X-Archive-Capture-Id", e.CaptureID)
	ctx := r.Context()
	switch mod {
	case modArticle, modProvenance, modWARC:
		ref := map[string]archive.ObjectRef{modArticle: e.Article, modProvenance: e.Provenance, modWARC: e.WARC}[mod]
		data, err := s.readVerified(ctx, ref)
		if err == nil && mod != modWARC {
			// Records are stored gzipped (plain in captures made before
			// that, by their name); either way the JSON they hold is served.
			data, err = archive.DecodeRecord(ref.Key, data, max(s.opts.MaxBodyBytes*2, 1<<30))
		}
		if err != nil {
			s.serverError(w, err)
			return
		}
		h.Set("X-Content-Type-Options", "nosniff")
		if mod == modWARC {
			h.Set("Content-Type", "application/warc")
			h.Set("Content-Disposition", `attachment; filename="`+e.CaptureID+`.warc.gz"`)
		} else {
			h.Set("Content-Type", "application/json; charset=utf-8")
		}
		h.Set("Content-Length", strconv.Itoa(len(data)))
		_, _ = w.Write(data)
	case modText:
		st, err := capture.LoadCurrent(ctx, s.opts.Store, e.CaptureID)
		if err != nil {
			s.serverError(w, err)
			return
		}
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		fmt.Fprintf(w, "%s\n\n%s\n", st.Article.Title, st.Article.Text)
	default:
		s.servePayload(w, r, e, mod)
	}
}

// readVerified reads an object and checks it against the digest the
// catalog recorded.
func (s *server) readVerified(ctx context.Context, ref archive.ObjectRef) ([]byte, error) {
	data, got, err := capture.ReadObject(ctx, s.opts.Store, ref.Key, max(s.opts.MaxBodyBytes*2, 1<<30))
	if err != nil {
		return nil, err
	}
	if ref.SHA256 != "" && got.SHA256 != ref.SHA256 {
		return nil, fmt.Errorf("%s has sha256 %s but the catalog recorded %s: the object is damaged", ref.Key, got.SHA256, ref.SHA256)
	}
	return data, nil
}

// servePayload replays the archived response (modReplay) or serves its
// payload byte for byte (modOriginal), always sandboxed.
func (s *server) servePayload(w http.ResponseWriter, r *http.Request, e catalog.Entry, mod string) {
	// LoadExchange fills a revisit's payload from the capture it refers to.
	c, err := capture.LoadExchange(r.Context(), s.opts.Store, e.CaptureID, s.opts.MaxBodyBytes)
	if err != nil {
		s.serverError(w, err)
		return
	}
	final := c.Exchange.Final()
	h := w.Header()
	copyArchivedHeaders(h, final.ResponseHeader)
	setReplaySecurity(h)
	status := final.Status
	if status < 100 || status > 999 {
		status = http.StatusOK
	}
	body := final.Body
	ts := ts14(e.FetchedAt)
	if mod == modOriginal {
		if enc := final.ResponseHeader.Get("Content-Encoding"); enc != "" {
			// The bytes as transferred: the browser undoes the encoding.
			h.Set("Content-Encoding", enc)
		}
	} else {
		if body, err = capture.DecodeBody(body, final.ResponseHeader.Get("Content-Encoding"), s.opts.MaxBodyBytes); err != nil {
			s.serverError(w, fmt.Errorf("decode the payload of capture %s: %w", e.CaptureID, err))
			return
		}
		if isHTML(final.ResponseHeader.Get("Content-Type"), body) {
			body = rewriteHTML(body, final.URL, ts, banner(e, final.URL, ts))
		}
	}
	if loc := final.ResponseHeader.Get("Location"); loc != "" && status >= 300 && status < 400 {
		if u, err := url.Parse(final.URL); err == nil {
			if target, err := u.Parse(strings.TrimSpace(loc)); err == nil && (target.Scheme == "http" || target.Scheme == "https") {
				h.Set("Location", "/web/"+ts+mod+"/"+target.String())
			}
		}
	}
	if h.Get("Content-Type") == "" {
		// nosniff with no type would make the browser guess nothing
		// useful; the archive does not know better than "bytes".
		h.Set("Content-Type", "application/octet-stream")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// isHTML tells from the archived Content-Type (or, without one, the
// first bytes) whether a payload is an HTML page to rewrite.
func isHTML(contentType string, body []byte) bool {
	if contentType != "" {
		mt, _, err := mime.ParseMediaType(contentType)
		return err == nil && (mt == "text/html" || mt == "application/xhtml+xml")
	}
	return strings.HasPrefix(http.DetectContentType(body), "text/html")
}
