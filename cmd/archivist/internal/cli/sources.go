package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/archivist-project/archivist/cmd/archivist/internal/config"
)

// sourcesFileName is where `archivist sources add` keeps its sources,
// inside the data directory.
const sourcesFileName = "sources.yaml"

// loadDataSources reads DATA/sources.yaml; a missing file has no sources.
func loadDataSources(dataDir string) ([]config.Source, error) {
	path := filepath.Join(dataDir, sourcesFileName)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read sources: %w", err)
	}
	srcs, err := config.ParseSources(data)
	if err != nil {
		return nil, &UsageError{Msg: fmt.Sprintf("sources file %s: %s", path, strings.ReplaceAll(err.Error(), "\n", "; "))}
	}
	return srcs, nil
}

// allSources merges the config file's sources with the data directory's.
func allSources(cfg config.Config) ([]config.Source, error) {
	dir, err := filepath.Abs(cfg.Data)
	if err != nil {
		return nil, fmt.Errorf("data directory %q: %w", cfg.Data, err)
	}
	fromData, err := loadDataSources(dir)
	if err != nil {
		return nil, err
	}
	return config.MergeSources(cfg.Sources, fromData)
}

func runSources(ctx context.Context, args []string, io IO) error {
	if len(args) == 0 {
		return usagef("sources: give a subcommand: add NAME URL [flags], list [--json] or remove NAME")
	}
	switch args[0] {
	case "add":
		return runSourcesAdd(args[1:], io)
	case "list":
		return runSourcesList(args[1:], io)
	case "remove", "rm":
		return runSourcesRemove(args[1:], io)
	}
	return usagef("sources: unknown subcommand %q: use add, list or remove", args[0])
}

const reloadHint = "A running `archivist serve` picks the change up on SIGHUP (`systemctl reload archivist`, or `kill -HUP PID`).\n"

func runSourcesAdd(args []string, io IO) error {
	fs := newFlagSet("sources add", io, "NAME URL [--kind page|feed|sitemap|auto] [--interval D] [--tag T]... [--include RE]... [--exclude RE]... [--max-hops N] [--no-revisit]")
	var c common
	c.register(fs)
	kind := fs.String("kind", config.DefaultSourceKind, "page (a topic or section page), feed (RSS or Atom), sitemap, or auto (find feeds and sitemaps)")
	interval := fs.Duration("interval", config.DefaultSourceInterval, "how often to poll the source")
	maxHops := fs.Int("max-hops", config.DefaultSourceMaxHops, "link hops followed from the source page")
	noRevisit := fs.Bool("no-revisit", false, "do not revisit this source's articles for new versions")
	var tags, include, exclude listFlag
	fs.Var(&tags, "tag", "tag carried into every capture of this source (repeatable)")
	fs.Var(&include, "include", "only follow URLs matching this regular expression (repeatable)")
	fs.Var(&exclude, "exclude", "never follow URLs matching this regular expression (repeatable)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 2 {
		fs.Usage()
		return usagef("sources add: give NAME and URL")
	}
	cfg, err := c.load(io)
	if err != nil {
		return err
	}
	revisit := !*noRevisit
	src := config.Source{
		Name: rest[0], URL: rest[1], Kind: *kind, Interval: config.Duration(*interval),
		Include: include, Exclude: exclude, MaxHops: maxHops, Tags: tags, Revisit: &revisit,
	}
	return editSources(cfg, io, func(fromData []config.Source) ([]config.Source, error) {
		for _, s := range cfg.Sources {
			if s.Name == src.Name {
				return nil, usagef("sources add: %q is already a source in config %s: choose another name", src.Name, c.configPath)
			}
		}
		for _, s := range fromData {
			if s.Name == src.Name {
				return nil, usagef("sources add: %q is already a source: `archivist sources remove %s` first to replace it", src.Name, src.Name)
			}
		}
		next := append(fromData, src)
		// Validate through the file format, so a source added here is
		// exactly one the file accepts.
		data, err := config.MarshalSources(next)
		if err != nil {
			return nil, err
		}
		if _, err := config.ParseSources(data); err != nil {
			return nil, usagef("sources add: %s", strings.ReplaceAll(strings.ReplaceAll(err.Error(), "sources["+fmt.Sprint(len(next)-1)+"].", ""), "\n", "; "))
		}
		fmt.Fprintf(io.Out, "added source %s (%s, every %s): %s\n", src.Name, src.Kind, config.FormatDuration(*interval), src.URL)
		return next, nil
	})
}

