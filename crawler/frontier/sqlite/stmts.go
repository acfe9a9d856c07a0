package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// stmtCache keeps the writer's prepared statements by their SQL text.
// Preparing a statement was most of the CPU of a lease or a completion
// (SQLite compiles the items triggers into every statement that changes
// items), and database/sql prepares afresh for every call in a
// transaction. Every statement of the package is a constant, so the cache
// holds a few dozen entries.
type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stmts[query]
}

// prepare adds the statements not yet cached. It must run outside any
// transaction: the writer pool has one connection, which a transaction
// holds until it ends.
func (c *stmtCache) prepare(ctx context.Context, db *sql.DB, queries []string) error {
	for _, q := range queries {
		if c.get(q) != nil {
			continue
		}
		s, err := db.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		c.mu.Lock()
		if c.stmts == nil {
			c.stmts = map[string]*sql.Stmt{}
		}
		if old := c.stmts[q]; old != nil {
			s.Close()
		} else {
			c.stmts[q] = s
		}
		c.mu.Unlock()
	}
	return nil
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, s := range c.stmts {
		errs = append(errs, s.Close())
	}
	c.stmts = nil
	return errors.Join(errs...)
}

// wtx is a write transaction that runs cached statements where it can and
// notes the others, which tx prepares for next time once the
// transaction has ended.
type wtx struct {
	*sql.Tx
	cache  *stmtCache
	missed []string
}

func (t *wtx) stmt(ctx context.Context, query string) *sql.Stmt {
	if s := t.cache.get(query); s != nil {
		return t.Tx.StmtContext(ctx, s)
	}
	t.missed = append(t.missed, query)
	return nil
}

func (t *wtx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := t.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

func (t *wtx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

func (t *wtx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}

func (t *wtx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	if s := t.stmt(ctx, query); s != nil {
		return s, nil
	}
	return t.Tx.PrepareContext(ctx, query)
}
