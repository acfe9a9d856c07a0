package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/catalog/query"
)

const (
	defaultSearchLimit = 20
	// maxSearchLimit bounds one page of hits: each hit carries the full
	// article text.
	maxSearchLimit = 1000
)

// rankWeights are ts_rank's weights for D, C, B and A: a title match (A)
// weighs five times a text match (B), as in the SQLite backend's BM25.
const rankWeights = `'{0, 0, 0.2, 1.0}'`

// rankNormalization 1 divides the rank by 1 + log(document length), so a
// long article does not win by length alone (BM25 normalises too).
const rankNormalization = 1

// headlineOptions make ts_headline's snippets look like the SQLite
// backend's: matches in [brackets], an excerpt of about 30 words.
const headlineOptions = `StartSel=[, StopSel=], MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "`

// headlineChars bounds the text ts_headline reads: it parses the whole
// document it is given.
const headlineChars = 100000

// matchesSQL selects the ids of the captures q matches, one language at a
// time: the LATERAL subquery (kept from being flattened by OFFSET 0) runs
// once per configuration in use, each run a bitmap scan of the GIN index
// with that language's tsquery. A plain join lets the planner hash the
// whole captures table against the few configurations instead.
const matchesSQL = `SELECT h.id FROM q CROSS JOIN LATERAL (
	SELECT m.id FROM captures m WHERE m.ts_config = q.cfg AND m.fts @@ q.tsq OFFSET 0) h`

// queriesCTE renders expr as one tsquery per text search configuration in
// use (catalog_ts_configs): a CTE named q with columns cfg and tsq. Every
// term is a parameter passed to phraseto_tsquery, so no input is read as
// tsquery syntax, and a word the parser splits ("covid-19") is a phrase.
//
// The configurations come through unnest of an array, which the planner
// expects to be short (the table itself is tiny and seldom analyzed, so
// its row estimate is wild and would make every search look expensive).
//
// A configuration whose positive part comes out empty (only stop words of
// that language) is left out rather than matching everything; exclusions
// that come out empty are dropped.
func queriesCTE(expr query.Expr, p *params) string {
	term := func(t query.Term) string { return `phraseto_tsquery(t.config, ` + p.add(t.Text) + `)` }
	alternatives := func(terms []query.Term) string {
		parts := make([]string, len(terms))
		for i, t := range terms {
			parts[i] = term(t)
		}
		return "(" + strings.Join(parts, " || ") + ")"
	}
	groups := make([]string, len(expr.Groups))
	for i, g := range expr.Groups {
		groups[i] = alternatives(g)
	}
	pos := strings.Join(groups, " && ")
	neg := `NULL::tsquery`
	if len(expr.Excluded) > 0 {
		neg = alternatives(expr.Excluded)
	}
	return `q AS MATERIALIZED (
		SELECT cfg, CASE WHEN neg IS NULL OR numnode(neg) = 0 THEN pos ELSE pos && !!neg END AS tsq
		FROM (SELECT t.config AS cfg, ` + pos + ` AS pos, ` + neg + ` AS neg
			FROM unnest((SELECT array_agg(config) FROM catalog_ts_configs)) AS t(config)) parts
		WHERE numnode(pos) > 0
	)`
}

