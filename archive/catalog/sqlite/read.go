package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
)

const getByID = `SELECT ` + selectColumns + ` FROM captures c WHERE c.capture_id = ?`

// Get returns the entry with the capture id, or catalog.ErrNotFound.
func (c *Catalog) Get(ctx context.Context, captureID string) (catalog.Entry, error) {
	row := c.getByID.QueryRowContext(ctx, captureID)
	e, err := scanEntry(row)
	if errors.Is(err, sql.ErrNoRows) {
		return catalog.Entry{}, fmt.Errorf("get capture %s from catalog %s: %w", captureID, c.path, catalog.ErrNotFound)
	}
	if err != nil {
		return catalog.Entry{}, fmt.Errorf("get capture %s from catalog %s: %w", captureID, c.path, err)
	}
	return e, nil
}

// nearestCandidates selects, for one URL, the last capture at or before a
// time and the first after it, once by url_key and once by canonical_key.
// Each branch is a single seek in its (key, fetched_at, capture_id) index;
// an OR of the two keys under one ORDER BY could make the planner walk the
// fetched_at index over the whole table instead.
const nearestCandidates = `SELECT ` + selectColumns + ` FROM captures c WHERE c.id IN (
	SELECT id FROM (SELECT id FROM captures WHERE url_key = ?1 AND fetched_at <= ?2
		ORDER BY fetched_at DESC, capture_id DESC LIMIT 1)
	UNION ALL
	SELECT id FROM (SELECT id FROM captures WHERE canonical_key = ?1 AND fetched_at <= ?2
		ORDER BY fetched_at DESC, capture_id DESC LIMIT 1)
	UNION ALL
	SELECT id FROM (SELECT id FROM captures WHERE url_key = ?1 AND fetched_at > ?2
		ORDER BY fetched_at ASC, capture_id DESC LIMIT 1)
	UNION ALL
	SELECT id FROM (SELECT id FROM captures WHERE canonical_key = ?1 AND fetched_at > ?2
		ORDER BY fetched_at ASC, capture_id DESC LIMIT 1)
)`

// Nearest returns the capture of urlKey (matched against URLKey and
// CanonicalKey) fetched closest to at; a zero at means the latest. When a
// capture before and one after are equally close, the earlier wins; among
// captures fetched at the very same instant, the greatest capture id wins.
func (c *Catalog) Nearest(ctx context.Context, urlKey string, at time.Time) (catalog.Entry, error) {
	if urlKey == "" {
		return catalog.Entry{}, fmt.Errorf("find nearest capture in catalog %s: empty URL key: %w", c.path, catalog.ErrNotFound)
	}
	bound := "9999-12-31T23:59:59.999999999Z" // zero at: everything is "before"
	if !at.IsZero() {
		var err error
		if bound, err = formatTime(at); err != nil {
			return catalog.Entry{}, fmt.Errorf("find nearest capture of %s in catalog %s: %w", urlKey, c.path, err)
		}
	}
	rows, err := c.nearest.QueryContext(ctx, urlKey, bound)
	if err != nil {
		return catalog.Entry{}, fmt.Errorf("find nearest capture of %s in catalog %s: %w", urlKey, c.path, err)
	}
	defer rows.Close()
	var best catalog.Entry
	found := false
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return catalog.Entry{}, fmt.Errorf("find nearest capture of %s in catalog %s: %w", urlKey, c.path, err)
		}
		if !found || catalog.Closer(e, best, at) {
			best, found = e, true
		}
	}
	if err := rows.Err(); err != nil {
		return catalog.Entry{}, fmt.Errorf("find nearest capture of %s in catalog %s: %w", urlKey, c.path, err)
	}
	if !found {
		return catalog.Entry{}, fmt.Errorf("find nearest capture of %s in catalog %s: %w", urlKey, c.path, catalog.ErrNotFound)
	}
	return best, nil
}

