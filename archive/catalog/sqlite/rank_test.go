package sqlite

import (
	"database/sql"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
)

// rankCorpus fills c with n captures of text drawn from a small
// vocabulary: common words (which the grams index), content words of
// every frequency, a hyphenated word FTS5 splits, accented words, over
// three hosts. Capture i holds "early" when i < n/4 and "late" when
// i >= 3n/4, so that the newest captures differ from the whole.
func rankCorpus(t *testing.T, c *Catalog, n int) {
	t.Helper()
	common := []string{"the", "of", "and", "to", "in", "that", "was", "for", "with", "they"}
	content := []string{"harbour", "ferry", "council", "budget", "storm", "minister", "covid-19", "café", "election", "river", "court", "vote"}
	rng := rand.New(rand.NewPCG(1, 2))
	when := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var batch []catalog.Entry
	for i := range n {
		e := entry(captureID(when, i), when.Add(time.Duration(i)*time.Hour))
		e.Host = []string{"news.example", "daily.example", "wire.example"}[i%3]
		var words []string
		for j := range 20 + rng.IntN(200) {
			if j%2 == 0 {
				words = append(words, common[rng.IntN(len(common))])
			} else {
				// Skewed: the first content words are far more frequent.
				words = append(words, content[min(rng.IntN(len(content)), rng.IntN(len(content)))])
			}
		}
		switch {
		case i < n/4:
			words = append(words, "early")
		case i >= 3*n/4:
			words = append(words, "late")
		}
		e.Text = strings.Join(words, " ")
		e.Title = strings.Join(words[:1+rng.IntN(6)], " ")
		batch = append(batch, e)
	}
	if err := c.PutBatch(t.Context(), batch); err != nil {
		t.Fatalf("PutBatch: %v", err)
	}
}

// rankQueries are queries of every shape the query language has.
var rankQueries = []string{
	`harbour`, `ferry council`, `"harbour ferry"`, `"of the"`, `"the harbour"`,
	`"that they were"`, `harbour OR storm`, `harbour -ferry`, `harbour ferry OR vote -court`,
	`covid-19`, `"covid-19" cafe`, `café`, `early`, `late harbour`, `harbour harbour`,
	`"the" OR "of" river`, `nosuchword`, `harbour nosuchword`, `nosuchword OR storm`,
	// More phrases than rankFunc counts without allocating.
	`harbour OR ferry OR council OR budget OR storm OR minister OR election OR river OR court OR vote OR ` +
		`early OR late OR café OR covid-19 OR "the harbour" OR "of the" OR "that they" OR nosuchword -was`,
}

// TestRankMatchesBM25 checks rankFunc against FTS5's bm25() on every match
// of queries of every shape, with and without a host filter: when the
// sample holds the whole catalog, the two must agree.
func TestRankMatchesBM25(t *testing.T) {
	c := openTemp(t)
	rankCorpus(t, c, 300)
	ctx := t.Context()
	tx, err := c.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	compared := 0
	for _, host := range []string{"", "daily.example"} {
		for _, q := range rankQueries {
			s, err := newSearcher(ctx, tx, parseSearch(q), catalog.Filter{Host: host}, 10, defaultIDFSample)
			if err != nil {
				t.Fatalf("newSearcher(%q): %v", q, err)
			}
			rows, err := tx.QueryContext(ctx, `SELECT rowid, bm25(captures_fts, 5.0, 1.0, 0.0, 5.0, 1.0), `+s.ranking+`
				FROM captures_fts WHERE captures_fts MATCH ?`, append(s.rankArgs, s.match)...)
			if err != nil {
				t.Fatalf("rank %q (host %q): %v", q, host, err)
			}
			matches := 0
			for rows.Next() {
				var id int64
				var want, got float64
				if err := rows.Scan(&id, &want, &got); err != nil {
					t.Fatal(err)
				}
				if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
					t.Errorf("%q (host %q), capture %d: %s = %v, bm25 = %v", q, host, id, rankFunc, got, want)
				}
				matches++
			}
			if err := rows.Err(); err != nil {
				t.Fatalf("rank %q (host %q): %v", q, host, err)
			}
			rows.Close()
			compared += matches
		}
	}
	if compared < 1000 {
		t.Fatalf("compared %d ranks; the corpus should match far more", compared)
	}
}

// TestRankIDFsFromTheNewestCaptures checks that a phrase's IDF is counted
// in the newest captures only when the catalog holds more than the
// sample, whatever holes deletions left in the rowids.
func TestRankIDFsFromTheNewestCaptures(t *testing.T) {
	c := openTemp(t)
	rankCorpus(t, c, 200) // "early" in ids 1-50, "late" in ids 151-200
	ctx := t.Context()
	// Holes among the newest: the sample reaches further back to make up
	// its size.
	if _, err := c.writer.ExecContext(ctx, `DELETE FROM captures WHERE id > 150 AND id % 10 = 0`); err != nil {
		t.Fatal(err)
	}
	tx, err := c.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	count := func(word string, minID int64) int64 {
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM captures WHERE id >= ? AND text LIKE ?`, minID, "% "+word).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, tc := range []struct {
		sample int
		// first is the oldest rowid the sample holds; n its size.
		first, n int64
	}{
		{sample: 40, first: 156, n: 40},  // 45 left above 150; the newest 40 start at 156
		{sample: 100, first: 96, n: 100}, // 55 below 151 make up the rest
		{sample: 1000, first: 1, n: 195}, // the whole catalog
	} {
		idfs, err := phraseIDFs(ctx, tx, []string{`{title text} : "early"`, `{title text} : "late"`, `{title text} : "early"`}, tc.sample)
		if err != nil {
			t.Fatal(err)
		}
		early, late := count("early", tc.first), count("late", tc.first)
		want := []float64{idf(early, tc.n), idf(late, tc.n), idf(early, tc.n)}
		for i := range want {
			if math.Abs(idfs[i]-want[i]) > 1e-12 {
				t.Errorf("sample %d: IDFs %v, want %v (early in %d, late in %d of %d)", tc.sample, idfs, want, early, late, tc.n)
				break
			}
		}
	}
	// The sample is what Search ranks with. In the newest 40 captures
	// "early" is in none (it weighs as the rarest word) and "late" in all
	// (it weighs nothing), so every hit ranked first must hold "early".
	c.idfSample = 40
	hits, err := c.Search(ctx, catalog.Query{Text: "early OR late", Limit: 5})
	if err != nil || len(hits) != 5 {
		t.Fatalf("Search: %d hits, %v; want 5", len(hits), err)
	}
	for i, h := range hits {
		if !strings.HasSuffix(h.Entry.Text, " early") {
			t.Errorf("hit %d (%s) does not hold \"early\": the sample's weights were not used", i, h.Entry.CaptureID)
		}
	}
}

// TestRankRejectsMissingIDFs: a call whose arguments do not cover every
// phrase of the query fails with a message saying so, rather than rank
// with weights that belong to other phrases.
func TestRankRejectsMissingIDFs(t *testing.T) {
	c := openTemp(t)
	rankCorpus(t, c, 20)
	var r float64
	err := c.reader.QueryRowContext(t.Context(), `SELECT `+rankFunc+`(captures_fts, 5.0, 1.0, 0.0, 5.0, 1.0, 2.0)
		FROM captures_fts WHERE captures_fts MATCH '"the" "of"' LIMIT 1`).Scan(&r)
	if err == nil || !strings.Contains(err.Error(), "2 phrases") {
		t.Fatalf("rank with one IDF for two phrases: %v, want an error naming 2 phrases", err)
	}
}
