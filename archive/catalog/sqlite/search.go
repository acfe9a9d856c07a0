package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/catalog/query"
)

const (
	defaultSearchLimit = 20
	// maxSearchLimit bounds one page of hits: each hit carries the full
	// article text.
	maxSearchLimit = 1000
)

// searchRanking is BM25 (rankFunc) over title, text, host and the grams
// of title and text, followed by the IDFs of the query's phrases. A title
// match weighs five times a text match: a term in the headline says more
// about what an article is about than one in its body; a phrase found
// through grams weighs as it would in its column. The host column only
// serves the host filter and weighs nothing.
const searchRanking = rankFunc + `(captures_fts, 5.0, 1.0, 0.0, 5.0, 1.0`

// defaultIDFSample is how many of the newest captures a phrase's IDF is
// counted in. Counting it in the whole catalog, as FTS5's bm25() does,
// was the floor of a search's time at a million captures (see rankFunc);
// in the sample it costs what it costs in a catalog of this size, however
// large the catalog grows. Sampling moves the IDF of a phrase found in a
// few hundred of them by about 1 %; what it weighs by is the vocabulary
// of the newest captures, not of the whole catalog. Newest, because the
// newest matches are the ones ranked (see catalog.RankWindow), and
// because in a news archive the words that are common change with the
// news. In a catalog of at most this many captures the sample is the
// whole catalog, so the ranking is exactly bm25()'s.
const defaultIDFSample = 100000

// hintScanLimit bounds the index scan that finds the rowid range a
// filter's captures lie in (see rowidHint).
const hintScanLimit = 100000

