// Package local is the store.Store backend on a local (or mounted)
// filesystem directory: one file per object, at the object's key.
//
// # Durability
//
// Once Put returns nil, the object's bytes and the directory entries that
// lead to it have been fsynced: the object survives a crash of the process
// or of the machine, on a disk that honours flushes. Put writes the bytes to
// a file without a name, fsyncs it, then publishes it with a hard link,
// which is atomic and fails if the key already exists. A reader therefore
// sees either no object or the whole object, and an existing object is never
// overwritten, even by another process sharing the directory.
//
// On Linux the unnamed file is an O_TMPFILE in the object's own directory,
// linked through /proc/self/fd: a crash frees it with nothing to clean up,
// and concurrent writers do not all create and delete files in one shared
// directory, which serialises them on that directory's lock. Where O_TMPFILE
// or /proc is missing (other systems, filesystems without it) Put writes a
// temporary file under DIR/.tmp instead, links it and removes the temporary
// name.
//
// The filesystem must support hard links (any local Linux or macOS
// filesystem does; FAT and some network filesystems do not).
//
// # Layout
//
// Key "a/b/c" is the file DIR/a/b/c. The top-level name ".tmp" is reserved
// for in-flight writes of the portable path; temporary files left there by a
// crash are never listed and are removed by Open once they are an hour old.
//
// Because keys are paths, one key cannot be both an object and the prefix
// of another ("a" and "a/b"); Put refuses the second with an error.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/archive/store/internal/guard"
)

const (
	// tmpDirName holds in-flight writes; it is reserved as a top-level key.
	tmpDirName = ".tmp"
	// staleTempAge is how old a temporary file must be before Open deletes
	// it. Younger ones may belong to a Put running in another process.
	staleTempAge = time.Hour
	copyBufSize  = 256 << 10
)

// Store is a store.Store on a directory. It is safe for concurrent use, also
// by several processes sharing the directory.
type Store struct {
	dir    string // absolute, cleaned
	tmpDir string
	// tmpfile says Put writes through an O_TMPFILE in the object's
	// directory. The first Put that finds the filesystem unable to clears
	// it, so the unsupported call is not retried on every object.
	tmpfile atomic.Bool
	// sys creates and links unnamed files; tests replace it to play
	// filesystems and sandboxes without them.
	sys tmpfileSys
	// bufs lends copy buffers to Put: a fresh 256 KiB buffer per object
	// was a third of a capture's allocations (three objects a capture).
	bufs sync.Pool
}

var _ store.Store = (*Store)(nil)

// options are the settings Open leaves at their defaults.
type options struct {
	// noTmpfile makes Put take the portable path even where O_TMPFILE
	// works, so that tests and benchmarks cover both on one machine.
	noTmpfile bool
}

// Open opens the store rooted at dir, creating the directory if missing, and
// removes temporary files left by crashed writes over an hour ago.
func Open(dir string) (*Store, error) { return open(dir, options{}) }

func open(dir string, opts options) (*Store, error) {
	if dir == "" {
		return nil, errors.New("open local store: empty directory; give the path of the archive directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open local store %s: %w", dir, err)
	}
	s := &Store{dir: abs, tmpDir: filepath.Join(abs, tmpDirName), sys: tmpfileSys{open: openTmpfile, link: linkTmpfile}}
	if err := s.ensureDir(abs); err != nil {
		return nil, fmt.Errorf("open local store: %w", err)
	}
	if err := s.ensureDir(s.tmpDir); err != nil {
		return nil, fmt.Errorf("open local store: %w", err)
	}
	s.tmpfile.Store(!opts.noTmpfile && tmpfileUsable() && s.probeTmpfile())
	if err := s.removeStaleTemps(time.Now()); err != nil {
		return nil, fmt.Errorf("open local store: %w", err)
	}
	return s, nil
}

// Location returns "file://" followed by the absolute directory.
func (s *Store) Location() string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(s.dir)}).String()
}

// Close releases nothing: every operation opens and closes its own files.
func (s *Store) Close() error { return nil }

// Put implements store.Store.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := s.checkKey(key); err != nil {
		return fmt.Errorf("put: %w", err)
	}
	if size < 0 {
		return fmt.Errorf("put %q: negative size %d; pass the exact size of the data", key, size)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %q: %w", key, err)
	}
	final := s.path(key)
	// Cheap early refusal; the link below is what actually guarantees it.
	if fi, err := os.Lstat(final); err == nil {
		return s.existsError(key, final, fi)
	}

	// Directories created for the object: their parents' entries must be
	// synced too.
	var created []string
	published := false
	if s.tmpfile.Load() {
		var err error
		if created, err = s.mkdirs(filepath.Dir(final)); err != nil {
			return fmt.Errorf("put %q: %w", key, err)
		}
		switch err := s.publishTmpfile(ctx, key, final, r, size); {
		case err == nil:
			published = true
		case errors.Is(err, errNoTmpfile):
			// Nothing was read yet, so the portable path can still write r.
			s.tmpfile.Store(false)
		default:
			return err
		}
	}
	if !published {
		more, err := s.publishTemp(ctx, key, final, r, size)
		if err != nil {
			return err
		}
		created = append(created, more...)
	}
	// The new entry, and those of any directory created for it, must reach
	// the disk before we report the object as stored.
	syncs := append(created, filepath.Dir(final))
	for _, d := range uniqueParents(syncs) {
		if err := syncDir(d); err != nil {
			return fmt.Errorf("put %q: %w", key, s.classify("sync directory", err))
		}
	}
	return nil
}

