package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/crawler/urlnorm"
)

// tsLayout is the 14-digit Wayback timestamp (UTC, to the second).
const tsLayout = "20060102150405"

// Modifiers after a Wayback timestamp ("/web/20250708120000id_/URL"):
// what view of the capture to serve.
const (
	modReplay     = ""      // the page, links rewritten to the archive, sandboxed
	modOriginal   = "id_"   // the payload exactly as archived, original headers
	modArticle    = "art_"  // the Article JSON
	modText       = "txt_"  // the article's title and clean text
	modProvenance = "prov_" // the provenance record
	modWARC       = "warc_" // the capture's WARC file
)

var knownMods = map[string]bool{modReplay: true, modOriginal: true, modArticle: true, modText: true, modProvenance: true, modWARC: true}

// waybackRE splits "TIMESTAMP[MOD]/URL".
var waybackRE = regexp.MustCompile(`^(\d{1,14})([a-z]{1,8}_)?/(.*)$`)

// schemeSlashRE finds a scheme whose "//" a proxy or client collapsed.
var schemeSlashRE = regexp.MustCompile(`^(?i)(https?):/+`)

// wbRequest is a parsed /web/ path.
type wbRequest struct {
	ts  string // as given; "" for a TimeGate request
	mod string
	all bool   // "/web/*/URL": every capture
	url string // the archived URL (URI-R), query included
}

// parseWayback parses the part of a path after "/web/" plus the request's
// query, which belongs to the archived URL.
func parseWayback(rest, rawQuery string) (wbRequest, error) {
	var req wbRequest
	switch {
	case strings.HasPrefix(rest, "*/"):
		req.all = true
		rest = rest[2:]
	default:
		if m := waybackRE.FindStringSubmatch(rest); m != nil {
			req.ts, req.mod, rest = m[1], m[2], m[3]
			if !knownMods[req.mod] {
				return req, fmt.Errorf("unknown view %q after the timestamp: use none (replay), id_ (original bytes), art_ (Article JSON), txt_ (text), prov_ (provenance) or warc_ (WARC file)", req.mod)
			}
		}
	}
	u, err := archivedURL(rest, rawQuery)
	if err != nil {
		return req, err
	}
	req.url = u
	return req, nil
}

// archivedURL rebuilds the URL a Wayback-style path names: the scheme's
// "//" restored, "http://" added when there is no scheme, the query
// appended, and the result normalised as the catalog's keys are.
func archivedURL(rest, rawQuery string) (string, error) {
	if rest == "" {
		return "", errors.New("no URL in the path: put the archived URL after the prefix, e.g. /web/20250708120000/https://example.com/story")
	}
	if m := schemeSlashRE.FindStringSubmatchIndex(rest); m != nil {
		rest = strings.ToLower(rest[m[2]:m[3]]) + "://" + rest[m[1]:]
	} else if !strings.Contains(rest, "://") {
		rest = "http://" + rest
	}
	if rawQuery != "" {
		rest += "?" + rawQuery
	}
	if p, err := url.PathUnescape(rest); err == nil && strings.Contains(rest, "%3A%2F%2F") {
		// A client that escaped the whole URL: "https%3A%2F%2Fexample.com".
		rest = p
	}
	n, err := urlnorm.Normalize(rest)
	if err != nil {
		return "", fmt.Errorf("%q is not an archivable URL: %v", rest, err)
	}
	return n, nil
}

// ts14 formats a capture time as a 14-digit timestamp.
func ts14(t time.Time) string { return t.UTC().Format(tsLayout) }

// parseTS reads a 1- to 14-digit timestamp, padding a partial one to the
// start of the period it names ("2025" is 2025-01-01 00:00:00).
func parseTS(ts string) (time.Time, error) {
	const pad = "00000101000000"
	if len(ts) < 14 {
		ts += pad[len(ts):]
	}
	t, err := time.Parse(tsLayout, ts)
	if err != nil {
		return t, fmt.Errorf("%q is not a timestamp: use 4 to 14 digits, YYYYMMDDhhmmss (UTC)", ts)
	}
	return t, nil
}

// nearest returns the index of the entry (oldest first) fetched closest
// to at, the earlier on a tie; a zero at picks the latest; -1 when there
// is none.
func nearest(entries []catalog.Entry, at time.Time) int {
	if len(entries) == 0 {
		return -1
	}
	if at.IsZero() {
		return len(entries) - 1
	}
	best := 0
	for i, e := range entries {
		if absDur(e.FetchedAt.Sub(at)) < absDur(entries[best].FetchedAt.Sub(at)) {
			best = i
		}
	}
	return best
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// capturesOf returns the visible captures of a URL, oldest first.
func (s *server) capturesOf(ctx context.Context, uriR string) ([]catalog.Entry, error) {
	var out []catalog.Entry
	err := s.cat.List(ctx, catalog.Filter{URLKey: urlnorm.Key(uriR)}, func(e catalog.Entry) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list captures of %s: %w", uriR, err)
	}
	return out, nil
}

// notArchived answers 404 for a URL with no (visible) capture.
func notArchived(w http.ResponseWriter, uriR string) {
	writeError(w, http.StatusNotFound, "no capture of "+uriR+" in this archive: find archived URLs with /api/search?q=WORDS or /cdx?url=HOST/*")
}

// handleWayback serves /web/TIMESTAMP[MOD]/URL, /web/URL (a TimeGate) and
// /web/*/URL (the capture list).
func (s *server) handleWayback(w http.ResponseWriter, r *http.Request) {
	req, err := parseWayback(strings.TrimPrefix(r.URL.EscapedPath(), "/web/"), r.URL.RawQuery)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if req.all {
		redirect(w, "/versions?url="+url.QueryEscape(req.url))
		return
	}
	if req.ts == "" {
		s.timeGate(w, r, req.url)
		return
	}
	at, err := parseTS(req.ts)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	entries, err := s.capturesOf(r.Context(), req.url)
	if err != nil {
		s.serverError(w, err)
		return
	}
	i := nearest(entries, at)
	if i < 0 {
		notArchived(w, req.url)
		return
	}
	e := entries[i]
	ml := s.mementoLinks(r, req.url, entries, i)
	if got := ts14(e.FetchedAt); got != req.ts {
		// As pywb does: send the client to the exact timestamp, so the
		// address it keeps names the capture it got.
		w.Header().Set("Link", ml.header(false))
		redirect(w, s.base(r)+"/web/"+got+req.mod+"/"+req.url)
		return
	}
	s.serveCapture(w, r, e, req.mod, ml)
}

// serverError logs err and answers 500 without internal detail beyond
// what helps the operator.
func (s *server) serverError(w http.ResponseWriter, err error) {
	s.log.Error("web: request failed", "err", err)
	writeError(w, http.StatusInternalServerError, "the archive could not answer: "+err.Error()+" (the server log has the details; `archivist verify` checks the store)")
}

// redirect answers 302. http.Redirect is not used: it cleans a relative
// path, which would turn the "//" of an archived URL into "/".
func redirect(w http.ResponseWriter, location string) {
	w.Header().Set("Location", location)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusFound)
	fmt.Fprintf(w, "Found: %s\n", location)
}
