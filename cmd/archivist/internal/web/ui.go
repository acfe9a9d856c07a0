package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/capture"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/versions"
	"github.com/archivist-project/archivist/crawler/urlnorm"
	"github.com/archivist-project/archivist/extract"
)

// uiCSP is the policy of the UI's own pages: no script at all (the UI
// needs none), styles and images from the archive only.
const uiCSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// pageNames are the templates, each rendered inside layout.html.
var pageNames = []string{"search", "capture", "versions", "diff", "sources", "crawl", "error"}

func parseTemplates() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"when":      func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"whenp":     whenPtr,
		"snippet":   snippetHTML,
		"paras":     paragraphs,
		"evidence":  evidenceHTML,
		"join":      strings.Join,
		"qescape":   url.QueryEscape,
		"pescape":   url.PathEscape,
		"ts":        ts14,
		"add":       func(a, b int) int { return a + b },
		"changed":   describeChange,
		"hasPrefix": strings.HasPrefix,
	}
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse web template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

func whenPtr(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// snippetHTML marks the matches the catalog bracketed ("[word]").
func snippetHTML(s string) template.HTML {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '[')
		j := strings.IndexByte(s[max(i, 0):], ']')
		if i < 0 || j < 0 {
			b.WriteString(template.HTMLEscapeString(s))
			return template.HTML(b.String())
		}
		j += i
		b.WriteString(template.HTMLEscapeString(s[:i]))
		b.WriteString("<mark>" + template.HTMLEscapeString(s[i+1:j]) + "</mark>")
		s = s[j+1:]
	}
}

// paragraphs splits article text at blank lines.
func paragraphs(text string) []string {
	var out []string
	for _, p := range strings.Split(text, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// evidenceHTML renders a JSON value (the Article's "evidence") as nested
// lists, every string escaped.
func evidenceHTML(v any) template.HTML {
	var b strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			b.WriteString("<dl>")
			for _, k := range sortedKeys(x) {
				b.WriteString("<dt>" + template.HTMLEscapeString(k) + "</dt><dd>")
				walk(x[k])
				b.WriteString("</dd>")
			}
			b.WriteString("</dl>")
		case []any:
			b.WriteString("<ul>")
			for _, e := range x {
				b.WriteString("<li>")
				walk(e)
				b.WriteString("</li>")
			}
			b.WriteString("</ul>")
		case nil:
			b.WriteString("—")
		default:
			b.WriteString(template.HTMLEscapeString(fmt.Sprint(x)))
		}
	}
	walk(v)
	return template.HTML(b.String())
}

func sortedKeys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

// describeChange says in a few words what a version changed.
func describeChange(v versions.Version) string {
	switch {
	case v.Changed == nil:
		return "first capture"
	case len(v.Changed) > 0:
		return strings.Join(v.Changed, ", ")
	case v.Kind == versions.KindRevisit:
		return "nothing (identical payload)"
	}
	return "nothing (same content)"
}

// page is what every template gets.
type page struct {
	Title string
	Nav   string // the current section, for aria-current
	Data  any
}

