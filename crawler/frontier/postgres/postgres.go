// Package postgres implements frontier.Frontier on PostgreSQL through pgx
// v5, so that several `archivist serve` replicas share one crawl. It
// passes the shared suite (frontiertest) like the SQLite backend.
//
// Leases are row updates chosen with SELECT ... FOR UPDATE SKIP LOCKED:
// replicas asking at once get disjoint items and never wait for each
// other. A lease carries its owner (the daemon's run id) and a sequence
// number, so a late Complete from a replica whose lease was taken over is
// refused (frontier.ErrLeaseLost) and nothing is recorded twice.
//
// A lease ends three ways: its holder ends it; its deadline passes (the
// holder extends it while the work goes on); or its holder is found dead.
// Each Frontier keeps one PostgreSQL session open for its whole life and
// records it against the owners it leases for (frontier_owners). When
// that session disappears from pg_stat_activity, as it does at once when
// the process is killed, the next Lease or Recover by any replica gives
// the dead owner's leases back, without waiting for their deadline.
//
// The schema is created and upgraded by `archivist migrate` (Schema);
// Open refuses a database at another version.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/archivist-project/archivist/archive/pgdb"
	"github.com/archivist-project/archivist/crawler/frontier"
)

// presenceCheck is how often the presence session is pinged, and
// re-opened (owners re-registered) when it broke.
const presenceCheck = 5 * time.Second

// txRetries is how often a transaction that lost a deadlock or a
// serialization conflict with another replica is tried again.
const txRetries = 4

// Frontier is a frontier.Frontier in a PostgreSQL database, shared by
// every replica that opens it.
type Frontier struct {
	pool     *pgxpool.Pool
	ownsPool bool
	where    string
	logger   *slog.Logger

	mu       sync.Mutex
	clock    func() time.Time // for SourceStats' stall check
	presence *pgx.Conn        // the session that proves this process alive
	session  session          // its identity in pg_stat_activity
	owners   map[string]session
	stop     chan struct{}
	done     chan struct{}

	closeOnce sync.Once
}

// session identifies one PostgreSQL backend: pids are reused, a pid with
// its start time is not.
type session struct {
	pid   int32
	start time.Time
}

var _ frontier.Frontier = (*Frontier)(nil)

// Open connects to the database at dsn (postgres://...) and returns its
// frontier. The schema must be current: run `archivist migrate` first.
func Open(ctx context.Context, dsn string, logger *slog.Logger) (*Frontier, error) {
	pool, err := pgdb.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open frontier: %w", err)
	}
	f, err := New(ctx, pool, logger)
	if err != nil {
		pool.Close()
		return nil, err
	}
	f.ownsPool = true
	return f, nil
}

// New returns the frontier in the database pool talks to; Close leaves
// the pool open for its owner. A nil logger discards logs.
func New(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) (*Frontier, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	f := &Frontier{pool: pool, where: pgdb.Where(pool), logger: logger, clock: time.Now,
		owners: map[string]session{}, stop: make(chan struct{}), done: make(chan struct{})}
	if err := pgdb.Check(ctx, pool, Schema()); err != nil {
		return nil, fmt.Errorf("open frontier: %w", err)
	}
	if err := f.connectPresence(ctx); err != nil {
		return nil, err
	}
	go f.watchPresence()
	return f, nil
}

// connectPresence opens the session that stands for this process.
func (f *Frontier) connectPresence(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, f.pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("open frontier %s: presence session: %w", f.where, err)
	}
	var s session
	if err := conn.QueryRow(ctx, `SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()`).Scan(&s.pid, &s.start); err != nil {
		conn.Close(ctx)
		return fmt.Errorf("open frontier %s: presence session: %w", f.where, err)
	}
	f.mu.Lock()
	old := f.presence
	f.presence, f.session = conn, s
	f.mu.Unlock()
	if old != nil {
		old.Close(ctx)
	}
	return nil
}