// filterSQL returns the conditions f imposes on captures aliased as c, to
// be ANDed, and their arguments. Limit is left to the caller.
func filterSQL(f catalog.Filter) ([]string, []any, error) {
	var (
		conds []string
		args  []any
	)
	if f.URLKey != "" {
		// Two index seeks instead of an OR the planner may turn into a scan.
		conds = append(conds, `c.id IN (SELECT id FROM captures WHERE url_key = ?
			UNION SELECT id FROM captures WHERE canonical_key = ?)`)
		args = append(args, f.URLKey, f.URLKey)
	}
	if f.Host != "" {
		conds = append(conds, `c.host = ?`)
		args = append(args, f.Host)
	}
	if !f.Since.IsZero() {
		s, err := formatTime(f.Since)
		if err != nil {
			return nil, nil, fmt.Errorf("filter Since: %w", err)
		}
		conds = append(conds, `c.fetched_at >= ?`)
		args = append(args, s)
	}
	if !f.Until.IsZero() {
		u, err := formatTime(f.Until)
		if err != nil {
			return nil, nil, fmt.Errorf("filter Until: %w", err)
		}
		conds = append(conds, `c.fetched_at <= ?`)
		args = append(args, u)
	}
	if f.Source != "" {
		conds = append(conds, `c.source = ?`)
		args = append(args, f.Source)
	}
	if f.Tag != "" {
		conds = append(conds, `EXISTS (SELECT 1 FROM json_each(c.tags) WHERE json_each.value = ?)`)
		args = append(args, f.Tag)
	}
	if f.Language != "" {
		conds = append(conds, `c.language = ?`)
		args = append(args, f.Language)
	}
	if f.Author != "" {
		conds = append(conds, `EXISTS (SELECT 1 FROM json_each(c.authors) WHERE instr(lower(json_each.value), lower(?)) > 0)`)
		args = append(args, f.Author)
	}
	if f.PageType != "" {
		conds = append(conds, `c.page_type = ?`)
		args = append(args, f.PageType)
	}
	if !f.PublishedSince.IsZero() {
		s, err := formatTime(f.PublishedSince)
		if err != nil {
			return nil, nil, fmt.Errorf("filter PublishedSince: %w", err)
		}
		conds = append(conds, `c.published >= ?`)
		args = append(args, s)
	}
	if !f.PublishedUntil.IsZero() {
		u, err := formatTime(f.PublishedUntil)
		if err != nil {
			return nil, nil, fmt.Errorf("filter PublishedUntil: %w", err)
		}
		conds = append(conds, `c.published <= ?`)
		args = append(args, u)
	}
	return conds, args, nil
}

// where renders conditions as a WHERE clause, or "" when there are none.
func where(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// List calls fn for each entry matching f, oldest first (by fetch time, then
// capture id), reading rows one at a time. An error from fn stops the
// listing and is returned as is.
func (c *Catalog) List(ctx context.Context, f catalog.Filter, fn func(catalog.Entry) error) error {
	conds, args, err := filterSQL(f)
	if err != nil {
		return fmt.Errorf("list catalog %s: %w", c.path, err)
	}
	query := `SELECT ` + selectColumns + ` FROM captures c` + where(conds) + ` ORDER BY c.fetched_at, c.capture_id`
	if f.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := c.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("list catalog %s: %w", c.path, err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return fmt.Errorf("list catalog %s: %w", c.path, err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list catalog %s: %w", c.path, err)
	}
	return nil
}

// Count returns how many entries match f. A positive f.Limit caps the
// count, so Count(f) is the number of entries List(f) visits.
func (c *Catalog) Count(ctx context.Context, f catalog.Filter) (int, error) {
	conds, args, err := filterSQL(f)
	if err != nil {
		return 0, fmt.Errorf("count catalog %s: %w", c.path, err)
	}
	query := `SELECT count(*) FROM captures c` + where(conds)
	if f.Limit > 0 {
		query = `SELECT count(*) FROM (SELECT 1 FROM captures c` + where(conds) + ` LIMIT ?)`
		args = append(args, f.Limit)
	}
	var n int
	if err := c.reader.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count catalog %s: %w", c.path, err)
	}
	return n, nil
}
