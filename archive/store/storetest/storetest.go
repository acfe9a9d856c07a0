// Package storetest is the conformance suite every store.Store backend must
// pass, so that the archive behaves the same on a local disk and on S3.
//
// A backend's test calls Run with a constructor:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			st, err := local.Open(t.TempDir())
//			if err != nil {
//				t.Fatal(err)
//			}
//			return st
//		})
//	}
//
// The suite checks the write-once contract (no overwrite, one winner among
// concurrent writers), that failed or cancelled writes leave nothing behind,
// the error kinds (ErrExists, ErrNotFound), key validation and the lexical
// order of List.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/archivist-project/archivist/archive/store"
)

// Run runs the suite as subtests of t. newStore must return a new, empty
// store each time it is called; the suite closes it when the subtest ends.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	open := func(t *testing.T) store.Store {
		t.Helper()
		st := newStore(t)
		t.Cleanup(func() {
			if err := st.Close(); err != nil {
				t.Errorf("close store %s: %v", st.Location(), err)
			}
		})
		return st
	}
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, open(t)) })
	t.Run("PutTwice", func(t *testing.T) { testPutTwice(t, open(t)) })
	t.Run("ConcurrentPuts", func(t *testing.T) { testConcurrentPuts(t, open(t)) })
	t.Run("Missing", func(t *testing.T) { testMissing(t, open(t)) })
	t.Run("List", func(t *testing.T) { testList(t, open(t)) })
	t.Run("ListStops", func(t *testing.T) { testListStops(t, open(t)) })
	t.Run("InvalidKeys", func(t *testing.T) { testInvalidKeys(t, open(t)) })
	t.Run("WrongSize", func(t *testing.T) { testWrongSize(t, open(t)) })
	t.Run("Cancelled", func(t *testing.T) { testCancelled(t, open(t)) })
	t.Run("Location", func(t *testing.T) { testLocation(t, open(t)) })
}

// content returns n deterministic pseudo-random bytes, distinct per seed, so
// a mix-up between two objects is always visible.
func content(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func put(t *testing.T, st store.Store, key string, data []byte) {
	t.Helper()
	if err := st.Put(context.Background(), key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("put %q (%d bytes): %v", key, len(data), err)
	}
}

func get(t *testing.T, st store.Store, key string) []byte {
	t.Helper()
	rc, err := st.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("get %q: %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return data
}

func list(t *testing.T, st store.Store, prefix string) []store.ObjectInfo {
	t.Helper()
	var got []store.ObjectInfo
	err := st.List(context.Background(), prefix, func(oi store.ObjectInfo) error {
		got = append(got, oi)
		return nil
	})
	if err != nil {
		t.Fatalf("list %q: %v", prefix, err)
	}
	return got
}

// assertAbsent checks that no object is visible at key by any means.
func assertAbsent(t *testing.T, st store.Store, key string) {
	t.Helper()
	if _, err := st.Stat(context.Background(), key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("stat %q after failed put = %v, want ErrNotFound", key, err)
	}
	if rc, err := st.Get(context.Background(), key); !errors.Is(err, store.ErrNotFound) {
		if err == nil {
			rc.Close()
		}
		t.Errorf("get %q after failed put = %v, want ErrNotFound", key, err)
	}
	if got := list(t, st, ""); len(got) != 0 {
		t.Errorf("list after failed put = %v, want nothing", got)
	}
}

func testRoundTrip(t *testing.T, st store.Store) {
	sizes := []struct {
		key  string
		size int
	}{
		{"empty", 0},
		{"small/one", 1},
		{"small/text.json", 1000},
		{"captures/2026/11/27/20261127T013826Z-K3J5Q7ZP2M/capture.warc.gz", 5 << 20},
	}
	for i, tc := range sizes {
		want := content(uint64(i+1), tc.size)
		put(t, st, tc.key, want)
		if got := get(t, st, tc.key); !bytes.Equal(got, want) {
			t.Errorf("get %q returned %d bytes that differ from the %d put", tc.key, len(got), len(want))
		}
		oi, err := st.Stat(context.Background(), tc.key)
		if err != nil {
			t.Fatalf("stat %q: %v", tc.key, err)
		}
		if oi.Key != tc.key || oi.Size != int64(tc.size) || oi.ModTime.IsZero() {
			t.Errorf("stat %q = %+v, want key %q, size %d and a modification time", tc.key, oi, tc.key, tc.size)
		}
	}
}

func testPutTwice(t *testing.T, st store.Store) {
	first, second := content(1, 4096), content(2, 4096)
	put(t, st, "a/b", first)
	for _, data := range [][]byte{second, first, nil} {
		err := st.Put(context.Background(), "a/b", bytes.NewReader(data), int64(len(data)))
		if !errors.Is(err, store.ErrExists) {
			t.Fatalf("second put of %d bytes at a/b = %v, want ErrExists", len(data), err)
		}
	}
	if got := get(t, st, "a/b"); !bytes.Equal(got, first) {
		t.Fatalf("object at a/b changed after refused puts (%d bytes, want the first %d)", len(got), len(first))
	}
}

func testConcurrentPuts(t *testing.T, st store.Store) {
	const writers = 8
	versions := make([][]byte, writers)
	for i := range versions {
		versions[i] = content(uint64(100+i), 256<<10)
	}
	type result struct {
		writer int
		err    error
	}
	start := make(chan struct{})
	results := make(chan result, writers)
	for i := range writers {
		go func() {
			<-start
			err := st.Put(context.Background(), "race/key", bytes.NewReader(versions[i]), int64(len(versions[i])))
			results <- result{i, err}
		}()
	}
	close(start)
	winner := -1
	for range writers {
		r := <-results
		switch {
		case r.err == nil && winner >= 0:
			t.Errorf("writers %d and %d both succeeded at the same key", winner, r.writer)
		case r.err == nil:
			winner = r.writer
		case !errors.Is(r.err, store.ErrExists):
			t.Errorf("concurrent writer %d failed other than with ErrExists: %v", r.writer, r.err)
		}
	}
	if winner < 0 {
		t.Fatal("no concurrent writer succeeded")
	}
	if got := get(t, st, "race/key"); !bytes.Equal(got, versions[winner]) {
		t.Fatalf("object is not the winning writer %d's whole content", winner)
	}
}

func testMissing(t *testing.T, st store.Store) {
	put(t, st, "dir/obj", []byte("x"))
	// "dir" is only a prefix of another object, not an object itself.
	for _, key := range []string{"nothing", "dir", "dir/obj/below", "dir/ob"} {
		if _, err := st.Stat(context.Background(), key); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("stat missing %q = %v, want ErrNotFound", key, err)
		}
		rc, err := st.Get(context.Background(), key)
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("get missing %q = %v, want ErrNotFound", key, err)
		}
		if err == nil {
			rc.Close()
		}
	}
}
