package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/catalog/catalogtest"
	"github.com/archivist-project/archivist/archive/pgdb"
	"github.com/archivist-project/archivist/archive/pgdb/pgtest"
)

var pg pgtest.Shared

func TestMain(m *testing.M) { pg.Main(m) }

// migrated returns the URL of a fresh database with the catalog schema.
func migrated(t testing.TB) string {
	t.Helper()
	return pg.Server(t).MigratedDatabase(t, Schema())
}

func openTemp(t testing.TB) *Catalog {
	t.Helper()
	c, err := Open(t.Context(), migrated(t), nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestSuite(t *testing.T) {
	catalogtest.Run(t, func(t *testing.T) catalog.Catalog { return openTemp(t) })
}

func entry(id string, fetched time.Time) catalog.Entry {
	return catalog.Entry{
		CaptureID: id,
		URL:       "https://news.example/" + id,
		URLKey:    "https://news.example/" + id,
		Host:      "news.example",
		FetchedAt: fetched,
		Title:     "Story " + id,
		Text:      "Text of story " + id,
	}
}

func rawPool(t *testing.T, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgdb.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// TestSchemaVersions: Open refuses a database without the schema (naming
// `archivist migrate`) and one a newer archivist migrated (naming the
// upgrade); migrating twice changes nothing.
func TestSchemaVersions(t *testing.T) {
	dsn := pg.Server(t).NewDatabase(t)
	_, err := Open(t.Context(), dsn, nil)
	if !errors.Is(err, pgdb.ErrSchemaBehind) || !strings.Contains(err.Error(), "run `archivist migrate --db URL`") {
		t.Fatalf("Open of an empty database = %v, want ErrSchemaBehind naming archivist migrate", err)
	}
	pool := rawPool(t, dsn)
	applied, err := pgdb.Migrate(t.Context(), pool, nil, Schema())
	if err != nil || len(applied) != len(Schema().Migrations) {
		t.Fatalf("first Migrate = %v, %v; want every migration applied", applied, err)
	}
	c, err := Open(t.Context(), dsn, nil)
	if err != nil {
		t.Fatalf("Open after migrate: %v", err)
	}
	e := entry("20250301T120000Z-AAAAAAAAAA", time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	if err := c.Put(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if applied, err := pgdb.Migrate(t.Context(), pool, nil, Schema()); err != nil || len(applied) != 0 {
		t.Fatalf("second Migrate = %v, %v; want nothing to do", applied, err)
	}
	c, err = Open(t.Context(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(t.Context(), e.CaptureID); err != nil || got.Title != e.Title {
		t.Fatalf("Get after second migrate = %q, %v", got.Title, err)
	}
	c.Close()

	future := Schema().Latest() + 5
	if _, err := pool.Exec(t.Context(), `INSERT INTO archivist_schema (component, version, name) VALUES ('catalog', $1, 'from the future')`, future); err != nil {
		t.Fatal(err)
	}
	_, err = Open(t.Context(), dsn, nil)
	want := fmt.Sprintf("has catalog schema version %d, this archivist knows up to %d: upgrade archivist", future, Schema().Latest())
	if !errors.Is(err, pgdb.ErrSchemaAhead) || !strings.Contains(err.Error(), want) {
		t.Fatalf("Open of a newer schema = %v, want ErrSchemaAhead containing %q", err, want)
	}
	if _, err := pgdb.Migrate(t.Context(), pool, nil, Schema()); !errors.Is(err, pgdb.ErrSchemaAhead) {
		t.Fatalf("Migrate of a newer schema = %v, want ErrSchemaAhead", err)
	}
}

// TestConcurrentMigrate: replicas or operators running `archivist migrate`
// at once apply each migration exactly once.
func TestConcurrentMigrate(t *testing.T) {
	dsn := pg.Server(t).NewDatabase(t)
	errs := make(chan error, 4)
	counts := make(chan int, 4)
	for range 4 {
		go func() {
			pool, err := pgdb.Connect(context.Background(), dsn)
			if err != nil {
				errs <- err
				counts <- 0
				return
			}
			defer pool.Close()
			applied, err := pgdb.Migrate(context.Background(), pool, nil, Schema())
			errs <- err
			counts <- len(applied)
		}()
	}
	total := 0
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("Migrate: %v", err)
		}
		total += <-counts
	}
	if total != len(Schema().Migrations) {
		t.Fatalf("four concurrent migrations applied %d migrations, want %d (each once)", total, len(Schema().Migrations))
	}
}

// TestLanguageAwareSearch: captures are stemmed in their own language,
// accents fold in every language, and an unknown language is matched word
// for word.
func TestLanguageAwareSearch(t *testing.T) {
	c := openTemp(t)
	when := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	en := entry("20250301T120000Z-ENGLISH000", when)
	en.Language, en.Title, en.Text = "en", "Elections delayed", "The ministers were running late for the elections."
	de := entry("20250301T120001Z-GERMAN0000", when.Add(time.Second))
	de.Language, de.Title, de.Text = "de", "Wahlen verschoben", "Die Ministerinnen kamen zu spät zu den Wahlen in Zürich."
	un := entry("20250301T120002Z-UNKNOWN000", when.Add(2*time.Second))
	un.Language, un.Title, un.Text = "", "Elections abroad", "Observers watched the elections."
	fr := entry("20250301T120003Z-FRENCH0000", when.Add(3*time.Second))
	fr.Language, fr.Title, fr.Text = "fr-CA", "Les élections", "Les électeurs du Québec ont voté."
	for _, e := range []catalog.Entry{en, de, un, fr} {
		if err := c.Put(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		// English stemming: election finds elections; "run" finds running.
		// French élections stem (accent folded) to the same word.
		{"election", []string{en.CaptureID, fr.CaptureID}},
		{"run", []string{en.CaptureID}},
		// The unknown-language capture matches the exact word only.
		{"elections", []string{en.CaptureID, un.CaptureID, fr.CaptureID}},
		// German stemming and accent folding.
		{"wahl", []string{de.CaptureID}},
		{"zurich", []string{de.CaptureID}},
		{"ZÜRICH", []string{de.CaptureID}},
		// French with a region subtag; accents fold.
		{"electeur", []string{fr.CaptureID}},
		{"quebec", []string{fr.CaptureID}},
		// Stop words of a language are not required to match.
		{`"late for the elections"`, []string{en.CaptureID}},
		{"elections -observers", []string{en.CaptureID, fr.CaptureID}},
	} {
		hits, err := c.Search(t.Context(), catalog.Query{Text: tc.query})
		if err != nil {
			t.Fatalf("Search(%s): %v", tc.query, err)
		}
		var got []string
		for _, h := range hits {
			got = append(got, h.Entry.CaptureID)
		}
		if strings.Join(sorted(got), " ") != strings.Join(sorted(tc.want), " ") {
			t.Errorf("Search(%s) = %v, want %v", tc.query, got, tc.want)
		}
	}
	var configs []string
	rows, err := c.pool.Query(t.Context(), `SELECT config::text FROM catalog_ts_configs ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		configs = append(configs, s)
	}
	rows.Close()
	if got := strings.Join(configs, ","); got != "archivist_english,archivist_french,archivist_german,archivist_simple" {
		t.Errorf("configurations in use = %s", got)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestPutCleansText: text PostgreSQL cannot store (NUL, invalid UTF-8)
// is stored cleaned rather than failing the capture.
func TestPutCleansText(t *testing.T) {
	c := openTemp(t)
	e := entry("20250301T120000Z-AAAAAAAAAA", time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	e.Title = "Broken\x00 page \xff here"
	e.Authors = []string{"A\x00B"}
	if err := c.Put(t.Context(), e); err != nil {
		t.Fatalf("Put: %v", err)
	}
	got, err := c.Get(t.Context(), e.CaptureID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Broken page \uFFFD here" || got.Authors[0] != "AB" {
		t.Errorf("stored %q %q", got.Title, got.Authors)
	}
}

// TestSearchPlans: a search and a text selection go through the GIN
// index, not a scan of every capture.
func TestSearchPlans(t *testing.T) {
	c := openTemp(t)
	when := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var batch []catalog.Entry
	for i := range 3000 {
		e := entry(fmt.Sprintf("20250301T120000Z-%010d", i), when.Add(time.Duration(i)*time.Second))
		e.Language = []string{"en", "de", ""}[i%3]
		e.Text = fmt.Sprintf("Routine item %d about weather number %d", i, i*7)
		batch = append(batch, e)
		if len(batch) == 500 {
			if err := c.PutBatch(t.Context(), batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	e := entry("20250301T130000Z-NARWHAL000", when.Add(2*time.Hour))
	e.Text = "A narwhal surfaced."
	if err := c.Put(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	if _, err := c.pool.Exec(t.Context(), `ANALYZE captures`); err != nil {
		t.Fatal(err)
	}
	var p params
	sql := `EXPLAIN WITH ` + queriesCTE(parseFor("narwhal"), &p) + ` ` + matchesSQL
	// With a few thousand rows a scan is cheaper than the index; forbid
	// it to see that the query can use the index at all, as it will on
	// an archive of any size.
	conn, err := c.pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(t.Context(), `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(context.Background(), `RESET enable_seqscan`)
	rows, err := conn.Query(t.Context(), sql, p...)
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		var line string
		rows.Scan(&line)
		plan = append(plan, line)
	}
	rows.Close()
	if !strings.Contains(strings.Join(plan, "\n"), "captures_fts") {
		t.Errorf("search plan does not use the GIN index:\n%s", strings.Join(plan, "\n"))
	}
	hits, err := c.Search(t.Context(), catalog.Query{Text: "narwhal"})
	if err != nil || len(hits) != 1 || !strings.Contains(hits[0].Snippet, "[narwhal]") {
		t.Fatalf("Search(narwhal) = %+v, %v", hits, err)
	}
}
