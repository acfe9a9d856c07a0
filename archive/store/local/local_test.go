package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/archive/store/storetest"
)

// testModes are Put's two paths; "tmpfile" is the portable one too where
// O_TMPFILE is unavailable.
var testModes = []struct {
	name string
	opts options
}{
	{"tmpfile", options{}},
	{"fallback", options{noTmpfile: true}},
}

func TestConformance(t *testing.T) {
	for _, mode := range testModes {
		t.Run(mode.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Store {
				st, err := open(filepath.Join(t.TempDir(), "archive"), mode.opts)
				if err != nil {
					t.Fatal(err)
				}
				return st
			})
		})
	}
}

func putString(ctx context.Context, st *Store, key, data string) error {
	return st.Put(ctx, key, strings.NewReader(data), int64(len(data)))
}

func TestOpenRemovesOnlyStaleTemps(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := putString(context.Background(), st, "kept", "object"); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, tmpDirName, "put-crashed")
	fresh := filepath.Join(dir, tmpDirName, "put-inflight")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * staleTempAge)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}

	st, err = Open(dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale temporary file still there after Open (stat: %v)", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("recent temporary file, possibly in use by another process, was removed: %v", err)
	}
	var keys []string
	if err := st.List(context.Background(), "", func(oi store.ObjectInfo) error {
		keys = append(keys, oi.Key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != "kept" {
		t.Errorf("list = %q, want only the object, never temporary files", keys)
	}
}

func TestReservedTmpKey(t *testing.T) {
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{".tmp", ".tmp/put-1"} {
		err := putString(context.Background(), st, key, "x")
		if err == nil || !strings.Contains(err.Error(), "reserved") {
			t.Errorf("put %q = %v, want a refusal naming the reserved name", key, err)
		}
	}
	if err := putString(context.Background(), st, "a/.tmp/b", "x"); err != nil {
		t.Errorf(".tmp below the top level is an ordinary name: %v", err)
	}
}

func TestKeyAndPrefixConflict(t *testing.T) {
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := putString(ctx, st, "a/b", "x"); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"a", "a/b/c"} {
		err := putString(ctx, st, key, "y")
		if err == nil || errors.Is(err, store.ErrExists) || !strings.Contains(err.Error(), "both an object and a prefix") {
			t.Errorf("put %q next to a/b = %v, want an error explaining the conflict (not ErrExists)", key, err)
		}
	}
}

func TestLocation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my archive")
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := "file://" + strings.ReplaceAll(filepath.ToSlash(dir), " ", "%20")
	if got := st.Location(); got != want {
		t.Errorf("Location() = %q, want %q", got, want)
	}
}

func TestPublishedFileIsComplete(t *testing.T) {
	for _, mode := range testModes {
		t.Run(mode.name, func(t *testing.T) {
			dir := t.TempDir()
			st := mustOpen(t, dir, mode.opts)
			data := bytes.Repeat([]byte("warc"), 100_000)
			if err := st.Put(context.Background(), "x/y/z.warc.gz", bytes.NewReader(data), int64(len(data))); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(dir, "x", "y", "z.warc.gz"))
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("file at the key's path: %d bytes, err %v; want the %d bytes put", len(got), err, len(data))
			}
			if files := storeFiles(t, dir); len(files) != 1 {
				t.Fatalf("files in the store after put: %q; want only the object (no temporary file)", files)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	st := &Store{dir: "/srv/archive"}
	tests := []struct {
		err         error
		unavailable bool
		hint        string
	}{
		{syscall.ENOSPC, true, "free disk space at /srv/archive"},
		{syscall.EDQUOT, true, "free disk space at /srv/archive"},
		{syscall.EACCES, true, "write access to /srv/archive"},
		{syscall.EROFS, true, "read-write"},
		{syscall.EIO, true, "check the disk"},
		{syscall.ENAMETOOLONG, false, "file name too long"},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			in := &fs.PathError{Op: "write", Path: "/srv/archive/.tmp/put-1", Err: tt.err}
			got := st.classify("write", in)
			if errors.Is(got, store.ErrUnavailable) != tt.unavailable {
				t.Errorf("classify(%v) = %v; ErrUnavailable %v, want %v", tt.err, got, !tt.unavailable, tt.unavailable)
			}
			if !errors.Is(got, tt.err) || !strings.Contains(got.Error(), tt.hint) || !strings.Contains(got.Error(), in.Path) {
				t.Errorf("classify(%v) = %q, want it to wrap the cause, name the path and say %q", tt.err, got, tt.hint)
			}
		})
	}
}

func TestPermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: file permissions do not restrict writes")
	}
	for _, mode := range testModes {
		t.Run(mode.name, func(t *testing.T) {
			dir := t.TempDir()
			st := mustOpen(t, dir, mode.opts)
			for _, d := range []string{filepath.Join(dir, tmpDirName), dir} {
				if err := os.Chmod(d, 0o500); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { os.Chmod(d, 0o700) })
			}
			err := putString(context.Background(), st, "k", "x")
			if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), fmt.Sprintf("write access to %s", dir)) {
				t.Fatalf("put into a read-only store = %v, want ErrUnavailable with a hint", err)
			}
		})
	}
}

// mustOpen opens a store at dir with opts, failing the test on error.
func mustOpen(t *testing.T, dir string, opts options) *Store {
	t.Helper()
	st, err := open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
