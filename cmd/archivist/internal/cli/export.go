package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	stdio "io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/embargo"
	"github.com/archivist-project/archivist/archive/export"
	"github.com/archivist-project/archivist/cmd/archivist/internal/config"
	"github.com/archivist-project/archivist/crawler/frontier"
	frontiersqlite "github.com/archivist-project/archivist/crawler/frontier/sqlite"
	"github.com/archivist-project/archivist/extract"
)

// selectionFlags are export's selection flags: list's filters, the
// metadata filters, a full-text query, versions and sampling. A flag that
// list's filterFlags already defines is used as defined there, so both
// commands keep accepting the same spelling whichever defines it.
type selectionFlags struct {
	filterFlags
	fs *flag.FlagSet
}

func (f *selectionFlags) register(fs *flag.FlagSet) {
	f.fs = fs
	f.filterFlags.register(fs)
	for _, d := range []struct{ name, value, usage string }{
		{"query", "", `only captures matching this full-text query (words, "a phrase", a OR b, -word)`},
		{"source", "", "only captures of this configured source"},
		{"tag", "", "only captures whose source has this tag"},
		{"language", "", "only articles in this language (e.g. en)"},
		{"author", "", "only articles with an author containing this (any case)"},
		{"page-type", "", "only pages of this type: article, listing or other"},
		{"published-since", "", "only articles published at or after this time (unknown dates excluded)"},
		{"published-until", "", "only articles published at or before this time"},
		{"versions", export.AllVersions, "all captures, or latest: only the latest capture of each page among those selected"},
		{"sample", "0", "a random sample of N of the selected captures (0: all)"},
		{"seed", "1", "the seed of --sample: the same seed gives the same sample"},
	} {
		if fs.Lookup(d.name) == nil {
			fs.String(d.name, d.value, d.usage)
		}
	}
}

func (f *selectionFlags) get(name string) string {
	if fl := f.fs.Lookup(name); fl != nil {
		return fl.Value.String()
	}
	return ""
}

func (f *selectionFlags) toQuery() (export.Query, error) {
	lf, err := f.filter()
	if err != nil {
		return export.Query{}, err
	}
	q := export.Query{
		Text: f.get("query"), URL: lf.URLKey, Host: lf.Host, Source: f.get("source"), Tag: f.get("tag"),
		Language: f.get("language"), Author: f.get("author"), PageType: f.get("page-type"),
		Versions: f.get("versions"), Limit: lf.Limit,
	}
	ptr := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	q.Since, q.Until = ptr(lf.Since), ptr(lf.Until)
	for _, p := range []struct {
		name string
		end  bool
		dst  **time.Time
	}{{"published-since", false, &q.PublishedSince}, {"published-until", true, &q.PublishedUntil}} {
		if v := f.get(p.name); v != "" {
			t, err := parseTime(v, p.end)
			if err != nil {
				return q, usagef("--%s: %v", p.name, err)
			}
			*p.dst = &t
		}
	}
	switch q.PageType {
	case "", "article", "listing", "other":
	default:
		return q, usagef("--page-type %q: use article, listing or other", q.PageType)
	}
	switch q.Versions {
	case export.AllVersions, export.LatestVersions:
	default:
		return q, usagef("--versions %q: use all or latest", q.Versions)
	}
	if q.Sample, err = strconv.Atoi(f.get("sample")); err != nil || q.Sample < 0 {
		return q, usagef("--sample %q: give a number of captures, 0 for all", f.get("sample"))
	}
	if q.Sample > 0 {
		if q.Seed, err = strconv.ParseUint(f.get("seed"), 10, 64); err != nil {
			return q, usagef("--seed %q: give a non-negative integer", f.get("seed"))
		}
	}
	return q, nil
}

const exportUsage = `--format FORMAT --out FILE [selection] [--with FIELDS] [--dedupe] [--force]
       archivist export --manifest FILE --out DIR [--force]

FORMAT is jsonl, csv, parquet, warc (a .warc.gz and a .cdxj index) or wacz.
Beside FILE go FILE.manifest.json, FILE.datasheet.md and FILE.captures.txt
(and for warc, the index NAME.cdxj). --manifest makes a recorded export again,
byte for byte, into DIR.`

