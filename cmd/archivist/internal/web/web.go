// Package web serves an archive to researchers over HTTP, in the
// conventions their tools already speak: Wayback-style replay URLs
// (/web/<timestamp>/<url>), Memento (RFC 7089) TimeGates and TimeMaps, a
// pywb-compatible CDX query API, a JSON API for search, captures, versions
// and diffs, admin routes for embargoes and the crawl, and a small
// server-rendered web UI.
//
// NewHandler returns one http.Handler meant to be mounted at "/": by
// `archivist web` over an archive on disk, and by `archivist serve` beside
// its /healthz and /metrics. Archived pages are replayed inside a
// Content-Security-Policy sandbox (opaque origin, no script), so a hostile
// page cannot act with the user's session.
package web

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/embargo"
	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/cmd/archivist/internal/config"
	"github.com/archivist-project/archivist/crawler/frontier"
)

// Options configure the handler. Store and Catalog are required.
type Options struct {
	Store   store.Store
	Catalog catalog.Catalog
	// Embargo hides captures from every route (nil: nothing is hidden,
	// and the embargo admin routes answer 501).
	Embargo *embargo.List
	// Logger receives one line per request (method, path, status,
	// duration; never a header or a token). Nil discards.
	Logger *slog.Logger
	// ReadToken, when set, is needed to read anything (Authorization:
	// Bearer TOKEN, or HTTP Basic with the token as password). Empty:
	// reading is open.
	ReadToken string
	// AdminToken is needed by every route that changes the archive or
	// the crawl (Authorization: Bearer only, so a browser cannot be
	// tricked into sending it). Empty: admin routes are refused.
	AdminToken string
	// Clock stamps embargo entries (nil: time.Now).
	Clock func() time.Time
	// Daemon feeds the sources and crawl pages and takes the crawl
	// admin actions; nil when no daemon is attached (`archivist web`).
	Daemon Daemon
	// BaseURL is the absolute URL the archive is reached at, for the
	// absolute URIs Memento needs (e.g. "https://archive.example.org").
	// Empty: derived from each request's Host.
	BaseURL string
	// MaxBodyBytes bounds a payload read back from a WARC (default 64 MiB).
	MaxBodyBytes int64
}

// Daemon is what a running `archivist serve` exposes to the web UI and
// the admin API. Every method must be safe for concurrent use.
type Daemon interface {
	// Sources reports every configured source's health (as `status`).
	Sources(ctx context.Context) ([]frontier.SourceStat, error)
	// Crawl reports what is being fetched now.
	Crawl(ctx context.Context) (CrawlStatus, error)
	// Pause stops leasing new work (fetches in flight finish); Resume
	// starts it again.
	Pause(ctx context.Context) error
	Resume(ctx context.Context) error
	// AddSource adds a source to the running daemon and persists it
	// (as `archivist sources add`). src has passed no validation yet.
	AddSource(ctx context.Context, src config.Source) error
}

// CrawlStatus is a snapshot of the crawl.
type CrawlStatus struct {
	Paused         bool
	InFlight       []Fetch
	Queue          frontier.QueueStats
	HostsInBackoff []frontier.HostBackoff
}

// Fetch is one URL being fetched.
type Fetch struct {
	URL     string    `json:"url"`
	Source  string    `json:"source,omitempty"`
	Started time.Time `json:"started"`
}

// defaultMaxBody bounds payloads read for replay.
const defaultMaxBody = 64 << 20

//go:embed templates/*.html static/*
var assets embed.FS

// server holds the handler's state; it has no package-level mutable
// state, so several handlers can live in one process.
type server struct {
	opts  Options
	cat   *visibleCatalog
	log   *slog.Logger
	now   func() time.Time
	pages map[string]*template.Template
}

