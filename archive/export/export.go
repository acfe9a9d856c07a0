// Package export writes datasets of captures for researchers: JSON Lines,
// CSV and Parquet tables, and the captures' own WARC records as a WARC file
// with a CDXJ index or as a WACZ package. Every export writes, beside the
// dataset, a manifest (the exact query, versions, row count, each file's
// SHA-256 and the list of capture ids), a datasheet describing coverage,
// and that list of capture ids, so that Reproduce can rebuild the same
// bytes from the same archive.
//
// Rows are streamed: the catalog is read one entry at a time, objects come
// from the store (the source of truth), and nothing proportional to the
// rows is kept except the near-duplicate state, about 80 bytes a row (see
// neardup.go), and, for a sample of N, the N sampled ids.
package export

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
)

// Format is an output format.
type Format string

// The formats.
const (
	JSONL   Format = "jsonl"
	CSV     Format = "csv"
	Parquet Format = "parquet"
	WARC    Format = "warc"
	WACZ    Format = "wacz"
)

// Formats lists every format, in the order the help text names them.
func Formats() []Format { return []Format{JSONL, CSV, Parquet, WARC, WACZ} }

// ParseFormat returns the format named s.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %q: use %s", s, formatList())
}

func formatList() string {
	var names []string
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

// Extension is the file name extension of the format.
func (f Format) Extension() string {
	if f == WARC {
		return ".warc.gz"
	}
	return "." + string(f)
}

// tabular reports whether the format has one row per capture with the
// Article's fields (as opposed to the captures' WARC records).
func (f Format) tabular() bool { return f == JSONL || f == CSV || f == Parquet }

// Fields are the optional per-row fields of the tabular formats.
type Fields struct {
	// Evidence adds the extractor's metadata evidence (the Article's
	// "evidence" field, when the extractor recorded one).
	Evidence bool
	// Versions adds the version chain: the capture ids of every earlier
	// version of the page, oldest first, then this capture.
	Versions bool
	// Outlinks adds the links found on the page: derived from the
	// archived response body by the extractor (see outlinksMethod).
	Outlinks bool
}

// ParseFields reads a comma-separated list of optional fields.
func ParseFields(s string) (Fields, error) {
	var f Fields
	for _, name := range strings.Split(s, ",") {
		switch strings.TrimSpace(name) {
		case "":
		case "evidence":
			f.Evidence = true
		case "versions":
			f.Versions = true
		case "outlinks":
			f.Outlinks = true
		default:
			return f, fmt.Errorf("unknown field %q: use evidence, versions or outlinks", name)
		}
	}
	return f, nil
}

// names lists the fields set, in a fixed order.
func (f Fields) names() []string {
	var out []string
	if f.Evidence {
		out = append(out, "evidence")
	}
	if f.Versions {
		out = append(out, "versions")
	}
	if f.Outlinks {
		out = append(out, "outlinks")
	}
	return out
}

// Catalog is what an export reads from the catalog.
type Catalog interface {
	Get(ctx context.Context, captureID string) (catalog.Entry, error)
	catalog.Selector
}

// Progress is told how an export advances; the CLI draws a progress bar
// with it. Phase starts a phase of total steps (-1 when unknown).
type Progress interface {
	Phase(name string, total int64)
	Add(n int)
	Done()
}

// Options describe an export.
type Options struct {
	Format Format
	Query  Query
	With   Fields
	// Dedupe keeps one row per near-duplicate cluster: the earliest
	// published, then the earliest captured.
	Dedupe bool
	// Out is the dataset's path; the manifest, datasheet, capture list
	// (and, for WARC, the CDXJ index) are written beside it. Out must not
	// exist unless Force.
	Out   string
	Force bool
	// Stdout, when set, receives the dataset instead of a file, and no
	// companion files are written (JSONL and CSV only).
	Stdout io.Writer
	// Now is the export's time: recorded in the manifest and datasheet and
	// used for every timestamp inside the files (zip entries), so the same
	// export made again from its manifest has the same bytes.
	Now time.Time
	// Software and Extractor identify the programs, for the manifest.
	Software  archive.Component
	Extractor archive.Component
	// Archive describes the archive read (store location, redacted), for
	// the manifest and datasheet.
	Archive string
	// CrawlLog is the datasheet's section on crawl failures and stalled
	// sources, prepared by the caller from the crawl log; empty means no
	// crawl log is available.
	CrawlLog []string
	// Hidden, when set, reports captures that must not be exported (the
	// embargo list): they are left out of the selection and of version
	// chains, and counted in the manifest.
	Hidden func(catalog.Entry) bool
	// ids, when set, replaces the query by a fixed list of capture ids
	// (Reproduce).
	ids io.Reader
	// Progress, when set, is told how the export advances.
	Progress Progress
	// Log receives warnings; nil discards them.
	Log *slog.Logger
}

// maxWARCBytes bounds one capture's WARC file read for outlinks; bodies
// are capped at 10 MiB when fetched.
const maxWARCBytes = 256 << 20

// Export writes the dataset described by opts and returns its manifest.
// On any failure no output file is left behind.
func Export(ctx context.Context, st Store, cat Catalog, opts Options) (*Manifest, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	opts.defaults()
	e := &exporter{st: st, cat: cat, opts: opts}
	if opts.Stdout != nil {
		return e.toStdout(ctx)
	}
	return e.toFiles(ctx, nil)
}

func (o *Options) check() error {
	if _, err := ParseFormat(string(o.Format)); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if o.Stdout != nil && o.Format != JSONL && o.Format != CSV {
		return fmt.Errorf("export: %s cannot go to standard output: give a file name", o.Format)
	}
	if o.Stdout == nil && o.Out == "" {
		return fmt.Errorf("export: no output file given")
	}
	if !o.Format.tabular() && (o.With != Fields{}) {
		return fmt.Errorf("export: optional fields (%s) exist only in jsonl, csv and parquet", strings.Join(o.With.names(), ","))
	}
	if o.Now.IsZero() {
		return fmt.Errorf("export: no export time set")
	}
	return o.Query.check()
}

func (o *Options) defaults() {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Progress == nil {
		o.Progress = noProgress{}
	}
}

type noProgress struct{}

func (noProgress) Phase(string, int64) {}
func (noProgress) Add(int)             {}
func (noProgress) Done()               {}
