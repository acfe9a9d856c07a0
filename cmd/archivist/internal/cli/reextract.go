package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/capture"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/extract"
)

// runReextract runs the current extractor over archived captures, or
// lists and prints the Articles earlier extractors left.
func runReextract(ctx context.Context, args []string, io IO) error {
	fs := newFlagSet("reextract", io, "[--url U] [--host H] [--since T] [--until T] [--limit N] | --versions [filters] [--json] | --id CAPTURE_ID --article VERSION")
	var c common
	c.register(fs)
	var ff filterFlags
	ff.register(fs)
	showVersions := fs.Bool("versions", false, "list the Articles stored for each selected capture (one per extractor version) instead of re-extracting")
	asJSON := fs.Bool("json", false, "with --versions: print JSON Lines")
	id := fs.String("id", "", "with --article: the capture")
	version := fs.String("article", "", "print the Article that this extractor version made of capture --id")
	if rest, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usagef("reextract: unexpected argument %q (filters are flags, e.g. --url %s)", rest[0], rest[0])
	}
	if (*version == "") != (*id == "") {
		return usagef("reextract: --article VERSION and --id CAPTURE_ID go together")
	}
	if *version != "" && *showVersions {
		return usagef("reextract: give --versions or --article, not both")
	}
	if *asJSON && !*showVersions {
		return usagef("reextract: --json goes with --versions")
	}
	f, err := ff.filter()
	if err != nil {
		return err
	}
	a, err := c.openExisting(ctx, io)
	if err != nil {
		return err
	}
	cfg := a.cfg
	defer a.Close()
	maxBody := int64(cfg.Crawl.MaxBodyBytes) * 4
	switch {
	case *version != "":
		return printArticleVersion(ctx, a, *id, *version, io)
	case *showVersions:
		return listArticleVersions(ctx, a, f, *asJSON, io)
	}
	start := time.Now()
	stats, err := capture.Reextract(ctx, a.store, a.catalog, f, maxBody, pageTypes(cfg), a.log)
	if err != nil {
		return fmt.Errorf("reextract: %w", err)
	}
	fmt.Fprintf(io.Out, "re-extracted %d captures with %s %s in %s: %d new articles, %d reused, %d already current, %d failed\n",
		stats.Captures, extract.Name, extract.Version, time.Since(start).Round(time.Millisecond),
		stats.Extracted, stats.Reused, stats.Current, len(stats.Failed))
	for _, fail := range stats.Failed {
		fmt.Fprintf(io.Out, "failed: %s\n", fail)
	}
	if len(stats.Failed) > 0 {
		return &PartialError{Msg: fmt.Sprintf("reextract: %d captures could not be re-extracted; their catalog rows are unchanged", len(stats.Failed))}
	}
	return nil
}

// versionsRow is one capture in `reextract --versions --json`.
type versionsRow struct {
	CaptureID string                   `json:"capture_id"`
	URL       string                   `json:"url"`
	Current   string                   `json:"current"` // key of the Article the catalog row points at
	Versions  []capture.ArticleVersion `json:"versions"`
}

func listArticleVersions(ctx context.Context, a *archiveEnv, f catalog.Filter, asJSON bool, io IO) error {
	var entries []catalog.Entry
	if err := a.catalog.List(ctx, f, func(e catalog.Entry) error {
		entries = append(entries, e)
		return nil
	}); err != nil {
		return fmt.Errorf("reextract --versions: %w", err)
	}
	enc := json.NewEncoder(io.Out)
	enc.SetEscapeHTML(false)
	for _, e := range entries {
		s, err := capture.Load(ctx, a.store, e.CaptureID)
		if err != nil {
			return fmt.Errorf("reextract --versions: %w", err)
		}
		versions, err := capture.ArticleVersions(ctx, a.store, s)
		if err != nil {
			return fmt.Errorf("reextract --versions: %w", err)
		}
		if asJSON {
			if err := enc.Encode(versionsRow{CaptureID: e.CaptureID, URL: e.FinalURL, Current: e.Article.Key, Versions: versions}); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(io.Out, "%s  %s\n", e.CaptureID, e.FinalURL)
		for _, v := range versions {
			var marks []string
			if v.Original {
				marks = append(marks, "original")
			}
			if v.Ref.Key == e.Article.Key {
				marks = append(marks, "current")
			}
			fmt.Fprintf(io.Out, "  %-10s %s %s\n", v.Version, v.Ref.Key, strings.Join(marks, ", "))
		}
	}
	return nil
}

func printArticleVersion(ctx context.Context, a *archiveEnv, id, version string, io IO) error {
	s, err := capture.Load(ctx, a.store, id)
	if errors.Is(err, store.ErrNotFound) {
		return &PartialError{Msg: fmt.Sprintf("reextract --article: no capture %s in %s (`archivist list` shows capture ids)", id, a.store.Location())}
	}
	if err != nil {
		return fmt.Errorf("reextract --article: %w", err)
	}
	versions, err := capture.ArticleVersions(ctx, a.store, s)
	if err != nil {
		return fmt.Errorf("reextract --article: %w", err)
	}
	var have []string
	for _, v := range versions {
		if v.Version != version {
			have = append(have, v.Version)
			continue
		}
		data, got, err := capture.ReadObject(ctx, a.store, v.Ref.Key, 1<<30)
		if err != nil {
			return fmt.Errorf("reextract --article: %w", err)
		}
		if v.Original && got.SHA256 != v.Ref.SHA256 {
			return fmt.Errorf("reextract --article: %s has sha256 %s but the provenance records %s: the object is damaged (run `archivist verify`)", v.Ref.Key, got.SHA256, v.Ref.SHA256)
		}
		if data, err = archive.DecodeRecord(v.Ref.Key, data, 1<<30); err != nil {
			return fmt.Errorf("reextract --article: %w", err)
		}
		_, err = io.Out.Write(data)
		return err
	}
	return &PartialError{Msg: fmt.Sprintf("reextract --article: capture %s has no Article by extractor %s (it has %s)", id, version, strings.Join(have, ", "))}
}
