package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/archivist-project/archivist/archive/catalog"
)

// firstByPayload seeks the partial captures_payload index, which holds
// full captures only, in (fetched_at, capture_id) order per digest.
const firstByPayload = `SELECT ` + selectColumns + ` FROM captures c
	WHERE c.payload_sha256 = $1 AND c.kind = 'response'
	ORDER BY c.fetched_at, c.capture_id LIMIT 1`

// FirstByPayload returns the earliest full capture with payload digest
// sha256, under any URL, or catalog.ErrNotFound.
func (c *Catalog) FirstByPayload(ctx context.Context, sha256 string) (catalog.Entry, error) {
	if sha256 == "" {
		return catalog.Entry{}, fmt.Errorf("find capture by payload in catalog %s: empty digest: %w", c.where, catalog.ErrNotFound)
	}
	e, err := scanEntry(c.pool.QueryRow(ctx, firstByPayload, clean(sha256)))
	if errors.Is(err, pgx.ErrNoRows) {
		return catalog.Entry{}, fmt.Errorf("find capture with payload sha256 %s in catalog %s: %w", sha256, c.where, catalog.ErrNotFound)
	}
	if err != nil {
		return catalog.Entry{}, fmt.Errorf("find capture with payload sha256 %s in catalog %s: %w", sha256, c.where, err)
	}
	return e, nil
}
