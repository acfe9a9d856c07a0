package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/archivist-project/archivist/archive/surt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive/capture"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/crawler/urlnorm"
)

// The CDX API answers the queries pywb's CDX server answers (and the
// Wayback Machine's, for the parameters they share): one line per
// capture, keyed by SURT and timestamp. Each capture is its own WARC file
// here, so "filename" is the WARC's store key and "length" its size; there
// is no "offset" (the response record is not the file's first).

// cdxFields are the fields a line has, in output order; cdxAliases maps
// the Wayback Machine's names to them.
var (
	cdxFields  = []string{"urlkey", "timestamp", "url", "mime", "status", "digest", "length", "filename", "capture_id"}
	cdxAliases = map[string]string{"original": "url", "mimetype": "mime", "statuscode": "status"}
)

// maxCDXRows bounds the captures one query collects before sorting.
const maxCDXRows = 1_000_000

// cdxRow is one line.
type cdxRow struct {
	t      time.Time
	values map[string]string
}

func newCDXRow(e catalog.Entry) cdxRow {
	u := e.FinalURL
	if u == "" {
		u = e.URL
	}
	mimeType := e.ContentType
	if e.Kind == "revisit" {
		mimeType = "warc/revisit" // as pywb marks revisit records
	}
	if mimeType == "" {
		mimeType = "unk"
	}
	digest := ""
	if e.PayloadSHA256 != "" {
		digest = "sha256:" + e.PayloadSHA256
	}
	return cdxRow{t: e.FetchedAt, values: map[string]string{
		"urlkey": surt.URL(u), "timestamp": ts14(e.FetchedAt), "url": u, "mime": mimeType,
		"status": strconv.Itoa(e.Status), "digest": digest, "length": strconv.FormatInt(e.WARC.Size, 10),
		"filename": e.WARC.Key, "capture_id": e.CaptureID,
	}}
}

// cdxFilter is one filter= parameter: [!][=|~]field:expr.
type cdxFilter struct {
	invert bool
	field  string // "" matches the whole line
	exact  string
	sub    string
	re     *regexp.Regexp
	kind   byte // '=', '~' or 'r'
}

func parseCDXFilter(s string) (cdxFilter, error) {
	var f cdxFilter
	orig := s
	if strings.HasPrefix(s, "!") {
		f.invert, s = true, s[1:]
	}
	f.kind = 'r'
	if s != "" && (s[0] == '=' || s[0] == '~') {
		f.kind, s = s[0], s[1:]
	}
	if field, expr, ok := strings.Cut(s, ":"); ok {
		f.field = field
		if a, ok := cdxAliases[field]; ok {
			f.field = a
		}
		if !slices.Contains(cdxFields, f.field) {
			return f, fmt.Errorf("filter %q: unknown field %q: use one of %s", orig, field, strings.Join(cdxFields, ", "))
		}
		s = expr
	}
	switch f.kind {
	case '=':
		f.exact = s
	case '~':
		f.sub = s
	default:
		// Anchored at the start, as Python's re.match in pywb.
		re, err := regexp.Compile(`^(?:` + s + `)`)
		if err != nil {
			return f, fmt.Errorf("filter %q: bad regular expression: %v", orig, err)
		}
		f.re = re
	}
	return f, nil
}

func (f cdxFilter) keep(r cdxRow) bool {
	v := r.values[f.field]
	if f.field == "" {
		v = r.line(nil)
	}
	var m bool
	switch f.kind {
	case '=':
		m = v == f.exact
	case '~':
		m = strings.Contains(v, f.sub)
	default:
		m = f.re.MatchString(v)
	}
	return m != f.invert
}

// line renders the row as a CDXJ line, or with fl the named fields
// separated by spaces.
func (r cdxRow) line(fl []string) string {
	if len(fl) > 0 {
		vals := make([]string, len(fl))
		for i, f := range fl {
			vals[i] = orDash(r.values[f])
		}
		return strings.Join(vals, " ")
	}
	var b bytes.Buffer
	b.WriteString(r.values["urlkey"] + " " + r.values["timestamp"] + " {")
	for i, f := range cdxFields[2:] {
		if i > 0 {
			b.WriteString(", ")
		}
		writeJSONPair(&b, f, r.values[f])
	}
	b.WriteString("}")
	return b.String()
}

