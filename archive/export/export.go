// Package export writes datasets of captures for researchers. Rows are read
// from the store (the source of truth) in catalog order and streamed, so an
// export of any size runs in constant memory.
package export

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/capture"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/extract"
)

// Row is one capture in a dataset: the Article's fields, the capture id
// and time, and the full provenance record.
type Row struct {
	CaptureID string    `json:"capture_id"`
	FetchedAt time.Time `json:"fetched_at"`
	extract.Article
	Provenance *archive.Provenance `json:"provenance"`
}

// Stats counts what an export wrote.
type Stats struct {
	Rows int
}

// JSONL writes one JSON object per line for every capture matching f.
// progress, if not nil, is called after each row.
func JSONL(ctx context.Context, st store.Store, cat catalog.Catalog, f catalog.Filter, w io.Writer, progress func(rows int)) (Stats, error) {
	var stats Stats
	bw := bufio.NewWriterSize(w, 256<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	err := cat.List(ctx, f, func(e catalog.Entry) error {
		s, err := capture.Load(ctx, st, e.CaptureID)
		if err != nil {
			return fmt.Errorf("export capture %s: %w", e.CaptureID, err)
		}
		row := Row{CaptureID: e.CaptureID, FetchedAt: e.FetchedAt, Article: *s.Article, Provenance: s.Provenance}
		if row.Authors == nil {
			row.Authors = []string{}
		}
		if row.Tags == nil {
			row.Tags = []string{}
		}
		if err := enc.Encode(&row); err != nil {
			return fmt.Errorf("export: write row: %w", err)
		}
		stats.Rows++
		if progress != nil {
			progress(stats.Rows)
		}
		return nil
	})
	if err != nil {
		return stats, err
	}
	if err := bw.Flush(); err != nil {
		return stats, fmt.Errorf("export: write: %w", err)
	}
	return stats, nil
}
