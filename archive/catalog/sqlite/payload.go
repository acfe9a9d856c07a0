package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/archivist-project/archivist/archive/catalog"
)

// firstByPayload seeks the captures_payload index: rows of one digest come
// in (fetched_at, capture_id) order, so the first full capture is the first
// row that is not a revisit.
const firstByPayload = `SELECT ` + selectColumns + ` FROM captures c
	WHERE c.payload_sha256 = ? AND c.kind = 'response'
	ORDER BY c.fetched_at, c.capture_id LIMIT 1`

// FirstByPayload returns the earliest full capture with payload digest
// sha256, or catalog.ErrNotFound.
func (c *Catalog) FirstByPayload(ctx context.Context, sha256 string) (catalog.Entry, error) {
	if sha256 == "" {
		return catalog.Entry{}, fmt.Errorf("find capture by payload in catalog %s: empty digest: %w", c.path, catalog.ErrNotFound)
	}
	e, err := scanEntry(c.byPayload.QueryRowContext(ctx, sha256))
	if errors.Is(err, sql.ErrNoRows) {
		return catalog.Entry{}, fmt.Errorf("find capture with payload sha256 %s in catalog %s: %w", sha256, c.path, catalog.ErrNotFound)
	}
	if err != nil {
		return catalog.Entry{}, fmt.Errorf("find capture with payload sha256 %s in catalog %s: %w", sha256, c.path, err)
	}
	return e, nil
}
