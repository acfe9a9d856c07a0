package hostlimit_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/archivist-project/archivist/archive/pgdb"
	"github.com/archivist-project/archivist/archive/pgdb/pgtest"
	"github.com/archivist-project/archivist/crawler"
	"github.com/archivist-project/archivist/crawler/hostlimit"
)

var pg pgtest.Shared

func TestMain(m *testing.M) { pg.Main(m) }

func migrated(t *testing.T) string {
	t.Helper()
	return pg.Server(t).MigratedDatabase(t, hostlimit.Schema())
}

func connect(t *testing.T, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgdb.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// replicaGate is one replica's gate: its own pool, as a separate process
// would have.
func replicaGate(t *testing.T, dsn, name string, ttl time.Duration) *hostlimit.Gate {
	t.Helper()
	g, err := hostlimit.New(t.Context(), connect(t, dsn), hostlimit.Options{Holder: name, SlotTTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestSlotsHoldAcrossReplicas: three replicas with four workers each hit
// one host with parallelism 2; never more than two hold a slot at once,
// and starts keep the delay on average.
func TestSlotsHoldAcrossReplicas(t *testing.T) {
	dsn := migrated(t)
	const (
		par   = 2
		delay = 15 * time.Millisecond
		each  = 6
	)
	var inFlight, peak atomic.Int32
	var wg sync.WaitGroup
	var mu sync.Mutex
	var starts []time.Time
	for r := range 3 {
		g := replicaGate(t, dsn, fmt.Sprintf("replica-%d", r), time.Minute)
		for range 4 {
			wg.Go(func() {
				for range each {
					release, err := g.Acquire(t.Context(), "news.test", par, delay)
					if err != nil {
						t.Error(err)
						return
					}
					n := inFlight.Add(1)
					for {
						p := peak.Load()
						if n <= p || peak.CompareAndSwap(p, n) {
							break
						}
					}
					mu.Lock()
					starts = append(starts, time.Now())
					mu.Unlock()
					time.Sleep(10 * time.Millisecond)
					inFlight.Add(-1)
					release()
				}
			})
		}
	}
	wg.Wait()
	if p := peak.Load(); p > par {
		t.Errorf("%d requests held a slot at once, limit %d", p, par)
	}
	if len(starts) != 3*4*each {
		t.Fatalf("%d requests ran, want %d", len(starts), 3*4*each)
	}
	first, last := starts[0], starts[0]
	for _, s := range starts {
		if s.Before(first) {
			first = s
		}
		if s.After(last) {
			last = s
		}
	}
	// Each start waits for the delay after the one before, so the whole
	// run spans at least (n-1) delays; 50 ms allows for the time a granted
	// slot takes to reach its worker.
	if span, min := last.Sub(first), time.Duration(len(starts)-1)*delay-50*time.Millisecond; span < min {
		t.Errorf("%d starts spanned %s, want at least %s at one per %s", len(starts), span, min, delay)
	}
}

// TestDeadHolderSlotExpires: a slot its process never frees (killed)
// blocks the host only until its time to live.
func TestDeadHolderSlotExpires(t *testing.T) {
	dsn := migrated(t)
	dead := replicaGate(t, dsn, "dead", 300*time.Millisecond)
	live := replicaGate(t, dsn, "live", time.Minute)
	if _, err := dead.Acquire(t.Context(), "slow.test", 1, 0); err != nil {
		t.Fatal(err)
	}
	busy, err := live.Busy(t.Context())
	if err != nil || len(busy) != 1 || busy[0] != "slow.test" {
		t.Fatalf("Busy while the dead slot lives = %v, %v", busy, err)
	}
	release, err := live.Acquire(t.Context(), "slow.test", 1, 0)
	if err != nil {
		t.Fatalf("Acquire after the dead slot expired: %v", err)
	}
	release()
	release() // harmless
	if busy, err := live.Busy(t.Context()); err != nil || len(busy) != 0 {
		t.Fatalf("Busy after release = %v, %v", busy, err)
	}
}

// TestFetchersShareOneLimit runs two Fetchers (two replicas) with a
// per-host parallelism of 1 against one server: with the gate no two
// requests overlap at the server; without it they do, which shows the
// test can tell.
func TestFetchersShareOneLimit(t *testing.T) {
	dsn := migrated(t)
	var inFlight, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(30 * time.Millisecond)
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body><p>ok</p></body></html>")
	}))
	defer srv.Close()

	run := func(gated bool) int32 {
		peak.Store(0)
		var wg sync.WaitGroup
		for r := range 2 {
			cfg := crawler.DefaultConfig()
			cfg.AllowPrivateNetworks, cfg.ObeyRobots = true, false
			cfg.PerHostParallelism, cfg.PerHostDelay = 1, 0
			if gated {
				cfg.HostGate = replicaGate(t, dsn, fmt.Sprintf("replica-%d", r), time.Minute)
			}
			f, err := crawler.NewFetcher(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			for w := range 3 {
				wg.Go(func() {
					for i := range 4 {
						res := f.Fetch(t.Context(), crawler.FetchRequest{URL: fmt.Sprintf("%s/r%d/w%d/%d", srv.URL, r, w, i)})
						if res.Outcome != crawler.FetchOK {
							t.Errorf("fetch: %s %s", res.Outcome, res.Reason)
						}
					}
				})
			}
		}
		wg.Wait()
		return peak.Load()
	}
	if p := run(true); p != 1 {
		t.Errorf("with the shared gate the server saw %d requests at once, want 1", p)
	}
	if p := run(false); p < 2 {
		t.Errorf("without the gate the server saw at most %d requests at once; the test cannot tell a shared limit from none", p)
	}
}

// BenchmarkAcquireRelease measures one politeness slot taken and freed
// (two round trips) on a host with no delay.
func BenchmarkAcquireRelease(b *testing.B) {
	dsn := pg.Server(b).NewDatabase(b)
	pool, err := pgdb.Connect(b.Context(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	if _, err := pgdb.Migrate(b.Context(), pool, nil, hostlimit.Schema()); err != nil {
		b.Fatal(err)
	}
	g, err := hostlimit.New(b.Context(), pool, hostlimit.Options{Holder: "bench", SlotTTL: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		release, err := g.Acquire(b.Context(), fmt.Sprintf("h%d.test", i%100), 2, 0)
		if err != nil {
			b.Fatal(err)
		}
		release()
		i++
	}
}
