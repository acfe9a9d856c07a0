package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/pgdb"
	"github.com/archivist-project/archivist/archive/pgdb/pgtest"
	"github.com/archivist-project/archivist/crawler/frontier"
	"github.com/archivist-project/archivist/crawler/frontier/frontiertest"
)

var pg pgtest.Shared

func TestMain(m *testing.M) { pg.Main(m) }

// migrated returns the URL of a fresh database with the frontier schema.
func migrated(t testing.TB) string {
	t.Helper()
	return pg.Server(t).MigratedDatabase(t, Schema())
}

func open(t testing.TB, dsn string) *Frontier {
	t.Helper()
	f, err := Open(t.Context(), dsn, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// abandon makes f look like a process killed with -9: its presence
// session and pooled connections drop, and nothing of it runs again.
func (f *Frontier) abandon() {
	f.closeOnce.Do(func() {
		close(f.stop)
		<-f.done
		f.mu.Lock()
		conn := f.presence
		f.mu.Unlock()
		// Dropping the socket without a goodbye is what a kill does.
		conn.PgConn().Conn().Close()
		if f.ownsPool {
			f.pool.Close()
		}
	})
}

func TestSuite(t *testing.T) {
	frontiertest.Run(t, func(t *testing.T, name string) frontier.Frontier {
		dbs := suiteDBs(t)
		st, ok := dbs[name]
		if !ok {
			st = &named{dsn: migrated(t)}
			dbs[name] = st
		}
		// Opening a name again stands for a restarted daemon: the one
		// before it is dead, so its session goes as a killed process's
		// would (the suite never closes it).
		if st.last != nil {
			st.last.abandon()
			waitSessionsGone(t, st.dsn, st.last)
		}
		f := open(t, st.dsn)
		st.last = f
		return f
	})
}

type named struct {
	dsn  string
	last *Frontier
}

var (
	suiteMu  sync.Mutex
	suiteByT = map[*testing.T]map[string]*named{}
)

func suiteDBs(t *testing.T) map[string]*named {
	suiteMu.Lock()
	defer suiteMu.Unlock()
	m, ok := suiteByT[t]
	if !ok {
		m = map[string]*named{}
		suiteByT[t] = m
		t.Cleanup(func() {
			suiteMu.Lock()
			delete(suiteByT, t)
			suiteMu.Unlock()
		})
	}
	return m
}

// waitSessionsGone waits until the abandoned frontier's presence session
// has left pg_stat_activity.
func waitSessionsGone(t *testing.T, dsn string, gone *Frontier) {
	t.Helper()
	pool, err := pgdb.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND backend_start = $2`,
			gone.session.pid, gone.session.start).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the abandoned session is still in pg_stat_activity after 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func t0() time.Time { return time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC) }

func found(u string, at time.Time) frontier.Discovered {
	return frontier.Discovered{URL: u, Depth: 1, Discovery: archive.Discovery{Source: "s", Kind: "page", FoundAt: at, Via: "https://x.test/"}}
}

// TestDeadReplicaLeasesTakenOver: a replica killed with -9 holding leases
// loses nothing; another replica gets the work at its next Lease, long
// before the lease deadline, while a live replica's leases stay its own.
func TestDeadReplicaLeasesTakenOver(t *testing.T) {
	dsn := migrated(t)
	a, b, c := open(t, dsn), open(t, dsn), open(t, dsn)
	var ds []frontier.Discovered
	for i := range 6 {
		ds = append(ds, found(fmt.Sprintf("https://h%d.test/story", i), t0()))
	}
	if _, err := a.Discover(t.Context(), ds); err != nil {
		t.Fatal(err)
	}
	lease := func(f *Frontier, owner string, now time.Time) []frontier.Item {
		items, err := f.Lease(t.Context(), frontier.LeaseRequest{Owner: owner, Max: 3, Now: now, Until: now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return items
	}
	heldA := lease(a, "run-a", t0())
	heldC := lease(c, "run-c", t0())
	if len(heldA) != 3 || len(heldC) != 3 {
		t.Fatalf("leased %d and %d, want 3 and 3", len(heldA), len(heldC))
	}
	// Recover by a new replica leaves live replicas' leases alone.
	if n, err := b.Recover(t.Context(), "run-b", t0()); err != nil || n != 0 {
		t.Fatalf("Recover with every replica alive = %d, %v; want 0", n, err)
	}
	if got := lease(b, "run-b", t0().Add(time.Minute)); len(got) != 0 {
		t.Fatalf("replica b leased %d items held by live replicas", len(got))
	}
	a.abandon()
	waitSessionsGone(t, dsn, a)
	// One minute later, 59 before the lease deadline: b gets a's items.
	got := lease(b, "run-b", t0().Add(time.Minute))
	want := map[int64]bool{}
	for _, it := range heldA {
		want[it.ID] = true
	}
	if len(got) != 3 {
		t.Fatalf("after a died, b leased %d items, want a's 3", len(got))
	}
	for _, it := range got {
		if !want[it.ID] {
			t.Errorf("b leased %s, which a did not hold", it.URL)
		}
	}
	// a's late result (had it survived) is refused; c still completes.
	if err := a.Complete(context.Background(), heldA[0], frontier.Completion{Now: t0()}); err == nil {
		t.Error("a Complete through an abandoned frontier succeeded")
	}
	if err := b.Complete(t.Context(), heldA[0], frontier.Completion{Now: t0(), Captured: true, CaptureID: "x"}); !errors.Is(err, frontier.ErrLeaseLost) {
		t.Errorf("Complete with the dead replica's lease = %v, want ErrLeaseLost", err)
	}
	for _, it := range heldC {
		if err := c.Complete(t.Context(), it, frontier.Completion{Now: t0(), Captured: true, CaptureID: "c"}); err != nil {
			t.Errorf("live replica c lost its lease on %s: %v", it.URL, err)
		}
	}
}

// TestConcurrentReplicasLeaseEachItemOnce: four replicas with four
// workers each drain one queue; every item is leased and completed
// exactly once.
func TestConcurrentReplicasLeaseEachItemOnce(t *testing.T) {
	dsn := migrated(t)
	const items = 400
	var ds []frontier.Discovered
	for i := range items {
		ds = append(ds, found(fmt.Sprintf("https://h%d.test/story/%d", i%25, i), t0()))
	}
	seed := open(t, dsn)
	if n, err := seed.Discover(t.Context(), ds); err != nil || n != items {
		t.Fatalf("Discover = %d, %v", n, err)
	}
	var (
		mu   sync.Mutex
		seen = map[int64]int{}
		wg   sync.WaitGroup
		errs = make(chan error, 64)
	)
	for r := range 4 {
		f := open(t, dsn)
		for w := range 4 {
			owner := fmt.Sprintf("run-%d", r)
			wg.Go(func() {
				for {
					got, err := f.Lease(t.Context(), frontier.LeaseRequest{Owner: owner, Max: 3, Now: t0(), Until: t0().Add(time.Hour), PerHost: 1})
					if err != nil {
						errs <- fmt.Errorf("worker %d/%d: %w", r, w, err)
						return
					}
					if len(got) == 0 {
						return
					}
					for _, it := range got {
						mu.Lock()
						seen[it.ID]++
						mu.Unlock()
						if err := f.Complete(t.Context(), it, frontier.Completion{Now: t0(), Captured: true, CaptureID: "c"}); err != nil {
							errs <- err
							return
						}
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(seen) != items {
		t.Errorf("%d distinct items leased, want %d", len(seen), items)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("item %d leased %d times", id, n)
		}
	}
	st, err := seed.Stats(t.Context(), t0())
	if err != nil || st.Due+st.Leased+st.Scheduled != 0 {
		t.Errorf("queue after draining = %+v, %v", st, err)
	}
}

// TestOpenRefusesOtherSchemas: no schema asks for `archivist migrate`; a
// newer one asks for an upgrade.
func TestOpenRefusesOtherSchemas(t *testing.T) {
	dsn := pg.Server(t).NewDatabase(t)
	if _, err := Open(t.Context(), dsn, nil); !errors.Is(err, pgdb.ErrSchemaBehind) || !strings.Contains(err.Error(), "archivist migrate") {
		t.Fatalf("Open without schema = %v", err)
	}
	dsn = migrated(t)
	pool, err := pgdb.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(t.Context(), `INSERT INTO archivist_schema (component, version, name) VALUES ('frontier', 99, 'future')`); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(t.Context(), dsn, nil); !errors.Is(err, pgdb.ErrSchemaAhead) || !strings.Contains(err.Error(), "upgrade archivist") {
		t.Fatalf("Open of a newer schema = %v", err)
	}
}

// TestUpgradeFromVersion1: a frontier created by version 1 and holding
// work is upgraded by Migrate, opens, and leases across hosts.
func TestUpgradeFromVersion1(t *testing.T) {
	dsn := pg.Server(t).NewDatabase(t)
	pool, err := pgdb.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	v1 := Schema()
	v1.Migrations = v1.Migrations[:1]
	if _, err := pgdb.Migrate(t.Context(), pool, nil, v1); err != nil {
		t.Fatal(err)
	}
	// Version 1's items, written as version 1 wrote them.
	for i := range 6 {
		if _, err := pool.Exec(t.Context(), insertItem, fmt.Sprintf("https://h%d.test/a", i), fmt.Sprintf("https://h%d.test/a", i),
			fmt.Sprintf("h%d.test", i), "s", "https://x.test/", 1, t0()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Open(t.Context(), dsn, nil); !errors.Is(err, pgdb.ErrSchemaBehind) {
		t.Fatalf("Open of a version 1 frontier = %v, want ErrSchemaBehind", err)
	}
	applied, err := pgdb.Migrate(t.Context(), pool, nil, Schema())
	if err != nil || len(applied) != 1 || applied[0].Version != 2 {
		t.Fatalf("Migrate = %+v, %v; want version 2 applied", applied, err)
	}
	var indexes []string
	rows, err := pool.Query(t.Context(), `SELECT indexname FROM pg_indexes WHERE tablename = 'frontier_items' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		indexes = append(indexes, n)
	}
	rows.Close()
	if !slices.Contains(indexes, "frontier_items_due_host") || !slices.Contains(indexes, "frontier_items_host_due") || slices.Contains(indexes, "frontier_items_due") {
		t.Errorf("indexes after the upgrade: %v", indexes)
	}
	f := open(t, dsn)
	got, err := f.Lease(t.Context(), frontier.LeaseRequest{Owner: "run", Max: 4, Now: t0(), Until: t0().Add(time.Hour), SkipHosts: []string{"h0.test"}, PerHost: 1})
	if err != nil || len(got) != 4 {
		t.Fatalf("Lease after the upgrade = %d items, %v; want 4", len(got), err)
	}
	if st, err := f.Stats(t.Context(), t0()); err != nil || st != (frontier.QueueStats{Due: 2, Leased: 4}) {
		t.Errorf("Stats after the upgrade = %+v, %v; want 2 due, 4 leased", st, err)
	}
}
