// Package hostlimit keeps per-host politeness across several crawler
// processes: it implements crawler.HostGate on PostgreSQL, so that any
// number of `archivist serve` replicas together send no host more
// concurrent requests than its parallelism, nor start requests to it
// closer together than its delay.
//
// Each host has a row in host_pace (the earliest time the next request may
// start) and one row in host_slots per request in flight. Acquiring runs
// one SQL function that locks the host's pace row (FOR UPDATE, so
// acquirers of one host queue for each other while other hosts go on),
// counts the live slots and either takes a slot and moves the pace on, or
// says how long to wait. Times come from the database server's clock, so
// replicas with skewed clocks still agree. A slot left by a killed process
// expires after its time to live (the request timeout plus a margin), so
// a crash costs the host a slot for at most that long.
package hostlimit

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/archivist-project/archivist/archive/pgdb"
)

// Schema is the host slots' part of the database schema, for `archivist
// migrate`.
func Schema() pgdb.Component {
	return pgdb.Component{Name: "hostlimit", Migrations: []pgdb.Migration{
		{Version: 1, Name: "host pace and slots", SQL: schemaV1},
	}}
}

// schemaV1: host_slot_acquire returns 0 when it took a slot, the time to
// wait when the host's delay has not passed, and NULL when every slot is
// taken (the caller polls: a slot frees when a request ends, which no
// clock predicts).
const schemaV1 = `
CREATE TABLE host_pace (
	host        text COLLATE "C" PRIMARY KEY,
	next_start  timestamptz NOT NULL,
	parallelism integer NOT NULL
);
CREATE INDEX host_pace_next_start ON host_pace (next_start);

CREATE TABLE host_slots (
	token       text COLLATE "C" PRIMARY KEY,
	host        text COLLATE "C" NOT NULL,
	holder      text NOT NULL,
	acquired_at timestamptz NOT NULL,
	expires_at  timestamptz NOT NULL
);
CREATE INDEX host_slots_host ON host_slots (host, expires_at);

CREATE FUNCTION host_slot_acquire(p_host text, p_parallelism integer, p_delay interval, p_ttl interval, p_token text, p_holder text)
RETURNS interval LANGUAGE plpgsql AS $$
DECLARE
	nxt  timestamptz;
	busy integer;
	now_ts timestamptz;
BEGIN
	INSERT INTO host_pace (host, next_start, parallelism) VALUES (p_host, '-infinity', p_parallelism)
		ON CONFLICT (host) DO NOTHING;
	SELECT next_start INTO nxt FROM host_pace WHERE host = p_host FOR UPDATE;
	-- Read the clock after the lock: waiting for it takes time.
	now_ts := clock_timestamp();
	DELETE FROM host_slots WHERE host = p_host AND expires_at <= now_ts;
	SELECT count(*) INTO busy FROM host_slots WHERE host = p_host;
	IF busy >= p_parallelism THEN
		RETURN NULL;
	END IF;
	IF nxt > now_ts THEN
		RETURN nxt - now_ts;
	END IF;
	INSERT INTO host_slots (token, host, holder, acquired_at, expires_at)
		VALUES (p_token, p_host, p_holder, now_ts, now_ts + p_ttl);
	UPDATE host_pace SET next_start = now_ts + p_delay, parallelism = p_parallelism WHERE host = p_host;
	RETURN interval '0';
END
$$;
`

// Polling a full host: first soon, then less often, with jitter so that
// replicas waiting on one host do not ask in lockstep.
const (
	minPoll = 20 * time.Millisecond
	maxPoll = 250 * time.Millisecond
)

// releaseTimeout bounds freeing a slot, which must happen even when the
// request's context has ended.
const releaseTimeout = 10 * time.Second

// Options configure a gate.
type Options struct {
	// Holder names this process in host_slots (the daemon's run id), for
	// an operator looking at who holds what.
	Holder string
	// SlotTTL is how long a slot lives when its holder never frees it (the
	// process died). It must exceed the longest request: the request
	// timeout plus a margin.
	SlotTTL time.Duration
	Logger  *slog.Logger
}

// Gate is a crawler.HostGate on PostgreSQL. It is safe for concurrent use.
type Gate struct {
	pool   *pgxpool.Pool
	where  string
	opts   Options
	logger *slog.Logger
}

// New returns the gate in the database pool talks to, after checking its
// schema (run `archivist migrate` first).
func New(ctx context.Context, pool *pgxpool.Pool, opts Options) (*Gate, error) {
	if opts.SlotTTL <= 0 {
		return nil, fmt.Errorf("new host gate: SlotTTL must be positive, e.g. the request timeout plus 10s")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := pgdb.Check(ctx, pool, Schema()); err != nil {
		return nil, fmt.Errorf("open host gate: %w", err)
	}
	return &Gate{pool: pool, where: pgdb.Where(pool), opts: opts, logger: opts.Logger}, nil
}

// Acquire implements crawler.HostGate.
func (g *Gate) Acquire(ctx context.Context, host string, parallelism int, delay time.Duration) (func(), error) {
	parallelism = max(parallelism, 1)
	token := newToken()
	poll := minPoll
	for {
		var wait pgtype.Interval
		err := g.pool.QueryRow(ctx, `SELECT host_slot_acquire($1, $2, $3, $4, $5, $6)`,
			host, parallelism, delay, g.opts.SlotTTL, token, g.opts.Holder).Scan(&wait)
		if err != nil {
			return nil, fmt.Errorf("wait for a politeness slot on %s in %s: %w", host, g.where, err)
		}
		var sleep time.Duration
		switch {
		case !wait.Valid: // every slot taken
			sleep = poll + time.Duration(rand.Int64N(int64(poll)))
			poll = min(2*poll, maxPoll)
		case wait.Microseconds == 0 && wait.Days == 0 && wait.Months == 0:
			return g.releaser(host, token), nil
		default:
			sleep = time.Duration(wait.Microseconds)*time.Microsecond + time.Duration(wait.Days)*24*time.Hour
		}
		t := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// releaser frees the slot once, even after the request's context ended.
func (g *Gate) releaser(host, token string) func() {
	done := false
	return func() {
		if done {
			return
		}
		done = true
		ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
		defer cancel()
		if _, err := g.pool.Exec(ctx, `DELETE FROM host_slots WHERE token = $1`, token); err != nil {
			// The slot expires by itself; until then the host has one
			// slot fewer.
			g.logger.Warn("free politeness slot failed; it expires by itself", "host", host, "ttl", g.opts.SlotTTL, "error", err)
		}
	}
}

// Busy implements crawler.HostGate: hosts whose delay has not passed or
// whose slots are all taken.
func (g *Gate) Busy(ctx context.Context) ([]string, error) {
	rows, err := g.pool.Query(ctx, `
		SELECT host FROM host_pace WHERE next_start > clock_timestamp()
		UNION
		SELECT s.host FROM host_slots s JOIN host_pace p ON p.host = s.host
		WHERE s.expires_at > clock_timestamp()
		GROUP BY s.host, p.parallelism HAVING count(*) >= p.parallelism`)
	if err != nil {
		return nil, fmt.Errorf("list busy hosts in %s: %w", g.where, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("list busy hosts in %s: %w", g.where, err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// newToken names one slot; crypto/rand.Read never fails since Go 1.24.
func newToken() string {
	b := make([]byte, 12)
	_, _ = crand.Read(b)
	return hex.EncodeToString(b)
}
