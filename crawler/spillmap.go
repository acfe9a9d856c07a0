package crawler

import (
	"context"
	"log/slog"

	"github.com/archivist-project/archivist/crawler/internal/spill"
)

// spillMap maps URL keys to URLs, keeping at most about budget bytes in
// memory and the rest in the run's spill file.
//
// Memory holds two generations. New entries, and entries found in the
// older generation or the file, go into the recent one; when it is full,
// the older generation's entries that the file lacks are written to it,
// the older generation is dropped, and the recent one becomes the older.
// So the keys a crawl meets again and again (navigation links) stay in
// memory, and the file is read only for keys not met for a generation.
// It is not safe for concurrent use; dedup locks it. Its file calls take
// no run context: a crawl that is stopping must still read its local
// scratch file.
type spillMap struct {
	file   *spill.File // nil: everything stays in memory
	table  spill.Table
	budget int
	log    *slog.Logger

	recent, older generation
	inFile        bool // some entries were written to the file
	fileFailed    bool // memory holds everything from then on
}

type generation struct {
	entries map[string]spillEntry
	bytes   int // approximate memory the entries hold
}

type spillEntry struct {
	url string
	// dirty: not in the file (dropping it from memory must write it).
	dirty bool
}

func newSpillMap(file *spill.File, table spill.Table, budget int, log *slog.Logger) *spillMap {
	return &spillMap{file: file, table: table, budget: budget, log: log,
		recent: generation{entries: make(map[string]spillEntry)}, older: generation{entries: make(map[string]spillEntry)}}
}

// entryBytes estimates an entry's memory: its strings and a map slot.
func entryBytes(key, url string) int { return len(key) + len(url) + 64 }

func (g *generation) add(key string, e spillEntry) {
	if old, ok := g.entries[key]; ok {
		g.bytes -= entryBytes(key, old.url)
	}
	g.entries[key] = e
	g.bytes += entryBytes(key, e.url)
}

func (g *generation) remove(key string) (spillEntry, bool) {
	e, ok := g.entries[key]
	if ok {
		delete(g.entries, key)
		g.bytes -= entryBytes(key, e.url)
	}
	return e, ok
}

func (m *spillMap) get(key string) (string, bool) {
	if e, ok := m.recent.entries[key]; ok {
		return e.url, true
	}
	if e, ok := m.older.remove(key); ok {
		m.put(key, e)
		return e.url, true
	}
	if !m.inFile || m.fileFailed {
		return "", false
	}
	u, ok, err := m.file.Key(context.Background(), m.table, key)
	if err != nil {
		m.failed(err)
		return "", false
	}
	if ok {
		m.put(key, spillEntry{url: u})
	}
	return u, ok
}

func (m *spillMap) set(key, url string) {
	// The recent value replaces an older one; the file's copy, if any,
	// is replaced when this one is written.
	m.older.remove(key)
	m.put(key, spillEntry{url: url, dirty: true})
}

func (m *spillMap) del(key string) {
	m.recent.remove(key)
	m.older.remove(key)
	if m.inFile && !m.fileFailed {
		if err := m.file.DeleteKey(context.Background(), m.table, key); err != nil {
			m.failed(err)
		}
	}
}

func (m *spillMap) put(key string, e spillEntry) {
	m.recent.add(key, e)
	if m.file != nil && !m.fileFailed && m.recent.bytes > m.budget/2 {
		m.rotate()
	}
}

// rotate writes the older generation's entries the file lacks, drops it,
// and starts a new recent generation.
func (m *spillMap) rotate() {
	dirty := make(map[string]string)
	for k, e := range m.older.entries {
		if e.dirty {
			dirty[k] = e.url
		}
	}
	if err := m.file.PutKeys(context.Background(), m.table, dirty); err != nil {
		m.failed(err)
		return
	}
	m.inFile = m.inFile || len(dirty) > 0
	// A new map: a Go map keeps its size after deletes.
	m.older, m.recent = m.recent, generation{entries: make(map[string]spillEntry)}
}

// bytes is the memory both generations hold.
func (m *spillMap) bytes() int { return m.recent.bytes + m.older.bytes }

// failed stops using the file. What it holds is no longer consulted, so
// a URL it remembered may be fetched again: a duplicate capture beats a
// crawl that stops.
func (m *spillMap) failed(err error) {
	m.fileFailed = true
	m.log.Error("crawl spill file failed; de-duplication keeps to memory from now on, and may fetch a URL twice", "error", err)
}
