package storetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/archivist-project/archivist/archive/store"
)

func testList(t *testing.T, st store.Store) {
	// Chosen so that key order differs from a naive directory walk: '.' and
	// '-' sort before '/', '0' after it.
	keys := []string{
		"a/b/2", "a0", "a.x", "b/1", "a/c", "ab/1", "a/b/1", "a-y/z", "a/b/10",
	}
	sizes := map[string]int64{}
	for i, k := range keys {
		data := content(uint64(i), 10+i)
		put(t, st, k, data)
		sizes[k] = int64(len(data))
	}
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", sorted},
		{"a/", []string{"a/b/1", "a/b/10", "a/b/2", "a/c"}},
		{"a/b", []string{"a/b/1", "a/b/10", "a/b/2"}},
		{"a/b/1", []string{"a/b/1", "a/b/10"}},
		{"a", []string{"a-y/z", "a.x", "a/b/1", "a/b/10", "a/b/2", "a/c", "a0", "ab/1"}},
		{"b/", []string{"b/1"}},
		{"zzz", nil},
		{"a/b/2/", nil},
		{"../", nil},
	}
	for _, tc := range tests {
		got := list(t, st, tc.prefix)
		var gotKeys []string
		for _, oi := range got {
			gotKeys = append(gotKeys, oi.Key)
			if oi.Size != sizes[oi.Key] || oi.ModTime.IsZero() {
				t.Errorf("list %q: %+v, want size %d and a modification time", tc.prefix, oi, sizes[oi.Key])
			}
		}
		if !slices.Equal(gotKeys, tc.want) {
			t.Errorf("list %q = %q, want %q", tc.prefix, gotKeys, tc.want)
		}
	}
}

func testListStops(t *testing.T, st store.Store) {
	for _, k := range []string{"k/1", "k/2", "k/3"} {
		put(t, st, k, []byte(k))
	}
	stop := errors.New("enough")
	var seen []string
	err := st.List(context.Background(), "k/", func(oi store.ObjectInfo) error {
		seen = append(seen, oi.Key)
		if len(seen) == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("list with a failing callback = %v, want the callback's error", err)
	}
	if !slices.Equal(seen, []string{"k/1", "k/2"}) {
		t.Fatalf("callback saw %q, want it stopped after k/1, k/2", seen)
	}
}

func testInvalidKeys(t *testing.T, st store.Store) {
	bad := []string{
		"", "/abs", "trail/", "a//b", "./a", "a/./b", "a/..", "../up", "a\\b",
		"nul\x00byte", "new\nline", strings.Repeat("k", 1025),
	}
	for _, key := range bad {
		err := st.Put(context.Background(), key, bytes.NewReader([]byte("x")), 1)
		if err == nil {
			t.Errorf("put accepted invalid key %q", key)
		} else if errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrExists) {
			t.Errorf("put invalid key %q = %v; an invalid key is the caller's fault, not a store condition", key, err)
		}
		if _, err := st.Stat(context.Background(), key); err == nil {
			t.Errorf("stat accepted invalid key %q", key)
		}
		if rc, err := st.Get(context.Background(), key); err == nil {
			rc.Close()
			t.Errorf("get accepted invalid key %q", key)
		}
	}
	if got := list(t, st, ""); len(got) != 0 {
		t.Errorf("objects visible after invalid puts: %v", got)
	}
	long := strings.Repeat("k", 1024)
	put(t, st, long[:200], []byte("ok"))
}

func testWrongSize(t *testing.T, st store.Store) {
	data := content(7, 100_000)
	cases := []struct {
		name string
		r    io.Reader
		size int64
	}{
		{"short", bytes.NewReader(data[:50_000]), 100_000},
		{"long", bytes.NewReader(data), 50_000},
		{"long by one byte", bytes.NewReader(data), 99_999},
		{"empty declared", bytes.NewReader(data[:10]), 0},
		{"negative size", bytes.NewReader(data), -1},
		{"reader fails", io.MultiReader(bytes.NewReader(data[:1000]), errReader{}), 100_000},
	}
	for _, tc := range cases {
		err := st.Put(context.Background(), "sized", tc.r, tc.size)
		if err == nil {
			t.Fatalf("put with %s reader succeeded", tc.name)
		}
		if errors.Is(err, store.ErrExists) {
			t.Fatalf("put with %s reader = %v: a previous failed put left an object", tc.name, err)
		}
		assertAbsent(t, st, "sized")
	}
	// A failed write must not block the key.
	put(t, st, "sized", data)
	if got := get(t, st, "sized"); !bytes.Equal(got, data) {
		t.Fatal("object written after failed puts differs from what was put")
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk read error") }

func testCancelled(t *testing.T, st store.Store) {
	data := content(9, 3<<20)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := st.Put(ctx, "cancelled/before", bytes.NewReader(data), int64(len(data)))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("put with a cancelled context = %v, want context.Canceled", err)
	}
	assertAbsent(t, st, "cancelled/before")

	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	r := &cancelAfter{r: bytes.NewReader(data), after: 1 << 20, cancel: cancel}
	err = st.Put(ctx, "cancelled/during", r, int64(len(data)))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("put cancelled part way = %v, want context.Canceled", err)
	}
	assertAbsent(t, st, "cancelled/during")
}

// cancelAfter cancels its context once it has yielded after bytes, then
// keeps yielding data as a reader unaware of the context would.
type cancelAfter struct {
	r      io.Reader
	after  int
	read   int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	if c.read >= c.after {
		c.cancel()
	}
	return n, err
}

func testLocation(t *testing.T, st store.Store) {
	loc := st.Location()
	if !strings.Contains(loc, "://") {
		t.Fatalf("Location() = %q, want a URL", loc)
	}
}
