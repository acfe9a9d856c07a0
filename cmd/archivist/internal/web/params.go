package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive/capture"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/crawler/urlnorm"
)

// httpError is a request the client must fix (or a thing that is not
// there), with the status to answer.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &httpError{status: http.StatusNotFound, msg: fmt.Sprintf(format, args...)}
}

// fail answers err as JSON: its own status for an httpError, 500 (and a
// log line) otherwise.
func (s *server) fail(w http.ResponseWriter, err error) {
	var he *httpError
	if errors.As(err, &he) {
		writeError(w, he.status, he.msg)
		return
	}
	s.serverError(w, err)
}

// Filter parameters shared by /api/search, /api/captures and the UI.
const filterHelp = "url, host, source, tag, lang, author, type (article|listing|other), since, until (captured), published_since, published_until"

// parseFilter reads the filter parameters. Times are RFC 3339, a date
// (2025-07-08) or a 4- to 14-digit timestamp; in until and
// published_until a partial time means the end of the period it names.
func parseFilter(q url.Values) (catalog.Filter, error) {
	var f catalog.Filter
	var err error
	if v := strings.TrimSpace(q.Get("url")); v != "" {
		if _, err := urlnorm.Normalize(v); err != nil {
			return f, badRequest("url: %v", err)
		}
		f.URLKey = urlnorm.Key(v)
	}
	if v := strings.TrimSpace(q.Get("host")); v != "" {
		h := v
		if !strings.Contains(h, "://") {
			h = "http://" + h
		}
		if f.Host = capture.HostOf(h); f.Host == "" {
			return f, badRequest("host: %q is not a host name: write it like example.com", v)
		}
	}
	f.Source = strings.TrimSpace(q.Get("source"))
	f.Tag = strings.TrimSpace(q.Get("tag"))
	f.Language = strings.ToLower(strings.TrimSpace(q.Get("lang")))
	f.Author = strings.TrimSpace(q.Get("author"))
	switch f.PageType = strings.TrimSpace(q.Get("type")); f.PageType {
	case "", "article", "listing", "other":
	default:
		return f, badRequest("type %q: use article, listing or other", f.PageType)
	}
	for _, t := range []struct {
		name string
		end  bool
		into *time.Time
	}{
		{"since", false, &f.Since}, {"until", true, &f.Until},
		{"published_since", false, &f.PublishedSince}, {"published_until", true, &f.PublishedUntil},
	} {
		v := strings.TrimSpace(q.Get(t.name))
		if v == "" {
			continue
		}
		if *t.into, err = parseTime(v, t.end); err != nil {
			return f, badRequest("%s: %v", t.name, err)
		}
	}
	return f, nil
}

// parseTime reads RFC 3339, a date, a month, or a Wayback-style timestamp
// of 4 to 14 digits. With end, a partial time means the last instant of
// the period it names (2025-07 → the end of July).
func parseTime(s string, end bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	for _, l := range []struct {
		layout string
		next   func(time.Time) time.Time
	}{
		{"2006-01-02T15:04:05", func(t time.Time) time.Time { return t.Add(time.Second) }},
		{"2006-01-02T15:04", func(t time.Time) time.Time { return t.Add(time.Minute) }},
		{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
		{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
	} {
		if t, err := time.Parse(l.layout, s); err == nil {
			if end {
				return l.next(t).Add(-time.Nanosecond), nil
			}
			return t, nil
		}
	}
	if len(s) >= 4 && len(s) <= 14 && strings.Trim(s, "0123456789") == "" {
		if end {
			return parseTSEnd(s)
		}
		return parseTS(s)
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use RFC 3339 (2025-07-08T12:00:00Z), a date (2025-07-08) or a timestamp (20250708120000)", s)
}

// parsePaging reads limit and offset.
func parsePaging(q url.Values, def, maxLimit int) (limit, offset int, err error) {
	limit = def
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxLimit {
			return 0, 0, badRequest("limit %q: use 1 to %d", v, maxLimit)
		}
	}
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 || offset > 1_000_000 {
			return 0, 0, badRequest("offset %q: use 0 to 1000000", v)
		}
	}
	return limit, offset, nil
}
