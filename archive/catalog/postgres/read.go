package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/archivist-project/archivist/archive/catalog"
)

// params collects the arguments of a statement being built and names each
// by its position.
type params []any

func (p *params) add(v any) string {
	*p = append(*p, v)
	return "$" + strconv.Itoa(len(*p))
}

// Get returns the entry with the capture id, or catalog.ErrNotFound.
func (c *Catalog) Get(ctx context.Context, captureID string) (catalog.Entry, error) {
	row := c.pool.QueryRow(ctx, `SELECT `+selectColumns+` FROM captures c WHERE c.capture_id = $1`, clean(captureID))
	e, err := scanEntry(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return catalog.Entry{}, fmt.Errorf("get capture %s from catalog %s: %w", captureID, c.where, catalog.ErrNotFound)
	}
	if err != nil {
		return catalog.Entry{}, fmt.Errorf("get capture %s from catalog %s: %w", captureID, c.where, err)
	}
	return e, nil
}

// nearestCandidates selects, for one URL, the last capture at or before a
// time and the first after it, once by url_key and once by canonical_key:
// four single-row seeks in the (key, fetched_at, capture_id) indexes.
const nearestCandidates = `SELECT ` + selectColumns + ` FROM captures c WHERE c.id IN (
	(SELECT id FROM captures WHERE url_key = $1 AND fetched_at <= $2
		ORDER BY fetched_at DESC, capture_id DESC LIMIT 1)
	UNION ALL
	(SELECT id FROM captures WHERE canonical_key = $1 AND fetched_at <= $2
		ORDER BY fetched_at DESC, capture_id DESC LIMIT 1)
	UNION ALL
	(SELECT id FROM captures WHERE url_key = $1 AND fetched_at > $2
		ORDER BY fetched_at ASC, capture_id DESC LIMIT 1)
	UNION ALL
	(SELECT id FROM captures WHERE canonical_key = $1 AND fetched_at > $2
		ORDER BY fetched_at ASC, capture_id DESC LIMIT 1)
)`

// Nearest returns the capture of urlKey (matched against URLKey and
// CanonicalKey) fetched closest to at; a zero at means the latest. Ties
// are broken as in the SQLite backend: the earlier capture, then the
// greatest capture id.
func (c *Catalog) Nearest(ctx context.Context, urlKey string, at time.Time) (catalog.Entry, error) {
	if urlKey == "" {
		return catalog.Entry{}, fmt.Errorf("find nearest capture in catalog %s: empty URL key: %w", c.where, catalog.ErrNotFound)
	}
	bound := pgtype.Timestamptz{Valid: true, InfinityModifier: pgtype.Infinity} // zero at: everything is "before"
	if !at.IsZero() {
		bound = pgtype.Timestamptz{Valid: true, Time: at}
	}
	rows, err := c.pool.Query(ctx, nearestCandidates, clean(urlKey), bound)
	if err != nil {
		return catalog.Entry{}, fmt.Errorf("find nearest capture of %s in catalog %s: %w", urlKey, c.where, err)
	}
	defer rows.Close()
	var best catalog.Entry
	found := false
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return catalog.Entry{}, fmt.Errorf("find nearest capture of %s in catalog %s: %w", urlKey, c.where, err)
		}
		if !found || catalog.Closer(e, best, at) {
			best, found = e, true
		}
	}
	if err := rows.Err(); err != nil {
		return catalog.Entry{}, fmt.Errorf("find nearest capture of %s in catalog %s: %w", urlKey, c.where, err)
	}
	if !found {
		return catalog.Entry{}, fmt.Errorf("find nearest capture of %s in catalog %s: %w", urlKey, c.where, catalog.ErrNotFound)
	}
	return best, nil
}

// filterSQL returns the conditions f imposes on captures aliased as c, to
// be ANDed, adding their arguments to p. Limit is left to the caller.
func filterSQL(f catalog.Filter, p *params) []string {
	var conds []string
	if f.URLKey != "" {
		key := p.add(clean(f.URLKey))
		conds = append(conds, `(c.url_key = `+key+` OR c.canonical_key = `+key+`)`)
	}
	if f.Host != "" {
		conds = append(conds, `c.host = `+p.add(clean(f.Host)))
	}
	if !f.Since.IsZero() {
		conds = append(conds, `c.fetched_at >= `+p.add(f.Since))
	}
	if !f.Until.IsZero() {
		conds = append(conds, `c.fetched_at <= `+p.add(f.Until))
	}
	if f.Source != "" {
		conds = append(conds, `c.source = `+p.add(clean(f.Source)))
	}
	if f.Tag != "" {
		conds = append(conds, `c.tags @> ARRAY[`+p.add(clean(f.Tag))+`]::text[]`)
	}
	if f.Language != "" {
		conds = append(conds, `c.language = `+p.add(clean(f.Language)))
	}
	if f.Author != "" {
		conds = append(conds, `EXISTS (SELECT 1 FROM unnest(c.authors) a WHERE strpos(lower(a), lower(`+p.add(clean(f.Author))+`)) > 0)`)
	}
	if f.PageType != "" {
		conds = append(conds, `c.page_type = `+p.add(clean(f.PageType)))
	}
	if !f.PublishedSince.IsZero() {
		conds = append(conds, `c.published >= `+p.add(f.PublishedSince))
	}
	if !f.PublishedUntil.IsZero() {
		conds = append(conds, `c.published <= `+p.add(f.PublishedUntil))
	}
	return conds
}

// where renders conditions as a WHERE clause, or "" when there are none.
func where(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// List calls fn for each entry matching f, oldest first (by fetch time, then
// capture id), reading rows as the server sends them. An error from fn
// stops the listing and is returned as is.
func (c *Catalog) List(ctx context.Context, f catalog.Filter, fn func(catalog.Entry) error) error {
	var p params
	query := `SELECT ` + selectColumns + ` FROM captures c` + where(filterSQL(f, &p)) + ` ORDER BY c.fetched_at, c.capture_id`
	if f.Limit > 0 {
		query += ` LIMIT ` + p.add(f.Limit)
	}
	return c.stream(ctx, "list", query, p, fn)
}

// stream runs a query of selectColumns and calls fn for each row. The
// connection is held until the last row, so fn may itself query the
// catalog (it gets another connection from the pool).
func (c *Catalog) stream(ctx context.Context, what, query string, p params, fn func(catalog.Entry) error) error {
	rows, err := c.pool.Query(ctx, query, p...)
	if err != nil {
		return fmt.Errorf("%s catalog %s: %w", what, c.where, err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return fmt.Errorf("%s catalog %s: %w", what, c.where, err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s catalog %s: %w", what, c.where, err)
	}
	return nil
}

// Count returns how many entries match f. A positive f.Limit caps the
// count, so Count(f) is the number of entries List(f) visits.
func (c *Catalog) Count(ctx context.Context, f catalog.Filter) (int, error) {
	var p params
	conds := where(filterSQL(f, &p))
	query := `SELECT count(*) FROM captures c` + conds
	if f.Limit > 0 {
		query = `SELECT count(*) FROM (SELECT 1 FROM captures c` + conds + ` LIMIT ` + p.add(f.Limit) + `) s`
	}
	var n int
	if err := c.pool.QueryRow(ctx, query, p...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count catalog %s: %w", c.where, err)
	}
	return n, nil
}
