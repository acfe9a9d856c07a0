package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive/capture"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/versions"
	"github.com/archivist-project/archivist/crawler/urlnorm"
)

// captureJSON is a capture in API answers.
type captureJSON struct {
	CaptureID         string     `json:"capture_id"`
	URL               string     `json:"url"`
	FinalURL          string     `json:"final_url"`
	CanonicalURL      string     `json:"canonical_url,omitempty"`
	FetchedAt         time.Time  `json:"fetched_at"`
	Timestamp         string     `json:"timestamp"`
	Title             string     `json:"title"`
	Host              string     `json:"host"`
	SiteName          string     `json:"site_name,omitempty"`
	Authors           []string   `json:"authors"`
	Published         *time.Time `json:"published,omitempty"`
	Language          string     `json:"language,omitempty"`
	PageType          string     `json:"page_type"`
	WordCount         int        `json:"word_count"`
	Status            int        `json:"http_status"`
	Source            string     `json:"source,omitempty"`
	Tags              []string   `json:"tags"`
	Kind              string     `json:"kind"`
	PreviousCaptureID string     `json:"previous_capture_id,omitempty"`
	Paywalled         bool       `json:"paywalled,omitempty"`
	PayloadSHA256     string     `json:"payload_sha256"`
	Links             linksJSON  `json:"links"`
}

// linksJSON are the places a capture can be read, relative to the archive.
type linksJSON struct {
	Page       string `json:"page"`       // the UI's article page
	Replay     string `json:"replay"`     // sandboxed replay
	Original   string `json:"original"`   // payload as archived
	Article    string `json:"article"`    // Article JSON
	Text       string `json:"text"`       // title and clean text
	Provenance string `json:"provenance"` // provenance record
	WARC       string `json:"warc"`       // the WARC file
	Versions   string `json:"versions"`   // the page's version chain
	TimeMap    string `json:"timemap"`
}

func captureLinks(e catalog.Entry) linksJSON {
	u := pageURL(e)
	ts := ts14(e.FetchedAt)
	api := "/api/captures/" + url.PathEscape(e.CaptureID)
	return linksJSON{
		Page: "/capture/" + url.PathEscape(e.CaptureID), Replay: "/web/" + ts + "/" + u, Original: "/web/" + ts + modOriginal + "/" + u,
		Article: api + "/article", Text: api + "/text", Provenance: api + "/provenance", WARC: api + "/warc",
		Versions: "/api/versions?url=" + url.QueryEscape(u), TimeMap: "/timemap/link/" + u,
	}
}

// pageURL is the URL a capture is replayed under: its final URL.
func pageURL(e catalog.Entry) string {
	if e.FinalURL != "" {
		return e.FinalURL
	}
	return e.URL
}

func toJSON(e catalog.Entry) captureJSON {
	authors, tags := e.Authors, e.Tags
	if authors == nil {
		authors = []string{}
	}
	if tags == nil {
		tags = []string{}
	}
	kind := e.Kind
	if kind == "" {
		kind = versions.KindResponse
	}
	return captureJSON{
		CaptureID: e.CaptureID, URL: e.URL, FinalURL: e.FinalURL, CanonicalURL: e.CanonicalURL,
		FetchedAt: e.FetchedAt, Timestamp: ts14(e.FetchedAt), Title: e.Title, Host: e.Host, SiteName: e.SiteName,
		Authors: authors, Published: e.Published, Language: e.Language, PageType: e.PageType, WordCount: e.WordCount,
		Status: e.Status, Source: e.Source, Tags: tags, Kind: kind, PreviousCaptureID: e.PreviousCaptureID,
		Paywalled: e.Paywalled, PayloadSHA256: e.PayloadSHA256, Links: captureLinks(e),
	}
}

// hitJSON is one search result.
type hitJSON struct {
	captureJSON
	Snippet string  `json:"snippet"`
	Score   float64 `json:"score"`
}

// searchResult is a page of search hits.
type searchResult struct {
	Query      string    `json:"query"`
	Offset     int       `json:"offset"`
	Limit      int       `json:"limit"`
	Hits       []hitJSON `json:"hits"`
	NextOffset *int      `json:"next_offset"`
}

