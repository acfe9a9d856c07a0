package urlnorm

import "sync"

// DefaultMemoSize is the size of a Memo's generation that discovery uses.
// At about 250 bytes a URL, a Memo then holds at most 2 MB, and covers the
// navigation of the hosts a crawl has in flight at once: every page of a
// news site repeats its menus, section fronts and footer.
const DefaultMemoSize = 4096

// Memo is Normalize with a memory of the URLs it normalised last. Most of
// a page's links are links its site's other pages had, and normalising
// was most of what discovery cost a page (1.5 % of a crawl's CPU, more
// than robots.txt and logging together). It forgets in generations: when
// the current one holds size URLs it becomes the previous one, and a URL
// found there moves back into the current one, so what every page links
// to stays remembered however long the crawl. It is safe for concurrent
// use.
type Memo struct {
	size      int
	mu        sync.Mutex
	cur, prev map[string]memoized
}

// memoized is what Normalize returned.
type memoized struct {
	url string
	err error
}

// NewMemo returns a Memo remembering up to 2 × size URLs.
func NewMemo(size int) *Memo {
	return &Memo{size: max(1, size), cur: make(map[string]memoized)}
}

// Normalize returns Normalize(raw).
func (m *Memo) Normalize(raw string) (string, error) {
	m.mu.Lock()
	r, ok := m.cur[raw]
	if !ok {
		if r, ok = m.prev[raw]; ok {
			m.keep(raw, r)
		}
	}
	m.mu.Unlock()
	if ok {
		return r.url, r.err
	}
	r.url, r.err = Normalize(raw)
	m.mu.Lock()
	m.keep(raw, r)
	m.mu.Unlock()
	return r.url, r.err
}

// keep remembers r for raw in the current generation; m.mu is held.
func (m *Memo) keep(raw string, r memoized) {
	if len(m.cur) >= m.size {
		m.prev, m.cur = m.cur, make(map[string]memoized, m.size)
	}
	m.cur[raw] = r
}
