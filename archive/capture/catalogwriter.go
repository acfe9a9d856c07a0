package capture

import (
	"context"

	"github.com/archivist-project/archivist/archive/catalog"
)

// CatalogWriter adds catalog rows exactly as a Recorder does (group
// commit: rows put at the same time share one transaction), for callers
// that measure the Recorder's catalog writes on their own (the benchmark
// harness). It is safe for concurrent use.
type CatalogWriter struct{ c *committer }

// NewCatalogWriter returns a CatalogWriter adding rows to cat.
func NewCatalogWriter(cat catalog.Catalog) *CatalogWriter {
	return &CatalogWriter{c: newCommitter(cat, defaultCommitLinger)}
}

// Put adds e and returns once it is committed.
func (w *CatalogWriter) Put(ctx context.Context, e catalog.Entry) error {
	return w.c.put(ctx, e, false)
}
