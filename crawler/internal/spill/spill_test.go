package spill

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

func TestKeysRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := New(dir, nil)
	if f.Path() != "" {
		t.Fatal("file created before first use")
	}
	if err := f.PutKeys(ctx, Seen, map[string]string{"a": "https://a/", "b": "https://b/"}); err != nil {
		t.Fatal(err)
	}
	if err := f.PutKeys(ctx, Canonical, map[string]string{"a": "https://canonical-a/"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		table   Table
		key     string
		want    string
		present bool
	}{
		{Seen, "a", "https://a/", true},
		{Seen, "b", "https://b/", true},
		{Seen, "c", "", false},
		{Canonical, "a", "https://canonical-a/", true},
		{Canonical, "b", "", false},
	} {
		got, ok, err := f.Key(ctx, c.table, c.key)
		if err != nil || ok != c.present || got != c.want {
			t.Errorf("Key(%d, %q) = %q, %v, %v; want %q, %v", c.table, c.key, got, ok, err, c.want, c.present)
		}
	}
	if err := f.DeleteKey(ctx, Seen, "a"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := f.Key(ctx, Seen, "a"); ok {
		t.Error("deleted key still there")
	}
	if _, ok, _ := f.Key(ctx, Canonical, "a"); !ok {
		t.Error("deleting from one table deleted from the other")
	}
	path := f.Path()
	if filepath.Dir(path) != dir {
		t.Errorf("file %s is not in %s", path, dir)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("file still there after Close: %v", err)
	}
	if _, _, err := f.Key(ctx, Seen, "b"); err == nil {
		t.Error("Key after Close did not fail")
	}
}

func TestQueueKeepsEachHostsOrder(t *testing.T) {
	ctx := context.Background()
	f := New(t.TempDir(), nil)
	defer f.Close()
	var items []Item
	for i := range 100 {
		host := []string{"a", "b", "c"}[i%3]
		items = append(items, Item{Host: host, URL: fmt.Sprintf("https://%s/%d", host, i), Key: fmt.Sprint(i), Via: "v", Seed: "s", Depth: i % 4})
	}
	// Pushed in two batches: order must hold across them.
	if err := f.Push(ctx, items[:50]); err != nil {
		t.Fatal(err)
	}
	if err := f.Push(ctx, items[50:]); err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"a", "b", "c"} {
		var want []Item
		for _, it := range items {
			if it.Host == host {
				want = append(want, it)
			}
		}
		var got []Item
		for {
			batch, err := f.Pop(ctx, host, 7)
			if err != nil {
				t.Fatal(err)
			}
			if len(batch) == 0 {
				break
			}
			if len(batch) > 7 {
				t.Fatalf("Pop(7) returned %d", len(batch))
			}
			got = append(got, batch...)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("host %s: got %v\nwant %v", host, got, want)
		}
	}
}

func TestUnusableDirectoryIsAClearError(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f := New(notDir, nil)
	err := f.Push(context.Background(), []Item{{Host: "a", URL: "https://a/"}})
	if err == nil {
		t.Fatal("Push into a directory that is a file succeeded")
	}
	t.Log(err)
	if _, _, err := f.Key(context.Background(), Seen, "a"); err == nil {
		t.Error("the second call did not report the failure too")
	}
}

func TestRemoveStaleKeepsLiveRunsFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no process check here: RemoveStale keeps every file")
	}
	dir := t.TempDir()
	live := New(dir, nil)
	defer live.Close()
	if err := live.PutKeys(context.Background(), Seen, map[string]string{"k": "u"}); err != nil {
		t.Fatal(err)
	}
	// A process that has exited: its pid names a killed crawl's file.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := filepath.Join(dir, fmt.Sprintf("%s%d-123.db", filePrefix, cmd.Process.Pid))
	other := filepath.Join(dir, "catalog.db")
	for _, p := range []string{dead, other} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	n, err := RemoveStale(dir)
	if err != nil || n != 1 {
		t.Fatalf("RemoveStale = %d, %v; want 1 removed", n, err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Error("a dead crawl's file was kept")
	}
	for _, p := range []string{live.Path(), other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
	if n, err := RemoveStale(filepath.Join(dir, "missing")); n != 0 || err != nil {
		t.Errorf("RemoveStale of a missing directory = %d, %v", n, err)
	}
}
