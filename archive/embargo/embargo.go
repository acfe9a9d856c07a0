// Package embargo keeps the embargo and takedown list of an archive: the
// captures, pages and hosts that must not be shown by the API, the web UI
// or exports, each with the reason, who asked and when.
//
// The list lives in the data directory as embargo.json, written by temp
// file, fsync and rename, so a crash leaves the old list or the new one.
// Nothing is deleted from the store: an embargo hides, it does not
// destroy, so lifting it restores the captures unchanged.
package embargo

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/crawler/urlnorm"
)

// FileName is the list's file inside the data directory.
const FileName = "embargo.json"

// Entry is one embargo: exactly one of CaptureID, URLKey and Host is set.
type Entry struct {
	// ID names the entry for removal ("e-" and the time it was added).
	ID string `json:"id"`
	// CaptureID hides one capture.
	CaptureID string `json:"capture_id,omitempty"`
	// URLKey hides every capture of a page: the urlnorm.Key of its URL,
	// matched against a capture's URL key and canonical key.
	URLKey string `json:"url_key,omitempty"`
	// Host hides every capture from a host and its subdomains (lower
	// case, without "www.").
	Host string `json:"host,omitempty"`
	// Reason says why (a court order, a takedown request, a privacy
	// complaint); Who is the person or body that asked or decided.
	Reason string    `json:"reason"`
	Who    string    `json:"who"`
	Added  time.Time `json:"added"`
}

// file is the JSON form of the list.
type file struct {
	Format  int     `json:"format"`
	Entries []Entry `json:"entries"`
}

// List is a loaded embargo list. It is safe for concurrent use.
type List struct {
	mu      sync.RWMutex
	path    string
	entries []Entry
	// Lookups built from entries.
	captures map[string]bool
	keys     map[string]bool
	hosts    map[string]bool
	// modTime and size of the file when it was read, so Refresh can
	// tell that another process changed it.
	modTime time.Time
	size    int64
}

// Load reads DATA/embargo.json; a missing file is an empty list.
func Load(dataDir string) (*List, error) {
	l := &List{path: filepath.Join(dataDir, FileName)}
	if err := l.read(); err != nil {
		return nil, err
	}
	return l, nil
}

// read replaces the in-memory list with the file's. The caller holds mu
// for writing, or owns l alone.
func (l *List) read() error {
	data, err := os.ReadFile(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		l.set(nil, time.Time{}, 0)
		return nil
	}
	if err != nil {
		return fmt.Errorf("read embargo list: %w", err)
	}
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("read embargo list %s: %v (fix the JSON or restore it from a backup; it must be {\"format\":1,\"entries\":[...]})", l.path, err)
	}
	var mod time.Time
	if st, err := os.Stat(l.path); err == nil {
		mod = st.ModTime()
	}
	l.set(f.Entries, mod, int64(len(data)))
	return nil
}

func (l *List) set(entries []Entry, mod time.Time, size int64) {
	l.entries = entries
	l.captures, l.keys, l.hosts = map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, e := range entries {
		switch {
		case e.CaptureID != "":
			l.captures[e.CaptureID] = true
		case e.URLKey != "":
			l.keys[e.URLKey] = true
		case e.Host != "":
			l.hosts[e.Host] = true
		}
	}
	l.modTime, l.size = mod, size
}

// Refresh re-reads the file when another process (a second `archivist
// web`, or `serve`) has changed it since it was read. It costs one stat.
func (l *List) Refresh() error {
	st, err := os.Stat(l.path)
	l.mu.RLock()
	same := (errors.Is(err, fs.ErrNotExist) && l.size == 0 && l.modTime.IsZero()) ||
		(err == nil && st.ModTime().Equal(l.modTime) && st.Size() == l.size)
	l.mu.RUnlock()
	if same {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.read()
}

// Entries returns a copy of the entries, oldest first.
func (l *List) Entries() []Entry {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return slices.Clone(l.entries)
}

// Len is the number of entries.
func (l *List) Len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.entries)
}

