package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive/store/s3/minioserver"
	"github.com/archivist-project/archivist/cmd/archivist/internal/bench"
	"github.com/archivist-project/archivist/cmd/archivist/internal/benchsite"
	"github.com/archivist-project/archivist/cmd/archivist/internal/config"
)

// runBench measures each stage of the capture pipeline alone and the whole
// crawl over a generated fixture site (README: Performance).
func runBench(ctx context.Context, args []string, io IO) error {
	fs := newFlagSet("bench", io, "[--pages N] [--per-host N] [--json FILE] [--minio-bin PATH|none] [--only stages|pipeline]")
	pages := fs.Int("pages", 1000, "article pages in the fixture")
	perHost := fs.Int("per-host", benchsite.DefaultPerHost, "articles per host (hosts = pages ÷ per-host)")
	seed := fs.Int64("seed", 1, "fixture layout seed")
	evalDir := fs.String("eval", benchsite.DefaultEvalDir, "directory of the extraction benchmark's pages")
	jsonOut := fs.String("json", "", "also write every number, with machine facts, to this JSON file")
	minioBin := fs.String("minio-bin", "", "MinIO binary for the MinIO store stage (default $ARCHIVIST_MINIO_BIN, else ~/.cache/archivist/bin/minio if present; none: skip)")
	only := fs.String("only", "", "run only the stages or only the pipeline")
	work := fs.String("work", "", "work directory (default: a temporary directory)")
	keep := fs.Bool("keep", false, "keep the work directory (stores, catalogs, the crawl's data and log)")
	batch := fs.Int("batch", 200, "pages pushed through the stages at a time")
	if rest, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usagef("bench: unexpected argument %q", rest[0])
	}
	if *pages < 1 || *perHost < 1 || *batch < 1 {
		return usagef("bench: --pages, --per-host and --batch must be at least 1")
	}
	if *only != "" && *only != "stages" && *only != "pipeline" {
		return usagef("bench: --only must be stages or pipeline, not %q", *only)
	}
	// The stages run with the collector's target the crawl runs with.
	crawlGC(io, slog.New(slog.DiscardHandler))
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: find the archivist binary to run as a child: %w", err)
	}
	cfg := config.Default()
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("bench: default configuration: %w", err)
	}
	cc := crawlerConfig(cfg)
	cc.AllowPrivateNetworks = true
	bc := bench.Config{
		Pages: *pages, PerHost: *perHost, Seed: *seed, EvalDir: *evalDir,
		Exe:     exe,
		Crawler: cc,
		Capture: captureConfig(cfg),
		// The stages that wait on disk run as many at once as the crawl's
		// workers.
		Parallelism: cfg.Crawl.Parallelism,
		MinioBin:    benchMinio(*minioBin, io),
		WorkDir:     *work, Keep: *keep,
		Stages: *only != "pipeline", Pipeline: *only != "stages",
		Batch:    *batch,
		Progress: newProgress(io.Err),
		Out:      io.Err,
	}
	rep, err := bench.Run(ctx, bc)
	if err != nil {
		return err
	}
	if err := rep.WriteText(io.Out); err != nil {
		return err
	}
	if *jsonOut != "" {
		data, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return fmt.Errorf("bench: encode the report: %w", err)
		}
		if dir := filepath.Dir(*jsonOut); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("bench: write %s: %w", *jsonOut, err)
			}
		}
		if err := os.WriteFile(*jsonOut, append(data, '\n'), 0o644); err != nil {
			return fmt.Errorf("bench: write %s: %w", *jsonOut, err)
		}
	}
	return nil
}

// benchMinio picks the MinIO binary: the flag, else $ARCHIVIST_MINIO_BIN,
// else the one cmd/test.sh installs, when present. "none" skips MinIO.
func benchMinio(flagValue string, io IO) string {
	switch flagValue {
	case "none":
		return ""
	case "":
	default:
		return flagValue
	}
	if bin := io.Getenv(minioserver.EnvBinary); bin != "" {
		return bin
	}
	home := io.Getenv("HOME")
	if home == "" {
		return ""
	}
	bin := filepath.Join(home, ".cache", "archivist", "bin", "minio")
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
		return bin
	}
	return ""
}

// runBenchSite is the hidden `bench-site` command: `archivist bench` runs
// it as a child process so that serving the fixture never counts in the
// harness's CPU. It prints its address, then serves until its standard
// input ends (the harness closes it, or exits).
func runBenchSite(ctx context.Context, args []string, io IO) error {
	fs := newFlagSet("bench-site", io, "[--pages N] [--per-host N] [--seed N] [--eval DIR] [--listen 127.0.0.1:PORT]")
	pages := fs.Int("pages", 1000, "article pages")
	perHost := fs.Int("per-host", benchsite.DefaultPerHost, "articles per host")
	seed := fs.Int64("seed", 1, "layout seed")
	evalDir := fs.String("eval", benchsite.DefaultEvalDir, "directory of the extraction benchmark's pages")
	listen := fs.String("listen", "127.0.0.1:0", "loopback address to serve on")
	if rest, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usagef("bench-site: unexpected argument %q", rest[0])
	}
	host, _, err := net.SplitHostPort(*listen)
	if ip, perr := netip.ParseAddr(host); err != nil || perr != nil || !ip.IsLoopback() {
		return usagef("bench-site: --listen %q must be a loopback address with a port, e.g. 127.0.0.1:0", *listen)
	}
	corpus, err := benchsite.LoadCorpus(*evalDir)
	if err != nil {
		return usagef("bench-site: %v", err)
	}
	site, err := benchsite.New(corpus, benchsite.Options{Pages: *pages, PerHost: *perHost, Seed: *seed})
	if err != nil {
		return usagef("bench-site: %v", err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("bench-site: listen on %s: %w (choose another --listen port)", *listen, err)
	}
	srv := &http.Server{Handler: site.Handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(io.Out, "%s%s\n", bench.SiteReadyPrefix, ln.Addr())

	stdinClosed := make(chan struct{})
	if io.In != nil {
		go func() {
			r := bufio.NewReader(io.In)
			for {
				if _, err := r.ReadByte(); err != nil {
					break
				}
			}
			close(stdinClosed)
		}()
	}
	select {
	case <-ctx.Done():
	case <-stdinClosed:
	case err := <-served:
		return fmt.Errorf("bench-site: serve: %w", err)
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// testModeResolver is the resolver of `crawl` under
// ARCHIVIST_TEST_LOOPBACK_ONLY=1: loopback addresses, "localhost" and the
// benchmark fixture's *.bench.test hosts, all on loopback; nothing else.
type testModeResolver struct{}

func (testModeResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if benchsite.IsFixtureHost(host) {
		return (benchsite.Resolver{}).LookupNetIP(ctx, network, host)
	}
	return loopbackResolver{}.LookupNetIP(ctx, network, strings.TrimSuffix(host, "."))
}
