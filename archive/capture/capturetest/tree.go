package capturetest

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/archivist-project/archivist/archive/store"
)

// PutTree copies the store layout checked in under dir (for example a
// capture written by an earlier version, in testdata) into st, each file
// under its path relative to dir. README.md files, which describe such a
// tree, are skipped. It returns the names of the directories holding the
// files: the capture ids.
func PutTree(ctx context.Context, st store.Store, dir string) ([]string, error) {
	var ids []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "README.md" {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if id := filepath.Base(filepath.Dir(path)); len(ids) == 0 || ids[len(ids)-1] != id {
			ids = append(ids, id)
		}
		return st.Put(ctx, filepath.ToSlash(rel), bytes.NewReader(data), int64(len(data)))
	})
	return ids, err
}
