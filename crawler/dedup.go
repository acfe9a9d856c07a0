package crawler

import (
	"log/slog"
	"sync"

	"github.com/archivist-project/archivist/crawler/internal/spill"
)

// dedup remembers, per run, which URLs were queued and which pages were
// archived, keyed by urlnorm.Key so that spelling variants collide.
type dedup struct {
	mu sync.Mutex
	// seen maps the key of every queued, redirected-to or claimed URL to
	// the URL that got there first; a seen URL is never queued again.
	seen *spillMap
	// canonical maps the key of an archived page's canonical (or final)
	// URL to the requested URL of the fetch that archived it.
	canonical *spillMap
}

// newDedup returns a dedup keeping about budget bytes in memory and the
// rest in file (nil: all in memory).
func newDedup(file *spill.File, budget int, log *slog.Logger) *dedup {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Every URL is seen; only archived pages are claimed.
	return &dedup{
		seen:      newSpillMap(file, spill.Seen, budget*3/4, log),
		canonical: newSpillMap(file, spill.Canonical, budget/4, log),
	}
}

// markSeen records key for url and reports whether it was new.
func (d *dedup) markSeen(key, url string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.seen.get(key); ok {
		return false
	}
	d.seen.set(key, url)
	return true
}

// seenBy returns the URL that first claimed key, marking key as claimed by
// url when nobody had.
func (d *dedup) seenBy(key, url string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if first, ok := d.seen.get(key); ok {
		return first
	}
	d.seen.set(key, url)
	return url
}

// canonicalOwner returns the fetch that archived the page with this
// canonical key, or "".
func (d *dedup) canonicalOwner(key string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	o, _ := d.canonical.get(key)
	return o
}

// claim reserves a canonical key for the fetch of url. The key is marked
// seen as well, so a page whose canonical was archived is not fetched.
func (d *dedup) claim(key, url string) (owner string, claimed bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if o, ok := d.canonical.get(key); ok {
		if o != url {
			return o, false
		}
	} else {
		d.canonical.set(key, url)
	}
	if _, ok := d.seen.get(key); !ok {
		d.seen.set(key, url)
	}
	return url, true
}

// release undoes claims of url that did not lead to a capture.
func (d *dedup) release(keys []string, url string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, k := range keys {
		if o, ok := d.canonical.get(k); ok && o == url {
			d.canonical.del(k)
		}
	}
}
