package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/archivist-project/archivist/archive/capture"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/catalog/postgres"
	"github.com/archivist-project/archivist/archive/catalog/sqlite"
	"github.com/archivist-project/archivist/archive/pgdb"
	frontierpg "github.com/archivist-project/archivist/crawler/frontier/postgres"
	frontiersqlite "github.com/archivist-project/archivist/crawler/frontier/sqlite"
	"github.com/archivist-project/archivist/crawler/hostlimit"
)

// copyBatch is how many catalog entries migrate-catalog writes per
// transaction: large enough to amortise the commit, small enough to keep
// one batch's article texts in memory.
const copyBatch = 500

// schemas are the PostgreSQL components `archivist migrate` manages.
func schemas() []pgdb.Component {
	return []pgdb.Component{postgres.Schema(), frontierpg.Schema(), hostlimit.Schema()}
}

// runMigrate applies pending schema migrations. PostgreSQL: every
// component, once, safe to run again and from several machines at once.
// SQLite: the catalog and frontier files migrate themselves when opened,
// which this does.
func runMigrate(ctx context.Context, args []string, io IO) error {
	fs := newFlagSet("migrate", io, "[--db postgres://...] [--data DIR]")
	var c common
	c.register(fs)
	if rest, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usagef("migrate: unexpected argument %q", rest[0])
	}
	cfg, err := c.load(io)
	if err != nil {
		return err
	}
	log := newLogger(cfg, io)
	if !usePostgres(cfg) {
		dir, err := filepath.Abs(cfg.Data)
		if err != nil {
			return fmt.Errorf("migrate: data directory %q: %w", cfg.Data, err)
		}
		cat, err := sqlite.Open(ctx, filepath.Join(dir, catalogFile), log)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		cat.Close()
		fr, err := frontiersqlite.Open(ctx, filepath.Join(dir, frontierFile), log)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		fr.Close()
		fmt.Fprintf(io.Out, "SQLite catalog and frontier in %s are up to date (they migrate themselves when opened)\n", dir)
		return nil
	}
	pool, err := pgdb.Connect(ctx, cfg.DB)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer pool.Close()
	applied, err := pgdb.Migrate(ctx, pool, log, schemas()...)
	for _, a := range applied {
		fmt.Fprintf(io.Out, "applied %s migration %d: %s\n", a.Component, a.Version, a.Name)
	}
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, s := range schemas() {
		fmt.Fprintf(io.Out, "%s schema at version %d\n", s.Name, s.Latest())
	}
	if len(applied) == 0 {
		fmt.Fprintf(io.Out, "%s was already up to date\n", pgdb.Redact(cfg.DB))
	}
	return nil
}

