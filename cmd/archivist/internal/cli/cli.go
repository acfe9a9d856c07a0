// Package cli implements the archivist command line: one Run function that
// parses the arguments of a subcommand and does its work, and ExitCode,
// which maps the outcome to the process exit status.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/archivist-project/archivist/crawler/netguard"
)

// IO is the outside world a command sees, so tests can run commands in
// process without touching the real environment.
type IO struct {
	In     io.Reader
	Out    io.Writer
	Err    io.Writer
	Getenv func(string) string
	// Resolver, when set, replaces DNS for crawls (tests and the demo use a
	// loopback-only resolver so no lookup leaves the machine).
	Resolver netguard.Resolver
	// Dialer, when set, replaces the network guard's dialer (tests route
	// checked public addresses to a fixture on loopback with it, so the
	// guard runs as in production and nothing leaves the machine).
	Dialer netguard.Dialer
	// Signals, when set, replaces the process's signals for `serve`
	// (SIGHUP reloads, SIGTERM and SIGINT stop), so tests can run it in
	// process.
	Signals <-chan os.Signal
	// GOMAXPROCS, when set, is runtime.GOMAXPROCS: `crawl` and `serve`
	// raise the process's Ps with it (see crawlProcs). main sets it;
	// tests running commands in process leave it nil.
	GOMAXPROCS func(int) int
	// SetGCPercent, when set, is debug.SetGCPercent: `crawl`, `serve` and
	// `bench` raise the collector's target with it (see crawlGC). main
	// sets it; tests running commands in process leave it nil.
	SetGCPercent func(int) int
}

// Exit statuses.
const (
	ExitOK      = 0
	ExitFailure = 1 // the command could not do its work
	ExitUsage   = 2 // bad arguments or configuration
	ExitPartial = 3 // the command ran, but some items failed (crawl) or problems were found (verify)
)

// UsageError is a mistake in the command line or configuration.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// PartialError reports a command that finished but with failures that the
// exit status must show.
type PartialError struct{ Msg string }

func (e *PartialError) Error() string { return e.Msg }

// ExitCode prints err (if any) to w and returns the exit status for it.
func ExitCode(err error, w io.Writer) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	fmt.Fprintln(w, "archivist:", err)
	var ue *UsageError
	var pe *PartialError
	switch {
	case errors.As(err, &ue):
		return ExitUsage
	case errors.As(err, &pe):
		return ExitPartial
	case errors.Is(err, context.Canceled):
		return 130
	}
	return ExitFailure
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, io IO) error
}

func commands() []command {
	return []command{
		{"crawl", "fetch seed pages, follow them to articles and archive every capture", runCrawl},
		{"extract", "print the Article of a saved HTML page as JSON", runExtract},
		{"get", "retrieve a capture of a URL (nearest a time; latest by default), or its versions", runGet},
		{"diff", "show what changed between two versions of a page: headline, byline, dates, body", runDiff},
		{"list", "list captures by URL, host and time", runList},
		{"search", "full-text search over titles and article text", runSearch},
		{"web", "serve the HTTP API (Wayback, Memento, CDX, search) and the web UI over an archive", runWeb},
		{"export", "export captures as a dataset: JSONL, CSV, Parquet, WARC+CDXJ or WACZ, with manifest and datasheet", runExport},
		{"verify", "check every capture's objects against their recorded SHA-256", runVerify},
		{"reindex", "rebuild the catalog from the store alone", runReindex},
		{"migrate", "apply the PostgreSQL schema migrations (--db URL); safe to run twice", runMigrate},
		{"migrate-catalog", "copy the SQLite catalog (or every capture in the store), then the frontier, into PostgreSQL", runMigrateCatalog},
		{"reextract", "run the current extractor over archived captures (no fetching); keeps earlier Articles", runReextract},
		{"serve", "run the daemon: watch sources, archive new articles and their versions", runServe},
		{"status", "show each source's last poll, counts and stalls (from the daemon's frontier)", runStatus},
		{"sources", "add, list and remove the sources `serve` watches", runSources},
		{"demo", "serve a bundled sample news site on loopback and crawl it", runDemo},
		{"bench", "measure each pipeline stage and the whole crawl on a generated fixture site (README: Performance)", runBench},
		{"version", "print the version", runVersion},
	}
}

// hiddenCommands run but are not listed: helpers other commands start as
// child processes.
func hiddenCommands() []command {
	return []command{
		{"bench-site", "serve the benchmark fixture on loopback (started by `archivist bench`)", runBenchSite},
	}
}

// Run executes the subcommand named by args[0].
func Run(ctx context.Context, args []string, io IO) error {
	if io.Getenv == nil {
		io.Getenv = func(string) string { return "" }
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(io.Out)
		if len(args) == 0 {
			return usagef("no command given")
		}
		return nil
	}
	for _, c := range append(commands(), hiddenCommands()...) {
		if c.name == args[0] {
			return c.run(ctx, args[1:], io)
		}
	}
	return usagef("unknown command %q (run `archivist help` for the list)", args[0])
}

func printUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString("archivist archives news articles with provenance.\n\nUsage: archivist COMMAND [flags] [args]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun `archivist COMMAND -h` for a command's flags. The README documents every command and setting.\n")
	io.WriteString(w, b.String())
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name string, io IO, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Err)
	fs.Usage = func() {
		fmt.Fprintf(io.Err, "Usage: archivist %s %s\n\nFlags:\n", name, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses flags that may be interleaved with positional
// arguments (`archivist get URL --format text`), which the flag package
// alone does not allow.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}