// Search runs a ranked full-text query over title and text; see
// catalog.Query for the syntax. Hits come best first (ties: newest first,
// then by capture id), ranked within windows of the latest matches (see
// catalog.RankWindow; "latest" is the highest id, the order captures were
// indexed in). A query with nothing searchable in it (only punctuation,
// or only exclusions) returns no hits and no error. q.Filter.Limit is
// ignored; q.Limit (default 20, at most 1000) pages.
func (c *Catalog) Search(ctx context.Context, q catalog.Query) ([]catalog.Hit, error) {
	expr := query.Parse(q.Text)
	if expr.Empty() {
		return nil, nil
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultSearchLimit
	}
	limit = min(limit, maxSearchLimit)
	offset := max(q.Offset, 0)
	var hits []catalog.Hit
	// One snapshot for every window's queries.
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	err := pgx.BeginTxFunc(ctx, c.pool, opts, func(tx pgx.Tx) error {
		size := c.rankWindow
		for w := offset / size; w <= (offset+limit-1)/size; w++ {
			var bounds window
			if w > 0 {
				hi, found, err := idAt(ctx, tx, expr, q.Filter, w*size)
				if err != nil || !found {
					return err
				}
				bounds.hi = &hi
			}
			lo, full, err := idAt(ctx, tx, expr, q.Filter, (w+1)*size-1)
			if err != nil {
				return err
			}
			if full {
				bounds.lo = &lo
			}
			skip := max(offset-w*size, 0)
			page, err := rankWindow(ctx, tx, expr, q.Filter, bounds, min(offset+limit-w*size, size)-skip, skip)
			if err != nil {
				return err
			}
			hits = append(hits, page...)
			if !full {
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("search catalog %s for %q: %w", c.where, q.Text, err)
	}
	return hits, nil
}

// window bounds the ids of one ranking window; nil is unbounded.
type window struct{ lo, hi *int64 }

// matchConds are the conditions on captures c of the matches of q that
// pass f, within w.
func matchConds(f catalog.Filter, w window, p *params) string {
	conds := append([]string{`c.ts_config = q.cfg`, `c.fts @@ q.tsq`}, filterSQL(f, p)...)
	if w.lo != nil {
		conds = append(conds, `c.id >= `+p.add(*w.lo))
	}
	if w.hi != nil {
		conds = append(conds, `c.id <= `+p.add(*w.hi))
	}
	return strings.Join(conds, " AND ")
}

// idAt returns the id of the match at position pos (from 0) in id
// descending order, or false when there are not that many. It reads ids
// alone, without ranking.
func idAt(ctx context.Context, tx pgx.Tx, expr query.Expr, f catalog.Filter, pos int) (int64, bool, error) {
	var p params
	cte := queriesCTE(expr, &p)
	sql := `WITH ` + cte + `
		SELECT h.id FROM q CROSS JOIN LATERAL (
			SELECT c.id FROM captures c WHERE ` + matchConds(f, window{}, &p) + ` OFFSET 0) h
		ORDER BY h.id DESC LIMIT 1 OFFSET ` + p.add(pos)
	var id int64
	err := tx.QueryRow(ctx, sql, p...).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

// rankWindow returns the hits ranked skip+1 to skip+n within w.
func rankWindow(ctx context.Context, tx pgx.Tx, expr query.Expr, f catalog.Filter, w window, n, skip int) ([]catalog.Hit, error) {
	if n <= 0 {
		return nil, nil
	}
	var p params
	cte := queriesCTE(expr, &p)
	sql := `WITH ` + cte + `, m AS (
			SELECT h.id, q.cfg, q.tsq, h.rank, h.fetched_at, h.capture_id
			FROM q CROSS JOIN LATERAL (
				SELECT c.id, ts_rank(` + rankWeights + `, c.fts, q.tsq, ` + fmt.Sprint(rankNormalization) + `) AS rank,
					c.fetched_at, c.capture_id
				FROM captures c WHERE ` + matchConds(f, w, &p) + `
				OFFSET 0
			) h
			ORDER BY h.rank DESC, h.fetched_at DESC, h.capture_id
			LIMIT ` + p.add(n) + ` OFFSET ` + p.add(skip) + `
		)
		SELECT ` + selectColumns + `,
			ts_headline(m.cfg, left(c.title || E'\n' || c.text, ` + fmt.Sprint(headlineChars) + `), m.tsq, '` + headlineOptions + `'),
			m.rank
		FROM m JOIN captures c ON c.id = m.id
		ORDER BY m.rank DESC, m.fetched_at DESC, m.capture_id`
	rows, err := tx.Query(ctx, sql, p...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var hits []catalog.Hit
	for rows.Next() {
		var (
			snippet string
			rank    float32
		)
		e, err := scanEntry(rows, &snippet, &rank)
		if err != nil {
			return nil, err
		}
		hits = append(hits, catalog.Hit{Entry: e, Snippet: snippet, Score: float64(rank)})
	}
	return hits, rows.Err()
}

// parseFor parses text for tests and tools that build their own queries.
func parseFor(text string) query.Expr { return query.Parse(text) }
