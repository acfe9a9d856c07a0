package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/archivist-project/archivist/archive/catalog"
)

// writeStmts are the writer's prepared statements.
//
// A new row is written by two statements, the row and then its full-text
// entry, rather than by one insert whose trigger writes the entry: SQLite
// opens a statement savepoint inside a transaction for every statement
// that fires a trigger, and FTS5 writes its pending index to disk as a new
// segment at every savepoint. With the trigger, a batch of 256 entries made
// 256 one-document segments, and merging them was half of an insert's
// cost; without it, the index takes a whole transaction's entries as one
// segment. Rows that already exist (a capture written again) go through
// the upsert, whose update trigger replaces the full-text entry.
type writeStmts struct {
	exists, insert, index, upsert *sql.Stmt
}

func prepareWrites(ctx context.Context, db *sql.DB) (writeStmts, error) {
	var w writeStmts
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		{&w.exists, `SELECT 1 FROM captures WHERE capture_id = ?`},
		{&w.insert, insertEntry},
		{&w.index, `INSERT INTO captures_fts (rowid, title, text, host, title_grams, text_grams) VALUES (?, ?, ?, ?, ?, ?)`},
		{&w.upsert, upsertEntry},
	} {
		var err error
		if *p.stmt, err = db.PrepareContext(ctx, p.query); err != nil {
			return w, err
		}
	}
	return w, nil
}

// Put adds or replaces the entry with e.CaptureID.
func (c *Catalog) Put(ctx context.Context, e catalog.Entry) error {
	return c.PutBatch(ctx, []catalog.Entry{e})
}

// PutBatch adds or replaces entries in one transaction: either all land or
// none does. Later entries win over earlier ones with the same capture id.
// One transaction per batch amortises the commit (a WAL write and, at
// checkpoints, an fsync) and the full-text index's segment over many rows,
// which is what reindex, migrate-catalog and the capture pipeline's group
// commits need.
func (c *Catalog) PutBatch(ctx context.Context, entries []catalog.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	args := make([][]any, len(entries))
	entries = slices.Clone(entries)
	for i := range entries {
		e := &entries[i]
		// Stored as PostgreSQL stores them: grams split words as FTS5
		// does only in such text (see grams.go).
		e.Title, e.Text = catalog.CleanText(e.Title), catalog.CleanText(e.Text)
		a, err := entryArgs(*e)
		if err != nil {
			return fmt.Errorf("put into catalog %s: entry %d: %w", c.path, i, err)
		}
		args[i] = a
	}
	tx, err := c.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin writing to catalog %s: %w", c.path, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	w := writeStmts{
		exists: tx.StmtContext(ctx, c.write.exists), insert: tx.StmtContext(ctx, c.write.insert),
		index: tx.StmtContext(ctx, c.write.index), upsert: tx.StmtContext(ctx, c.write.upsert),
	}
	for i, e := range entries {
		if err := w.put(ctx, e, args[i]); err != nil {
			return fmt.Errorf("put entry %s into catalog %s: %w", e.CaptureID, c.path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit %d entries to catalog %s: %w", len(entries), c.path, err)
	}
	return nil
}

// put writes one entry within the caller's transaction.
func (w writeStmts) put(ctx context.Context, e catalog.Entry, args []any) error {
	var one int
	err := w.exists.QueryRowContext(ctx, e.CaptureID).Scan(&one)
	if err == nil {
		_, err = w.upsert.ExecContext(ctx, args...)
		return err
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	res, err := w.insert.ExecContext(ctx, args...)
	if err != nil {
		return err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	_, err = w.index.ExecContext(ctx, id, e.Title, e.Text, e.Host, grams(e.Title), grams(e.Text))
	return err
}
