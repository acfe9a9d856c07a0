package crawler

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/archivist-project/archivist/crawler/internal/spill"
)

// Readiness of a host, as readyIn reports it.
const (
	// hostBackedOff: hand the host's URLs out now; their fetch fails at
	// once (the host asked to back off), which beats holding the crawl
	// until a Retry-After of hours has passed.
	hostBackedOff time.Duration = -1
	// hostFull: every slot of the host is in use; a slot frees when a
	// worker finishes, and done wakes the waiters then.
	hostFull time.Duration = 1<<63 - 1
)

// maxIdleWait bounds a worker's sleep when no host is ready, so that a
// change the frontier is not told about (a HostGate slot freed by another
// process) is seen soon.
const maxIdleWait = 250 * time.Millisecond

// frontier is the run's queue of URLs to fetch, one FIFO queue per host
// served round-robin. It hands a worker only a URL whose host can be
// fetched now, so that with many hosts no worker sits out a host's
// politeness delay while other hosts could be crawled: politeness then
// bounds each host, not the crawl. It knows how many items workers hold,
// so it can tell "empty for now" (a worker may still add links) from
// "drained" (nothing queued, nobody working).
//
// With a spill file, it keeps at most memBudget bytes of queued items in
// memory and appends the rest to the file, per host in order; a host's
// queue is refilled from the file when its items in memory run out. So a
// crawl that discovers URLs faster than politeness lets it fetch them
// holds on disk what it cannot fetch yet.
type frontier struct {
	// readyIn tells how long until a request to host may start: 0 now,
	// hostBackedOff, hostFull, or the remaining politeness delay.
	readyIn func(host string) time.Duration

	// spill, when set, takes the items past memBudget; nil keeps all in
	// memory.
	spill     *spill.File
	memBudget int
	log       *slog.Logger
	memBytes  int  // approximate bytes of the items in memory
	noSpill   bool // a write to spill failed: new items stay in memory

	mu      sync.Mutex
	cond    *sync.Cond
	hosts   map[string]*hostQueue
	ring    []*hostQueue // hosts with queued items, in round-robin order
	next0   int          // where the next round-robin scan starts
	queued  int
	active  int
	stopped bool
	wakeAt  time.Time // when a timer will wake idle workers; zero: none set
}

type hostQueue struct {
	host  string
	items []item
	head  int
	// spilled counts the host's items in the spill file; they come after
	// all of its items in memory.
	spilled int
}

// errSpillShort: the spill file held fewer of a host's items than were
// put there.
var errSpillShort = errors.New("the file lacks items it was given")

// refillBatch is how many of a host's items come back from the spill file
// at once: enough that a host's next URLs are at hand, few enough that
// memory with many hosts stays small.
const refillBatch = 32

func newFrontier(readyIn func(host string) time.Duration) *frontier {
	f := &frontier{readyIn: readyIn, hosts: make(map[string]*hostQueue), log: slog.New(slog.DiscardHandler)}
	f.cond = sync.NewCond(&f.mu)
	return f
}

// spillTo makes the frontier keep at most budget bytes of items in memory
// and the rest in file.
func (f *frontier) spillTo(file *spill.File, budget int, log *slog.Logger) {
	f.spill, f.memBudget, f.log = file, budget, log
}

// itemBytes estimates the memory an item holds: its strings and its slot.
func itemBytes(it item) int {
	return len(it.url) + len(it.key) + len(it.host) + len(it.via) + len(it.seed) + 96
}

func (f *frontier) push(items ...item) {
	if len(items) == 0 {
		return
	}
	f.mu.Lock()
	var toFile []spill.Item
	for _, it := range items {
		q := f.hosts[it.host]
		if q == nil {
			q = &hostQueue{host: it.host}
			f.hosts[it.host] = q
			f.ring = append(f.ring, q)
		}
		f.queued++
		n := itemBytes(it)
		// A host with items in the file queues behind them, to keep its
		// order.
		if f.spill != nil && !f.noSpill && (q.spilled > 0 || f.memBytes+n > f.memBudget) {
			q.spilled++
			toFile = append(toFile, toSpill(it))
			continue
		}
		q.items = append(q.items, it)
		f.memBytes += n
	}
	if len(toFile) > 0 {
		if err := f.spill.Push(context.Background(), toFile); err != nil {
			// Keep them in memory: a crawl that outgrows its budget beats
			// one that drops URLs.
			f.log.Error("crawl spill file failed; keeping queued URLs in memory", "error", err, "urls", len(toFile))
			f.noSpill = true
			for _, s := range toFile {
				it := fromSpill(s)
				q := f.hosts[s.Host]
				q.spilled--
				q.items = append(q.items, it)
				f.memBytes += itemBytes(it)
			}
		}
	}
	f.mu.Unlock()
	f.cond.Broadcast()
}

