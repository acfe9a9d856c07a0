package postgres

import (
	"context"

	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/catalog/query"
)

// pageKey names the page a capture is a version of: its canonical key, or
// its URL key when it has none.
const pageKey = `CASE WHEN c.canonical_key <> '' THEN c.canonical_key ELSE c.url_key END`

// Select calls fn for each entry of s, oldest first. The full-text match
// and the latest-per-page choice run inside PostgreSQL, whose sorts spill
// to disk instead of growing memory, and rows are read as the server sends
// them, so a selection of any size streams.
func (c *Catalog) Select(ctx context.Context, s catalog.Selection, fn func(catalog.Entry) error) error {
	var (
		p     params
		with  string
		conds []string
	)
	if s.Text != "" {
		expr := query.Parse(s.Text)
		if expr.Empty() {
			return nil
		}
		with = `WITH ` + queriesCTE(expr, &p)
		conds = append(conds, `c.id IN (`+matchesSQL+`)`)
	}
	conds = append(conds, filterSQL(s.Filter, &p)...)
	var sql string
	if s.LatestOnly {
		// One capture per page among the selected ones only: "latest" is
		// relative to the filters, so --until T gives each page as it
		// stood at T.
		sql = with + ` SELECT ` + selectColumns + ` FROM captures c WHERE c.id IN (
			SELECT DISTINCT ON (page) id FROM (
				SELECT c.id, c.fetched_at, c.capture_id, ` + pageKey + ` AS page FROM captures c` + where(conds) + `
			) sel ORDER BY page, fetched_at DESC, capture_id DESC
		) ORDER BY c.fetched_at, c.capture_id`
	} else {
		sql = with + ` SELECT ` + selectColumns + ` FROM captures c` + where(conds) + ` ORDER BY c.fetched_at, c.capture_id`
	}
	if s.Filter.Limit > 0 {
		sql += ` LIMIT ` + p.add(s.Filter.Limit)
	}
	return c.stream(ctx, "select from", sql, p, fn)
}
