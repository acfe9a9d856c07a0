package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
)

// Memento (RFC 7089) terms: URI-R is the original resource (the archived
// URL), a memento one capture of it (/web/TIMESTAMP/URI-R), the TimeGate
// (/web/URI-R or /timegate/URI-R) picks a memento by Accept-Datetime, and
// the TimeMap (/timemap/link/URI-R) lists every memento.

// mementos is what the Link headers of one response describe.
type mementos struct {
	base    string // absolute archive URL, no trailing slash
	uriR    string
	entries []catalog.Entry // visible captures of uriR, oldest first
	cur     int             // the memento being served, -1 for none
}

func (s *server) mementoLinks(r *http.Request, uriR string, entries []catalog.Entry, cur int) mementos {
	return mementos{base: s.base(r), uriR: uriR, entries: entries, cur: cur}
}

func (m mementos) mementoURL(e catalog.Entry) string {
	return m.base + "/web/" + ts14(e.FetchedAt) + "/" + m.uriR
}

func (m mementos) timeGateURL() string { return m.base + "/web/" + m.uriR }

func (m mementos) timeMapURL(format string) string {
	return m.base + "/timemap/" + format + "/" + m.uriR
}

// httpDate formats t as Memento-Datetime and the datetime attribute do.
func httpDate(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

// header renders the Link header: original, timegate and timemap, and
// with neighbours the first, previous, next and last mementos (rels of
// one memento combined, as in RFC 7089's examples).
func (m mementos) header(neighbours bool) string {
	parts := []string{
		fmt.Sprintf(`<%s>; rel="original"`, m.uriR),
		fmt.Sprintf(`<%s>; rel="timegate"`, m.timeGateURL()),
		fmt.Sprintf(`<%s>; rel="timemap"; type="application/link-format"`, m.timeMapURL("link")),
	}
	if neighbours && len(m.entries) > 0 {
		var order []int
		rels := map[int][]string{}
		add := func(i int, rel string) {
			if i < 0 || i >= len(m.entries) {
				return
			}
			if _, ok := rels[i]; !ok {
				order = append(order, i)
			}
			rels[i] = append(rels[i], rel)
		}
		add(0, "first")
		if m.cur >= 0 {
			add(m.cur-1, "prev")
			add(m.cur+1, "next")
		}
		add(len(m.entries)-1, "last")
		for _, i := range order {
			e := m.entries[i]
			parts = append(parts, fmt.Sprintf(`<%s>; rel="%s memento"; datetime="%s"`, m.mementoURL(e), strings.Join(rels[i], " "), httpDate(e.FetchedAt)))
		}
	}
	return strings.Join(parts, ", ")
}

// setMementoHeaders marks a response as memento cur.
func (m mementos) setMementoHeaders(h http.Header) {
	if m.cur >= 0 && m.cur < len(m.entries) {
		h.Set("Memento-Datetime", httpDate(m.entries[m.cur].FetchedAt))
	}
	h.Set("Link", m.header(true))
}

// handleTimeGate serves /timegate/URL.
func (s *server) handleTimeGate(w http.ResponseWriter, r *http.Request) {
	uriR, err := archivedURL(strings.TrimPrefix(r.URL.EscapedPath(), "/timegate/"), r.URL.RawQuery)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.timeGate(w, r, uriR)
}

// timeGate redirects to the memento nearest Accept-Datetime (the latest
// without it): RFC 7089 pattern 2.1, a 302 with Vary: accept-datetime.
func (s *server) timeGate(w http.ResponseWriter, r *http.Request, uriR string) {
	w.Header().Set("Vary", "accept-datetime")
	var at time.Time
	if v := r.Header.Get("Accept-Datetime"); v != "" {
		var err error
		if at, err = http.ParseTime(v); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("Accept-Datetime %q is not an HTTP date: write it like \"Tue, 08 Jul 2025 12:00:00 GMT\" (RFC 1123)", v))
			return
		}
	}
	entries, err := s.capturesOf(r.Context(), uriR)
	if err != nil {
		s.serverError(w, err)
		return
	}
	i := nearest(entries, at)
	if i < 0 {
		notArchived(w, uriR)
		return
	}
	m := s.mementoLinks(r, uriR, entries, i)
	w.Header().Set("Link", m.header(true))
	redirect(w, m.mementoURL(entries[i]))
}

// handleTimeMap serves /timemap/link/URL (application/link-format, RFC
// 7089 section 5), /timemap/json/URL and /timemap/cdxj/URL (the CDX
// lines of the URL's captures, as pywb's TimeMaps give them).
func (s *server) handleTimeMap(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.EscapedPath(), "/timemap/")
	format, rest, _ := strings.Cut(rest, "/")
	if format != "link" && format != "json" && format != "cdxj" {
		writeError(w, http.StatusNotFound, "unknown TimeMap format "+fmt.Sprintf("%q", format)+": use /timemap/link/URL, /timemap/json/URL or /timemap/cdxj/URL")
		return
	}
	uriR, err := archivedURL(rest, r.URL.RawQuery)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	entries, err := s.capturesOf(r.Context(), uriR)
	if err != nil {
		s.serverError(w, err)
		return
	}
	if len(entries) == 0 {
		notArchived(w, uriR)
		return
	}
	if format != "link" {
		rows := make([]cdxRow, len(entries))
		for i, e := range entries {
			rows[i] = newCDXRow(e)
		}
		writeCDX(w, rows, cdxOutput{json: format == "json"})
		return
	}
	m := s.mementoLinks(r, uriR, entries, -1)
	first, last := entries[0].FetchedAt, entries[len(entries)-1].FetchedAt
	var b strings.Builder
	fmt.Fprintf(&b, "<%s>; rel=\"original\",\n", uriR)
	fmt.Fprintf(&b, "<%s>; rel=\"self\"; type=\"application/link-format\"; from=\"%s\"; until=\"%s\",\n", m.timeMapURL("link"), httpDate(first), httpDate(last))
	fmt.Fprintf(&b, "<%s>; rel=\"timegate\"", m.timeGateURL())
	for i, e := range entries {
		rel := "memento"
		switch {
		case len(entries) == 1:
			rel = "first last memento"
		case i == 0:
			rel = "first memento"
		case i == len(entries)-1:
			rel = "last memento"
		}
		fmt.Fprintf(&b, ",\n<%s>; rel=\"%s\"; datetime=\"%s\"", m.mementoURL(e), rel, httpDate(e.FetchedAt))
	}
	b.WriteString("\n")
	w.Header().Set("Content-Type", "application/link-format")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write([]byte(b.String()))
}
