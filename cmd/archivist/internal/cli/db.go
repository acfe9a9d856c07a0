package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/catalog/postgres"
	"github.com/archivist-project/archivist/archive/catalog/sqlite"
	"github.com/archivist-project/archivist/archive/pgdb"
	"github.com/archivist-project/archivist/cmd/archivist/internal/config"
	"github.com/archivist-project/archivist/crawler"
	"github.com/archivist-project/archivist/crawler/frontier"
	frontierpg "github.com/archivist-project/archivist/crawler/frontier/postgres"
	frontiersqlite "github.com/archivist-project/archivist/crawler/frontier/sqlite"
	"github.com/archivist-project/archivist/crawler/hostlimit"
)

// archiveCatalog is what commands need of a catalog, whichever backend:
// the catalog itself and the selections exports stream.
type archiveCatalog interface {
	catalog.Catalog
	catalog.Selector
}

// slotMargin is added to the request timeout to make a politeness slot's
// time to live: a slot outlives any request its holder can still be
// making, and a killed holder's slot frees soon after.
const slotMargin = 10 * time.Second

// usePostgres tells whether the configuration puts the catalog and the
// frontier in PostgreSQL.
func usePostgres(cfg config.Config) bool { return pgdb.IsURL(cfg.DB) }

// dbName names where the catalog and frontier live, for logs: the
// PostgreSQL URL without its password, or "sqlite".
func dbName(cfg config.Config) string {
	if usePostgres(cfg) {
		return pgdb.Redact(cfg.DB)
	}
	return "sqlite"
}

// openCatalog opens the catalog the configuration names: PostgreSQL at
// cfg.DB, else DATA/catalog.db.
func openCatalog(ctx context.Context, cfg config.Config, dir string, log *slog.Logger) (archiveCatalog, error) {
	if usePostgres(cfg) {
		return postgres.Open(ctx, cfg.DB, log)
	}
	return sqlite.Open(ctx, filepath.Join(dir, catalogFile), log)
}

// daemonFrontier is the frontier serve works, the host gate its replicas
// share (nil with SQLite: politeness is in-process) and how to close both.
type daemonFrontier struct {
	fr    frontier.Frontier
	gate  crawler.HostGate
	close func() error
}

// openDaemonFrontier opens DATA/frontier.db, or with PostgreSQL the shared
// frontier and politeness slots, on one pool of their own.
func openDaemonFrontier(ctx context.Context, cfg config.Config, dir string, log *slog.Logger) (daemonFrontier, error) {
	if !usePostgres(cfg) {
		fr, err := frontiersqlite.Open(ctx, filepath.Join(dir, frontierFile), log)
		if err != nil {
			return daemonFrontier{}, fmt.Errorf("open frontier: %w", err)
		}
		return daemonFrontier{fr: fr, close: fr.Close}, nil
	}
	pool, err := pgdb.Connect(ctx, cfg.DB)
	if err != nil {
		return daemonFrontier{}, fmt.Errorf("open frontier: %w", err)
	}
	fr, err := frontierpg.New(ctx, pool, log)
	if err != nil {
		pool.Close()
		return daemonFrontier{}, err
	}
	host, _ := os.Hostname()
	gate, err := hostlimit.New(ctx, pool, hostlimit.Options{
		Holder:  fmt.Sprintf("%s/%d", host, os.Getpid()),
		SlotTTL: time.Duration(cfg.Crawl.RequestTimeout) + slotMargin,
		Logger:  log,
	})
	if err != nil {
		fr.Close()
		pool.Close()
		return daemonFrontier{}, err
	}
	return daemonFrontier{fr: fr, gate: gate, close: func() error {
		err := fr.Close()
		pool.Close()
		return err
	}}, nil
}

// openReadFrontier opens the frontier for reading (status): PostgreSQL at
// cfg.DB, else DATA/frontier.db, which must exist.
func openReadFrontier(ctx context.Context, cfg config.Config, dir string, log *slog.Logger) (frontier.Frontier, error) {
	if usePostgres(cfg) {
		return frontierpg.Open(ctx, cfg.DB, log)
	}
	path := filepath.Join(dir, frontierFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, usagef("no daemon state in %s (%s is missing): start `archivist serve --config FILE` with this data directory first", dir, frontierFile)
	}
	return frontiersqlite.Open(ctx, path, log)
}
