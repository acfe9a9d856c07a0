package cli

import (
	"context"
	"encoding/json"
	"fmt"
	stdio "io"
	"os"
	"path/filepath"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/capture"
	"github.com/archivist-project/archivist/archive/catalog/sqlite"
	"github.com/archivist-project/archivist/cmd/archivist/internal/config"
	"github.com/archivist-project/archivist/extract"
)

func runVersion(ctx context.Context, args []string, io IO) error {
	s := archive.Software()
	fmt.Fprintf(io.Out, "%s %s (extractor %s %s)\n", s.Name, s.Version, extract.Name, extract.Version)
	return nil
}

func runExtract(ctx context.Context, args []string, io IO) error {
	fs := newFlagSet("extract", io, "[--url URL] [--content-type TYPE] [--config FILE] FILE|-")
	pageURL := fs.String("url", "", "the page's URL, to resolve links and the canonical URL")
	contentType := fs.String("content-type", "", "the HTTP Content-Type, for its charset")
	// Only page_types matters here, but the page should be classified as
	// a crawl with the same file would classify it.
	var c common
	fs.StringVar(&c.configPath, "config", "", "YAML configuration file (its page_types section tunes the page type)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		fs.Usage()
		return usagef("extract: give one FILE, or - for standard input")
	}
	// Without --config, the defaults: extract needs no data directory
	// or database, so their environment variables must not stop it.
	cfg := config.Default()
	if c.configPath != "" {
		if cfg, err = c.load(io); err != nil {
			return err
		}
	}
	const limit = 50 << 20
	var r stdio.Reader = io.In
	if rest[0] != "-" {
		f, err := os.Open(rest[0])
		if err != nil {
			return fmt.Errorf("extract: %w", err)
		}
		defer f.Close()
		r = f
	}
	data, err := stdio.ReadAll(stdio.LimitReader(r, limit+1))
	if err != nil {
		return fmt.Errorf("extract: read %s: %w", rest[0], err)
	}
	if len(data) > limit {
		return fmt.Errorf("extract: %s is over %d MiB; Archivist does not extract pages that large", rest[0], limit>>20)
	}
	res, err := extract.Extract(data, extract.Options{URL: *pageURL, ContentType: *contentType, PageTypes: pageTypes(cfg)})
	if err != nil {
		return fmt.Errorf("extract: %s: %w", rest[0], err)
	}
	enc := json.NewEncoder(io.Out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(res.Article)
}

func runVerify(ctx context.Context, args []string, io IO) error {
	fs := newFlagSet("verify", io, "[--data DIR] [--repair]")
	var c common
	c.register(fs)
	repair := fs.Bool("repair", false, "index complete captures the catalog lacks (never deletes or rewrites anything)")
	if rest, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usagef("verify: unexpected argument %q", rest[0])
	}
	a, err := c.openExisting(ctx, io)
	if err != nil {
		return err
	}
	cfg := a.cfg
	defer a.Close()
	stats, err := capture.Audit(ctx, a.store, a.catalog, capture.VerifyOptions{
		MaxWARCBody: int64(cfg.Crawl.MaxBodyBytes) * 4,
		Repair:      *repair,
		Report:      func(p capture.Problem) { fmt.Fprintln(io.Out, p.String()) },
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "verified %d captures, %d objects in %s: %d problems", stats.Captures, stats.Objects, a.store.Location(), stats.Problems)
	if *repair {
		fmt.Fprintf(io.Out, ", %d repaired", stats.Repaired)
	}
	if stats.Leftovers > 0 {
		fmt.Fprintf(io.Out, ", %d leftovers of interrupted captures (harmless, kept)", stats.Leftovers)
	}
	fmt.Fprintln(io.Out)
	if stats.Problems > 0 {
		hint := ""
		if !*repair {
			hint = " (`archivist verify --repair` indexes complete orphans)"
		}
		return &PartialError{Msg: fmt.Sprintf("verify: %d problems found%s", stats.Problems, hint)}
	}
	return nil
}

func runReindex(ctx context.Context, args []string, io IO) error {
	fs := newFlagSet("reindex", io, "[--data DIR]")
	var c common
	c.register(fs)
	if rest, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usagef("reindex: unexpected argument %q", rest[0])
	}
	a, err := c.openExisting(ctx, io)
	if err != nil {
		return err
	}
	cfg := a.cfg
	if usePostgres(cfg) {
		defer a.Close()
		return reindexPostgres(ctx, a, io)
	}
	// The new catalog is built beside the old one and swapped in only when
	// complete, so an interrupted reindex leaves the old catalog intact.
	final := filepath.Join(a.dir, catalogFile)
	tmp := final + ".reindex"
	removeDB(tmp)
	a.catalog.Close()
	a.catalog = nil
	defer a.Close()
	fresh, err := sqlite.Open(ctx, tmp, a.log)
	if err != nil {
		return fmt.Errorf("reindex: %w", err)
	}
	start := time.Now()
	stats, err := capture.Reindex(ctx, a.store, fresh.PutBatch, func(n int) {
		a.log.Info("reindexing", "captures", n)
	})
	if cerr := fresh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		removeDB(tmp)
		return fmt.Errorf("reindex: %w (the old catalog is untouched)", err)
	}
	removeDB(final)
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("reindex: install new catalog: %w", err)
	}
	if err := syncDir(a.dir); err != nil {
		return fmt.Errorf("reindex: %w", err)
	}
	fmt.Fprintf(io.Out, "reindexed %d captures from %s in %s\n", stats.Captures, a.store.Location(), time.Since(start).Round(time.Millisecond))
	for _, id := range stats.Incomplete {
		fmt.Fprintf(io.Out, "incomplete capture (no provenance record, not indexed): %s\n", id)
	}
	for _, u := range stats.Unreadable {
		fmt.Fprintf(io.Out, "unreadable capture: %s\n", u)
	}
	if len(stats.Unreadable) > 0 {
		return &PartialError{Msg: fmt.Sprintf("reindex: %d captures could not be read (run `archivist verify`)", len(stats.Unreadable))}
	}
	return nil
}

// removeDB removes an SQLite database and its WAL side files.
func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
}