// object renders the row as one JSON object (output=json), with the
// fields of fl or all of them.
func (r cdxRow) object(fl []string) string {
	if len(fl) == 0 {
		fl = cdxFields
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fl {
		if i > 0 {
			b.WriteString(", ")
		}
		writeJSONPair(&b, f, r.values[f])
	}
	b.WriteByte('}')
	return b.String()
}

func writeJSONPair(b *bytes.Buffer, k, v string) {
	kj, _ := json.Marshal(k)
	vj, _ := json.Marshal(v)
	b.Write(kj)
	b.WriteString(": ")
	b.Write(vj)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cdxOutput says how rows are written.
type cdxOutput struct {
	json bool     // JSON lines, else CDXJ (or fields separated by spaces)
	text bool     // classic 11-field CDX lines
	fl   []string // selected fields
}

func writeCDX(w http.ResponseWriter, rows []cdxRow, out cdxOutput) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	switch {
	case out.json:
		h.Set("Content-Type", "text/x-ndjson; charset=utf-8")
	case out.text || len(out.fl) > 0:
		h.Set("Content-Type", "text/plain; charset=utf-8")
	default:
		h.Set("Content-Type", "text/x-cdxj; charset=utf-8")
	}
	var b bytes.Buffer
	for _, r := range rows {
		switch {
		case out.json:
			b.WriteString(r.object(out.fl))
		case out.text && len(out.fl) == 0:
			// N b a m s k r M S V g, "-" where Archivist has no value.
			v := r.values
			fmt.Fprintf(&b, "%s %s %s %s %s %s - - %s - %s", v["urlkey"], v["timestamp"], v["url"], v["mime"], v["status"], orDash(v["digest"]), v["length"], v["filename"])
		default:
			b.WriteString(r.line(out.fl))
		}
		b.WriteByte('\n')
	}
	_, _ = w.Write(b.Bytes())
}

// cdxQuery is a parsed /cdx request.
type cdxQuery struct {
	url          string // normalised; for prefix queries the prefix
	matchType    string
	host         string
	from, to     time.Time
	limit        int
	sort         string
	closest      time.Time
	filters      []cdxFilter
	out          cdxOutput
	page         int
	pageSize     int
	paged        bool
	showNumPages bool
}

func parseCDXQuery(q url.Values) (cdxQuery, error) {
	var c cdxQuery
	raw := strings.TrimSpace(q.Get("url"))
	if raw == "" {
		return c, errors.New("give url=, e.g. /cdx?url=example.com/story, /cdx?url=example.com/news/*&output=json or /cdx?url=*.example.com")
	}
	c.matchType = q.Get("matchType")
	switch {
	case strings.HasPrefix(raw, "*."):
		raw, c.matchType = raw[2:], firstNonEmpty(c.matchType, "domain")
	case strings.HasSuffix(raw, "*"):
		raw, c.matchType = strings.TrimSuffix(raw, "*"), firstNonEmpty(c.matchType, "prefix")
	}
	c.matchType = firstNonEmpty(c.matchType, "exact")
	switch c.matchType {
	case "exact", "prefix", "host", "domain":
	default:
		return c, fmt.Errorf("matchType %q: use exact, prefix, host or domain", c.matchType)
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	n, err := urlnorm.Normalize(raw)
	if err != nil {
		return c, fmt.Errorf("url %q: %v", q.Get("url"), err)
	}
	if c.matchType == "prefix" && !strings.HasSuffix(raw, "/") && strings.HasSuffix(n, "/") {
		// Normalize writes an empty path "/": "example.com/new" stays a
		// prefix of "example.com/news", and "example.com" of all of it.
		n = strings.TrimSuffix(n, "/")
	}
	c.url, c.host = n, capture.HostOf(n)
	if v := q.Get("from"); v != "" {
		if c.from, err = parseTS(v); err != nil {
			return c, fmt.Errorf("from: %v", err)
		}
	}
	if v := q.Get("to"); v != "" {
		if c.to, err = parseTSEnd(v); err != nil {
			return c, fmt.Errorf("to: %v", err)
		}
	}
	if v := q.Get("limit"); v != "" {
		if c.limit, err = strconv.Atoi(v); err != nil {
			return c, fmt.Errorf("limit %q: use a whole number (negative: the last N)", v)
		}
	}
	c.sort = q.Get("sort")
	switch c.sort {
	case "", "reverse":
	case "closest":
		v := q.Get("closest")
		if v == "" {
			return c, errors.New("sort=closest needs closest=TIMESTAMP, e.g. closest=20250708120000")
		}
		if c.closest, err = parseTS(v); err != nil {
			return c, fmt.Errorf("closest: %v", err)
		}
	default:
		return c, fmt.Errorf("sort %q: use reverse or closest (with closest=TIMESTAMP); the default is ascending", c.sort)
	}
	for _, f := range q["filter"] {
		cf, err := parseCDXFilter(f)
		if err != nil {
			return c, err
		}
		c.filters = append(c.filters, cf)
	}
	fl := firstNonEmpty(q.Get("fl"), q.Get("fields"))
	for _, f := range strings.Split(fl, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if a, ok := cdxAliases[f]; ok {
			f = a
		}
		if !slices.Contains(cdxFields, f) {
			return c, fmt.Errorf("fl: unknown field %q: use some of %s", f, strings.Join(cdxFields, ","))
		}
		c.out.fl = append(c.out.fl, f)
	}
	switch o := q.Get("output"); o {
	case "", "cdxj":
	case "json":
		c.out.json = true
	case "text", "cdx":
		c.out.text = true
	default:
		return c, fmt.Errorf("output %q: use cdxj (the default), json or text", o)
	}
	c.pageSize = 1000
	if v := q.Get("pageSize"); v != "" {
		if c.pageSize, err = strconv.Atoi(v); err != nil || c.pageSize < 1 || c.pageSize > 100000 {
			return c, fmt.Errorf("pageSize %q: use 1 to 100000 lines a page", v)
		}
	}
	if v := q.Get("page"); v != "" {
		if c.page, err = strconv.Atoi(v); err != nil || c.page < 0 {
			return c, fmt.Errorf("page %q: pages count from 0", v)
		}
		c.paged = true
	}
	c.showNumPages = q.Get("showNumPages") == "true" || q.Get("showNumPages") == "1"
	return c, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// parseTSEnd reads a timestamp as the end of the period it names, so that
// to=2025 includes all of 2025, as in pywb.
func parseTSEnd(ts string) (time.Time, error) {
	t, err := parseTS(ts)
	if err != nil {
		return t, err
	}
	switch n := len(ts); {
	case n <= 4:
		t = t.AddDate(1, 0, 0)
	case n <= 6:
		t = t.AddDate(0, 1, 0)
	case n <= 8:
		t = t.AddDate(0, 0, 1)
	case n <= 10:
		t = t.Add(time.Hour)
	case n <= 12:
		t = t.Add(time.Minute)
	default:
		t = t.Add(time.Second)
	}
	return t.Add(-time.Nanosecond), nil
}

// handleCDX serves /cdx.
func (s *server) handleCDX(w http.ResponseWriter, r *http.Request) {
	q, err := parseCDXQuery(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	f := catalog.Filter{Since: q.from, Until: q.to}
	prefix := ""
	switch q.matchType {
	case "exact":
		f.URLKey = urlnorm.Key(q.url)
	case "prefix":
		f.Host, prefix = q.host, surt.URL(q.url)
	case "host":
		f.Host = q.host
	}
	var rows []cdxRow
	err = s.cat.List(r.Context(), f, func(e catalog.Entry) error {
		if q.matchType == "domain" && e.Host != q.host && !strings.HasSuffix(e.Host, "."+q.host) {
			return nil
		}
		row := newCDXRow(e)
		if prefix != "" && !strings.HasPrefix(row.values["urlkey"], prefix) {
			return nil
		}
		for _, flt := range q.filters {
			if !flt.keep(row) {
				return nil
			}
		}
		if len(rows) >= maxCDXRows {
			return fmt.Errorf("more than %d captures match: narrow the query with from=, to=, a longer url prefix or matchType=exact", maxCDXRows)
		}
		rows = append(rows, row)
		return nil
	})
	if err != nil {
		writeError(w, http.StatusBadRequest, "cdx: "+err.Error())
		return
	}
	sortCDX(rows, q)
	if q.showNumPages {
		pages := (len(rows) + q.pageSize - 1) / q.pageSize
		if q.out.json {
			writeJSON(w, http.StatusOK, map[string]int{"pages": pages, "pageSize": q.pageSize, "blocks": pages})
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "%d\n", pages)
		return
	}
	if q.paged {
		start := min(q.page*q.pageSize, len(rows))
		rows = rows[start:min(start+q.pageSize, len(rows))]
	}
	switch {
	case q.limit > 0 && q.limit < len(rows):
		rows = rows[:q.limit]
	case q.limit < 0 && -q.limit < len(rows):
		rows = rows[len(rows)+q.limit:]
	}
	writeCDX(w, rows, q.out)
}

// sortCDX orders rows: by SURT then time (the default), reversed, or by
// distance from closest (the earlier first on a tie).
func sortCDX(rows []cdxRow, q cdxQuery) {
	byKey := func(a, b cdxRow) int {
		if c := strings.Compare(a.values["urlkey"], b.values["urlkey"]); c != 0 {
			return c
		}
		if c := a.t.Compare(b.t); c != 0 {
			return c
		}
		return strings.Compare(a.values["capture_id"], b.values["capture_id"])
	}
	switch q.sort {
	case "closest":
		slices.SortStableFunc(rows, func(a, b cdxRow) int {
			da, db := absDur(a.t.Sub(q.closest)), absDur(b.t.Sub(q.closest))
			if da != db {
				if da < db {
					return -1
				}
				return 1
			}
			return byKey(a, b)
		})
	case "reverse":
		slices.SortStableFunc(rows, func(a, b cdxRow) int { return byKey(b, a) })
	default:
		slices.SortStableFunc(rows, byKey)
	}
}
