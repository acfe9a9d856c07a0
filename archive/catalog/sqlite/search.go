package sqlite

import (
	"context"
	"fmt"

	"github.com/archivist-project/archivist/archive/catalog"
)

const (
	defaultSearchLimit = 20
	// maxSearchLimit bounds one page of hits: each hit carries the full
	// article text.
	maxSearchLimit = 1000
)

// searchRanking is the bm25 call shared by the select list and ORDER BY. A
// title match weighs five times a text match: a term in the headline says
// more about what an article is about than one in its body.
const searchRanking = `bm25(captures_fts, 5.0, 1.0)`

// Search runs a ranked full-text query over title and text; see
// catalog.Query for the syntax. Hits come best first (ties: newest first,
// then by capture id). A query with nothing searchable in it (only
// punctuation, or only exclusions) returns no hits and no error.
// q.Filter.Limit is ignored; q.Limit (default 20, at most 1000) pages.
func (c *Catalog) Search(ctx context.Context, q catalog.Query) ([]catalog.Hit, error) {
	expr := parseSearch(q.Text)
	if expr.empty() {
		return nil, nil
	}
	conds, args, err := filterSQL(q.Filter)
	if err != nil {
		return nil, fmt.Errorf("search catalog %s: %w", c.path, err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultSearchLimit
	}
	limit = min(limit, maxSearchLimit)
	offset := max(q.Offset, 0)

	conds = append([]string{`captures_fts MATCH ?`}, conds...)
	query := `SELECT ` + selectColumns + `,
		snippet(captures_fts, -1, '[', ']', '…', 30), ` + searchRanking + `
		FROM captures_fts JOIN captures c ON c.id = captures_fts.rowid
		` + where(conds) + `
		ORDER BY ` + searchRanking + `, c.fetched_at DESC, c.capture_id
		LIMIT ? OFFSET ?`
	all := make([]any, 0, len(args)+3)
	all = append(all, expr.fts5())
	all = append(all, args...)
	all = append(all, limit, offset)

	rows, err := c.reader.QueryContext(ctx, query, all...)
	if err != nil {
		return nil, fmt.Errorf("search catalog %s for %q: %w", c.path, q.Text, err)
	}
	defer rows.Close()
	var hits []catalog.Hit
	for rows.Next() {
		var (
			snippet string
			rank    float64
		)
		e, err := scanEntry(rows, &snippet, &rank)
		if err != nil {
			return nil, fmt.Errorf("search catalog %s for %q: %w", c.path, q.Text, err)
		}
		// bm25 is lower-is-better; Hit.Score is higher-is-better.
		hits = append(hits, catalog.Hit{Entry: e, Snippet: snippet, Score: -rank})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search catalog %s for %q: %w", c.path, q.Text, err)
	}
	return hits, nil
}
