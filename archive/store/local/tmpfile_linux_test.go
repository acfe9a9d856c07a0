package local

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/archivist-project/archivist/archive/store"
)

// unnamedFiles returns this process's open files that are unnamed files in
// dir: /proc shows them as "DIR/#INODE (deleted)".
func unnamedFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err == nil && strings.HasPrefix(target, dir+"/#") && strings.HasSuffix(target, " (deleted)") {
			out = append(out, target)
		}
	}
	return out
}

// TestTmpfileInObjectDirectory checks that Put really writes an O_TMPFILE
// in the object's own directory, and closes (so frees) it when the source
// fails.
func TestTmpfileInObjectDirectory(t *testing.T) {
	dir := t.TempDir()
	fd, err := openTmpfile(dir)
	if err != nil {
		if tmpfileUnsupported(err) {
			t.Skipf("the filesystem of %s lacks O_TMPFILE: %v", dir, err)
		}
		t.Fatal(err)
	}
	unix.Close(fd)
	st := openTmpfileStore(t, dir)
	// Open's probe (an unnamed file linked and removed) leaves nothing.
	if left, err := os.ReadDir(filepath.Join(dir, tmpDirName)); err != nil || len(left) != 0 {
		t.Fatalf("temporary directory after Open: %v, %v; want it empty", left, err)
	}
	objDir := filepath.Join(dir, "captures", "c2")
	g, done := gatedPut(st, "captures/c2/article.json.gz", testData(100<<10))
	<-g.inflight
	if got := unnamedFiles(t, objDir); len(got) != 1 {
		t.Errorf("unnamed files open in %s while a put writes: %q; want one", objDir, got)
	}
	g.release <- errors.New("source failed")
	if err := <-done; err == nil {
		t.Fatal("put from a failing source succeeded")
	}
	if got := unnamedFiles(t, objDir); len(got) != 0 {
		t.Fatalf("unnamed files still open after the failed put: %q", got)
	}
}

// TestTmpfileUnsupportedFallsBackOnce plays a filesystem without O_TMPFILE:
// Put must still store the object, through .tmp, and stop trying O_TMPFILE
// for later objects. Other errors must not be taken for "unsupported".
func TestTmpfileUnsupportedFallsBackOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := openTmpfileStore(t, dir)
	calls := 0
	st.sys.open = func(d string) (int, error) {
		calls++
		return -1, &fs.PathError{Op: "open unnamed file in", Path: d, Err: unix.EOPNOTSUPP}
	}
	for _, key := range []string{"a/one", "b/two"} {
		if err := putString(ctx, st, key, key); err != nil {
			t.Fatalf("put %s on a filesystem without O_TMPFILE: %v", key, err)
		}
		if got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(key))); err != nil || string(got) != key {
			t.Fatalf("object %s = %q, %v", key, got, err)
		}
	}
	if calls != 1 || st.tmpfile.Load() {
		t.Fatalf("O_TMPFILE tried %d times (tmpfile still on: %v); want once, then the portable path", calls, st.tmpfile.Load())
	}

	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st.sys.open = func(d string) (int, error) {
		return -1, &fs.PathError{Op: "open unnamed file in", Path: d, Err: unix.ENOSPC}
	}
	err = putString(ctx, st, "full/disk", "x")
	if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "free disk space") || !strings.Contains(err.Error(), "full/disk") {
		t.Fatalf("put on a full disk = %v, want ErrUnavailable naming the key with a hint", err)
	}
	if !st.tmpfile.Load() {
		t.Fatal("a full disk switched the store off O_TMPFILE for good")
	}
}

// TestTmpfileLinkRefused plays a sandbox that creates unnamed files but
// refuses to link them: that Put fails (its body is spent) leaving nothing,
// and the next ones take the portable path instead of failing too.
func TestTmpfileLinkRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if fd, err := openTmpfile(dir); err != nil {
		t.Skipf("no O_TMPFILE in %s: %v", dir, err)
	} else {
		unix.Close(fd)
	}
	st := openTmpfileStore(t, dir)
	links := 0
	st.sys.link = func(fd int, final string) error {
		links++
		return &os.LinkError{Op: "link", Old: "/proc/self/fd/" + strconv.Itoa(fd), New: final, Err: unix.EXDEV}
	}
	err := putString(ctx, st, "a/first", "first")
	if err == nil || !errors.Is(err, unix.EXDEV) || !strings.Contains(err.Error(), "a/first") || !strings.Contains(err.Error(), "retry") {
		t.Fatalf("put with the link refused = %v, want the link error naming the key and saying to retry", err)
	}
	if files := storeFiles(t, dir); len(files) != 0 {
		t.Fatalf("files after the refused link: %q; want none", files)
	}
	if err := putString(ctx, st, "a/second", "second"); err != nil {
		t.Fatalf("put after the refused link: %v", err)
	}
	if err := putString(ctx, st, "a/first", "first"); err != nil {
		t.Fatalf("retry of the refused put: %v", err)
	}
	if links != 1 || st.tmpfile.Load() {
		t.Fatalf("O_TMPFILE links tried %d times (still on: %v); want once", links, st.tmpfile.Load())
	}
	if files := storeFiles(t, dir); !slices.Equal(files, []string{"a/first", "a/second"}) {
		t.Fatalf("files = %q, want both objects", files)
	}
}

// openTmpfileStore opens the store at dir, skipping the test where Put
// cannot use O_TMPFILE (no /proc/self/fd, or a filesystem without it).
func openTmpfileStore(t *testing.T, dir string) *Store {
	t.Helper()
	st := mustOpen(t, dir, options{})
	if !st.tmpfile.Load() {
		t.Skip("O_TMPFILE cannot be used here: Put takes the portable path")
	}
	return st
}
