package capture

import (
	"context"
	"fmt"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/store"
)

// ReindexStats counts what a reindex saw.
type ReindexStats struct {
	Captures   int      // complete captures indexed
	Incomplete []string // capture ids with objects but no provenance record
	Unreadable []string // capture ids whose records could not be read, with the reason
}

// Reindex reads every complete capture in the store and hands its catalog
// entries to put in batches. progress, if not nil, is called after each
// batch with the number of captures indexed so far.
func Reindex(ctx context.Context, st store.Store, put func(context.Context, []catalog.Entry) error, progress func(int)) (ReindexStats, error) {
	var stats ReindexStats
	const batchSize = 256
	batch := make([]catalog.Entry, 0, batchSize)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := put(ctx, batch); err != nil {
			return fmt.Errorf("reindex: write catalog: %w", err)
		}
		stats.Captures += len(batch)
		batch = batch[:0]
		if progress != nil {
			progress(stats.Captures)
		}
		return nil
	}
	// Keys of one capture are adjacent in lexical order, so a capture is
	// judged when the listing moves past it: complete when a provenance
	// record was among its keys. Loading it only then uses the record
	// listed (no lookup of a name it lacks) and the current one should a
	// capture have both.
	var current, provName string
	endCapture := func() error {
		if current == "" {
			return nil
		}
		if provName == "" {
			stats.Incomplete = append(stats.Incomplete, current)
			return nil
		}
		key, _ := archive.CaptureKey(current, provName)
		s, err := loadFrom(ctx, st, current, key)
		if err != nil {
			stats.Unreadable = append(stats.Unreadable, current+": "+err.Error())
			return nil
		}
		// The row points at the newest re-extraction, as reextract left it.
		e, err := IndexEntry(ctx, st, s)
		if err != nil {
			stats.Unreadable = append(stats.Unreadable, current+": "+err.Error())
			return nil
		}
		batch = append(batch, e)
		if len(batch) == batchSize {
			return flush()
		}
		return nil
	}
	err := st.List(ctx, archive.CapturesPrefix, func(oi store.ObjectInfo) error {
		id, name, ok := archive.ParseCaptureKey(oi.Key)
		if !ok {
			return nil
		}
		if id != current {
			if err := endCapture(); err != nil {
				return err
			}
			current, provName = id, ""
		}
		if archive.IsProvenanceName(name) && provName != archive.ProvenanceName {
			provName = name
		}
		return nil
	})
	if err == nil {
		err = endCapture()
	}
	if err != nil {
		return stats, fmt.Errorf("reindex from %s: %w", st.Location(), err)
	}
	return stats, flush()
}
