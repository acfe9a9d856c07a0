package local

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/archivist-project/archivist/archive/store"
)

// List implements store.Store. Files whose names are not valid keys (put
// there by something other than this package) are not listed.
func (s *Store) List(ctx context.Context, prefix string, fn func(store.ObjectInfo) error) error {
	// Start at the deepest directory the prefix fully names.
	var dir string
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		dir = prefix[:i]
		// Every segment of a valid key is valid, so a prefix whose
		// directory part is not a valid key cannot match any object.
		if !store.ValidKey(dir) || s.checkKey(dir) != nil {
			return nil
		}
	}
	if err := s.walk(ctx, dir, prefix, fn); err != nil {
		return fmt.Errorf("list %q: %w", prefix, err)
	}
	return nil
}

// walk lists the objects under the key prefix dir ("" for the root) that
// start with prefix, in lexical key order.
func (s *Store) walk(ctx context.Context, dir, prefix string, fn func(store.ObjectInfo) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	fsDir := s.dir
	if dir != "" {
		fsDir = s.path(dir)
	}
	entries, err := os.ReadDir(fsDir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil
	}
	if err != nil {
		return s.classify("read directory", err)
	}
	// A directory's keys all start with "name/", so comparing directories
	// as "name/" puts "a.x" before "a/..." before "a0", as key order wants.
	sortName := func(e fs.DirEntry) string {
		if e.IsDir() {
			return e.Name() + "/"
		}
		return e.Name()
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return cmp.Compare(sortName(a), sortName(b)) })

	for _, e := range entries {
		key := e.Name()
		if dir != "" {
			key = dir + "/" + key
		}
		if !store.ValidKey(key) || (dir == "" && e.Name() == tmpDirName) {
			continue
		}
		switch {
		case e.IsDir():
			sub := key + "/"
			if strings.HasPrefix(sub, prefix) || strings.HasPrefix(prefix, sub) {
				if err := s.walk(ctx, key, prefix, fn); err != nil {
					return err
				}
			}
		case e.Type().IsRegular() && strings.HasPrefix(key, prefix):
			info, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return s.classify("stat", err)
			}
			if err := fn(store.ObjectInfo{Key: key, Size: info.Size(), ModTime: info.ModTime()}); err != nil {
				return err
			}
		}
	}
	return nil
}