// search runs the query in q (q, the filters, limit, offset).
func (s *server) search(ctx context.Context, q url.Values) (searchResult, error) {
	text := strings.TrimSpace(q.Get("q"))
	if text == "" {
		return searchResult{}, badRequest("give q=WORDS: words (all must match), \"a phrase\", a OR b, -word to exclude; filters: %s", filterHelp)
	}
	f, err := parseFilter(q)
	if err != nil {
		return searchResult{}, err
	}
	limit, offset, err := parsePaging(q, 20, 100)
	if err != nil {
		return searchResult{}, err
	}
	// One more than asked tells whether there is a next page.
	hits, err := s.cat.Search(ctx, catalog.Query{Text: text, Filter: f, Limit: limit + 1, Offset: offset})
	if err != nil {
		return searchResult{}, fmt.Errorf("search: %w", err)
	}
	res := searchResult{Query: text, Offset: offset, Limit: limit, Hits: []hitJSON{}}
	if len(hits) > limit {
		hits = hits[:limit]
		next := offset + limit
		res.NextOffset = &next
	}
	for _, h := range hits {
		res.Hits = append(res.Hits, hitJSON{captureJSON: toJSON(h.Entry), Snippet: h.Snippet, Score: h.Score})
	}
	return res, nil
}

// handleSearch serves /api/search.
func (s *server) handleSearch(w http.ResponseWriter, r *http.Request) {
	res, err := s.search(r.Context(), r.URL.Query())
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// handleListCaptures serves /api/captures: captures oldest first, by the
// filters, paged.
func (s *server) handleListCaptures(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := parseFilter(q)
	if err != nil {
		s.fail(w, err)
		return
	}
	limit, offset, err := parsePaging(q, 100, 1000)
	if err != nil {
		s.fail(w, err)
		return
	}
	f.Limit = offset + limit + 1
	out := struct {
		Captures   []captureJSON `json:"captures"`
		Offset     int           `json:"offset"`
		NextOffset *int          `json:"next_offset"`
	}{Captures: []captureJSON{}, Offset: offset}
	i := 0
	err = s.cat.List(r.Context(), f, func(e catalog.Entry) error {
		i++
		switch {
		case i <= offset:
		case len(out.Captures) < limit:
			out.Captures = append(out.Captures, toJSON(e))
		default:
			next := offset + limit
			out.NextOffset = &next
		}
		return nil
	})
	if err != nil {
		s.serverError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// entryByID returns a visible capture, or a 404 error.
func (s *server) entryByID(ctx context.Context, id string) (catalog.Entry, error) {
	e, err := s.cat.Get(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return e, notFound("no capture %q in this archive: capture ids come from /api/search, /api/captures or /cdx", id)
	}
	return e, err
}

// handleCapture serves /api/captures/{id}.
func (s *server) handleCapture(w http.ResponseWriter, r *http.Request) {
	e, err := s.entryByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, toJSON(e))
}

// captureViews maps /api/captures/{id}/{view} to a Wayback modifier.
var captureViews = map[string]string{
	"article": modArticle, "text": modText, "provenance": modProvenance,
	"warc": modWARC, "original": modOriginal, "replay": modReplay,
}

// handleCaptureView serves /api/captures/{id}/{view}: the same views as
// /web/TIMESTAMP{MOD}/URL, by capture id, which names a capture exactly
// even when two share a second.
func (s *server) handleCaptureView(w http.ResponseWriter, r *http.Request) {
	mod, ok := captureViews[r.PathValue("view")]
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no view %q of a capture: use article, text, provenance, warc, original or replay", r.PathValue("view")))
		return
	}
	e, err := s.entryByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	uriR := pageURL(e)
	entries, err := s.capturesOf(r.Context(), uriR)
	if err != nil {
		s.serverError(w, err)
		return
	}
	cur := slices.IndexFunc(entries, func(x catalog.Entry) bool { return x.CaptureID == e.CaptureID })
	if cur < 0 {
		entries, cur = []catalog.Entry{e}, 0
	}
	s.serveCapture(w, r, e, mod, s.mementoLinks(r, uriR, entries, cur))
}

// chainOf returns the visible version chain of a URL given as a query
// parameter, or a 400/404 error.
func (s *server) chainOf(ctx context.Context, raw string) (string, []versions.Version, error) {
	if strings.TrimSpace(raw) == "" {
		return "", nil, badRequest("give url=, the page's URL, e.g. ?url=https://example.com/story")
	}
	n, err := urlnorm.Normalize(strings.TrimSpace(raw))
	if err != nil {
		return "", nil, badRequest("url: %v", err)
	}
	chain, err := versions.Chain(ctx, s.cat, urlnorm.Key(n))
	if err != nil {
		return n, nil, err
	}
	if len(chain) == 0 {
		return n, nil, notFound("no capture of %s in this archive: find archived URLs with /api/search?q=WORDS", n)
	}
	return n, chain, nil
}

// handleVersions serves /api/versions?url=.
func (s *server) handleVersions(w http.ResponseWriter, r *http.Request) {
	u, chain, err := s.chainOf(r.Context(), r.URL.Query().Get("url"))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"url": u, "captures": len(chain), "contents": chain[len(chain)-1].Content, "versions": chain})
}