// render writes a UI page.
func (s *server) render(w http.ResponseWriter, status int, name string, p page) {
	var buf bytes.Buffer
	if err := s.pages[name].Execute(&buf, p); err != nil {
		s.serverError(w, fmt.Errorf("render %s page: %w", name, err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", uiCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// pageError renders an error page that says what to do.
func (s *server) pageError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.render(w, status, "error", page{Title: http.StatusText(status), Data: msg})
}

// uiFail renders err: its own status and message for an httpError, a
// logged 500 otherwise.
func (s *server) uiFail(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	if errors.As(err, &he) {
		s.pageError(w, r, he.status, he.msg)
		return
	}
	s.log.Error("web: page failed", "path", r.URL.Path, "err", err)
	s.pageError(w, r, http.StatusInternalServerError, "The archive could not answer: "+err.Error())
}

// searchPage is the search page's data.
type searchPage struct {
	Q          url.Values
	Result     *searchResult
	Error      string
	PrevOffset *int
	NextQuery  string
	PrevQuery  string
}

// pageSearch serves / and /search.
func (s *server) pageSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	data := searchPage{Q: q}
	status := http.StatusOK
	if strings.TrimSpace(q.Get("q")) != "" {
		res, err := s.search(r.Context(), q)
		var he *httpError
		switch {
		case errors.As(err, &he):
			data.Error, status = he.msg, he.status
		case err != nil:
			s.uiFail(w, r, err)
			return
		default:
			data.Result = &res
			if res.NextOffset != nil {
				data.NextQuery = withOffset(q, *res.NextOffset)
			}
			if res.Offset > 0 {
				data.PrevQuery = withOffset(q, max(res.Offset-res.Limit, 0))
			}
		}
	}
	title := "Search the archive"
	if v := q.Get("q"); v != "" {
		title = "Search: " + v
	}
	s.render(w, status, "search", page{Title: title, Nav: "search", Data: data})
}

func withOffset(q url.Values, off int) string {
	c := url.Values{}
	for k, v := range q {
		c[k] = v
	}
	c.Set("offset", fmt.Sprint(off))
	return "/search?" + c.Encode()
}

// capturePage is the article page's data.
type capturePage struct {
	E          captureJSON
	Article    *extract.Article
	Evidence   any
	Prov       *archive.Provenance
	Versions   []versions.Version
	Current    int // index in Versions, -1 when absent
	DiffPrev   string
	ArticleURL string
}

// pageCapture serves /capture/{id}.
func (s *server) pageCapture(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	e, err := s.entryByID(ctx, r.PathValue("id"))
	if err != nil {
		s.uiFail(w, r, err)
		return
	}
	st, err := capture.LoadCurrent(ctx, s.opts.Store, e.CaptureID)
	if err != nil {
		s.uiFail(w, r, err)
		return
	}
	data := capturePage{E: toJSON(e), Article: st.Article, Prov: st.Provenance, Current: -1}
	if data.Evidence, err = s.evidence(ctx, e); err != nil {
		s.uiFail(w, r, err)
		return
	}
	chain, err := versions.Chain(ctx, s.cat, e.URLKey)
	if err != nil {
		s.uiFail(w, r, err)
		return
	}
	data.Versions = chain
	for i, v := range chain {
		if v.CaptureID == e.CaptureID {
			data.Current = i
			for j := i - 1; j >= 0; j-- {
				if chain[j].Content < v.Content {
					data.DiffPrev = "/diff?url=" + url.QueryEscape(pageURL(e)) + "&from=" + url.QueryEscape(chain[j].CaptureID) + "&to=" + url.QueryEscape(v.CaptureID)
					break
				}
			}
		}
	}
	title := st.Article.Title
	if title == "" {
		title = pageURL(e)
	}
	s.render(w, http.StatusOK, "capture", page{Title: title, Data: data})
}

// evidence returns the "evidence" member of the stored Article JSON, if
// the extractor wrote one: why it chose each metadata value.
func (s *server) evidence(ctx context.Context, e catalog.Entry) (any, error) {
	data, err := s.readVerified(ctx, e.Article)
	if err == nil {
		data, err = archive.DecodeRecord(e.Article.Key, data, 1<<30)
	}
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("decode the Article of capture %s: %w", e.CaptureID, err)
	}
	raw, ok := m["evidence"]
	if !ok {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("decode the evidence of capture %s: %w", e.CaptureID, err)
	}
	return v, nil
}

// versionsPage is the version list's data.
type versionsPage struct {
	URL      string
	Versions []versions.Version
	Diffs    map[string]string // capture id → diff link with its previous content
}

// pageVersions serves /versions?url=.
func (s *server) pageVersions(w http.ResponseWriter, r *http.Request) {
	u, chain, err := s.chainOf(r.Context(), r.URL.Query().Get("url"))
	if err != nil {
		s.uiFail(w, r, err)
		return
	}
	data := versionsPage{URL: u, Versions: chain, Diffs: map[string]string{}}
	for i, v := range chain {
		for j := i - 1; j >= 0; j-- {
			if chain[j].Content < v.Content {
				data.Diffs[v.CaptureID] = "/diff?url=" + url.QueryEscape(u) + "&from=" + url.QueryEscape(chain[j].CaptureID) + "&to=" + url.QueryEscape(v.CaptureID)
				break
			}
		}
	}
	s.render(w, http.StatusOK, "versions", page{Title: "Versions of " + u, Data: data})
}

// diffPage is the diff view's data.
type diffPage struct {
	diffResult
	Versions []versions.Version
}

// pageDiff serves /diff?url=&from=&to=.
func (s *server) pageDiff(w http.ResponseWriter, r *http.Request) {
	res, err := s.diffOf(r.Context(), r.URL.Query())
	if err != nil {
		s.uiFail(w, r, err)
		return
	}
	chain, err := versions.Chain(r.Context(), s.cat, urlnorm.Key(res.URL))
	if err != nil {
		s.uiFail(w, r, err)
		return
	}
	s.render(w, http.StatusOK, "diff", page{Title: "What changed: " + res.URL, Data: diffPage{diffResult: res, Versions: chain}})
}

// pageSources serves /sources.
func (s *server) pageSources(w http.ResponseWriter, r *http.Request) {
	var data struct {
		Attached bool
		Sources  []sourceJSON
	}
	if s.opts.Daemon != nil {
		stats, err := s.opts.Daemon.Sources(r.Context())
		if err != nil {
			s.uiFail(w, r, err)
			return
		}
		data.Attached = true
		for _, st := range stats {
			data.Sources = append(data.Sources, toSourceJSON(st))
		}
	}
	s.render(w, http.StatusOK, "sources", page{Title: "Sources", Nav: "sources", Data: data})
}

// pageCrawl serves /crawl.
func (s *server) pageCrawl(w http.ResponseWriter, r *http.Request) {
	var data struct {
		Attached bool
		Now      time.Time
		Crawl    CrawlStatus
	}
	data.Now = s.now()
	if s.opts.Daemon != nil {
		st, err := s.opts.Daemon.Crawl(r.Context())
		if err != nil {
			s.uiFail(w, r, err)
			return
		}
		data.Attached, data.Crawl = true, st
	}
	s.render(w, http.StatusOK, "crawl", page{Title: "Crawl", Nav: "crawl", Data: data})
}
