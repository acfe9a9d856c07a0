package cli

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/pgdb/pgtest"
	"github.com/archivist-project/archivist/crawler/frontier"
	frontierpg "github.com/archivist-project/archivist/crawler/frontier/postgres"
	frontiersqlite "github.com/archivist-project/archivist/crawler/frontier/sqlite"
)

// writeFrontier leaves in data the frontier of a daemon that stopped
// with one source, one archived URL due for a revisit, one pending URL
// and one URL it held leased.
func writeFrontier(t *testing.T, data string) {
	t.Helper()
	ctx := t.Context()
	fr, err := frontiersqlite.Open(ctx, filepath.Join(data, frontierFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fr.Close()
	t0 := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	if err := fr.SyncSources(ctx, []frontier.SourceSpec{{Name: "topic", URL: "http://news.test/topic", Kind: "page", Interval: time.Hour}}, t0); err != nil {
		t.Fatal(err)
	}
	var found []frontier.Discovered
	for _, u := range []string{"http://news.test/a", "http://news.test/b"} {
		found = append(found, frontier.Discovered{URL: u, Depth: 1, Discovery: archive.Discovery{Source: "topic", Kind: "page", FoundAt: t0, Via: "http://news.test/topic"}})
	}
	if _, err := fr.Discover(ctx, found); err != nil {
		t.Fatal(err)
	}
	items, err := fr.Lease(ctx, frontier.LeaseRequest{Owner: "daemon", Max: 10, Now: t0, Until: t0.Add(time.Minute)})
	if err != nil || len(items) != 3 {
		t.Fatalf("lease: %d items, %v", len(items), err)
	}
	for _, it := range items {
		if it.URL == "http://news.test/a" {
			if err := fr.Complete(ctx, it, frontier.Completion{Now: t0, Captured: true, CaptureID: "cap-a", Next: t0.Add(time.Hour), Result: "archived"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := fr.Discover(ctx, []frontier.Discovered{{URL: "http://news.test/c", Depth: 1,
		Discovery: archive.Discovery{Source: "topic", Kind: "page", FoundAt: t0, Via: "http://news.test/topic"}}}); err != nil {
		t.Fatal(err)
	}
}

// TestPostgresCatalogCommands moves a crawled archive's SQLite catalog to
// PostgreSQL with migrate-catalog (and again from the store alone), then
// runs the read commands, verify and reindex against PostgreSQL with --db.
func TestPostgresCatalogCommands(t *testing.T) {
	srv := pgtest.Start(t)
	site := startSite(t)
	data := t.TempDir()
	env := map[string]string{"ARCHIVIST_DATA": data}
	crawlSite(t, site, env)
	sqliteRows := listJSON(t, env)
	if len(sqliteRows) == 0 {
		t.Fatal("the crawl archived nothing")
	}

	dsn := srv.NewDatabase(t)
	// Reading an unmigrated database fails, naming the fix.
	if _, errOut, code := run(t, env, "list", "--db", dsn); code == 0 || !strings.Contains(errOut, "archivist migrate") {
		t.Fatalf("list on an empty database: exit %d, %s", code, errOut)
	}
	writeFrontier(t, data)
	out := mustRun(t, env, "migrate-catalog", "--from", "sqlite", "--to", dsn)
	if !strings.Contains(out, "copied 6 captures") || !strings.Contains(out, "the target holds 6 captures") {
		t.Fatalf("migrate-catalog:\n%s", out)
	}
	for _, want := range []string{"copied the frontier", "items       4 read: 4 added, 0 updated, 0 kept", "the target holds 4",
		"sources     1 read: 1 added", "discoveries 3 read: 3 added"} {
		if !strings.Contains(out, want) {
			t.Errorf("migrate-catalog output lacks %q:\n%s", want, out)
		}
	}
	// Again: nothing is duplicated.
	out = mustRun(t, env, "migrate-catalog", "--from", "sqlite", "--to", dsn)
	if !strings.Contains(out, "the target holds 6 captures") || !strings.Contains(out, "items       4 read: 0 added, 0 updated, 4 kept") ||
		!strings.Contains(out, "the target holds 4") {
		t.Fatalf("second migrate-catalog:\n%s", out)
	}
	fr, err := frontierpg.Open(t.Context(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fr.Close()
	for u, want := range map[string]string{"http://news.test/a": frontier.StatePending, "http://news.test/b": frontier.StatePending,
		"http://news.test/c": frontier.StatePending, frontier.SourceKey("topic"): frontier.StatePending} {
		e, err := fr.Lookup(t.Context(), u)
		if err != nil || e.State != want {
			t.Errorf("%s in the PostgreSQL frontier: %+v, %v", u, e, err)
		}
	}
	if e, _ := fr.Lookup(t.Context(), "http://news.test/a"); e.Captures != 1 || e.LastCaptureID != "cap-a" || e.Due.IsZero() {
		t.Errorf("the archived URL lost its revisit: %+v", e)
	}
	pgEnv := map[string]string{"ARCHIVIST_DATA": data, "ARCHIVIST_DB": dsn}
	pgRows := listJSON(t, pgEnv)
	if len(pgRows) != len(sqliteRows) {
		t.Fatalf("PostgreSQL lists %d captures, SQLite %d", len(pgRows), len(sqliteRows))
	}
	for i := range pgRows {
		if pgRows[i].CaptureID != sqliteRows[i].CaptureID || pgRows[i].Title != sqliteRows[i].Title {
			t.Errorf("capture %d: PostgreSQL %+v, SQLite %+v", i, pgRows[i], sqliteRows[i])
		}
	}
	if out := mustRun(t, pgEnv, "search", "judicial review"); !strings.Contains(out, "[judicial]") && !strings.Contains(out, "[Judicial]") {
		t.Errorf("search on PostgreSQL:\n%s", out)
	}
	if out := mustRun(t, pgEnv, "get", site.ArticleURL("reuters"), "--format", "text"); !strings.Contains(out, "Hikvision") {
		t.Errorf("get on PostgreSQL:\n%s", out)
	}
	if out := mustRun(t, pgEnv, "verify"); !strings.Contains(out, "0 problems") {
		t.Errorf("verify on PostgreSQL:\n%s", out)
	}
	if out := mustRun(t, pgEnv, "reindex"); !strings.Contains(out, "reindexed 6 captures") {
		t.Errorf("reindex into PostgreSQL:\n%s", out)
	}
	if n := len(listJSON(t, pgEnv)); n != len(sqliteRows) {
		t.Errorf("after reindex PostgreSQL lists %d captures, want %d", n, len(sqliteRows))
	}

	// From the store alone, into another database.
	other := srv.NewDatabase(t)
	if out := mustRun(t, env, "migrate-catalog", "--from", "store", "--to", other, "--no-frontier"); !strings.Contains(out, "the target holds 6 captures") ||
		strings.Contains(out, "frontier") {
		t.Fatalf("migrate-catalog --from store --no-frontier:\n%s", out)
	}
	otherFr, err := frontierpg.Open(t.Context(), other, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer otherFr.Close()
	if _, err := otherFr.Lookup(t.Context(), "http://news.test/a"); !errors.Is(err, frontier.ErrNotFound) {
		t.Errorf("--no-frontier copied the frontier: %v", err)
	}
	if n := len(listJSON(t, map[string]string{"ARCHIVIST_DATA": data, "ARCHIVIST_DB": other})); n != len(sqliteRows) {
		t.Errorf("after --from store PostgreSQL lists %d captures, want %d", n, len(sqliteRows))
	}

	// migrate: safe to run twice; bad arguments are usage errors.
	if out := mustRun(t, env, "migrate", "--db", other); !strings.Contains(out, "already up to date") {
		t.Errorf("migrate on a migrated database:\n%s", out)
	}
	for _, args := range [][]string{
		{"migrate-catalog", "--from", "mysql", "--to", dsn},
		{"migrate-catalog", "--from", "sqlite", "--to", "mysql://x"},
		{"list", "--db", "mysql://x"},
	} {
		if _, _, code := run(t, env, args...); code != ExitUsage {
			t.Errorf("archivist %s: exit %d, want %d", strings.Join(args, " "), code, ExitUsage)
		}
	}
}
