package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/capture"
	"github.com/archivist-project/archivist/cmd/archivist/internal/config"
	"github.com/archivist-project/archivist/crawler/daemon"
)

// frontierFile is the daemon's durable queue inside the data directory.
const frontierFile = "frontier.db"

// loopbackOnlyEnv, set to 1, makes `serve` resolve host names to loopback
// addresses only: for tests of the real binary, which cannot be handed a
// resolver, so that no lookup can leave the machine whatever the fixture
// links to. It is not meant for production use.
const loopbackOnlyEnv = "ARCHIVIST_TEST_LOOPBACK_ONLY"

// drainGrace is how long serve waits past the drain timeout for the daemon
// to return before it gives up on a clean stop.
const drainGrace = 10 * time.Second

// orphanWindow is how far back a start looks for captures an earlier
// crash stored without a catalog row. A week covers any lease a crashed
// daemon can have left; older orphans are `archivist verify`'s to report.
const orphanWindow = 7 * 24 * time.Hour

func runServe(ctx context.Context, args []string, io IO) error {
	fs := newFlagSet("serve", io, "--config FILE [--data DIR] [--listen ADDR]")
	var c common
	c.register(fs)
	listen := fs.String("listen", "", "address of /healthz and /metrics (default serve.listen, 127.0.0.1:8080)")
	if rest, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usagef("serve: unexpected argument %q (sources go in the config file or `archivist sources add`)", rest[0])
	}
	cfg, err := c.load(io)
	if err != nil {
		return err
	}
	if *listen != "" {
		cfg.Serve.Listen = *listen
		if err := cfg.Validate(); err != nil {
			return usagef("serve: %v", strings.ReplaceAll(err.Error(), "\n", "; "))
		}
	}
	sources, err := allSources(cfg)
	if err != nil {
		return &UsageError{Msg: "serve: " + err.Error()}
	}
	a, err := openArchive(ctx, cfg, "", true, io)
	if err != nil {
		return err
	}
	log := a.log
	tuneForCapture(io, log)
	df, err := openDaemonFrontier(ctx, cfg, a.dir, log)
	if err != nil {
		a.Close()
		return fmt.Errorf("serve: %w", err)
	}
	fr := df.fr
	closeAll := func() error { return errors.Join(df.close(), a.Close()) }

	// Index captures that a killed process stored but never catalogued,
	// before any retried fetch could record them a second time.
	now := time.Now()
	if n, err := capture.IndexRecentOrphans(ctx, a.store, a.catalog, now.Add(-orphanWindow), now.Add(time.Hour)); err != nil {
		closeAll()
		return fmt.Errorf("serve: %w", err)
	} else if n > 0 {
		log.Warn("indexed captures left uncatalogued by an earlier crash", "captures", n)
	}

	rec := capture.NewRecorder(a.store, a.catalog, archive.Software(), captureConfig(cfg), log)
	dcfg := daemonConfig(cfg, sources)
	dcfg.Crawler.Resolver = io.Resolver
	dcfg.Crawler.Dialer = io.Dialer
	dcfg.Crawler.HostGate = df.gate
	if io.Getenv(loopbackOnlyEnv) == "1" {
		dcfg.Crawler.Resolver = loopbackResolver{}
		log.Warn("test mode: host names resolve to loopback addresses only", "env", loopbackOnlyEnv)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d, err := daemon.New(dcfg, fr, sinkFunc(rec), log, daemon.NewMetrics(reg))
	if err != nil {
		closeAll()
		return usagef("serve: %v", err)
	}
	ln, err := net.Listen("tcp", cfg.Serve.Listen)
	if err != nil {
		closeAll()
		return usagef("serve: listen on %s: %v (set serve.listen or --listen to a free address)", cfg.Serve.Listen, err)
	}
	handler, err := serveHandler(a, d, fr, serveMux(d, reg), c, io)
	if err != nil {
		ln.Close()
		closeAll()
		return err
	}
	handler = withPprof(handler, io)
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	if len(sources) == 0 {
		log.Warn("no sources configured: add some with `archivist sources add` and send SIGHUP")
	}
	log.Info("serving", "listen", ln.Addr().String(), "data", a.dir, "sources", len(sources), "pid", os.Getpid(), "db", dbName(cfg))
	fmt.Fprintf(io.Err, "archivist serve: web UI and API, /healthz and /metrics on http://%s/\n", ln.Addr())

	signals := io.Signals
	if signals == nil {
		ch := make(chan os.Signal, 4)
		signal.Notify(ch, syscall.SIGHUP, syscall.SIGTERM, os.Interrupt)
		defer signal.Stop(ch)
		signals = ch
	}
	// The daemon's context is cut from ctx's cancellation: a stop is
	// counted from the signals themselves, so that the first SIGTERM (which
	// also cancels ctx in main) drains and only a second one exits at once.
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()

	stopping, stopSignals := false, 0
	ctxDone := ctx.Done()
	var deadline <-chan time.Time
	beginStop := func(why string) {
		if stopping {
			return
		}
		stopping = true
		stop()
		deadline = time.After(time.Duration(cfg.Serve.DrainTimeout) + drainGrace)
		log.Info("stopping: no new work; in-flight captures finish or return to the frontier", "why", why, "drain_timeout", time.Duration(cfg.Serve.DrainTimeout))
	}
	for {
		select {
		case err := <-done:
			shutdownHTTP(srv)
			if cerr := closeAll(); cerr != nil {
				log.Error("close archive", "error", cerr)
			}
			if err != nil {
				return fmt.Errorf("serve: %w", err)
			}
			log.Info("stopped cleanly")
			return nil
		case <-ctxDone:
			ctxDone = nil
			beginStop("canceled")
		case sig := <-signals:
			if sig == syscall.SIGHUP {
				reload(d, c, io, log)
				continue
			}
			stopSignals++
			if stopSignals == 1 {
				beginStop(sig.String())
				continue
			}
			// The operator insists: exit now, without closing anything
			// that in-flight work still uses. Unfinished leases are
			// reclaimed by the next start.
			log.Warn("second signal: exiting without waiting for in-flight work", "signal", sig.String())
			return errors.New("serve: stopped by a second signal before in-flight work finished; the next start picks it up again")
		case <-deadline:
			log.Error("the daemon did not stop within the drain timeout; exiting", "drain_timeout", time.Duration(cfg.Serve.DrainTimeout))
			return errors.New("serve: the daemon did not stop within the drain timeout; the next start picks up unfinished work")
		}
	}
}

