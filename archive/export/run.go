package export

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/archivist-project/archivist/archive/catalog"
)

// exporter runs one export.
type exporter struct {
	st   Store
	cat  Catalog
	opts Options
}

// toFiles writes the dataset and its companions. check, when set, sees
// the manifest before anything is published and can refuse it
// (Reproduce compares digests there).
func (e *exporter) toFiles(ctx context.Context, check func(*Manifest) error) (*Manifest, error) {
	p := pathsFor(e.opts.Out, e.opts.Format)
	set, err := newOutputSet(p.all(), e.opts.Force)
	if err != nil {
		return nil, err
	}
	defer set.abort()
	scratch := func() (*os.File, error) { return set.newScratch("part") }

	captures := set.file(p.captures)
	sel, err := e.selectCaptures(ctx, captures)
	if err != nil {
		return nil, err
	}
	if _, err := captures.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("export: read capture list: %w", err)
	}

	var out sink
	load := &loader{st: e.st, cat: e.cat, with: e.opts.With, hidden: e.opts.Hidden}
	mainFile := set.file(p.main)
	switch e.opts.Format {
	case WARC:
		out = newWARCSink(source{e.st, e.cat, e.opts.Hidden}, mainFile, filepath.Base(p.main), set.file(p.index), scratch)
	case WACZ:
		out, err = newWACZSink(source{e.st, e.cat, e.opts.Hidden}, mainFile, scratch, waczMeta{
			Title:       "Archivist export " + filepath.Base(p.main),
			Description: fmt.Sprintf("%d captures selected from %s; see %s and %s.", sel.n, e.opts.Archive, filepath.Base(p.manifest), filepath.Base(p.datasheet)),
			Created:     e.opts.Now, Software: e.opts.Software.Name + " " + e.opts.Software.Version,
		})
	default:
		out, err = e.tabularSink(load, mainFile)
	}
	if err != nil {
		return nil, err
	}
	sheet := newSheet()
	m, err := e.writeRows(ctx, captures, &sel, out, sheet)
	if err != nil {
		return nil, err
	}

	doc := sheet.render(sheetInfo{name: filepath.Base(p.main), opts: &e.opts, manifest: m, crawlLog: e.opts.CrawlLog})
	if _, err := set.file(p.datasheet).WriteString(doc); err != nil {
		return nil, fmt.Errorf("export: write datasheet: %w", err)
	}

	type role struct{ path, role string }
	roles := []role{{p.main, RoleData}}
	if p.index != "" {
		roles = append(roles, role{p.index, RoleIndex})
	}
	roles = append(roles, role{p.captures, RoleCaptures}, role{p.datasheet, RoleDatasheet})
	for _, r := range roles {
		sum, size, err := hashFile(set.file(r.path).Name())
		if err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		m.Files = append(m.Files, File{Path: filepath.Base(r.path), Role: r.role, SHA256: sum, Bytes: size})
		if r.role == RoleCaptures {
			m.Captures = CaptureList{Count: sel.n, File: filepath.Base(r.path), SHA256: sum}
		}
	}
	if check != nil {
		if err := check(m); err != nil {
			return nil, err
		}
	}
	data, err := m.encode()
	if err != nil {
		return nil, err
	}
	if _, err := set.file(p.manifest).Write(data); err != nil {
		return nil, fmt.Errorf("export: write manifest: %w", err)
	}
	if err := set.commit(); err != nil {
		return nil, err
	}
	return m, nil
}

// toStdout writes a JSONL or CSV dataset to Options.Stdout, without
// companions; the capture list goes to a temp file meanwhile.
func (e *exporter) toStdout(ctx context.Context) (*Manifest, error) {
	tmp, err := os.CreateTemp("", "archivist-export-*.captures.txt")
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	sel, err := e.selectCaptures(ctx, tmp)
	if err != nil {
		return nil, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("export: read capture list: %w", err)
	}
	out, err := e.tabularSink(&loader{st: e.st, cat: e.cat, with: e.opts.With, hidden: e.opts.Hidden}, e.opts.Stdout)
	if err != nil {
		return nil, err
	}
	return e.writeRows(ctx, tmp, &sel, out, newSheet())
}

func (e *exporter) tabularSink(load *loader, w io.Writer) (sink, error) {
	switch e.opts.Format {
	case JSONL:
		return newJSONL(load, w), nil
	case CSV:
		return newCSV(load, w, e.opts.With)
	case Parquet:
		return newParquet(load, w, e.opts.Software.Version)
	}
	return nil, fmt.Errorf("export: format %s has no table writer", e.opts.Format)
}

// writeRows reads the capture list and writes every row to out, in
// order, dropping near-duplicates with Dedupe. It returns the manifest
// without its file list.
func (e *exporter) writeRows(ctx context.Context, captures io.Reader, sel *selection, out sink, sheet *sheet) (*Manifest, error) {
	var cl *clusters
	if sel.dup != nil {
		e.opts.Progress.Phase("clustering", -1)
		cl = sel.dup.clusters()
		// The signatures are no longer needed: dropping them here (sel is
		// the caller's) frees 72 bytes a row before the writers start.
		sel.dup = nil
		e.opts.Progress.Done()
	}
	m := &Manifest{
		Schema: ManifestSchema, Created: e.opts.Now.UTC(), Software: e.opts.Software, Extractor: e.opts.Extractor,
		ExtractorVersions: map[string]int{}, Archive: e.opts.Archive, Format: e.opts.Format, Query: e.opts.Query,
		With: nonNil(e.opts.With.names()), Dedupe: e.opts.Dedupe, ExcludedByEmbargo: sel.hidden,
		Outlinks: outlinksInfo(e.opts.With),
	}
	// Cluster ids are the first row's capture id; only clusters with more
	// than one row need remembering until their later rows come.
	labels := map[int]string{}
	e.opts.Progress.Phase("writing", int64(sel.n))
	i := 0
	err := eachLine(captures, func(id string) error {
		defer func() { i++ }()
		clusterID := id
		if cl != nil {
			if first := cl.first(i); first != i {
				clusterID = labels[first]
			} else if cl.multi(i) {
				labels[i] = id
			}
			if e.opts.Dedupe && !cl.kept(i) {
				e.opts.Progress.Add(1)
				return nil
			}
		}
		ent, err := e.cat.Get(ctx, id)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if err := e.addRow(ctx, out, ent, clusterID); err != nil {
			return fmt.Errorf("export capture %s: %w", id, err)
		}
		sheet.add(ent, cl != nil && cl.multi(i))
		m.ExtractorVersions[ent.ExtractorVersion]++
		m.Rows++
		e.opts.Progress.Add(1)
		return nil
	})
	e.opts.Progress.Done()
	if err != nil {
		return nil, err
	}
	if err := out.close(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if a, ok := out.(*archiveSink); ok {
		m.RevisitTargetsAdded = a.added
	}
	if cl != nil {
		m.NearDuplicates = &NearDupInfo{
			Method:       fmt.Sprintf("MinHash, %d one-byte minima, LSH %d bands of %d", sigBytes, bands, bandRows),
			ShingleWords: shingleWords, Threshold: NearDupThreshold, Clusters: cl.count, RowsInClusters: cl.inMulti,
		}
	}
	return m, nil
}

// addRow writes one row, turning a panic inside a format library (on
// data it did not expect) into an error for that capture.
func (e *exporter) addRow(ctx context.Context, out sink, ent catalog.Entry, clusterID string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error writing %s (please report): %v", e.opts.Format, r)
		}
	}()
	return out.add(ctx, ent, clusterID)
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
