// Package archive holds everything about the data Archivist keeps: the raw
// HTTP exchange of a capture, its provenance record, and the object key
// layout under which both are written to a store.
//
// Sub-packages hold the moving parts: store (the immutable object store and
// its backends), warc (WARC 1.1 writing and reading), catalog (the queryable
// index that can always be rebuilt from the store), capture (the pipeline
// that turns one fetch into stored objects and a catalog row) and export.
//
// The store is the source of truth. A capture is complete once its
// provenance object exists; the provenance is written last and names the
// digests of every other object of the capture, so a reader never mistakes a
// half-written capture for a whole one.
package archive
