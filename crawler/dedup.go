package crawler

import "sync"

// dedup remembers, per run, which URLs were queued and which pages were
// archived, keyed by urlnorm.Key so that spelling variants collide.
type dedup struct {
	mu sync.Mutex
	// seen maps the key of every queued, redirected-to or claimed URL to
	// the URL that got there first; a seen URL is never queued again.
	seen map[string]string
	// canonical maps the key of an archived page's canonical (or final)
	// URL to the requested URL of the fetch that archived it.
	canonical map[string]string
}

func newDedup() *dedup {
	return &dedup{seen: make(map[string]string), canonical: make(map[string]string)}
}

// markSeen records key for url and reports whether it was new.
func (d *dedup) markSeen(key, url string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.seen[key]; ok {
		return false
	}
	d.seen[key] = url
	return true
}

// seenBy returns the URL that first claimed key, marking key as claimed by
// url when nobody had.
func (d *dedup) seenBy(key, url string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if first, ok := d.seen[key]; ok {
		return first
	}
	d.seen[key] = url
	return url
}

// canonicalOwner returns the fetch that archived the page with this
// canonical key, or "".
func (d *dedup) canonicalOwner(key string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.canonical[key]
}

// claim reserves a canonical key for the fetch of url. The key is marked
// seen as well, so a page whose canonical was archived is not fetched.
func (d *dedup) claim(key, url string) (owner string, claimed bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if o, ok := d.canonical[key]; ok && o != url {
		return o, false
	}
	d.canonical[key] = url
	if _, ok := d.seen[key]; !ok {
		d.seen[key] = url
	}
	return url, true
}

// release undoes claims of url that did not lead to a capture.
func (d *dedup) release(keys []string, url string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, k := range keys {
		if d.canonical[k] == url {
			delete(d.canonical, k)
		}
	}
}
