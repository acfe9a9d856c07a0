package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/crawler/frontier"
)

// summary is what host_queue and source_counts hold, or what they should
// hold when recomputed from items and discoveries.
type summary struct {
	hosts  map[string][2]int64 // host → (due, id) of its first live item
	counts map[[2]string]int64 // (source, what) → n, zeros left out
}

// kept reads host_queue and source_counts.
func kept(t *testing.T, db *sql.DB) summary {
	t.Helper()
	s := summary{hosts: map[string][2]int64{}, counts: map[[2]string]int64{}}
	rows, err := db.Query(`SELECT host, next_due, next_id FROM host_queue WHERE next_due IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var h string
		var due, id int64
		if err := rows.Scan(&h, &due, &id); err != nil {
			t.Fatal(err)
		}
		s.hosts[h] = [2]int64{due, id}
	}
	rows.Close()
	rows, err = db.Query(`SELECT source, what, n FROM source_counts WHERE n <> 0`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var src, what string
		var n int64
		if err := rows.Scan(&src, &what, &n); err != nil {
			t.Fatal(err)
		}
		s.counts[[2]string{src, what}] = n
	}
	rows.Close()
	return s
}

// recounted computes the same from scratch, the way version 1 did.
func recounted(t *testing.T, db *sql.DB) summary {
	t.Helper()
	s := summary{hosts: map[string][2]int64{}, counts: map[[2]string]int64{}}
	rows, err := db.Query(`SELECT host, due, id FROM items WHERE due IS NOT NULL ORDER BY host, due, id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var h string
		var due, id int64
		if err := rows.Scan(&h, &due, &id); err != nil {
			t.Fatal(err)
		}
		if _, ok := s.hosts[h]; !ok {
			s.hosts[h] = [2]int64{due, id}
		}
	}
	rows.Close()
	rows, err = db.Query(`SELECT source, count(DISTINCT ukey) FROM discoveries GROUP BY source`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var src string
		var n int64
		if err := rows.Scan(&src, &n); err != nil {
			t.Fatal(err)
		}
		s.counts[[2]string{src, "found"}] = n
	}
	rows.Close()
	rows, err = db.Query(`SELECT source, state, fail_kind, captures > 0, count(*) FROM items WHERE kind = 'url' GROUP BY 1, 2, 3, 4`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var src, state, failKind string
		var captured bool
		var n int64
		if err := rows.Scan(&src, &state, &failKind, &captured, &n); err != nil {
			t.Fatal(err)
		}
		what := ""
		switch {
		case captured:
			what = "archived"
		case state == frontier.StateFailed && failKind == string(frontier.FailRobots):
			what = "robots"
		case state == frontier.StateFailed:
			what = "failed"
		case state == frontier.StatePending || state == frontier.StateLeased:
			what = "pending"
		}
		if what != "" {
			s.counts[[2]string{src, what}] += n
		}
	}
	rows.Close()
	return s
}

func sameSummary(t *testing.T, step string, got, want summary) {
	t.Helper()
	for h, w := range want.hosts {
		if g, ok := got.hosts[h]; !ok || g != w {
			t.Fatalf("after %s: host_queue[%s] = %v (present %v), want first live item (due, id) %v", step, h, g, ok, w)
		}
	}
	for h, g := range got.hosts {
		if _, ok := want.hosts[h]; !ok {
			t.Fatalf("after %s: host_queue[%s] = %v, but the host has no live item", step, h, g)
		}
	}
	for k, w := range want.counts {
		if got.counts[k] != w {
			t.Fatalf("after %s: source_counts%v = %d, want %d", step, k, got.counts[k], w)
		}
	}
	for k, g := range got.counts {
		if want.counts[k] == 0 {
			t.Fatalf("after %s: source_counts%v = %d, want 0", step, k, g)
		}
	}
}