// NewHandler returns the API and UI handler, to be mounted at "/".
func NewHandler(opts Options) (http.Handler, error) {
	if opts.Store == nil || opts.Catalog == nil {
		return nil, errors.New("web handler: Store and Catalog are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = defaultMaxBody
	}
	opts.BaseURL = strings.TrimSuffix(opts.BaseURL, "/")
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	s := &server{
		opts:  opts,
		cat:   &visibleCatalog{Catalog: opts.Catalog, list: opts.Embargo},
		log:   opts.Logger,
		now:   opts.Clock,
		pages: pages,
	}
	return s.logRequests(s.routes()), nil
}

// routes maps paths to handlers. Wayback, TimeGate and TimeMap paths
// carry a whole URL ("http://...") that ServeMux would clean (collapsing
// "//"), so they are dispatched before it.
func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	read, admin := s.needRead, s.needAdmin

	mux.Handle("GET /static/", http.FileServerFS(assets))

	mux.Handle("GET /cdx", read(http.HandlerFunc(s.handleCDX)))
	mux.Handle("GET /api/search", read(http.HandlerFunc(s.handleSearch)))
	mux.Handle("GET /api/captures", read(http.HandlerFunc(s.handleListCaptures)))
	mux.Handle("GET /api/captures/{id}", read(http.HandlerFunc(s.handleCapture)))
	mux.Handle("GET /api/captures/{id}/{view}", read(http.HandlerFunc(s.handleCaptureView)))
	mux.Handle("GET /api/versions", read(http.HandlerFunc(s.handleVersions)))
	mux.Handle("GET /api/diff", read(http.HandlerFunc(s.handleDiff)))
	mux.Handle("GET /api/sources", read(http.HandlerFunc(s.handleSources)))
	mux.Handle("GET /api/crawl", read(http.HandlerFunc(s.handleCrawl)))

	mux.Handle("GET /api/embargo", admin(http.HandlerFunc(s.handleEmbargoList)))
	mux.Handle("POST /api/embargo", admin(http.HandlerFunc(s.handleEmbargoAdd)))
	mux.Handle("DELETE /api/embargo/{id}", admin(http.HandlerFunc(s.handleEmbargoRemove)))
	mux.Handle("POST /api/crawl/pause", admin(http.HandlerFunc(s.handlePause)))
	mux.Handle("POST /api/crawl/resume", admin(http.HandlerFunc(s.handleResume)))
	mux.Handle("POST /api/sources", admin(http.HandlerFunc(s.handleAddSource)))

	mux.Handle("GET /{$}", read(http.HandlerFunc(s.pageSearch)))
	mux.Handle("GET /search", read(http.HandlerFunc(s.pageSearch)))
	mux.Handle("GET /capture/{id}", read(http.HandlerFunc(s.pageCapture)))
	mux.Handle("GET /versions", read(http.HandlerFunc(s.pageVersions)))
	mux.Handle("GET /diff", read(http.HandlerFunc(s.pageDiff)))
	mux.Handle("GET /sources", read(http.HandlerFunc(s.pageSources)))
	mux.Handle("GET /crawl", read(http.HandlerFunc(s.pageCrawl)))

	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no API endpoint "+r.Method+" "+r.URL.Path+": the README lists them all (/api/search, /api/captures, /api/versions, /api/diff, /cdx, /timemap/link/URL, /web/TIMESTAMP/URL)")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.pageError(w, r, http.StatusNotFound, "There is no page at "+r.URL.Path+". Start from the search page.")
	})

	wayback := read(http.HandlerFunc(s.handleWayback))
	timemap := read(http.HandlerFunc(s.handleTimeMap))
	timegate := read(http.HandlerFunc(s.handleTimeGate))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case strings.HasPrefix(p, "/web/"):
			onlyGet(wayback).ServeHTTP(w, r)
		case strings.HasPrefix(p, "/timemap/"):
			onlyGet(timemap).ServeHTTP(w, r)
		case strings.HasPrefix(p, "/timegate/"):
			onlyGet(timegate).ServeHTTP(w, r)
		default:
			mux.ServeHTTP(w, r)
		}
	})
}

// onlyGet refuses methods other than GET and HEAD.
func onlyGet(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed here: archived captures are read with GET")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// base returns the absolute URL of the archive for r.
func (s *server) base(r *http.Request) string {
	if s.opts.BaseURL != "" {
		return s.opts.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// WithExact serves the exact paths in extra (such as "/healthz" and
// "/metrics" of `archivist serve`) with their handlers and everything
// else with h. Use it instead of mounting h in an http.ServeMux: a
// ServeMux redirects any path holding "//" to a cleaned one, which breaks
// every Wayback URL ("/web/2025/https://example.com/").
func WithExact(h http.Handler, extra map[string]http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if x, ok := extra[r.URL.Path]; ok {
			x.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}
