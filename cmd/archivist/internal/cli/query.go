package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/capture"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/crawler/urlnorm"
)

// filterFlags are the selection flags shared by list, search and export.
type filterFlags struct {
	url, host, since, until string
	limit                   int

	source, tag, language, author, pageType string
	publishedSince, publishedUntil          string
}

func (f *filterFlags) register(fs interface {
	StringVar(*string, string, string, string)
	IntVar(*int, string, int, string)
}) {
	fs.StringVar(&f.url, "url", "", "only captures of this URL (matched after normalisation, also against canonical URLs)")
	fs.StringVar(&f.host, "host", "", "only captures from this host (www. ignored)")
	fs.StringVar(&f.since, "since", "", "only captures fetched at or after this time (RFC 3339, 2025-07-08 or 20250708120000)")
	fs.StringVar(&f.until, "until", "", "only captures fetched at or before this time")
	fs.IntVar(&f.limit, "limit", 0, "at most this many captures (0: all)")
	fs.StringVar(&f.source, "source", "", "only captures of this configured source")
	fs.StringVar(&f.tag, "tag", "", "only captures whose source has this tag")
	fs.StringVar(&f.language, "language", "", "only articles in this language (e.g. en)")
	fs.StringVar(&f.author, "author", "", "only articles with an author containing this (any case)")
	fs.StringVar(&f.pageType, "page-type", "", "only pages of this type: article, listing or other")
	fs.StringVar(&f.publishedSince, "published-since", "", "only articles published at or after this time (unknown dates excluded)")
	fs.StringVar(&f.publishedUntil, "published-until", "", "only articles published at or before this time")
}

func (f *filterFlags) filter() (catalog.Filter, error) {
	var out catalog.Filter
	var err error
	if f.url != "" {
		if _, err := urlnorm.Normalize(f.url); err != nil {
			return out, usagef("--url: %v", err)
		}
		out.URLKey = urlnorm.Key(f.url)
	}
	if f.host != "" {
		h := f.host
		if !strings.Contains(h, "://") {
			h = "http://" + h
		}
		if out.Host = capture.HostOf(h); out.Host == "" {
			return out, usagef("--host: %q is not a host name", f.host)
		}
	}
	if f.since != "" {
		if out.Since, err = parseTime(f.since, false); err != nil {
			return out, usagef("--since: %v", err)
		}
	}
	if f.until != "" {
		if out.Until, err = parseTime(f.until, true); err != nil {
			return out, usagef("--until: %v", err)
		}
	}
	if f.limit < 0 {
		return out, usagef("--limit must not be negative")
	}
	out.Limit = f.limit
	switch f.pageType {
	case "", "article", "listing", "other":
	default:
		return out, usagef("--page-type %q: use article, listing or other", f.pageType)
	}
	out.Source, out.Tag, out.Language, out.Author, out.PageType = f.source, f.tag, f.language, f.author, f.pageType
	if f.publishedSince != "" {
		if out.PublishedSince, err = parseTime(f.publishedSince, false); err != nil {
			return out, usagef("--published-since: %v", err)
		}
	}
	if f.publishedUntil != "" {
		if out.PublishedUntil, err = parseTime(f.publishedUntil, true); err != nil {
			return out, usagef("--published-until: %v", err)
		}
	}
	return out, nil
}

