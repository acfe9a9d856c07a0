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

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/archivist-project/archivist/crawler/frontier"
	frontierpg "github.com/archivist-project/archivist/crawler/frontier/postgres"
	frontiersqlite "github.com/archivist-project/archivist/crawler/frontier/sqlite"
)

// frontierBatch is how many frontier rows migrate-catalog writes per
// transaction: frontier rows are small, and a short transaction keeps the
// row locks it takes in a frontier replicas may be working brief.
const frontierBatch = 1000

// copyFrontier copies the data directory's SQLite frontier (pending URLs,
// revisit schedules, retry state, validators, claims, host back-offs,
// poll history and the discovery log) into the PostgreSQL frontier on
// pool, batch by batch, each read back before it commits, and ends by
// checking that every row read was written or kept. The SQLite file is
// only read. Rows the target already has follow frontierpg.Import's rules
// (the target's newer state wins), so running it again adds nothing twice
// and moves nothing back.
func copyFrontier(ctx context.Context, dir string, pool *pgxpool.Pool, log *slog.Logger, io IO) error {
	path := filepath.Join(dir, frontierFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(io.Out, "no frontier to copy (%s does not exist: this data directory never ran `archivist serve`)\n", path)
		return nil
	} else if err != nil {
		return fmt.Errorf("copy frontier %s: %w", path, err)
	}
	dst, err := frontierpg.New(ctx, pool, log)
	if err != nil {
		return fmt.Errorf("copy frontier %s: %w", path, err)
	}
	defer dst.Close()
	// Items the stopped daemon held leased are due again from the start
	// of the copy: one time for all, so a second run changes nothing.
	start := time.Now()
	written := map[frontier.Table]frontier.ImportResult{}
	rowsDone := 0
	read, err := frontiersqlite.Export(ctx, path, frontierBatch, func(ctx context.Context, rows frontier.Rows) error {
		res, err := dst.Import(ctx, rows, start)
		if err != nil {
			return err
		}
		written[rows.Table] = written[rows.Table].Add(res)
		rowsDone += res.Total()
		if every := frontierBatch * 50; (rowsDone-rows.Len())/every != rowsDone/every {
			log.Info("copying the SQLite frontier", "table", rows.Table, "rows", rowsDone)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("copy frontier: %w (%d rows copied so far; running the command again is safe)", err, rowsDone)
	}
	for _, t := range frontier.Tables() {
		if got := written[t].Total(); got != read[t] {
			return fmt.Errorf("copy frontier %s: read %d %s but wrote or kept %d: run the command again", path, read[t], t, got)
		}
	}
	held, err := dst.Counts(ctx)
	if err != nil {
		return fmt.Errorf("copy frontier %s: %w", path, err)
	}
	fmt.Fprintf(io.Out, "copied the frontier %s to %s in %s, each batch read back (kept: the target had the row already, or a newer one):\n",
		path, dst.Where(), time.Since(start).Round(time.Millisecond))
	for _, t := range frontier.Tables() {
		w := written[t]
		fmt.Fprintf(io.Out, "  %-11s %d read: %d added, %d updated, %d kept; the target holds %d\n",
			t, read[t], w.Added, w.Updated, w.Kept, held[t])
	}
	return nil
}
