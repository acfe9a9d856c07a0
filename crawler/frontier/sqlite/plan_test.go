package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestQueriesUseIndexes checks with EXPLAIN QUERY PLAN that the queries
// the daemon runs every few seconds, and the lookups its triggers make on
// every write, reach the tables that grow with the crawl (items,
// discoveries, claims, validators, polls, host_queue) through an index
// seek or range, never a scan: with a million queued URLs a scan is a
// second of CPU.
func TestQueriesUseIndexes(t *testing.T) {
	f, err := Open(context.Background(), filepath.Join(t.TempDir(), "f.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for name, q := range map[string]struct {
		sql  string
		args []any
	}{
		"lease: hosts":           {leaseHosts, []any{1, "[]", 8}},
		"lease: a host's items":  {leaseOfHost, []any{"h.test", 1, 1}},
		"lease: update":          {`UPDATE items SET state = 'leased', due = ?, lease_owner = ?, lease_seq = lease_seq + 1 WHERE id = ? RETURNING ` + itemColumns, []any{1, "o", 1}},
		"lease: discovery":       {`SELECT ` + discoveryColumns + ` FROM discoveries WHERE ukey = ? AND source = ? ORDER BY found_at, id LIMIT 1`, []any{"k", "s"}},
		"end lease":              {`UPDATE items SET state = 'done', due = NULL WHERE ` + leaseHeld, []any{1, "o", 1}},
		"recover":                {recoverLeases, []any{1, "o"}},
		"queue stats":            {queueStats, []any{1}},
		"source counts":          {`SELECT what, n FROM source_counts WHERE source = ?`, []any{"s"}},
		"sync: removed polls":    {deleteRemovedPolls, []any{"[]"}},
		"trigger: host's first":  {strings.TrimSuffix(strings.TrimPrefix(hostFirst("?"), "("), ")"), []any{"h.test"}},
		"trigger: first finding": {`SELECT 1 FROM discoveries WHERE ukey = ? AND source = ? AND id <> ?`, []any{"k", "s", 1}},
		"claim: void claims":     {`DELETE FROM claims WHERE ukey = ? AND item_id NOT IN (SELECT id FROM items)`, []any{"k"}},
		"discover: claimed":      {`SELECT 1 FROM claims c JOIN items i ON i.id = c.item_id WHERE c.ukey = ?1 AND i.ukey <> ?1`, []any{"k"}},
	} {
		rows, err := f.writer.Query(`EXPLAIN QUERY PLAN `+q.sql, q.args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		for _, step := range plan {
			table, scan := strings.CutPrefix(step, "SCAN ")
			if !scan {
				continue
			}
			// Small tables: the back-offs, the sources, a JSON argument, the
			// one row of a SELECT without FROM.
			switch table = strings.Fields(table)[0]; table {
			case "hosts", "sources", "json_each", "CONSTANT":
			default:
				t.Errorf("%s scans %s: %s", name, table, strings.Join(plan, "; "))
			}
		}
		t.Logf("%s: %s", name, strings.Join(plan, "; "))
	}
}