func runSourcesRemove(args []string, io IO) error {
	fs := newFlagSet("sources remove", io, "NAME")
	var c common
	c.register(fs)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		fs.Usage()
		return usagef("sources remove: give the NAME of one source")
	}
	cfg, err := c.load(io)
	if err != nil {
		return err
	}
	name := rest[0]
	return editSources(cfg, io, func(fromData []config.Source) ([]config.Source, error) {
		out := fromData[:0:0]
		for _, s := range fromData {
			if s.Name != name {
				out = append(out, s)
			}
		}
		if len(out) == len(fromData) {
			for _, s := range cfg.Sources {
				if s.Name == name {
					return nil, usagef("sources remove: %q is defined in config %s: remove it there", name, c.configPath)
				}
			}
			return nil, usagef("sources remove: no source named %q (`archivist sources list` shows them)", name)
		}
		fmt.Fprintf(io.Out, "removed source %s; what it archived stays in the archive\n", name)
		return out, nil
	})
}

// editSources applies edit to the data directory's sources and writes the
// file back atomically.
func editSources(cfg config.Config, io IO, edit func([]config.Source) ([]config.Source, error)) error {
	dir, err := filepath.Abs(cfg.Data)
	if err != nil {
		return fmt.Errorf("data directory %q: %w", cfg.Data, err)
	}
	fromData, err := loadDataSources(dir)
	if err != nil {
		return err
	}
	next, err := edit(fromData)
	if err != nil {
		return err
	}
	data, err := config.MarshalSources(next)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	if err := writeReadable(filepath.Join(dir, sourcesFileName), data); err != nil {
		return err
	}
	fmt.Fprint(io.Err, reloadHint)
	return nil
}

// sourceRow is the JSON form of a source in `sources list --json`.
type sourceRow struct {
	Name     string   `json:"name"`
	URL      string   `json:"url"`
	Kind     string   `json:"kind"`
	Interval string   `json:"interval"`
	MaxHops  int      `json:"max_hops"`
	Revisit  bool     `json:"revisit"`
	Tags     []string `json:"tags"`
	Include  []string `json:"include,omitempty"`
	Exclude  []string `json:"exclude,omitempty"`
	From     string   `json:"from"` // "config" or "data"
}

func runSourcesList(args []string, io IO) error {
	fs := newFlagSet("sources list", io, "[--json]")
	var c common
	c.register(fs)
	asJSON := fs.Bool("json", false, "print JSON Lines, one source a line")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("sources list: unexpected argument %q", rest[0])
	}
	cfg, err := c.load(io)
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(cfg.Data)
	if err != nil {
		return fmt.Errorf("data directory %q: %w", cfg.Data, err)
	}
	fromData, err := loadDataSources(dir)
	if err != nil {
		return err
	}
	var rows []sourceRow
	add := func(list []config.Source, from string) {
		for _, s := range list {
			tags := s.Tags
			if tags == nil {
				tags = []string{}
			}
			rows = append(rows, sourceRow{
				Name: s.Name, URL: s.URL, Kind: s.Kind, Interval: config.FormatDuration(time.Duration(s.Interval)),
				MaxHops: s.Hops(), Revisit: s.Revisits(), Tags: tags, Include: s.Include, Exclude: s.Exclude, From: from,
			})
		}
	}
	add(cfg.Sources, "config")
	add(fromData, "data")
	if *asJSON {
		enc := json.NewEncoder(io.Out)
		enc.SetEscapeHTML(false)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tINTERVAL\tREVISIT\tTAGS\tFROM\tURL")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\t%s\t%s\n", r.Name, r.Kind, r.Interval, r.Revisit, strings.Join(r.Tags, ","), r.From, r.URL)
	}
	tw.Flush()
	fmt.Fprintf(io.Err, "%d sources (config: %d, %s: %d)\n", len(rows), len(cfg.Sources), filepath.Join(dir, sourcesFileName), len(fromData))
	return nil
}

// writeReadable writes a file atomically like writeFileAtomic, but
// readable by all (0644): `sources add` may run as root while the daemon
// runs as its own user, which must be able to read the file on reload.
func writeReadable(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	err = f.Chmod(0o644)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}