// TestTriggersKeepSummaries runs a random mix of every frontier operation
// and checks after each that host_queue and source_counts hold exactly
// what a recount of items and discoveries gives.
func TestTriggersKeepSummaries(t *testing.T) {
	ctx := context.Background()
	f, err := Open(ctx, filepath.Join(t.TempDir(), "f.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	hosts := []string{"a.test", "b.test", "c.test", "d.test"}
	sources := []string{"s1", "s2", "s3"}
	now := t0
	var held []frontier.Item
	specs := func(names ...string) []frontier.SourceSpec {
		var out []frontier.SourceSpec
		for _, n := range names {
			out = append(out, frontier.SourceSpec{Name: n, URL: "https://" + hosts[len(n)%len(hosts)] + "/" + n, Kind: "page", Interval: time.Minute})
		}
		return out
	}
	if err := f.SyncSources(ctx, specs(sources...), now); err != nil {
		t.Fatal(err)
	}
	sameSummary(t, "sync", kept(t, f.writer), recounted(t, f.writer))
	for step := range 600 {
		now = now.Add(time.Duration(rng.IntN(90)) * time.Second)
		var what string
		switch op := rng.IntN(10); {
		case op < 3:
			var ds []frontier.Discovered
			for range 1 + rng.IntN(6) {
				u := fmt.Sprintf("https://%s/%d", hosts[rng.IntN(len(hosts))], rng.IntN(60))
				ds = append(ds, frontier.Discovered{URL: u, Depth: 1, Discovery: archive.Discovery{
					Source: sources[rng.IntN(len(sources))], Kind: "page", FoundAt: now, Via: fmt.Sprintf("https://x.test/%d", rng.IntN(3)),
				}})
			}
			what = "discover"
			if _, err := f.Discover(ctx, ds); err != nil {
				t.Fatal(err)
			}
		case op < 5:
			var skip []string
			if rng.IntN(2) == 0 {
				skip = hosts[:rng.IntN(3)]
			}
			items, err := f.Lease(ctx, frontier.LeaseRequest{Owner: "w", Max: 1 + rng.IntN(4), PerHost: rng.IntN(3), Now: now, Until: now.Add(5 * time.Minute), SkipHosts: skip})
			if err != nil {
				t.Fatal(err)
			}
			what, held = "lease", append(held, items...)
		case op < 9 && len(held) > 0:
			i := rng.IntN(len(held))
			it := held[i]
			held = slices.Delete(held, i, i+1)
			switch rng.IntN(5) {
			case 0:
				what, err = "complete", f.Complete(ctx, it, frontier.Completion{Now: now, Captured: true, CaptureID: "c", Next: now.Add(time.Hour)})
			case 1:
				what, err = "complete as done", f.Complete(ctx, it, frontier.Completion{Now: now, Captured: rng.IntN(2) == 0})
			case 2:
				what, err = "retry", f.Retry(ctx, it, frontier.RetryRequest{Now: now, NotBefore: now.Add(time.Minute), CountAttempt: true})
			case 3:
				kind := frontier.FailPermanent
				if rng.IntN(2) == 0 {
					kind = frontier.FailRobots
				}
				what, err = "fail", f.Fail(ctx, it, frontier.Failure{Now: now, Kind: kind, Reason: "x"})
			default:
				what = "claim"
				_, _, err = f.Claim(ctx, fmt.Sprintf("https://%s/%d", hosts[rng.IntN(len(hosts))], rng.IntN(60)), it)
				held = append(held, it)
			}
			if err != nil && err != frontier.ErrLeaseLost {
				t.Fatal(err)
			}
		case op == 9 && rng.IntN(3) == 0:
			what, held = "recover", nil
			if _, err := f.Recover(ctx, fmt.Sprintf("run-%d", step), now); err != nil {
				t.Fatal(err)
			}
		default:
			// Remove a source now and then (its poll item is deleted),
			// and bring them all back.
			what = "sync sources"
			if err := f.SyncSources(ctx, specs(sources[:1+rng.IntN(len(sources))]...), now); err != nil {
				t.Fatal(err)
			}
		}
		sameSummary(t, fmt.Sprintf("step %d (%s)", step, what), kept(t, f.writer), recounted(t, f.writer))
	}
	st, err := f.SourceStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := recounted(t, f.writer)
	for _, s := range st {
		got := [5]int64{s.Found, s.Archived, s.Pending, s.Failed, s.BlockedByRobots}
		exp := [5]int64{want.counts[[2]string{s.Name, "found"}], want.counts[[2]string{s.Name, "archived"}], want.counts[[2]string{s.Name, "pending"}],
			want.counts[[2]string{s.Name, "failed"}], want.counts[[2]string{s.Name, "robots"}]}
		if got != exp {
			t.Errorf("SourceStats(%s) found, archived, pending, failed, robots = %v, want %v", s.Name, got, exp)
		}
		if exp == [5]int64{} {
			t.Errorf("source %s found nothing: the workload does not exercise the counts", s.Name)
		}
	}
}

// TestMigrationFillsSummaries opens a frontier written by schema version
// 1 and checks that version 2 starts with the right summaries and queue.
func TestMigrationFillsSummaries(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f.db")
	db, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(createMigrationsTable); err != nil {
		t.Fatal(err)
	}
	if err := apply(ctx, db, path, migrations()[0], slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	// Version 1 rows: pending, leased, done with a capture, failed by
	// robots.txt, over two hosts and two sources; a URL found twice.
	for _, q := range []string{
		`INSERT INTO items (id, ukey, kind, url, host, source, via, depth, state, due, discovered_at) VALUES
			(1, 'k1', 'url', 'u1', 'a.test', 's1', 'v', 1, 'pending', 50, 1),
			(2, 'k2', 'url', 'u2', 'a.test', 's1', 'v', 1, 'leased', 40, 1),
			(3, 'k3', 'url', 'u3', 'b.test', 's2', 'v', 1, 'done', NULL, 1),
			(4, 'k4', 'url', 'u4', 'b.test', 's2', 'v', 1, 'failed', NULL, 1),
			(5, 'source:s1', 'source', 's', 'b.test', 's1', '', 0, 'pending', 60, 1)`,
		`UPDATE items SET captures = 1 WHERE id = 3`,
		`UPDATE items SET fail_kind = 'robots' WHERE id = 4`,
		`INSERT INTO discoveries (ukey, url, source, kind, via, position, found_at, last_seen_at, feed_guid, title) VALUES
			('k1', 'u1', 's1', 'page', 'p1', 1, 1, 1, '', ''), ('k1', 'u1', 's1', 'page', 'p2', 1, 1, 1, '', ''),
			('k1', 'u1', 's2', 'page', 'p3', 1, 1, 1, '', ''), ('k2', 'u2', 's1', 'page', 'p1', 2, 1, 1, '', '')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	f, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := kept(t, f.writer)
	sameSummary(t, "migration", got, recounted(t, f.writer))
	if got.hosts["a.test"] != [2]int64{40, 2} || got.counts[[2]string{"s1", "found"}] != 2 || got.counts[[2]string{"s2", "robots"}] != 1 {
		t.Errorf("after migration: %+v", got)
	}
}
