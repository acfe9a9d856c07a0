package sqlite

import (
	"context"
	"fmt"

	"github.com/archivist-project/archivist/archive/catalog"
)

var _ catalog.Selector = (*Catalog)(nil)

// pageKey names the page a capture is a version of: its canonical key, or
// its URL key when it has none.
const pageKey = `CASE WHEN c.canonical_key <> '' THEN c.canonical_key ELSE c.url_key END`

// Select calls fn for each entry of s, oldest first. Rows are read one at
// a time; the full-text match and the latest-per-page choice run inside
// SQLite, whose sorting spills to temporary storage instead of growing
// memory, so a selection of any size streams.
func (c *Catalog) Select(ctx context.Context, s catalog.Selection, fn func(catalog.Entry) error) error {
	conds, args, err := filterSQL(s.Filter)
	if err != nil {
		return fmt.Errorf("select from catalog %s: %w", c.path, err)
	}
	if s.Text != "" {
		expr := parseSearch(s.Text)
		if expr.empty() {
			return nil
		}
		conds = append(conds, `c.id IN (SELECT rowid FROM captures_fts WHERE captures_fts MATCH ?)`)
		args = append(args, expr.fts5Match())
	}
	var query string
	if s.LatestOnly {
		// row_number over each page, newest first, picks one capture per
		// page among the selected ones only: "latest" is relative to the
		// filters, so --until T gives each page as it stood at T.
		query = `WITH sel AS (
			SELECT c.id, c.fetched_at, c.capture_id, ` + pageKey + ` AS page
			FROM captures c` + where(conds) + `
		), ranked AS (
			SELECT id, row_number() OVER (PARTITION BY page ORDER BY fetched_at DESC, capture_id DESC) AS rn
			FROM sel
		)
		SELECT ` + selectColumns + ` FROM captures c
		WHERE c.id IN (SELECT id FROM ranked WHERE rn = 1)
		ORDER BY c.fetched_at, c.capture_id`
	} else {
		query = `SELECT ` + selectColumns + ` FROM captures c` + where(conds) + ` ORDER BY c.fetched_at, c.capture_id`
	}
	if s.Filter.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, s.Filter.Limit)
	}
	rows, err := c.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("select from catalog %s: %w", c.path, err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return fmt.Errorf("select from catalog %s: %w", c.path, err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("select from catalog %s: %w", c.path, err)
	}
	return nil
}