// publishTemp is Put's portable path: it writes r to a temporary file under
// .tmp, links it at final and drops the temporary name. It returns the
// directories it created.
func (s *Store) publishTemp(ctx context.Context, key, final string, r io.Reader, size int64) ([]string, error) {
	tmp, err := s.writeTemp(ctx, key, r, size)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp) // the published object is a second link; this only drops the temporary name

	created, err := s.mkdirs(filepath.Dir(final))
	if err != nil {
		return nil, fmt.Errorf("put %q: %w", key, err)
	}
	if err := os.Link(tmp, final); err != nil {
		return nil, s.publishError(key, final, err)
	}
	return created, nil
}

// publishError reports a failed link of key's data at final.
func (s *Store) publishError(key, final string, err error) error {
	if errors.Is(err, fs.ErrExist) {
		if fi, serr := os.Lstat(final); serr == nil {
			return s.existsError(key, final, fi)
		}
	}
	return fmt.Errorf("put %q: %w", key, s.classify("publish", err))
}

// writeTemp copies exactly size bytes of r to a new fsynced temporary file
// and returns its path. On error it leaves no file behind.
func (s *Store) writeTemp(ctx context.Context, key string, r io.Reader, size int64) (path string, err error) {
	f, err := os.CreateTemp(s.tmpDir, "put-*")
	if errors.Is(err, fs.ErrNotExist) {
		// Someone removed .tmp under us; recreate it rather than fail.
		if err = s.ensureDir(s.tmpDir); err == nil {
			f, err = os.CreateTemp(s.tmpDir, "put-*")
		}
	}
	if err != nil {
		return "", fmt.Errorf("put %q: %w", key, s.classify("create temporary file", err))
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := s.copyBody(ctx, key, f, r, size); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("put %q: %w", key, s.classify("close", err))
	}
	return f.Name(), nil
}

// copyBody writes exactly size bytes of r to f and fsyncs f.
func (s *Store) copyBody(ctx context.Context, key string, f *os.File, r io.Reader, size int64) error {
	body := guard.NewBody(ctx, r, size)
	buf, _ := s.bufs.Get().(*[]byte)
	if buf == nil {
		b := make([]byte, copyBufSize)
		buf = &b
	}
	defer s.bufs.Put(buf)
	// writerOnly hides os.File's ReadFrom, which would ignore buf and
	// allocate a fresh 32 KiB one for every object.
	if _, err := io.CopyBuffer(writerOnly{f}, body, *buf); err != nil {
		if berr := body.Err(); berr != nil {
			return fmt.Errorf("put %q: %w", key, berr)
		}
		return fmt.Errorf("put %q: %w", key, s.classify("write", err))
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("put %q: %w", key, s.classify("sync", err))
	}
	return nil
}

func (s *Store) existsError(key, path string, fi fs.FileInfo) error {
	if fi.IsDir() {
		return fmt.Errorf("put %q: %s is a directory holding other objects; a key cannot be both an object and a prefix of others in a local store", key, path)
	}
	return fmt.Errorf("put %q: %w at %s", key, store.ErrExists, path)
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := s.checkKey(key); err != nil {
		return nil, fmt.Errorf("get: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get %q: %w", key, err)
	}
	path := s.path(key)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("get %q: %w", key, s.classifyRead("open", err))
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("get %q: %w", key, s.classify("stat", err))
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("get %q: %w: %s is not a regular file", key, store.ErrNotFound, path)
	}
	return f, nil
}

// Stat implements store.Store.
func (s *Store) Stat(ctx context.Context, key string) (store.ObjectInfo, error) {
	if err := s.checkKey(key); err != nil {
		return store.ObjectInfo{}, fmt.Errorf("stat: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return store.ObjectInfo{}, fmt.Errorf("stat %q: %w", key, err)
	}
	path := s.path(key)
	fi, err := os.Stat(path)
	if err != nil {
		return store.ObjectInfo{}, fmt.Errorf("stat %q: %w", key, s.classifyRead("stat", err))
	}
	if !fi.Mode().IsRegular() {
		return store.ObjectInfo{}, fmt.Errorf("stat %q: %w: %s is not a regular file", key, store.ErrNotFound, path)
	}
	return store.ObjectInfo{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

func (s *Store) checkKey(key string) error {
	if err := guard.Key(key); err != nil {
		return err
	}
	if key == tmpDirName || strings.HasPrefix(key, tmpDirName+"/") {
		return fmt.Errorf("invalid key %q: the top-level name %q is reserved for in-flight writes in a local store", key, tmpDirName)
	}
	return nil
}

func (s *Store) path(key string) string {
	return filepath.Join(s.dir, filepath.FromSlash(key))
}

// removeStaleTemps deletes temporary files older than staleTempAge: a
// crashed Put can leave one, and nothing else would ever remove it.
func (s *Store) removeStaleTemps(now time.Time) error {
	entries, err := os.ReadDir(s.tmpDir)
	if err != nil {
		return s.classify("read temporary directory", err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || now.Sub(info.ModTime()) < staleTempAge {
			continue // vanished meanwhile, or possibly still being written
		}
		p := filepath.Join(s.tmpDir, e.Name())
		if err := os.RemoveAll(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return s.classify("remove stale temporary file", err)
		}
	}
	return nil
}

// writerOnly is an io.Writer without ReadFrom, so io.CopyBuffer uses the
// buffer it is given.
type writerOnly struct{ io.Writer }