// Hidden reports whether the capture captureID of the page with URL key
// urlKey is embargoed: by its id, its page, or its host. Exports call it
// for each capture (with the entry's URLKey; HiddenEntry also checks the
// canonical key).
func (l *List) Hidden(urlKey, captureID string) bool {
	if l == nil {
		return false
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.hidden(captureID, urlKey)
}

// HiddenEntry reports whether a catalog entry is embargoed, matching its
// capture id, URL key, canonical key and host.
func (l *List) HiddenEntry(e catalog.Entry) bool {
	if l == nil {
		return false
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.hidden(e.CaptureID, e.URLKey, e.CanonicalKey)
}

func (l *List) hidden(captureID string, keys ...string) bool {
	if len(l.entries) == 0 {
		return false
	}
	if captureID != "" && l.captures[captureID] {
		return true
	}
	for _, k := range keys {
		if k == "" {
			continue
		}
		if l.keys[k] {
			return true
		}
		if len(l.hosts) > 0 && l.hostHidden(hostOfKey(k)) {
			return true
		}
	}
	return false
}

// hostHidden checks the host and each parent domain of it.
func (l *List) hostHidden(host string) bool {
	for host != "" {
		if l.hosts[host] {
			return true
		}
		_, parent, ok := strings.Cut(host, ".")
		if !ok {
			return false
		}
		host = parent
	}
	return false
}

// hostOfKey returns the host of a urlnorm key ("example.com/a?b" →
// "example.com"), without a port.
func hostOfKey(key string) string {
	end := strings.IndexAny(key, "/?#")
	if end >= 0 {
		key = key[:end]
	}
	if i := strings.LastIndexByte(key, ':'); i >= 0 && !strings.Contains(key[i:], "]") {
		key = key[:i]
	}
	return strings.ToLower(key)
}

// Request is what an administrator asks to hide. Exactly one of
// CaptureID, URL and Host is given.
type Request struct {
	CaptureID string `json:"capture_id,omitempty"`
	URL       string `json:"url,omitempty"`
	Host      string `json:"host,omitempty"`
	Reason    string `json:"reason"`
	Who       string `json:"who"`
}

// Add validates r, adds it as a new entry, writes the file and returns
// the entry. The file is re-read first, so an entry added by another
// process is kept.
func (l *List) Add(r Request, now time.Time) (Entry, error) {
	e := Entry{Reason: strings.TrimSpace(r.Reason), Who: strings.TrimSpace(r.Who), Added: now.UTC()}
	set := 0
	if r.CaptureID != "" {
		set++
		e.CaptureID = strings.TrimSpace(r.CaptureID)
	}
	if r.URL != "" {
		set++
		if _, err := urlnorm.Normalize(r.URL); err != nil {
			return Entry{}, fmt.Errorf("embargo url: %w", err)
		}
		e.URLKey = urlnorm.Key(r.URL)
	}
	if r.Host != "" {
		set++
		h := strings.ToLower(strings.TrimSpace(r.Host))
		h = strings.TrimPrefix(h, "www.")
		if h == "" || strings.ContainsAny(h, "/:?# ") {
			return Entry{}, fmt.Errorf("embargo host: %q is not a host name: write it like example.com", r.Host)
		}
		e.Host = h
	}
	switch {
	case set != 1:
		return Entry{}, errors.New("embargo: give exactly one of capture_id, url or host")
	case e.Reason == "":
		return Entry{}, errors.New("embargo: give a reason (e.g. \"takedown request of 2025-07-08 from the author\"): it is kept with the entry")
	case e.Who == "":
		return Entry{}, errors.New("embargo: give who asked or decided (\"who\"): it is kept with the entry")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.read(); err != nil {
		return Entry{}, err
	}
	e.ID = newID(now, l.entries)
	entries := append(slices.Clone(l.entries), e)
	if err := l.write(entries); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// Remove lifts the entry with id and returns it. ok is false when there
// is no such entry.
func (l *List) Remove(id string) (Entry, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.read(); err != nil {
		return Entry{}, false, err
	}
	i := slices.IndexFunc(l.entries, func(e Entry) bool { return e.ID == id })
	if i < 0 {
		return Entry{}, false, nil
	}
	removed := l.entries[i]
	entries := slices.Delete(slices.Clone(l.entries), i, i+1)
	if err := l.write(entries); err != nil {
		return Entry{}, false, err
	}
	return removed, true, nil
}

// newID returns an id from the time, made unique among entries.
func newID(now time.Time, entries []Entry) string {
	base := "e-" + now.UTC().Format("20060102T150405.000000000Z")
	id := base
	for n := 2; slices.ContainsFunc(entries, func(e Entry) bool { return e.ID == id }); n++ {
		id = fmt.Sprintf("%s-%d", base, n)
	}
	return id
}

// write replaces the file with entries and the in-memory list with them.
// The caller holds mu.
func (l *List) write(entries []Entry) error {
	if entries == nil {
		entries = []Entry{}
	}
	data, err := json.MarshalIndent(file{Format: 1, Entries: entries}, "", "  ")
	if err != nil {
		return fmt.Errorf("write embargo list: %w", err)
	}
	data = append(data, '\n')
	if err := writeFileAtomic(l.path, data); err != nil {
		return err
	}
	var mod time.Time
	if st, err := os.Stat(l.path); err == nil {
		mod = st.ModTime()
	}
	l.set(entries, mod, int64(len(data)))
	return nil
}

// writeFileAtomic writes by temp file, fsync, rename and directory fsync.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
