package export

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// ErrExists: an output file already exists and Force was not given.
var ErrExists = errors.New("output file exists")

// paths are the files of one export.
type paths struct {
	main      string // the dataset
	index     string // the CDXJ index (WARC format only)
	captures  string // the capture ids, one a line
	datasheet string
	manifest  string
}

// pathsFor names an export's files: the dataset at out and its
// companions beside it, named after it (ds.csv, ds.csv.manifest.json), so
// exports of one selection in several formats do not collide. A WARC's
// index takes the WARC's name without .warc.gz, as pywb expects.
func pathsFor(out string, f Format) paths {
	p := paths{
		main:      out,
		captures:  out + ".captures.txt",
		datasheet: out + ".datasheet.md",
		manifest:  out + ".manifest.json",
	}
	if f == WARC {
		p.index = strings.TrimSuffix(out, f.Extension()) + ".cdxj"
	}
	return p
}

// ManifestPath is where the manifest of an export to out is written.
func ManifestPath(out string) string { return out + ".manifest.json" }

// all lists the files in the order they are published; the manifest comes
// last, so a manifest on disk means the whole export is there.
func (p paths) all() []string {
	out := []string{p.main}
	if p.index != "" {
		out = append(out, p.index)
	}
	return append(out, p.captures, p.datasheet, p.manifest)
}

// outputSet writes several files so that either all appear or none does:
// each is written to a temp file in its final directory, and renamed into
// place only when every one is complete. Scratch files live in the same
// directory (large intermediate data stays on the output's disk) and are
// always removed.
type outputSet struct {
	force   bool
	files   map[string]*os.File // final path → temp file
	order   []string
	scratch []*os.File
	done    bool
}

// newOutputSet checks that no final path exists (unless force) and opens
// a temp file for each.
func newOutputSet(finals []string, force bool) (*outputSet, error) {
	s := &outputSet{force: force, files: map[string]*os.File{}}
	if !force {
		var existing []string
		for _, p := range finals {
			if _, err := os.Lstat(p); err == nil {
				existing = append(existing, p)
			}
		}
		if len(existing) > 0 {
			return nil, fmt.Errorf("export: %s: %w: choose another --out or add --force to replace", strings.Join(existing, ", "), ErrExists)
		}
	}
	for _, p := range finals {
		f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".tmp-*")
		if err != nil {
			s.abort()
			return nil, fmt.Errorf("export: cannot write to %s: %w", filepath.Dir(p), err)
		}
		s.files[p] = f
		s.order = append(s.order, p)
		// CreateTemp makes owner-only files; a dataset is for sharing.
		if err := f.Chmod(0o644); err != nil {
			s.abort()
			return nil, fmt.Errorf("export: %w", err)
		}
	}
	return s, nil
}

func (s *outputSet) file(final string) *os.File { return s.files[final] }

// newScratch opens a scratch file beside the outputs.
func (s *outputSet) newScratch(name string) (*os.File, error) {
	dir := filepath.Dir(s.order[0])
	f, err := os.CreateTemp(dir, "."+filepath.Base(s.order[0])+"."+name+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("export: cannot write to %s: %w", dir, err)
	}
	s.scratch = append(s.scratch, f)
	return f, nil
}

// commit syncs every file and renames them into place in order. If a
// rename fails, the files already renamed are removed again.
func (s *outputSet) commit() error {
	for _, p := range s.order {
		f := s.files[p]
		if err := f.Sync(); err != nil {
			return fmt.Errorf("export: write %s: %w", p, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("export: write %s: %w", p, err)
		}
	}
	for i, p := range s.order {
		if err := os.Rename(s.files[p].Name(), p); err != nil {
			for _, q := range s.order[:i] {
				os.Remove(q)
			}
			return fmt.Errorf("export: publish %s: %w", p, err)
		}
	}
	s.done = true
	dirs := map[string]bool{}
	for _, p := range s.order {
		dirs[filepath.Dir(p)] = true
	}
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	s.removeScratch()
	return nil
}

// abort removes every temp and scratch file; after commit it only removes
// scratch files.
func (s *outputSet) abort() {
	if !s.done {
		for _, p := range s.order {
			f := s.files[p]
			f.Close()
			os.Remove(f.Name())
		}
	}
	s.removeScratch()
}

func (s *outputSet) removeScratch() {
	for _, f := range s.scratch {
		f.Close()
		os.Remove(f.Name())
	}
	s.scratch = nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// hashFile returns the SHA-256 (lowercase hex) and size of the file at
// path.
func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
