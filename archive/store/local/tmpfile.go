package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// tmpfileSys are the system calls of the O_TMPFILE path.
type tmpfileSys struct {
	open func(dir string) (fd int, err error)
	link func(fd int, final string) error
}

// errNoTmpfile says the filesystem cannot create unnamed files; Put then
// takes the portable path.
var errNoTmpfile = errors.New("unnamed temporary files are not supported")

// publishTmpfile is Put's path where O_TMPFILE works: it writes r to an
// unnamed file in final's directory, which must exist, fsyncs it and links
// it at final. It returns errNoTmpfile, before reading r, when the
// filesystem cannot create unnamed files.
func (s *Store) publishTmpfile(ctx context.Context, key, final string, r io.Reader, size int64) error {
	fd, err := s.sys.open(filepath.Dir(final))
	if err != nil {
		if tmpfileUnsupported(err) {
			return errNoTmpfile
		}
		return fmt.Errorf("put %q: %w", key, s.classify("create temporary file", err))
	}
	f := os.NewFile(uintptr(fd), final)
	// Closed before the link (any failure), the unnamed file is freed
	// with its blocks: a failed Put leaves nothing behind.
	defer f.Close()
	if err := s.copyBody(ctx, key, f, r, size); err != nil {
		return err
	}
	if err := s.sys.link(fd, final); err != nil {
		if linkUnsupported(err) {
			// A sandbox that lets us create unnamed files but not link
			// them would fail every Put; this one's body is spent, the
			// next ones take the portable path.
			s.tmpfile.Store(false)
			return fmt.Errorf("put %q: %w; this system cannot link unnamed files, so later puts write through %s: retry the put",
				key, s.classify("publish", err), s.tmpDir)
		}
		return s.publishError(key, final, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("put %q: %w", key, s.classify("close", err))
	}
	return nil
}

// probeTmpfile reports whether an unnamed file can be created and linked
// in the store's filesystem, by doing it once in the temporary directory:
// learning it from a real Put would spend that Put's body on a failure.
// Any error means no; the portable path is always correct.
func (s *Store) probeTmpfile() bool {
	fd, err := s.sys.open(s.tmpDir)
	if err != nil {
		return false
	}
	f := os.NewFile(uintptr(fd), s.tmpDir)
	defer f.Close()
	name := filepath.Join(s.tmpDir, fmt.Sprintf("probe-%d-%d", os.Getpid(), time.Now().UnixNano()))
	if err := s.sys.link(fd, name); err != nil {
		return false
	}
	return os.Remove(name) == nil
}
