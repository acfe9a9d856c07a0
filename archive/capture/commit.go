package capture

import (
	"context"
	"sync"
	"time"

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
//
// A crawl's captures finish one at a time, each a few milliseconds after
// the last, so a leader that committed at once committed one row nearly
// every time (three quarters of a crawl's catalog CPU was such one-row
// transactions, which cost twice a row's share of a batch). So a Recorder
// announces each capture it starts writing (expect), and a leader waits,
// up to linger, for the rows of captures being written: while their
// objects go to the store, a transaction's worth of rows gathers. A
// caller that writes alone does not wait: nothing is expected.
type committer struct {
	cat    catalog.Catalog
	linger time.Duration

	mu      sync.Mutex
	queue   []*pendingRow
	leading bool
	// coming counts the captures being written whose rows are not queued
	// yet; arrived wakes a lingering leader when one is queued or given up.
	coming  int
	arrived chan struct{}
}

type pendingRow struct {
	entry catalog.Entry
	done  chan error // buffered: the leader never blocks on it
}

// defaultCommitLinger is how long a leader waits for the rows of captures
// being written. Writing a capture's three objects (fsync included) takes
// a few to a few tens of milliseconds; a capture's row waits at most this
// much longer to be committed.
const defaultCommitLinger = 25 * time.Millisecond

func newCommitter(cat catalog.Catalog, linger time.Duration) *committer {
	return &committer{cat: cat, linger: linger, arrived: make(chan struct{}, 1)}
}

// expect announces a row: a capture is being written, and its row will be
// put (with expected set) unless the capture fails first (forget).
func (c *committer) expect() {
	c.mu.Lock()
	c.coming++
	c.mu.Unlock()
}

// forget withdraws a row expect announced that will not come.
func (c *committer) forget() {
	c.mu.Lock()
	c.coming--
	c.mu.Unlock()
	c.wake()
}

// wake tells a lingering leader that what it waits for changed.
func (c *committer) wake() {
	select {
	case c.arrived <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// put adds e to the catalog and returns once it is committed; expected
// says whether expect announced it.
func (c *committer) put(ctx context.Context, e catalog.Entry, expected bool) error {
	bp, ok := c.cat.(batchPutter)
	if !ok {
		if expected {
			c.forget()
		}
		return c.cat.Put(ctx, e)
	}
	row := &pendingRow{entry: e, done: make(chan error, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, row)
	if expected {
		c.coming--
	}
	if c.leading {
		c.mu.Unlock()
		c.wake()
		return <-row.done
	}
	c.leading = true
	c.mu.Unlock()
	c.lead(ctx, bp)
	return <-row.done
}

// lead commits queued rows until the queue is empty, each batch once the
// rows expected have come, a full batch is queued, or linger has passed.
func (c *committer) lead(ctx context.Context, bp batchPutter) {
	var deadline time.Time // of the batch being gathered; zero before its first wait
	for {
		c.mu.Lock()
		n := min(len(c.queue), maxCommitBatch)
		if n == 0 {
			c.leading = false
			c.mu.Unlock()
			return
		}
		if n < maxCommitBatch && c.coming > 0 && c.linger > 0 && ctx.Err() == nil {
			if deadline.IsZero() {
				deadline = time.Now().Add(c.linger)
			}
			if wait := time.Until(deadline); wait > 0 {
				c.mu.Unlock()
				c.await(ctx, wait)
				continue
			}
		}
		deadline = time.Time{}
		batch := c.queue[:n:n]
		c.queue = c.queue[n:]
		c.mu.Unlock()
		c.commit(ctx, bp, batch)
	}
}

// await returns when a row is queued or withdrawn, after wait, or when ctx
// is done, whichever comes first.
func (c *committer) await(ctx context.Context, wait time.Duration) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-c.arrived:
	case <-timer.C:
	case <-ctx.Done():
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