// toSpill and fromSpill convert between a queue item and its row in the
// spill file.
func toSpill(it item) spill.Item {
	return spill.Item{Host: it.host, URL: it.url, Key: it.key, Via: it.via, Seed: it.seed, Depth: it.depth}
}

func fromSpill(s spill.Item) item {
	return item{url: s.URL, key: s.Key, host: s.Host, via: s.Via, seed: s.Seed, depth: s.Depth}
}

// refill moves the next items of q's host from the spill file to memory.
// Items the file cannot give back are lost to this run, and logged.
func (f *frontier) refill(q *hostQueue) {
	if q.spilled == 0 {
		return
	}
	got, err := f.spill.Pop(context.Background(), q.host, refillBatch)
	if err == nil && len(got) == 0 {
		err = errSpillShort
	}
	if err != nil {
		f.log.Error("crawl spill file unreadable; this host's queued URLs are dropped", "host", q.host, "urls", q.spilled, "error", err)
		f.queued -= q.spilled
		q.spilled = 0
		return
	}
	q.items, q.head = q.items[:0], 0
	for _, s := range got {
		it := fromSpill(s)
		q.items = append(q.items, it)
		f.memBytes += itemBytes(it)
	}
	q.spilled -= len(got)
}

// next blocks until an item whose host can be fetched now is available
// and hands it out. It returns false once the frontier is drained or
// stopped; the caller must call done after processing an item.
func (f *frontier) next() (item, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		if f.stopped {
			return item{}, false
		}
		if f.queued > 0 {
			it, wait, ok := f.take()
			if ok {
				f.active++
				return it, true
			}
			f.sleep(wait)
			continue
		}
		if f.active == 0 {
			// Drained: wake the other idle workers so they exit too.
			f.stopped = true
			f.cond.Broadcast()
			return item{}, false
		}
		f.cond.Wait()
	}
}

// take removes the first item of the first ready host in round-robin
// order. When no host is ready it returns how long until one may be.
func (f *frontier) take() (item, time.Duration, bool) {
	wait := hostFull
	n := len(f.ring)
	for k := 0; k < n; k++ {
		i := (f.next0 + k) % n
		q := f.ring[i]
		d := f.readyIn(q.host)
		if d > 0 {
			wait = min(wait, d)
			continue
		}
		if q.head == len(q.items) {
			// Only a host whose items all went to the spill file gets here.
			f.refill(q)
			if q.head == len(q.items) {
				f.dropHost(i)
				return f.take()
			}
		}
		it := q.items[q.head]
		q.items[q.head] = item{}
		q.head++
		f.queued--
		f.memBytes -= itemBytes(it)
		if q.head == len(q.items) && q.spilled > 0 {
			f.refill(q)
		}
		if q.head == len(q.items) {
			// Empty: drop the host from the ring (its next URL re-adds it).
			f.dropHost(i)
			return it, 0, true
		}
		f.next0 = i + 1
		if f.next0 >= len(f.ring) {
			f.next0 = 0
		}
		if q.head >= 64 && 2*q.head >= len(q.items) {
			// Reclaim the taken prefix of a long-lived host's queue.
			q.items = append(q.items[:0], q.items[q.head:]...)
			q.head = 0
		}
		return it, 0, true
	}
	return item{}, wait, false
}

// dropHost removes the empty host at ring index i.
func (f *frontier) dropHost(i int) {
	delete(f.hosts, f.ring[i].host)
	f.ring = append(f.ring[:i], f.ring[i+1:]...)
	f.next0 = i
	if f.next0 >= len(f.ring) {
		f.next0 = 0
	}
}

// sleep waits for a push, a done, a stop, or wait to pass, whichever is
// first; mu is held. One timer serves all idle workers.
func (f *frontier) sleep(wait time.Duration) {
	wait = min(wait, maxIdleWait)
	at := time.Now().Add(wait)
	if f.wakeAt.IsZero() || at.Before(f.wakeAt) {
		f.wakeAt = at
		time.AfterFunc(wait, func() {
			f.mu.Lock()
			if !f.wakeAt.After(at) {
				f.wakeAt = time.Time{}
			}
			f.mu.Unlock()
			f.cond.Broadcast()
		})
	}
	f.cond.Wait()
}

func (f *frontier) done() {
	f.mu.Lock()
	f.active--
	f.mu.Unlock()
	f.cond.Broadcast()
}

// stop makes next return false from now on; queued items are dropped.
func (f *frontier) stop() {
	f.mu.Lock()
	f.stopped = true
	f.mu.Unlock()
	f.cond.Broadcast()
}