// runMigrateCatalog copies a catalog into PostgreSQL: the data
// directory's SQLite catalog (--from sqlite), or every complete capture
// in the store (--from store, a reindex into PostgreSQL). Each batch is
// read back before the next, and the run ends by checking that every
// source capture is in the target, so no capture is lost silently. It is
// idempotent: entries are upserted by capture id, so running it again
// (say, once more after stopping the daemon that kept crawling into
// SQLite) copies what is new.
//
// Then, unless --no-frontier, it copies the data directory's frontier
// (DATA/frontier.db, when there is one) into the PostgreSQL frontier
// (copyFrontier): what only the frontier knows (pending URLs no source
// page lists any more, revisit schedules, the discovery log...) would
// otherwise be lost with the move.
func runMigrateCatalog(ctx context.Context, args []string, io IO) error {
	fs := newFlagSet("migrate-catalog", io, "--from sqlite|store --to postgres://... [--data DIR] [--no-frontier]")
	var c common
	c.register(fs)
	from := fs.String("from", "", "what to copy: sqlite (DATA/catalog.db) or store (every complete capture, as reindex reads them)")
	to := fs.String("to", "", "the PostgreSQL database: postgres://USER@HOST:5432/DBNAME")
	noFrontier := fs.Bool("no-frontier", false, "copy the catalog only, not the daemon's frontier (DATA/frontier.db)")
	if rest, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usagef("migrate-catalog: unexpected argument %q", rest[0])
	}
	if *from != "sqlite" && *from != "store" {
		return usagef("migrate-catalog: --from must be sqlite (the data directory's catalog) or store (read every capture back from the store)")
	}
	if !pgdb.IsURL(*to) {
		return usagef("migrate-catalog: --to must be a postgres://USER@HOST:5432/DBNAME URL")
	}
	c.db = "" // the source is the data directory's own catalog
	cfg, err := c.load(io)
	if err != nil {
		return err
	}
	cfg.DB = ""
	a, err := openArchive(ctx, cfg, "", false, io)
	if err != nil {
		return err
	}
	defer a.Close()

	pool, err := pgdb.Connect(ctx, *to)
	if err != nil {
		return fmt.Errorf("migrate-catalog: %w", err)
	}
	defer pool.Close()
	if _, err := pgdb.Migrate(ctx, pool, a.log, schemas()...); err != nil {
		return fmt.Errorf("migrate-catalog: %w", err)
	}
	dst, err := postgres.New(ctx, pool, a.log)
	if err != nil {
		return fmt.Errorf("migrate-catalog: %w", err)
	}
	// put writes a batch and reads its ids back: a batch that did not land
	// whole stops the copy with the ids it lost.
	copied := 0
	put := func(ctx context.Context, batch []catalog.Entry) error {
		if err := dst.PutBatch(ctx, batch); err != nil {
			return err
		}
		ids := make([]string, len(batch))
		for i, e := range batch {
			ids[i] = e.CaptureID
		}
		missing, err := dst.Missing(ctx, ids)
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			return fmt.Errorf("%d captures of a written batch are not in %s, e.g. %s", len(missing), dst.Where(), missing[0])
		}
		copied += len(batch)
		return nil
	}
	start := time.Now()
	switch *from {
	case "sqlite":
		err = copySQLite(ctx, a, put)
	case "store":
		var stats capture.ReindexStats
		stats, err = capture.Reindex(ctx, a.store, put, func(n int) { a.log.Info("copying from the store", "captures", n) })
		for _, id := range stats.Incomplete {
			fmt.Fprintf(io.Out, "incomplete capture (no provenance record, not indexed): %s\n", id)
		}
		for _, u := range stats.Unreadable {
			fmt.Fprintf(io.Out, "unreadable capture: %s\n", u)
		}
	}
	if err != nil {
		return fmt.Errorf("migrate-catalog: %w (%d captures copied so far; running the command again is safe)", err, copied)
	}
	total, err := dst.Count(ctx, catalog.Filter{})
	if err != nil {
		return fmt.Errorf("migrate-catalog: %w", err)
	}
	fmt.Fprintf(io.Out, "copied %d captures from %s to %s in %s, each read back; the target holds %d captures\n",
		copied, sourceName(*from, a), dst.Where(), time.Since(start).Round(time.Millisecond), total)
	if !*noFrontier {
		if err := copyFrontier(ctx, a.dir, pool, a.log, io); err != nil {
			return fmt.Errorf("migrate-catalog: %w", err)
		}
	}
	fmt.Fprintf(io.Out, "next: set db: %s in the configuration (or pass --db) of every command and replica\n", pgdb.Redact(*to))
	return nil
}

func sourceName(from string, a *archiveEnv) string {
	if from == "store" {
		return a.store.Location()
	}
	return filepath.Join(a.dir, catalogFile)
}

// copySQLite streams the SQLite catalog in capture order into put, in
// batches, and finally checks the target holds as many of its captures as
// the source has.
func copySQLite(ctx context.Context, a *archiveEnv, put func(context.Context, []catalog.Entry) error) error {
	batch := make([]catalog.Entry, 0, copyBatch)
	n := 0
	err := a.catalog.List(ctx, catalog.Filter{}, func(e catalog.Entry) error {
		batch = append(batch, e)
		n++
		if len(batch) < copyBatch {
			return nil
		}
		err := put(ctx, batch)
		batch = batch[:0]
		if n%(copyBatch*20) == 0 {
			a.log.Info("copying the SQLite catalog", "captures", n)
		}
		return err
	})
	if err != nil {
		return err
	}
	if err := put(ctx, batch); err != nil {
		return err
	}
	want, err := a.catalog.Count(ctx, catalog.Filter{})
	if err != nil {
		return err
	}
	if n < want {
		return fmt.Errorf("read %d captures but the SQLite catalog counts %d", n, want)
	}
	return nil
}

// reindexPostgres rebuilds a PostgreSQL catalog from the store by upserting
// every complete capture: the catalog stays online, rows are replaced in
// place. Rows of captures no longer in the store are left (verify reports
// them as missing).
func reindexPostgres(ctx context.Context, a *archiveEnv, io IO) error {
	pg, ok := a.catalog.(*postgres.Catalog)
	if !ok {
		return fmt.Errorf("reindex: the catalog is not PostgreSQL")
	}
	start := time.Now()
	stats, err := capture.Reindex(ctx, a.store, pg.PutBatch, func(n int) { a.log.Info("reindexing", "captures", n) })
	if err != nil {
		return fmt.Errorf("reindex: %w", err)
	}
	fmt.Fprintf(io.Out, "reindexed %d captures from %s into %s in %s\n", stats.Captures, a.store.Location(), pg.Where(), time.Since(start).Round(time.Millisecond))
	for _, id := range stats.Incomplete {
		fmt.Fprintf(io.Out, "incomplete capture (no provenance record, not indexed): %s\n", id)
	}
	for _, u := range stats.Unreadable {
		fmt.Fprintf(io.Out, "unreadable capture: %s\n", u)
	}
	if len(stats.Unreadable) > 0 {
		return &PartialError{Msg: fmt.Sprintf("reindex: %d captures could not be read (run `archivist verify`)", len(stats.Unreadable))}
	}
	return nil
}