func runExport(ctx context.Context, args []string, io IO) error {
	fs := newFlagSet("export", io, exportUsage)
	var c common
	c.register(fs)
	var sf selectionFlags
	sf.register(fs)
	format := fs.String("format", "jsonl", "output format: jsonl, csv, parquet, warc or wacz")
	out := fs.String("out", "", "output file (- for standard output, jsonl and csv only); with --manifest, a directory")
	force := fs.Bool("force", false, "replace existing output files")
	with := fs.String("with", "", "optional per-row fields, comma-separated: evidence, versions, outlinks")
	dedupe := fs.Bool("dedupe", false, "keep one row per near-duplicate cluster (the earliest published, then the earliest captured)")
	manifest := fs.String("manifest", "", "make the export this manifest records again, from its capture list")
	rest, err := parseFlags(fs, args)
	if err != nil {
		if strings.Contains(err.Error(), "flag provided but not defined") {
			return usagef("%v (selection flags: --query --url --host --source --tag --language --author --page-type "+
				"--since --until --published-since --published-until --limit --versions --sample --seed; run `archivist export -h`)", err)
		}
		return err
	}
	if len(rest) > 0 {
		return usagef("export: unexpected argument %q (a full-text query goes in --query)", rest[0])
	}
	if *out == "" {
		return usagef("export: give --out FILE (or --out - for standard output)")
	}
	cfg, err := c.load(io)
	if err != nil {
		return err
	}
	if *manifest != "" {
		var mixed []string
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "manifest", "out", "force", "data", "config", "log-level":
			default:
				mixed = append(mixed, "--"+f.Name)
			}
		})
		if len(mixed) > 0 {
			return usagef("export --manifest makes the recorded export again: drop %s", strings.Join(mixed, " "))
		}
		return reproduce(ctx, cfg, *manifest, *out, *force, io)
	}
	f, err := export.ParseFormat(*format)
	if err != nil {
		return usagef("export --format: %v", err)
	}
	fields, err := export.ParseFields(*with)
	if err != nil {
		return usagef("export --with: %v", err)
	}
	if fields != (export.Fields{}) && (f == export.WARC || f == export.WACZ) {
		return usagef("export --with: optional fields exist only in jsonl, csv and parquet")
	}
	q, err := sf.toQuery()
	if err != nil {
		return err
	}
	if *out == "-" && f != export.JSONL && f != export.CSV {
		return usagef("export: %s cannot go to standard output: give --out FILE", f)
	}
	a, err := openArchive(ctx, cfg, "", false, io)
	if err != nil {
		return err
	}
	defer a.Close()
	opts, err := exportOptions(ctx, a, io)
	if err != nil {
		return err
	}
	opts.Format, opts.Query, opts.With, opts.Dedupe, opts.Force = f, q, fields, *dedupe, *force
	if *out == "-" {
		opts.Stdout = io.Out
	} else {
		opts.Out = *out
	}
	m, err := export.Export(ctx, a.store, a.catalog, opts)
	if err != nil {
		return exportError(err)
	}
	if *out == "-" {
		fmt.Fprintf(io.Err, "exported %d rows\n", m.Rows)
		return nil
	}
	fmt.Fprintf(io.Err, "exported %d rows (%d captures selected) to %s\n", m.Rows, m.Captures.Count, *out)
	if m.NearDuplicates != nil {
		fmt.Fprintf(io.Err, "near-duplicate clusters: %d (%d captures have a near-duplicate)\n", m.NearDuplicates.Clusters, m.NearDuplicates.RowsInClusters)
	}
	fmt.Fprintf(io.Err, "manifest: %s\n", export.ManifestPath(*out))
	if m.Rows == 0 {
		fmt.Fprintln(io.Err, "the selection is empty: check the filters with `archivist list` or `archivist search`")
	}
	return nil
}

// reproduce makes the export recorded in manifestFile again into dir.
func reproduce(ctx context.Context, cfg config.Config, manifestFile, dir string, force bool, io IO) error {
	if _, err := export.ReadManifest(manifestFile); err != nil {
		return usagef("export --manifest: %v", err)
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return usagef("export --manifest: --out %s must be a directory (the files keep their recorded names)", dir)
	}
	a, err := openArchive(ctx, cfg, "", false, io)
	if err != nil {
		return err
	}
	defer a.Close()
	opts, err := exportOptions(ctx, a, io)
	if err != nil {
		return err
	}
	m, err := export.Reproduce(ctx, a.store, a.catalog, manifestFile, export.ReproduceOptions{Dir: dir, Force: force, Options: opts})
	if err != nil {
		return exportError(err)
	}
	fmt.Fprintf(io.Err, "reproduced %d rows into %s: every file matches %s\n", m.Rows, dir, manifestFile)
	return nil
}

