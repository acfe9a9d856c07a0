package pgdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Migration is one numbered schema change. Migrations are append-only: a
// released migration is never edited, a change is a new migration.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Component is one backend's schema: its name in archivist_schema and
// its migrations, versions 1, 2, 3... in order.
type Component struct {
	Name       string
	Migrations []Migration
}

// Latest is the schema version this code writes and understands.
func (c Component) Latest() int {
	if len(c.Migrations) == 0 {
		return 0
	}
	return c.Migrations[len(c.Migrations)-1].Version
}

// Applied is one migration Migrate ran.
type Applied struct {
	Component string
	Version   int
	Name      string
}

// ErrSchemaBehind is wrapped by Check when the database lacks migrations
// this code needs; ErrSchemaAhead when it has migrations this code does
// not know.
var (
	ErrSchemaBehind = errors.New("database schema is older than this archivist")
	ErrSchemaAhead  = errors.New("database schema is newer than this archivist")
)

// migrationLock is the advisory lock key that serialises migrations of
// one database across processes (the bytes of "archmigr").
const migrationLock int64 = 0x617263686d696772

const createSchemaTable = `CREATE TABLE IF NOT EXISTS archivist_schema (
	component  text NOT NULL,
	version    integer NOT NULL,
	name       text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (component, version)
)`

// Migrate brings every component up to its latest version and returns
// the migrations it ran (none when the database was up to date, so a
// second run changes nothing). Each migration commits with its
// archivist_schema row in one transaction, under an advisory lock that
// makes concurrent runs wait for each other instead of applying a
// migration twice. A component whose recorded version is newer than the
// code's is an error (ErrSchemaAhead), and nothing of it is touched.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger, comps ...Component) ([]Applied, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var applied []Applied
	for _, c := range comps {
		for _, m := range c.Migrations {
			ran, err := apply(ctx, pool, c, m)
			if err != nil {
				return applied, err
			}
			if ran {
				applied = append(applied, Applied{Component: c.Name, Version: m.Version, Name: m.Name})
				logger.Info("database schema migrated", "database", Where(pool), "component", c.Name, "version", m.Version, "migration", m.Name)
			}
		}
	}
	return applied, nil
}

// apply runs m unless the database already has it.
func apply(ctx context.Context, pool *pgxpool.Pool, c Component, m Migration) (bool, error) {
	ran := false
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, createSchemaTable); err != nil {
			return err
		}
		var current int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM archivist_schema WHERE component = $1`, c.Name).Scan(&current); err != nil {
			return err
		}
		if current > c.Latest() {
			return fmt.Errorf("%w: %s has %s schema version %d, this archivist knows up to %d: upgrade archivist",
				ErrSchemaAhead, Where(pool), c.Name, current, c.Latest())
		}
		if current >= m.Version {
			return nil
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("apply %s migration %d (%s): %w%s", c.Name, m.Version, m.Name, err, privilegeHint(err))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO archivist_schema (component, version, name) VALUES ($1, $2, $3)`, c.Name, m.Version, m.Name); err != nil {
			return err
		}
		ran = true
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrSchemaAhead) {
			return false, err
		}
		return false, fmt.Errorf("migrate %s schema of %s: %w", c.Name, Where(pool), err)
	}
	return ran, nil
}

// privilegeHint tells what to do when the migration's user may not create
// what it needs (tables, the unaccent extension).
func privilegeHint(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42501" { // insufficient_privilege
		return " (the user needs the CREATE privilege on the database; a superuser can also run CREATE EXTENSION unaccent once)"
	}
	return ""
}

// Version returns the component's recorded schema version (0 when none).
func Version(ctx context.Context, pool *pgxpool.Pool, c Component) (int, error) {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('archivist_schema') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("read %s schema version of %s: %w", c.Name, Where(pool), err)
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM archivist_schema WHERE component = $1`, c.Name).Scan(&v); err != nil {
		return 0, fmt.Errorf("read %s schema version of %s: %w", c.Name, Where(pool), err)
	}
	return v, nil
}

// Check returns nil when the database holds exactly the component's latest
// schema, and otherwise an error saying what to do: run `archivist
// migrate` (ErrSchemaBehind) or upgrade archivist (ErrSchemaAhead).
func Check(ctx context.Context, pool *pgxpool.Pool, c Component) error {
	v, err := Version(ctx, pool, c)
	if err != nil {
		return err
	}
	switch {
	case v == c.Latest():
		return nil
	case v > c.Latest():
		return fmt.Errorf("%w: %s has %s schema version %d, this archivist knows up to %d: upgrade archivist (every replica must run a version that knows the schema)",
			ErrSchemaAhead, Where(pool), c.Name, v, c.Latest())
	case v == 0:
		return fmt.Errorf("%w: %s has no %s schema: run `archivist migrate --db URL` once before starting archivist on it",
			ErrSchemaBehind, Where(pool), c.Name)
	default:
		return fmt.Errorf("%w: %s has %s schema version %d, this archivist needs %d: run `archivist migrate --db URL`",
			ErrSchemaBehind, Where(pool), c.Name, v, c.Latest())
	}
}