// parseTime reads RFC 3339, a date, or a Wayback-style timestamp of 4 to 14
// digits. With end, a partial time means the end of the period it names
// (2025-07 → the last instant of July), so --until includes that period.
func parseTime(s string, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	layouts := []struct {
		layout string
		period func(time.Time) time.Time
	}{
		{"2006-01-02T15:04:05", func(t time.Time) time.Time { return t.Add(time.Second) }},
		{"2006-01-02T15:04", func(t time.Time) time.Time { return t.Add(time.Minute) }},
		{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
		{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
		{"20060102150405", func(t time.Time) time.Time { return t.Add(time.Second) }},
		{"200601021504", func(t time.Time) time.Time { return t.Add(time.Minute) }},
		{"2006010215", func(t time.Time) time.Time { return t.Add(time.Hour) }},
		{"20060102", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
		{"200601", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
		{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
	}
	for _, l := range layouts {
		if t, err := time.Parse(l.layout, s); err == nil {
			if end {
				return l.period(t).Add(-time.Nanosecond), nil
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use RFC 3339 (2025-07-08T12:00:00Z), a date (2025-07-08) or a timestamp (20250708120000)", s)
}

// listRow is the JSON Lines form of a capture in `list --json`.
type listRow struct {
	CaptureID    string     `json:"capture_id"`
	URL          string     `json:"url"`
	FinalURL     string     `json:"final_url"`
	CanonicalURL string     `json:"canonical_url,omitempty"`
	FetchedAt    time.Time  `json:"fetched_at"`
	Title        string     `json:"title"`
	Host         string     `json:"host"`
	Status       int        `json:"http_status"`
	PageType     string     `json:"page_type"`
	Published    *time.Time `json:"published,omitempty"`
	Language     string     `json:"language,omitempty"`
	WordCount    int        `json:"word_count"`
	Authors      []string   `json:"authors"`
	SiteName     string     `json:"site_name,omitempty"`
}

func rowOf(e catalog.Entry) listRow {
	authors := e.Authors
	if authors == nil {
		authors = []string{}
	}
	return listRow{
		CaptureID: e.CaptureID, URL: e.URL, FinalURL: e.FinalURL, CanonicalURL: e.CanonicalURL,
		FetchedAt: e.FetchedAt, Title: e.Title, Host: e.Host, Status: e.Status, PageType: e.PageType,
		Published: e.Published, Language: e.Language, WordCount: e.WordCount, Authors: authors, SiteName: e.SiteName,
	}
}

func runList(ctx context.Context, args []string, io IO) error {
	fs := newFlagSet("list", io, "[--url U] [--host H] [--since T] [--until T] [--limit N] [--json]")
	var c common
	c.register(fs)
	var ff filterFlags
	ff.register(fs)
	asJSON := fs.Bool("json", false, "print JSON Lines, one capture a line")
	if rest, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usagef("list: unexpected argument %q (filters are flags, e.g. --url %s)", rest[0], rest[0])
	}
	f, err := ff.filter()
	if err != nil {
		return err
	}
	a, err := c.openExisting(ctx, io)
	if err != nil {
		return err
	}
	defer a.Close()
	enc := json.NewEncoder(io.Out)
	enc.SetEscapeHTML(false)
	tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	if !*asJSON {
		fmt.Fprintln(tw, "FETCHED (UTC)\tCAPTURE\tTYPE\tTITLE\tURL")
	}
	n := 0
	err = a.catalog.List(ctx, f, func(e catalog.Entry) error {
		n++
		if *asJSON {
			return enc.Encode(rowOf(e))
		}
		_, err := fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.FetchedAt.Format("2006-01-02 15:04:05"), e.CaptureID, e.PageType, clip(e.Title, 60), e.FinalURL)
		return err
	})
	if err != nil {
		return fmt.Errorf("list: %w", err)
	}
	if !*asJSON {
		tw.Flush()
		fmt.Fprintf(io.Err, "%d captures\n", n)
	}
	return nil
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func runGet(ctx context.Context, args []string, io IO) error {
	fs := newFlagSet("get", io, "URL [--at TIME] [--format json|text|html|warc|provenance] | URL --versions [--format json]")
	var c common
	c.register(fs)
	at := fs.String("at", "", "the capture nearest this time (default: the latest)")
	format := fs.String("format", "json", "json (the Article), text, html (the page as archived), warc (raw WARC bytes) or provenance")
	id := fs.String("id", "", "a capture id instead of URL")
	showVersions := fs.Bool("versions", false, "list the page's version chain: every capture, its kind (response or revisit) and what changed (--format json: JSON Lines)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	formatSet := false
	fs.Visit(func(f *flag.Flag) { formatSet = formatSet || f.Name == "format" })
	if *showVersions && (*id != "" || *at != "" || (formatSet && *format != "json" && *format != "text")) {
		return usagef("get --versions: give a URL, and --format json or text only")
	}
	if (len(rest) != 1 && *id == "") || (len(rest) > 0 && *id != "") {
		fs.Usage()
		return usagef("get: give exactly one URL (or --id CAPTURE_ID)")
	}
	switch *format {
	case "json", "text", "html", "warc", "provenance":
	default:
		return usagef("get: unknown --format %q: use json, text, html, warc or provenance", *format)
	}
	var when time.Time
	if *at != "" {
		if when, err = parseTime(*at, false); err != nil {
			return usagef("get --at: %v", err)
		}
	}
	var key string
	if len(rest) == 1 {
		if _, err := urlnorm.Normalize(rest[0]); err != nil {
			return usagef("get: %v", err)
		}
		key = urlnorm.Key(rest[0])
	}
	a, err := c.openExisting(ctx, io)
	if err != nil {
		return err
	}
	defer a.Close()
	if *showVersions {
		return printVersions(ctx, a, rest[0], key, formatSet && *format == "json", io)
	}
	var e catalog.Entry
	if *id != "" {
		e, err = a.catalog.Get(ctx, *id)
	} else {
		e, err = a.catalog.Nearest(ctx, key, when)
	}
	if errors.Is(err, catalog.ErrNotFound) {
		what := *id
		if what == "" {
			what = rest[0]
		}
		return &PartialError{Msg: fmt.Sprintf("get: no capture of %s in %s (try `archivist list --host HOST` to see what is archived)", what, a.dir)}
	}
	if err != nil {
		return fmt.Errorf("get: %w", err)
	}
	return writeCapture(ctx, a, e, *format, io)
}

func writeCapture(ctx context.Context, a *archiveEnv, e catalog.Entry, format string, io IO) error {
	const maxObject = 1 << 30
	switch format {
	case "json", "provenance", "warc":
		ref := map[string]archive.ObjectRef{"json": e.Article, "provenance": e.Provenance, "warc": e.WARC}[format]
		data, got, err := capture.ReadObject(ctx, a.store, ref.Key, maxObject)
		if err != nil {
			return fmt.Errorf("get: %w", err)
		}
		if got.SHA256 != ref.SHA256 {
			return fmt.Errorf("get: %s has sha256 %s but the catalog recorded %s: the object is damaged (run `archivist verify`)", ref.Key, got.SHA256, ref.SHA256)
		}
		if format != "warc" {
			// Records are stored gzipped (plain in older captures, by
			// their name); --format json and provenance print their JSON.
			if data, err = archive.DecodeRecord(ref.Key, data, maxObject); err != nil {
				return fmt.Errorf("get: %w", err)
			}
		}
		_, err = io.Out.Write(data)
		return err
	case "text":
		s, err := capture.LoadCurrent(ctx, a.store, e.CaptureID)
		if err != nil {
			return fmt.Errorf("get: %w", err)
		}
		_, err = fmt.Fprintf(io.Out, "%s\n\n%s\n", s.Article.Title, s.Article.Text)
		return err
	case "html":
		// A revisit's WARC holds no payload: LoadExchange fetches it from
		// the capture the revisit refers to.
		c, err := capture.LoadExchange(ctx, a.store, e.CaptureID, maxObject)
		if err != nil {
			return fmt.Errorf("get: %w", err)
		}
		final := c.Exchange.Final()
		body, err := capture.DecodeBody(final.Body, final.ResponseHeader.Get("Content-Encoding"), maxObject)
		if err != nil {
			return fmt.Errorf("get: %w", err)
		}
		_, err = io.Out.Write(body)
		return err
	}
	return nil
}

func runSearch(ctx context.Context, args []string, io IO) error {
	fs := newFlagSet("search", io, "QUERY [--host H] [--since T] [--until T] [--limit N] [--json]")
	var c common
	c.register(fs)
	var ff filterFlags
	ff.register(fs)
	offset := fs.Int("offset", 0, "skip this many hits (paging)")
	asJSON := fs.Bool("json", false, "print JSON Lines, one hit a line")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		fs.Usage()
		return usagef("search: give a QUERY: words (all must match), \"a phrase\", a OR b, -word to exclude")
	}
	f, err := ff.filter()
	if err != nil {
		return err
	}
	a, err := c.openExisting(ctx, io)
	if err != nil {
		return err
	}
	defer a.Close()
	limit := f.Limit
	if limit == 0 {
		limit = 20
	}
	hits, err := a.catalog.Search(ctx, catalog.Query{Text: strings.Join(rest, " "), Filter: f, Limit: limit, Offset: *offset})
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	enc := json.NewEncoder(io.Out)
	enc.SetEscapeHTML(false)
	for i, h := range hits {
		if *asJSON {
			row := struct {
				listRow
				Snippet string  `json:"snippet"`
				Score   float64 `json:"score"`
			}{rowOf(h.Entry), h.Snippet, h.Score}
			if err := enc.Encode(row); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(io.Out, "%d. %s\n   %s  %s  %s\n   %s\n\n", *offset+i+1, h.Entry.Title, h.Entry.FetchedAt.Format("2006-01-02 15:04"), h.Entry.CaptureID, h.Entry.FinalURL, h.Snippet)
	}
	if !*asJSON {
		fmt.Fprintf(io.Err, "%d hits\n", len(hits))
	}
	return nil
}