// diffResult is two versions of a page and what changed between them.
type diffResult struct {
	URL  string               `json:"url"`
	From *versions.Version    `json:"from"`
	To   versions.Version     `json:"to"`
	Diff *versions.Difference `json:"diff"`
	Note string               `json:"note,omitempty"`
}

// diffOf compares two captures of a page: from and to are capture ids or
// times (nearest capture); by default the last two contents.
func (s *server) diffOf(ctx context.Context, q url.Values) (diffResult, error) {
	u, chain, err := s.chainOf(ctx, q.Get("url"))
	if err != nil {
		return diffResult{}, err
	}
	pick := func(name string) (versions.Version, bool, error) {
		v := strings.TrimSpace(q.Get(name))
		if v == "" {
			return versions.Version{}, false, nil
		}
		if i := slices.IndexFunc(chain, func(x versions.Version) bool { return x.CaptureID == v }); i >= 0 {
			return chain[i], true, nil
		}
		t, err := parseTime(v, false)
		if err != nil {
			return versions.Version{}, false, badRequest("%s: %v, or a capture id from /api/versions?url=%s", name, err, url.QueryEscape(u))
		}
		at, _ := versions.At(chain, t)
		return at, true, nil
	}
	older, hasFrom, err := pick("from")
	if err != nil {
		return diffResult{}, err
	}
	newer, hasTo, err := pick("to")
	if err != nil {
		return diffResult{}, err
	}
	if !hasTo {
		newer = chain[len(chain)-1]
	}
	if !hasFrom {
		found := false
		for i := len(chain) - 1; i >= 0; i-- {
			if chain[i].FetchedAt.Before(newer.FetchedAt) && chain[i].Content < newer.Content {
				older, found = chain[i], true
				break
			}
		}
		if !found {
			return diffResult{URL: u, To: newer, Note: "one version of the content up to this capture: nothing to compare"}, nil
		}
	}
	if older.CaptureID == newer.CaptureID {
		return diffResult{}, badRequest("from and to pick the same capture %s: pick two captures from /api/versions?url=%s", older.CaptureID, url.QueryEscape(u))
	}
	if older.FetchedAt.After(newer.FetchedAt) {
		older, newer = newer, older
	}
	a, err := capture.LoadCurrent(ctx, s.opts.Store, older.CaptureID)
	if err != nil {
		return diffResult{}, err
	}
	b, err := capture.LoadCurrent(ctx, s.opts.Store, newer.CaptureID)
	if err != nil {
		return diffResult{}, err
	}
	d := versions.Diff(a.Article, b.Article)
	return diffResult{URL: u, From: &older, To: newer, Diff: &d}, nil
}

// handleDiff serves /api/diff?url=&from=&to=.
func (s *server) handleDiff(w http.ResponseWriter, r *http.Request) {
	res, err := s.diffOf(r.Context(), r.URL.Query())
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
