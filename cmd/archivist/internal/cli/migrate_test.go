package cli

import (
	"strings"
	"testing"

	"github.com/archivist-project/archivist/archive/pgdb/pgtest"
)

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
	out := mustRun(t, env, "migrate-catalog", "--from", "sqlite", "--to", dsn)
	if !strings.Contains(out, "copied 6 captures") || !strings.Contains(out, "the target holds 6 captures") {
		t.Fatalf("migrate-catalog:\n%s", out)
	}
	// Again: nothing is duplicated.
	if out := mustRun(t, env, "migrate-catalog", "--from", "sqlite", "--to", dsn); !strings.Contains(out, "the target holds 6 captures") {
		t.Fatalf("second migrate-catalog:\n%s", out)
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
	if out := mustRun(t, env, "migrate-catalog", "--from", "store", "--to", other); !strings.Contains(out, "the target holds 6 captures") {
		t.Fatalf("migrate-catalog --from store:\n%s", out)
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