// exportOptions fills what every export takes from the environment; the
// embargo list hides captures from exports as from every other view.
func exportOptions(ctx context.Context, a *archiveEnv, io IO) (export.Options, error) {
	hidden, err := embargo.Load(a.dir)
	if err != nil {
		return export.Options{}, fmt.Errorf("export: %w", err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	log, err := crawlLog(ctx, a, now)
	if err != nil {
		return export.Options{}, err
	}
	return export.Options{
		CrawlLog:  log,
		Now:       now,
		Software:  archive.Software(),
		Extractor: archive.Component{Name: extract.Name, Version: extract.Version},
		Archive:   a.store.Location(),
		Progress:  newProgress(io.Err),
		Log:       a.log,
		Hidden:    hidden.HiddenEntry,
	}, nil
}

// crawlLog is the datasheet's crawl-log section: what the daemon's
// frontier (DATA/frontier.db) knows of stalled sources, failed polls and
// URLs that failed, per source. nil when there is no frontier: the
// datasheet then says no crawl log is available.
func crawlLog(ctx context.Context, a *archiveEnv, now time.Time) ([]string, error) {
	path := filepath.Join(a.dir, frontierFile)
	if _, err := os.Stat(path); err != nil {
		return nil, nil
	}
	fr, err := frontiersqlite.Open(ctx, path, a.log)
	if err != nil {
		return nil, fmt.Errorf("export: read the crawl log: %w", err)
	}
	defer fr.Close()
	stats, err := fr.SourceStats(ctx)
	if err != nil {
		return nil, fmt.Errorf("export: read the crawl log: %w", err)
	}
	return crawlLogLines(stats, now), nil
}

// crawlLogLines summarises the frontier's source statistics, one line per
// finding, sources in name order.
func crawlLogLines(stats []frontier.SourceStat, now time.Time) []string {
	slices.SortFunc(stats, func(a, b frontier.SourceStat) int { return strings.Compare(a.Name, b.Name) })
	var lines []string
	day := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	for _, s := range stats {
		switch {
		case s.Polls == 0:
			lines = append(lines, fmt.Sprintf("source %s (%s): never polled", s.Name, s.URL))
		case s.Stalled:
			since := "it was added " + day(s.AddedAt)
			if !s.LastNew.IsZero() {
				since = day(s.LastNew)
			}
			lines = append(lines, fmt.Sprintf("source %s (%s): stalled, nothing new since %s (last poll %s: %s)", s.Name, s.URL, since, day(s.LastPoll), s.LastResult))
		case !s.LastOK:
			lines = append(lines, fmt.Sprintf("source %s (%s): last poll failed at %s: %s", s.Name, s.URL, day(s.LastPoll), s.LastResult))
		}
		if s.Failed > 0 || s.BlockedByRobots > 0 {
			lines = append(lines, fmt.Sprintf("source %s: %d of %d URLs found failed and %d were blocked by robots.txt (%d archived, %d pending); `archivist status` and the frontier list them",
				s.Name, s.Failed, s.Found, s.BlockedByRobots, s.Archived, s.Pending))
		}
	}
	if len(lines) == 0 {
		lines = append(lines, fmt.Sprintf("No stalled source and no failed URL in the crawl log (%d sources, as of %s).", len(stats), day(now)))
	}
	return lines
}

// exportError maps export errors to exit statuses.
func exportError(err error) error {
	if errors.Is(err, export.ErrExists) {
		return &UsageError{Msg: err.Error()}
	}
	return err
}

// progress draws a progress bar (rows, rate, time left) on a terminal;
// when standard error is not a terminal it draws nothing, so logs and
// pipes stay clean.
type progress struct {
	w   stdio.Writer
	bar *progressbar.ProgressBar
}

func newProgress(w stdio.Writer) export.Progress {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &progress{w: w}
}

func (p *progress) Phase(name string, total int64) {
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(name),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(p.w) }),
	)
}

func (p *progress) Add(n int) {
	if p.bar != nil {
		p.bar.Add(n)
	}
}

func (p *progress) Done() {
	if p.bar != nil {
		p.bar.Finish()
		p.bar = nil
	}
}
