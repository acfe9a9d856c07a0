package crawler

import (
	"sync"
	"time"
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
type frontier struct {
	// readyIn tells how long until a request to host may start: 0 now,
	// hostBackedOff, hostFull, or the remaining politeness delay.
	readyIn func(host string) time.Duration

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
}

func newFrontier(readyIn func(host string) time.Duration) *frontier {
	f := &frontier{readyIn: readyIn, hosts: make(map[string]*hostQueue)}
	f.cond = sync.NewCond(&f.mu)
	return f
}

func (f *frontier) push(items ...item) {
	if len(items) == 0 {
		return
	}
	f.mu.Lock()
	for _, it := range items {
		q := f.hosts[it.host]
		if q == nil {
			q = &hostQueue{host: it.host}
			f.hosts[it.host] = q
			f.ring = append(f.ring, q)
		}
		q.items = append(q.items, it)
		f.queued++
	}
	f.mu.Unlock()
	f.cond.Broadcast()
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
		it := q.items[q.head]
		q.items[q.head] = item{}
		q.head++
		f.queued--
		if q.head == len(q.items) {
			// Empty: drop the host from the ring (its next URL re-adds it).
			delete(f.hosts, q.host)
			f.ring = append(f.ring[:i], f.ring[i+1:]...)
			f.next0 = i
		} else {
			f.next0 = i + 1
			if q.head >= 64 && 2*q.head >= len(q.items) {
				// Reclaim the taken prefix of a long-lived host's queue.
				q.items = append(q.items[:0], q.items[q.head:]...)
				q.head = 0
			}
		}
		if f.next0 >= len(f.ring) {
			f.next0 = 0
		}
		return it, 0, true
	}
	return item{}, wait, false
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
