// Package pgdb holds what every PostgreSQL backend of Archivist shares: how
// a database URL is recognised, redacted and connected to, and the
// versioned schema migrations that `archivist migrate` applies.
//
// Each backend (the catalog, the frontier, the host slots) is a Component
// with its own numbered migrations, recorded in one table,
// archivist_schema. Opening a backend never changes the schema: it checks
// that the database is at exactly the version the code was written for
// and otherwise refuses, naming the command to run (`archivist migrate`)
// or the fix (upgrade archivist). Several replicas therefore never race
// to migrate, and an old replica never writes into a schema it does not
// understand.
package pgdb

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// defaultMaxConns is the pool size when the URL does not set
// pool_max_conns: pgxpool's own default (4, or the CPU count) would make
// eight workers, each touching the catalog, the frontier and the host
// slots, queue for connections.
const defaultMaxConns = 16

// connectTimeout bounds the first connection when the URL sets none, so a
// wrong host fails in seconds rather than at the TCP timeout.
const connectTimeout = 10 * time.Second

// IsURL reports whether s names a PostgreSQL database
// (postgres://... or postgresql://...).
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Redact returns the database URL without its password, for messages and
// logs. A string that does not parse is replaced whole: it may hold a
// password in a form url.Parse does not understand.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Connect opens a connection pool on dsn and checks that the server
// answers. Settings in the URL win (pool_max_conns, connect_timeout,
// sslmode...); the password may also come from PGPASSWORD or a
// ~/.pgpass file, as with libpq.
func Connect(ctx context.Context, dsn string) (*pgxpool.Pool, error) {
	if !IsURL(dsn) {
		return nil, fmt.Errorf("open PostgreSQL database: %q is not a postgres:// URL: write it like postgres://USER@HOST:5432/DBNAME", Redact(dsn))
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL database %s: %w", Redact(dsn), redactErr(err, dsn))
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	if _, set := cfg.ConnConfig.RuntimeParams["jit"]; !set {
		// Compiling a plan costs tens of milliseconds, more than the
		// catalog's and the frontier's short queries ever run.
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL database %s: %w", Redact(dsn), redactErr(err, dsn))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to PostgreSQL database %s (check that the server runs and the URL, user and password are right): %w", Redact(dsn), redactErr(err, dsn))
	}
	return pool, nil
}

// redactErr removes the password from an error that quotes the URL (pgx's
// parse errors do).
func redactErr(err error, dsn string) error {
	u, perr := url.Parse(dsn)
	if perr != nil {
		return errors.New("the URL could not be parsed")
	}
	pass, has := u.User.Password()
	msg := err.Error()
	if has && pass != "" && strings.Contains(msg, pass) {
		return errors.New(strings.ReplaceAll(msg, pass, "xxxxx"))
	}
	if p := u.Query().Get("password"); p != "" && strings.Contains(msg, p) {
		return errors.New(strings.ReplaceAll(msg, p, "xxxxx"))
	}
	return err
}

// Where names the database a pool talks to, for messages: host, port and
// database name, never the password.
func Where(pool *pgxpool.Pool) string {
	c := pool.Config().ConnConfig
	return fmt.Sprintf("postgres://%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}
