package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive/embargo"
	"github.com/archivist-project/archivist/cmd/archivist/internal/config"
	"github.com/archivist-project/archivist/cmd/archivist/internal/web"
	"github.com/archivist-project/archivist/crawler/daemon"
	"github.com/archivist-project/archivist/crawler/frontier"
)

// serveHandler is everything `serve` answers on its address: the
// researcher API and UI of package web, with /healthz and /metrics beside
// them. The web handler sees the running daemon through daemonView, so its
// sources and crawl pages and the admin routes (pause, resume, add source)
// act on it.
func serveHandler(a *archiveEnv, d *daemon.Daemon, fr frontier.Frontier, ops http.Handler, c common, io IO) (http.Handler, error) {
	readToken, err := token("", "ARCHIVIST_READ_TOKEN", io)
	if err != nil {
		return nil, err
	}
	adminToken, err := token("", "ARCHIVIST_ADMIN_TOKEN", io)
	if err != nil {
		return nil, err
	}
	if readToken != "" && readToken == adminToken {
		return nil, usagef("serve: ARCHIVIST_READ_TOKEN and ARCHIVIST_ADMIN_TOKEN are the same: give admin its own token, or anyone who may read could change the archive")
	}
	list, err := embargo.Load(a.dir)
	if err != nil {
		return nil, err
	}
	h, err := web.NewHandler(web.Options{
		Store: a.store, Catalog: a.catalog, Embargo: list, Logger: a.log,
		ReadToken: readToken, AdminToken: adminToken,
		Daemon: &daemonView{d: d, fr: fr, c: c, io: io, log: a.log},
	})
	if err != nil {
		return nil, err
	}
	return web.WithExact(h, map[string]http.Handler{"/healthz": ops, "/metrics": ops}), nil
}

// daemonView adapts the running daemon and its frontier to web.Daemon.
type daemonView struct {
	d   *daemon.Daemon
	fr  frontier.Frontier
	c   common
	io  IO
	log *slog.Logger
}

func (v *daemonView) Sources(ctx context.Context) ([]frontier.SourceStat, error) {
	return v.fr.SourceStats(ctx)
}

func (v *daemonView) Crawl(ctx context.Context) (web.CrawlStatus, error) {
	st := web.CrawlStatus{Paused: v.d.Paused()}
	for _, f := range v.d.Activity() {
		st.InFlight = append(st.InFlight, web.Fetch{URL: f.URL, Source: f.Source, Started: f.Started})
	}
	now := time.Now()
	q, err := v.fr.Stats(ctx, now)
	if err != nil {
		return st, fmt.Errorf("read crawl queue: %w", err)
	}
	st.Queue = q
	if st.HostsInBackoff, err = v.fr.HostsInBackoff(ctx, now); err != nil {
		return st, fmt.Errorf("read hosts in backoff: %w", err)
	}
	return st, nil
}

func (v *daemonView) Pause(ctx context.Context) error  { v.d.Pause(); return nil }
func (v *daemonView) Resume(ctx context.Context) error { v.d.Resume(); return nil }

// AddSource persists src in the data directory's sources file, as
// `archivist sources add` does, then reloads the daemon's sources.
func (v *daemonView) AddSource(ctx context.Context, src config.Source) error {
	cfg, err := v.c.load(v.io)
	if err != nil {
		return err
	}
	quiet := v.io
	quiet.Out, quiet.Err = discard{}, discard{}
	err = editSources(cfg, quiet, func(fromData []config.Source) ([]config.Source, error) {
		for _, s := range append(append([]config.Source{}, cfg.Sources...), fromData...) {
			if s.Name == src.Name {
				return nil, fmt.Errorf("%q is already a source: choose another name", src.Name)
			}
		}
		next := append(fromData, src)
		data, err := config.MarshalSources(next)
		if err != nil {
			return nil, err
		}
		if _, err := config.ParseSources(data); err != nil {
			return nil, fmt.Errorf("%s", strings.ReplaceAll(err.Error(), "\n", "; "))
		}
		return next, nil
	})
	if err != nil {
		return err
	}
	reload(v.d, v.c, v.io, v.log)
	return nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
