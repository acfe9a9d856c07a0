package crawler

import "sync"

// lookahead bounds how far into the queue next searches for a host that
// can be fetched right away, keeping the pick cheap on large frontiers.
const lookahead = 64

// frontier is the run's queue of URLs to fetch. It knows how many items
// workers hold, so it can tell "empty for now" (a worker may still add
// links) from "drained" (nothing queued, nobody working).
type frontier struct {
	ready func(host string) bool

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []item
	active  int
	stopped bool
}

func newFrontier(ready func(host string) bool) *frontier {
	f := &frontier{ready: ready}
	f.cond = sync.NewCond(&f.mu)
	return f
}

func (f *frontier) push(items ...item) {
	if len(items) == 0 {
		return
	}
	f.mu.Lock()
	f.queue = append(f.queue, items...)
	f.mu.Unlock()
	f.cond.Broadcast()
}

// next blocks until an item is available and hands it out, preferring one
// whose host has a free politeness slot so that a worker does not sit
// waiting on a busy host while others are idle. It returns false once the
// frontier is drained or stopped; the caller must call done after
// processing an item.
func (f *frontier) next() (item, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		if f.stopped {
			return item{}, false
		}
		if len(f.queue) > 0 {
			i := f.pick()
			it := f.queue[i]
			f.queue = append(f.queue[:i], f.queue[i+1:]...)
			f.active++
			return it, true
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

func (f *frontier) pick() int {
	for i := 0; i < len(f.queue) && i < lookahead; i++ {
		if f.ready(f.queue[i].host) {
			return i
		}
	}
	return 0
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
