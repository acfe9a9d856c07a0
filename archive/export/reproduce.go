package export

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ReproduceOptions describe a reproduction.
type ReproduceOptions struct {
	// Dir receives the files, under their original names; it is created
	// if missing.
	Dir   string
	Force bool
	// Software, Extractor, Archive, CrawlLog, Progress and Log are as in
	// Options.
	Options Options
}

// Reproduce makes the export that manifestPath records again, from the
// recorded capture list (not by re-running the query, which a growing
// archive would answer differently), with the recorded format, fields and
// time. The dataset, index and capture list must come out with the
// recorded SHA-256; if any differs, nothing is written and the error names
// the file. The datasheet is written but not compared: its crawl-log
// section describes the archive as it is now.
func Reproduce(ctx context.Context, st Store, cat Catalog, manifestPath string, ro ReproduceOptions) (*Manifest, error) {
	want, err := ReadManifest(manifestPath)
	if err != nil {
		return nil, fmt.Errorf("reproduce: %w", err)
	}
	data, ok := want.dataFile()
	if !ok {
		return nil, fmt.Errorf("reproduce: manifest %s lists no data file", manifestPath)
	}
	idsPath := filepath.Join(filepath.Dir(manifestPath), want.Captures.File)
	sum, _, err := hashFile(idsPath)
	if err != nil {
		return nil, fmt.Errorf("reproduce: the capture list must be beside the manifest: %w", err)
	}
	if sum != want.Captures.SHA256 {
		return nil, fmt.Errorf("reproduce: %s has sha256 %s, the manifest records %s: the capture list was changed", idsPath, sum, want.Captures.SHA256)
	}
	ids, err := os.Open(idsPath)
	if err != nil {
		return nil, fmt.Errorf("reproduce: %w", err)
	}
	defer ids.Close()
	if err := os.MkdirAll(ro.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("reproduce: create %s: %w", ro.Dir, err)
	}
	with, err := ParseFields(strings.Join(want.With, ","))
	if err != nil {
		return nil, fmt.Errorf("reproduce: %w", err)
	}
	opts := ro.Options
	opts.Format, opts.Query, opts.With, opts.Dedupe = want.Format, want.Query, with, want.Dedupe
	opts.Out, opts.Force, opts.Now, opts.Stdout = filepath.Join(ro.Dir, data.Path), ro.Force, want.Created, nil
	opts.ids = ids
	// The archive's location is recorded inside a WACZ's description; an
	// archive copied elsewhere is still the same archive.
	opts.Archive = want.Archive
	if err := opts.check(); err != nil {
		return nil, fmt.Errorf("reproduce: %w", err)
	}
	opts.defaults()
	e := &exporter{st: st, cat: cat, opts: opts}
	if names := pathsFor(opts.Out, opts.Format); filepath.Base(names.captures) != want.Captures.File {
		return nil, fmt.Errorf("reproduce: manifest names capture list %s, but %s would be written: was the manifest renamed?", want.Captures.File, filepath.Base(names.captures))
	}
	return e.toFiles(ctx, func(got *Manifest) error {
		byPath := map[string]File{}
		for _, f := range got.Files {
			byPath[f.Path] = f
		}
		for _, f := range want.Files {
			if f.Role == RoleDatasheet {
				continue
			}
			g, ok := byPath[f.Path]
			switch {
			case !ok:
				return fmt.Errorf("reproduce: %s was not produced", f.Path)
			case g.SHA256 != f.SHA256 || g.Bytes != f.Bytes:
				return fmt.Errorf("reproduce: %s differs from the recorded one (sha256 %s, %d bytes; recorded %s, %d bytes): "+
					"the archive or the software changed since (recorded %s %s); nothing was written",
					f.Path, g.SHA256, g.Bytes, f.SHA256, f.Bytes, want.Software.Name, want.Software.Version)
			}
		}
		if got.Rows != want.Rows {
			return fmt.Errorf("reproduce: %d rows, the manifest records %d; nothing was written", got.Rows, want.Rows)
		}
		return nil
	})
}
