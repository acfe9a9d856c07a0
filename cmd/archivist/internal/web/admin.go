package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive/embargo"
	"github.com/archivist-project/archivist/cmd/archivist/internal/config"
	"github.com/archivist-project/archivist/crawler/frontier"
)

// maxAdminBody bounds an admin request's JSON body.
const maxAdminBody = 64 << 10

// noDaemon is the answer of daemon routes when none is attached.
const noDaemon = "no daemon attached: this server (`archivist web`) only reads the archive; sources and the crawl are managed by `archivist serve`, which serves this same API"

// decodeBody reads a JSON request body into v, refusing unknown fields.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxAdminBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("the request body must be one JSON object with the documented fields: %v", err)
	}
	return nil
}

// handleEmbargoList serves GET /api/embargo.
func (s *server) handleEmbargoList(w http.ResponseWriter, r *http.Request) {
	if s.opts.Embargo == nil {
		writeError(w, http.StatusNotImplemented, "this server has no embargo list (it was started without a data directory)")
		return
	}
	if err := s.opts.Embargo.Refresh(); err != nil {
		s.serverError(w, err)
		return
	}
	entries := s.opts.Embargo.Entries()
	if entries == nil {
		entries = []embargo.Entry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": entries})
}

// handleEmbargoAdd serves POST /api/embargo: {"url"|"capture_id"|"host",
// "reason", "who"}.
func (s *server) handleEmbargoAdd(w http.ResponseWriter, r *http.Request) {
	if s.opts.Embargo == nil {
		writeError(w, http.StatusNotImplemented, "this server has no embargo list (it was started without a data directory)")
		return
	}
	var req embargo.Request
	if err := decodeBody(r, &req); err != nil {
		s.fail(w, err)
		return
	}
	e, err := s.opts.Embargo.Add(req, s.now())
	if err != nil {
		if strings.HasPrefix(err.Error(), "embargo") {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		s.serverError(w, err)
		return
	}
	s.log.Info("embargo added", "id", e.ID, "capture_id", e.CaptureID, "url_key", e.URLKey, "host", e.Host, "who", e.Who)
	writeJSON(w, http.StatusCreated, e)
}

// handleEmbargoRemove serves DELETE /api/embargo/{id}.
func (s *server) handleEmbargoRemove(w http.ResponseWriter, r *http.Request) {
	if s.opts.Embargo == nil {
		writeError(w, http.StatusNotImplemented, "this server has no embargo list (it was started without a data directory)")
		return
	}
	id := r.PathValue("id")
	e, ok, err := s.opts.Embargo.Remove(id)
	if err != nil {
		s.serverError(w, err)
		return
	}
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no embargo entry %q: GET /api/embargo lists them with their ids", id))
		return
	}
	s.log.Info("embargo lifted", "id", e.ID)
	writeJSON(w, http.StatusOK, map[string]any{"removed": e})
}

// sourceJSON is a source's health in /api/sources.
type sourceJSON struct {
	Name            string     `json:"name"`
	URL             string     `json:"url"`
	Kind            string     `json:"kind"`
	Interval        string     `json:"interval"`
	AddedAt         *time.Time `json:"added_at,omitempty"`
	Polls           int        `json:"polls"`
	LastPoll        *time.Time `json:"last_poll,omitempty"`
	LastOK          bool       `json:"last_ok"`
	LastResult      string     `json:"last_result,omitempty"`
	LastHTTPStatus  int        `json:"last_http_status,omitempty"`
	NextPoll        *time.Time `json:"next_poll,omitempty"`
	Found           int64      `json:"found"`
	Archived        int64      `json:"archived"`
	Pending         int64      `json:"pending"`
	Failed          int64      `json:"failed"`
	BlockedByRobots int64      `json:"blocked_by_robots"`
	LastNew         *time.Time `json:"last_new,omitempty"`
	UsualGap        string     `json:"usual_gap,omitempty"`
	Stalled         bool       `json:"stalled"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toSourceJSON(st frontier.SourceStat) sourceJSON {
	out := sourceJSON{
		Name: st.Name, URL: st.URL, Kind: st.Kind, Interval: config.FormatDuration(st.Interval),
		AddedAt: timePtr(st.AddedAt), Polls: st.Polls, LastPoll: timePtr(st.LastPoll), LastOK: st.LastOK,
		LastResult: st.LastResult, LastHTTPStatus: st.LastHTTPStatus, NextPoll: timePtr(st.NextPoll),
		Found: st.Found, Archived: st.Archived, Pending: st.Pending, Failed: st.Failed, BlockedByRobots: st.BlockedByRobots,
		LastNew: timePtr(st.LastNew), Stalled: st.Stalled,
	}
	if st.UsualGap > 0 {
		out.UsualGap = config.FormatDuration(st.UsualGap)
	}
	return out
}

// handleSources serves GET /api/sources.
func (s *server) handleSources(w http.ResponseWriter, r *http.Request) {
	if s.opts.Daemon == nil {
		writeError(w, http.StatusNotImplemented, noDaemon)
		return
	}
	stats, err := s.opts.Daemon.Sources(r.Context())
	if err != nil {
		s.serverError(w, err)
		return
	}
	out := make([]sourceJSON, len(stats))
	for i, st := range stats {
		out[i] = toSourceJSON(st)
	}
	writeJSON(w, http.StatusOK, map[string]any{"sources": out})
}

// handleCrawl serves GET /api/crawl.
func (s *server) handleCrawl(w http.ResponseWriter, r *http.Request) {
	if s.opts.Daemon == nil {
		writeError(w, http.StatusNotImplemented, noDaemon)
		return
	}
	st, err := s.opts.Daemon.Crawl(r.Context())
	if err != nil {
		s.serverError(w, err)
		return
	}
	out := crawlJSON{Paused: st.Paused, InFlight: st.InFlight, HostsInBackoff: []backoffJSON{}}
	if out.InFlight == nil {
		out.InFlight = []Fetch{}
	}
	out.Queue.Due, out.Queue.Scheduled, out.Queue.Leased = st.Queue.Due, st.Queue.Scheduled, st.Queue.Leased
	for _, b := range st.HostsInBackoff {
		out.HostsInBackoff = append(out.HostsInBackoff, backoffJSON{Host: b.Host, Until: b.Until, Reason: b.Reason})
	}
	writeJSON(w, http.StatusOK, out)
}

// crawlJSON is /api/crawl's answer.
type crawlJSON struct {
	Paused   bool    `json:"paused"`
	InFlight []Fetch `json:"in_flight"`
	Queue    struct {
		Due       int64 `json:"due"`
		Scheduled int64 `json:"scheduled"`
		Leased    int64 `json:"leased"`
	} `json:"queue"`
	HostsInBackoff []backoffJSON `json:"hosts_in_backoff"`
}

type backoffJSON struct {
	Host   string    `json:"host"`
	Until  time.Time `json:"until"`
	Reason string    `json:"reason,omitempty"`
}

// handlePause serves POST /api/crawl/pause.
func (s *server) handlePause(w http.ResponseWriter, r *http.Request) {
	s.crawlAction(w, r, true)
}

// handleResume serves POST /api/crawl/resume.
func (s *server) handleResume(w http.ResponseWriter, r *http.Request) {
	s.crawlAction(w, r, false)
}

func (s *server) crawlAction(w http.ResponseWriter, r *http.Request, pause bool) {
	if s.opts.Daemon == nil {
		writeError(w, http.StatusNotImplemented, noDaemon)
		return
	}
	act, name := s.opts.Daemon.Resume, "resumed"
	if pause {
		act, name = s.opts.Daemon.Pause, "paused"
	}
	if err := act(r.Context()); err != nil {
		s.serverError(w, err)
		return
	}
	s.log.Info("crawl " + name)
	writeJSON(w, http.StatusOK, map[string]bool{"paused": pause})
}

// sourceRequest is the body of POST /api/sources: the keys of a source
// in the config file, durations as strings ("15m").
type sourceRequest struct {
	Name     string   `json:"name"`
	URL      string   `json:"url"`
	Kind     string   `json:"kind"`
	Interval string   `json:"interval"`
	Include  []string `json:"include"`
	Exclude  []string `json:"exclude"`
	MaxHops  *int     `json:"max_hops"`
	Tags     []string `json:"tags"`
	Revisit  *bool    `json:"revisit"`
}

// handleAddSource serves POST /api/sources. The source is checked with
// the config file's rules before the daemon sees it.
func (s *server) handleAddSource(w http.ResponseWriter, r *http.Request) {
	if s.opts.Daemon == nil {
		writeError(w, http.StatusNotImplemented, noDaemon+"; add sources with `archivist sources add NAME URL` instead")
		return
	}
	var req sourceRequest
	if err := decodeBody(r, &req); err != nil {
		s.fail(w, err)
		return
	}
	src := config.Source{Name: req.Name, URL: req.URL, Kind: req.Kind, Include: req.Include, Exclude: req.Exclude, MaxHops: req.MaxHops, Tags: req.Tags, Revisit: req.Revisit}
	if req.Interval != "" {
		d, err := time.ParseDuration(req.Interval)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("interval %q is not a duration: write it like 15m or 1h", req.Interval))
			return
		}
		src.Interval = config.Duration(d)
	}
	data, err := config.MarshalSources([]config.Source{src})
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	parsed, err := config.ParseSources(data)
	if err != nil || len(parsed) != 1 {
		msg := "the source is not valid"
		if err != nil {
			msg = strings.ReplaceAll(err.Error(), "\n", "; ")
		}
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	if err := s.opts.Daemon.AddSource(r.Context(), parsed[0]); err != nil {
		var he *httpError
		if errors.As(err, &he) {
			s.fail(w, err)
			return
		}
		writeError(w, http.StatusConflict, "the daemon refused the source: "+err.Error())
		return
	}
	s.log.Info("source added", "name", parsed[0].Name)
	writeJSON(w, http.StatusCreated, map[string]any{"added": parsed[0].Name})
}
