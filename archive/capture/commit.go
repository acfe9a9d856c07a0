package capture

import (
	"context"
	"sync"

	"github.com/archivist-project/archivist/archive/catalog"
)

// batchPutter is a catalog that can add several entries in one
// transaction; both backends are.
type batchPutter interface {
	PutBatch(ctx context.Context, entries []catalog.Entry) error
}

// maxCommitBatch bounds one group commit, so that a burst of captures does
// not make the first of them wait for a very long transaction.
const maxCommitBatch = 256

// committer adds catalog rows by group commit: captures finishing at the
// same time share one transaction. A transaction per capture made the
// commit (and, for SQLite, the WAL append and the FTS5 segment merge
// bookkeeping it triggers) a large share of a capture's CPU; a batch pays
// them once. Each caller still returns only once its own row is committed,
// so the store-before-catalog order and every caller's error are kept.
//
// There is no background goroutine: the first caller to find no commit
// running becomes the leader and commits everything queued, looping while
// more arrives; the others wait for its answer.
type committer struct {
	cat catalog.Catalog

	mu      sync.Mutex
	queue   []*pendingRow
	leading bool
}

type pendingRow struct {
	entry catalog.Entry
	done  chan error // buffered: the leader never blocks on it
}

func newCommitter(cat catalog.Catalog) *committer {
	return &committer{cat: cat}
}

// put adds e to the catalog and returns once it is committed.
func (c *committer) put(ctx context.Context, e catalog.Entry) error {
	bp, ok := c.cat.(batchPutter)
	if !ok {
		return c.cat.Put(ctx, e)
	}
	row := &pendingRow{entry: e, done: make(chan error, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, row)
	if c.leading {
		c.mu.Unlock()
		return <-row.done
	}
	c.leading = true
	c.mu.Unlock()
	c.lead(ctx, bp)
	return <-row.done
}

// lead commits queued rows until the queue is empty.
func (c *committer) lead(ctx context.Context, bp batchPutter) {
	for {
		c.mu.Lock()
		n := min(len(c.queue), maxCommitBatch)
		if n == 0 {
			c.leading = false
			c.mu.Unlock()
			return
		}
		batch := c.queue[:n:n]
		c.queue = c.queue[n:]
		c.mu.Unlock()
		c.commit(ctx, bp, batch)
	}
}

// commit writes one batch. When the batch fails as a whole, each row is
// tried alone, so that one bad entry (or the leader's cancelled context)
// fails only its own capture.
func (c *committer) commit(ctx context.Context, bp batchPutter, batch []*pendingRow) {
	if len(batch) == 1 {
		batch[0].done <- c.cat.Put(ctx, batch[0].entry)
		return
	}
	entries := make([]catalog.Entry, len(batch))
	for i, r := range batch {
		entries[i] = r.entry
	}
	if err := bp.PutBatch(ctx, entries); err == nil {
		for _, r := range batch {
			r.done <- nil
		}
		return
	}
	// WithoutCancel: a row must not fail because the leader's caller gave
	// up; each row's own caller is already waiting for its answer.
	solo := context.WithoutCancel(ctx)
	for _, r := range batch {
		r.done <- c.cat.Put(solo, r.entry)
	}
}
