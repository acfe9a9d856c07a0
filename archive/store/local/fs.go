package local

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/archivist-project/archivist/archive/store"
)

// mkdirs creates dir and any missing parent inside the store, and returns
// the directories whose entries changed (the parents of those created):
// they must be fsynced for the new directories to survive a crash.
func (s *Store) mkdirs(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Lstat(d)
		if err == nil {
			if !fi.IsDir() {
				return nil, fmt.Errorf("create directory %s: %s is an object; a key cannot be both an object and a prefix of others in a local store", dir, d)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, s.classify("create directory", err)
		}
		missing = append(missing, d)
		if parent := filepath.Dir(d); parent == d {
			break // reached the filesystem root
		}
	}
	var changed []string
	for i := len(missing) - 1; i >= 0; i-- {
		d := missing[i]
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, s.classify("create directory", err)
		}
		// Also when a concurrent Put won the race to create d: it may not
		// have synced the parent yet, and we are about to rely on d.
		changed = append(changed, filepath.Dir(d))
	}
	return changed, nil
}

// ensureDir creates dir durably if it is missing.
func (s *Store) ensureDir(dir string) error {
	changed, err := s.mkdirs(dir)
	if err != nil {
		return err
	}
	for _, d := range uniqueParents(changed) {
		if err := syncDir(d); err != nil {
			return s.classify("sync directory", err)
		}
	}
	return nil
}

// uniqueParents drops repeated directories, keeping the first occurrence.
func uniqueParents(dirs []string) []string {
	seen := make(map[string]bool, len(dirs))
	out := dirs[:0:0]
	for _, d := range dirs {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// syncDir makes the entries of directory dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	// Some filesystems (network mounts, FUSE) cannot sync a directory; they
	// give no stronger guarantee we could ask for, so go on as restic does.
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) {
		return nil
	}
	return err
}

// classify wraps err from operation op, marking as ErrUnavailable the
// conditions an operator must fix (full disk, permissions) and saying how.
// The os errors it receives already name the path involved.
func (s *Store) classify(op string, err error) error {
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("%s: %w: %w; free disk space at %s", op, store.ErrUnavailable, err, s.dir)
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%s: %w: %w; remount %s read-write", op, store.ErrUnavailable, err, s.dir)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s: %w: %w; give the archivist user write access to %s", op, store.ErrUnavailable, err, s.dir)
	case errors.Is(err, syscall.EIO):
		return fmt.Errorf("%s: %w: %w; check the disk holding %s", op, store.ErrUnavailable, err, s.dir)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// classifyRead is classify for lookups, where a missing file or a file
// standing where a directory would be both mean there is no such object.
func (s *Store) classifyRead(op string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	return s.classify(op, err)
}