// watchPresence pings the presence session and replaces it when it broke,
// re-registering this process's owners so that their leases count as
// alive again.
func (f *Frontier) watchPresence() {
	defer close(f.done)
	t := time.NewTicker(presenceCheck)
	defer t.Stop()
	for {
		select {
		case <-f.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), presenceCheck)
		f.mu.Lock()
		conn := f.presence
		f.mu.Unlock()
		if err := conn.Ping(ctx); err != nil {
			f.logger.Warn("frontier presence session lost; reconnecting (other replicas may take over this daemon's leases meanwhile)", "database", f.where, "error", err)
			if err := f.connectPresence(ctx); err != nil {
				f.logger.Error("frontier presence session", "error", err)
			} else if err := f.reregister(ctx); err != nil {
				f.logger.Error("frontier presence: re-register owners", "error", err)
			}
		}
		cancel()
	}
}

// register records owner against the presence session, unless it already
// is; it runs inside the transaction that leases for owner, so no lease
// exists without a live owner row.
func (f *Frontier) register(ctx context.Context, tx pgx.Tx, owner string) (func(), error) {
	f.mu.Lock()
	s, known := f.owners[owner]
	cur := f.session
	f.mu.Unlock()
	if known && s == cur {
		return func() {}, nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO frontier_owners (owner, pid, backend_start) VALUES ($1, $2, $3)
		ON CONFLICT (owner) DO UPDATE SET pid = excluded.pid, backend_start = excluded.backend_start, registered_at = now()`,
		owner, cur.pid, cur.start); err != nil {
		return nil, err
	}
	// Remembered only once the transaction commits.
	return func() {
		f.mu.Lock()
		f.owners[owner] = cur
		f.mu.Unlock()
	}, nil
}

func (f *Frontier) reregister(ctx context.Context) error {
	f.mu.Lock()
	cur := f.session
	owners := make([]string, 0, len(f.owners))
	for o := range f.owners {
		owners = append(owners, o)
	}
	f.mu.Unlock()
	_, err := f.pool.Exec(ctx, `INSERT INTO frontier_owners (owner, pid, backend_start) SELECT o, $2, $3 FROM unnest($1::text[]) o
		ON CONFLICT (owner) DO UPDATE SET pid = excluded.pid, backend_start = excluded.backend_start, registered_at = now()`,
		owners, cur.pid, cur.start)
	if err == nil {
		f.mu.Lock()
		for _, o := range owners {
			f.owners[o] = cur
		}
		f.mu.Unlock()
	}
	return err
}

// SetClock replaces the clock SourceStats judges stalls by (default
// time.Now); tests inject theirs.
func (f *Frontier) SetClock(clock func() time.Time) {
	f.mu.Lock()
	f.clock = clock
	f.mu.Unlock()
}

func (f *Frontier) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clock()
}

// Where names the database (without password).
func (f *Frontier) Where() string { return f.where }

// Ping checks that the database answers.
func (f *Frontier) Ping(ctx context.Context) error {
	if err := f.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping frontier %s: %w", f.where, err)
	}
	return nil
}

// Close ends the presence session (other replicas then see this process's
// remaining leases as abandoned) and releases the pool when Open made it.
// It is safe to call more than once.
func (f *Frontier) Close() error {
	f.closeOnce.Do(func() {
		close(f.stop)
		<-f.done
		f.mu.Lock()
		conn := f.presence
		f.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn.Close(ctx)
		if f.ownsPool {
			f.pool.Close()
		}
	})
	return nil
}

// tx runs fn in one transaction, again when it lost a deadlock or a
// serialization conflict against another replica.
func (f *Frontier) tx(ctx context.Context, what string, fn func(pgx.Tx) error) error {
	var err error
	for attempt := range txRetries {
		err = pgx.BeginFunc(ctx, f.pool, fn)
		if err == nil || errors.Is(err, frontier.ErrLeaseLost) {
			return err
		}
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || (pgErr.Code != "40P01" && pgErr.Code != "40001") || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(attempt+1) * 10 * time.Millisecond)
	}
	return fmt.Errorf("%s in frontier %s: %w", what, f.where, err)
}

// nullTime is NULL for the zero time.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func ptrTime(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return *t
}

func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