// Search runs a ranked full-text query over title and text; see
// catalog.Query for the syntax. Hits come best first (ties: newest first,
// then by capture id), ranked within windows of the latest matches (see
// catalog.RankWindow). A query with nothing searchable in it (only
// punctuation, or only exclusions) returns no hits and no error.
// q.Filter.Limit is ignored; q.Limit (default 20, at most 1000) pages.
func (c *Catalog) Search(ctx context.Context, q catalog.Query) ([]catalog.Hit, error) {
	expr := parseSearch(q.Text)
	if expr.empty() {
		return nil, nil
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultSearchLimit
	}
	limit = min(limit, maxSearchLimit)
	offset := max(q.Offset, 0)
	// One read transaction: every step sees the same snapshot.
	tx, err := c.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("search catalog %s for %q: %w", c.path, q.Text, err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	s, err := newSearcher(ctx, tx, expr, q.Filter, c.rankWindow, c.idfSample)
	if err != nil {
		return nil, fmt.Errorf("search catalog %s for %q: %w", c.path, q.Text, err)
	}
	var page []ranked
	size := s.size
	for w := offset / size; w <= (offset+limit-1)/size; w++ {
		got, found, err := s.window(ctx, w, offset+limit-w*size)
		if err != nil {
			return nil, fmt.Errorf("search catalog %s for %q: %w", c.path, q.Text, err)
		}
		if !found {
			break
		}
		page = append(page, got[min(len(got), max(0, offset-w*size)):]...)
	}
	hits, err := s.hits(ctx, page)
	if err != nil {
		return nil, fmt.Errorf("search catalog %s for %q: %w", c.path, q.Text, err)
	}
	return hits, nil
}

// ranked is one match and its BM25 rank (lower is better).
type ranked struct {
	id   int64
	rank float64
}

// searcher runs the steps of one search.
type searcher struct {
	tx   *sql.Tx
	size int // matches per ranking window
	// terms is the user's query, for snippets; match is the query that
	// finds the same captures faster (common grams) with the host filter.
	terms, match string
	// from and where select the matches passing the filter; args are
	// where's arguments after the MATCH.
	from, where string
	args        []any
	joined      bool // from joins captures, for the filter
	// ranking is the SQL of a match's rank; rankArgs its arguments, the
	// IDFs of the phrases of match.
	ranking  string
	rankArgs []any
}

func newSearcher(ctx context.Context, tx *sql.Tx, expr searchExpr, f catalog.Filter, window, sample int) (*searcher, error) {
	s := &searcher{tx: tx, terms: expr.fts5(), match: expr.fts5Match(), from: `captures_fts`, size: window}
	// The phrases of match, in its order: the terms that can match, the
	// excluded terms, the host. Only the first can occur in a match, so
	// only their IDFs count; the others weigh nothing whatever their IDF.
	idfs, err := phraseIDFs(ctx, tx, expr.rankedPhrases(), sample)
	if err != nil {
		return nil, err
	}
	for range expr.Excluded {
		idfs = append(idfs, 0)
	}
	if query.Searchable(f.Host) {
		// ^ anchors the phrase at the column's first token; the exact
		// comparison below rules out hosts that merely contain it.
		s.match = `(` + s.match + `) AND host : ^` + fts5String(f.Host)
		idfs = append(idfs, 0)
	}
	s.ranking = searchRanking + strings.Repeat(", ?", len(idfs)) + `)`
	for _, v := range idfs {
		s.rankArgs = append(s.rankArgs, v)
	}
	conds, args, err := filterSQL(f)
	if err != nil {
		return nil, err
	}
	if len(conds) > 0 {
		h, err := rowidHint(ctx, tx, f, conds, args)
		if err != nil {
			return nil, err
		}
		switch {
		case h.whole:
			// Every rowid in the range passes the filter: the range
			// alone is the filter, and no match is looked up in
			// captures.
			conds, args = nil, nil
		case !h.ok:
		default:
			conds = append(conds, `captures_fts.rowid BETWEEN ? AND ?`)
			args = append(args, h.lo, h.hi)
		}
		if len(conds) > 0 {
			// CROSS JOIN keeps FTS5 as the outer loop: the other order
			// would run the full-text query once per candidate row.
			s.from += ` CROSS JOIN captures c ON c.id = captures_fts.rowid`
			s.joined = true
		} else {
			conds, args = []string{`captures_fts.rowid BETWEEN ? AND ?`}, []any{h.lo, h.hi}
		}
	}
	s.where = strings.Join(append([]string{`captures_fts MATCH ?`}, conds...), " AND ")
	s.args = args
	return s, nil
}

// phraseIDFs returns the IDF of each phrase (an FTS5 query of one phrase)
// among the newest sample captures, or all of them when there are no more.
func phraseIDFs(ctx context.Context, tx *sql.Tx, phrases []string, sample int) ([]float64, error) {
	// The docsize table has a small row per capture: finding the sample's
	// oldest rowid walks sample entries of its index, not the captures.
	var first int64
	n := int64(sample)
	err := tx.QueryRowContext(ctx, `SELECT id FROM captures_fts_docsize ORDER BY id DESC LIMIT 1 OFFSET ?`, sample-1).Scan(&first)
	if errors.Is(err, sql.ErrNoRows) {
		first = math.MinInt64
		err = tx.QueryRowContext(ctx, `SELECT count(*) FROM captures_fts_docsize`).Scan(&n)
	}
	if err != nil {
		return nil, fmt.Errorf("size the sample for term weights: %w", err)
	}
	idfs := make([]float64, len(phrases))
	counted := make(map[string]float64, len(phrases))
	for i, p := range phrases {
		if v, ok := counted[p]; ok {
			idfs[i] = v
			continue
		}
		var df int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM captures_fts WHERE captures_fts MATCH ? AND rowid >= ?`, p, first).Scan(&df); err != nil {
			return nil, fmt.Errorf("count %s for its weight: %w", p, err)
		}
		idfs[i] = idf(df, n)
		counted[p] = idfs[i]
	}
	return idfs, nil
}

// hint is the range of rowids of the captures a filter selects.
type hint struct {
	lo, hi int64
	ok     bool // the range is known
	// whole: every rowid in the range is a capture the filter selects.
	whole bool
}

// rowidHint returns the range of rowids of the captures f selects, when
// an index finds them and there are at most hintScanLimit. FTS5 skips
// straight to a rowid range, so a filter on a period (whose captures were
// indexed together, in the order they were fetched) then reads only that
// period's part of each doclist; when the period's captures are all the
// rowids of the range, the range is the whole filter.
func rowidHint(ctx context.Context, tx *sql.Tx, f catalog.Filter, conds []string, args []any) (hint, error) {
	if f.Since.IsZero() && f.Until.IsZero() && f.Host == "" && f.Source == "" && f.URLKey == "" {
		return hint{}, nil // no index to find the captures by
	}
	var n int64
	var first, last sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT count(*), min(id), max(id) FROM (SELECT c.id FROM captures c`+
		where(conds)+` LIMIT ?)`, append(args, hintScanLimit+1)...).Scan(&n, &first, &last)
	if err != nil || n > hintScanLimit {
		return hint{}, err
	}
	if n == 0 {
		// An empty range: nothing passes the filter.
		return hint{lo: 1, hi: 0, ok: true, whole: true}, nil
	}
	h := hint{lo: first.Int64, hi: last.Int64, ok: true}
	h.whole = n == h.hi-h.lo+1
	return h, nil
}

// window ranks window w: the s.size matches from position w*s.size on, in
// newest-indexed (rowid descending) order. It returns the best want of
// them in hit order, or false when there are no matches that far.
//
// One pass: FTS5 walks the matches backwards from the window's start and
// ranks exactly the window's s.size, which the outer query sorts.
func (s *searcher) window(ctx context.Context, w, want int) ([]ranked, bool, error) {
	cond := s.where
	args := append([]any{s.match}, s.args...)
	if w > 0 {
		hi, found, err := s.rowidAt(ctx, w*s.size)
		if err != nil || !found {
			return nil, false, err
		}
		cond += ` AND captures_fts.rowid <= ?`
		args = append(args, hi)
	}
	args = append(args, s.size)
	want = min(want, s.size)
	if s.joined {
		out, err := s.rank(ctx, s.rankedSQL(cond, ``), append(args, want)...)
		return out, true, err
	}
	// Rank alone first, so that the window's matches are not each looked
	// up in captures: only the best want, plus a few in case of ties,
	// whose order depends on fetch time and capture id.
	const tieSlack = 8
	best, err := s.rank(ctx, s.rankedSQL(cond, ``), append(args, want+tieSlack)...)
	if err != nil || len(best) <= want {
		out, err := s.breakTies(ctx, best, want, err)
		return out, true, err
	}
	if cut := best[want-1].rank; best[len(best)-1].rank == cut {
		// The tie runs past what was read: take every match ranked as
		// well as the last wanted one (identical copies of a text rank
		// alike).
		best, err = s.rank(ctx, s.rankedSQL(cond, `WHERE r <= ?`), append(args, cut, s.size)...)
	} else {
		for len(best) > want && best[len(best)-1].rank > cut {
			best = best[:len(best)-1]
		}
	}
	out, err := s.breakTies(ctx, best, want, err)
	return out, true, err
}

// rankedSQL selects the rowids and ranks of the newest matches meeting
// cond, as many as its next-to-last argument, and returns them best first,
// as many as its last; outer filters the ranked rows. When the filter
// joins captures anyway, the tie-break columns are sorted on at once.
func (s *searcher) rankedSQL(cond, outer string) string {
	if s.joined {
		return `SELECT id, r FROM (SELECT captures_fts.rowid AS id, ` + s.ranking + ` AS r,
			c.fetched_at AS fetched_at, c.capture_id AS capture_id FROM ` + s.from + ` WHERE ` + cond + `
			ORDER BY captures_fts.rowid DESC LIMIT ?) ` + outer + `
			ORDER BY r, fetched_at DESC, capture_id LIMIT ?`
	}
	return `SELECT id, r FROM (SELECT rowid AS id, ` + s.ranking + ` AS r FROM captures_fts WHERE ` + cond + `
		ORDER BY rowid DESC LIMIT ?) ` + outer + ` ORDER BY r LIMIT ?`
}

// rank runs a query of rowids and ranks (rankedSQL): its first arguments
// are the ranking's, args the rest.
func (s *searcher) rank(ctx context.Context, query string, args ...any) ([]ranked, error) {
	rows, err := s.tx.QueryContext(ctx, query, append(slices.Clip(s.rankArgs), args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ranked
	for rows.Next() {
		var r ranked
		if err := rows.Scan(&r.id, &r.rank); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// breakTies orders matches by rank, then newest first, then capture id,
// and keeps the first want.
func (s *searcher) breakTies(ctx context.Context, rs []ranked, want int, err error) ([]ranked, error) {
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	ids := make([]int64, len(rs))
	for i, r := range rs {
		ids[i] = r.id
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := s.tx.QueryContext(ctx, `SELECT id, fetched_at, capture_id FROM captures
		WHERE id IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type key struct{ fetched, captureID string }
	keys := make(map[int64]key, len(rs))
	for rows.Next() {
		var id int64
		var k key
		if err := rows.Scan(&id, &k.fetched, &k.captureID); err != nil {
			return nil, err
		}
		keys[id] = k
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(rs, func(a, b ranked) int {
		ka, kb := keys[a.id], keys[b.id]
		return cmp.Or(cmp.Compare(a.rank, b.rank), -strings.Compare(ka.fetched, kb.fetched), strings.Compare(ka.captureID, kb.captureID))
	})
	return rs[:min(len(rs), want)], nil
}

// rowidAt returns the rowid of the match at position pos (from 0) in
// rowid descending order, or false when there are not that many. It reads
// rowids alone: FTS5 walks its doclists backwards without ranking.
func (s *searcher) rowidAt(ctx context.Context, pos int) (int64, bool, error) {
	var id int64
	err := s.tx.QueryRowContext(ctx, s.rowidAtSQL(), append(append([]any{s.match}, s.args...), pos)...).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	return id, err == nil, err
}

// rowidAtSQL selects the rowid at an offset among the matches.
func (s *searcher) rowidAtSQL() string {
	return `SELECT captures_fts.rowid FROM ` + s.from + ` WHERE ` + s.where + `
		ORDER BY captures_fts.rowid DESC LIMIT 1 OFFSET ?`
}

// hitsSQL reads the entries and snippets of a list of rowids. It matches
// the user's terms alone: the snippet must come from the title or text,
// never from the host column a host filter matched.
const hitsSQL = `SELECT ` + selectColumns + `, captures_fts.rowid,
	snippet(captures_fts, -1, '[', ']', '…', 30)
	FROM captures_fts JOIN captures c ON c.id = captures_fts.rowid
	WHERE captures_fts MATCH ? AND captures_fts.rowid IN (SELECT value FROM json_each(?))`

// hits reads the entries and snippets of a page of matches, in order.
func (s *searcher) hits(ctx context.Context, page []ranked) ([]catalog.Hit, error) {
	if len(page) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(page))
	for i, r := range page {
		ids[i] = r.id
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := s.tx.QueryContext(ctx, hitsSQL, s.terms, string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byID := make(map[int64]catalog.Hit, len(page))
	for rows.Next() {
		var (
			id      int64
			snippet string
		)
		e, err := scanEntry(rows, &id, &snippet)
		if err != nil {
			return nil, err
		}
		byID[id] = catalog.Hit{Entry: e, Snippet: snippet}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	hits := make([]catalog.Hit, 0, len(page))
	for _, r := range page {
		if h, ok := byID[r.id]; ok {
			// BM25's rank is lower-is-better; Hit.Score is higher-is-better.
			h.Score = -r.rank
			hits = append(hits, h)
		}
	}
	return hits, nil
}