// reload re-reads the config file and the data directory's sources and
// hands the sources and host limits to the daemon. A bad new config is
// logged and the running one kept.
func reload(d *daemon.Daemon, c common, io IO, log *slog.Logger) {
	cfg, err := c.load(io)
	if err == nil {
		var sources []config.Source
		if sources, err = allSources(cfg); err == nil {
			dc := daemonConfig(cfg, sources)
			if err = d.Reload(dc.Sources, dc.HostLimits); err == nil {
				log.Info("reloaded sources and host limits on SIGHUP (other settings take effect at the next start)", "sources", len(sources))
				return
			}
		}
	}
	log.Error("reload failed; keeping the running configuration", "error", err)
}

// daemonConfig maps the configuration onto the daemon's.
func daemonConfig(cfg config.Config, sources []config.Source) daemon.Config {
	dc := daemon.DefaultConfig()
	cookies := dc.Crawler.CookieLifetime
	dc.Crawler = crawlerConfig(cfg)
	if cfg.Crawl.CookieLifetime == nil { // unset: the daemon's shorter default
		dc.Crawler.CookieLifetime = cookies
	}
	dc.Retry = cfg.Serve.Retry.Policy()
	dc.Workers = cfg.Serve.Workers
	dc.Lease = time.Duration(cfg.Serve.Lease)
	dc.DrainTimeout = time.Duration(cfg.Serve.DrainTimeout)
	dc.StoreRetry = time.Duration(cfg.Serve.StoreRetry)
	dc.Revisits = make([]time.Duration, len(cfg.RevisitSchedule))
	for i, r := range cfg.RevisitSchedule {
		dc.Revisits[i] = time.Duration(r)
	}
	dc.HostLimits = make(map[string]daemon.HostLimit, len(cfg.Hosts))
	for h, l := range cfg.Hosts {
		dc.HostLimits[config.HostKey(h)] = daemon.HostLimit{Parallelism: l.Parallelism, Delay: time.Duration(l.Delay)}
	}
	for _, s := range sources {
		dc.Sources = append(dc.Sources, daemon.Source{
			Name: s.Name, URL: s.URL, Kind: s.Kind, Interval: time.Duration(s.Interval),
			Include: s.Include, Exclude: s.Exclude, MaxHops: s.Hops(), Tags: s.Tags, Revisit: s.Revisits(),
		})
	}
	return dc
}

// serveMux serves /healthz (200 with JSON when the daemon runs and its
// frontier answers, 503 otherwise) and /metrics (Prometheus).
func serveMux(d *daemon.Daemon, reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		type health struct {
			Status   string `json:"status"`
			Error    string `json:"error,omitempty"`
			RunID    string `json:"run_id"`
			InFlight int    `json:"in_flight"`
			Version  string `json:"version"`
		}
		h := health{Status: "ok", RunID: d.RunID(), InFlight: len(d.Activity()), Version: archive.Software().Version}
		code := http.StatusOK
		if err := d.Healthy(); err != nil {
			h.Status, h.Error, code = "unhealthy", err.Error(), http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(h)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	return mux
}

func shutdownHTTP(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
}
