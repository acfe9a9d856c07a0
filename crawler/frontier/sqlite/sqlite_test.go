package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/crawler/frontier"
	"github.com/archivist-project/archivist/crawler/frontier/frontiertest"
)

func TestSuite(t *testing.T) {
	dir := t.TempDir()
	frontiertest.Run(t, func(t *testing.T, name string) frontier.Frontier {
		f, err := Open(context.Background(), filepath.Join(dir, name+".db"), nil)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { _ = f.Close() })
		return f
	})
}

func TestOpenRejectsMemory(t *testing.T) {
	if _, err := Open(context.Background(), ":memory:", nil); err == nil || !strings.Contains(err.Error(), "need a file path") {
		t.Errorf("Open(:memory:) = %v", err)
	}
}

// crashHelperEnv makes the test binary act as a daemon that discovers and
// leases work, reports progress on stdout, and waits to be killed.
const crashHelperEnv = "ARCHIVIST_FRONTIER_CRASH_HELPER"

var t0 = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	if path := os.Getenv(crashHelperEnv); path != "" {
		os.Exit(crashHelper(path))
	}
	os.Exit(m.Run())
}

// crashHelper discovers URLs in batches, leasing and completing some as
// it goes, printing "committed N" after each transaction so the parent
// knows what must survive; it never returns on its own.
func crashHelper(path string) int {
	ctx := context.Background()
	f, err := Open(ctx, path, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for batch := 0; ; batch++ {
		var ds []frontier.Discovered
		for i := range 20 {
			u := fmt.Sprintf("https://crash.test/%d/%d", batch, i)
			ds = append(ds, frontier.Discovered{URL: u, Depth: 1, Discovery: archive.Discovery{Source: "s", Kind: "page", FoundAt: t0, Via: "https://crash.test/"}})
		}
		if _, err := f.Discover(ctx, ds); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		items, err := f.Lease(ctx, frontier.LeaseRequest{Owner: "helper", Max: 10, Now: t0, Until: t0.Add(time.Hour)})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		for _, it := range items[:len(items)/2] {
			if err := f.Complete(ctx, it, frontier.Completion{Now: t0, Captured: true, CaptureID: "c"}); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		fmt.Printf("committed %d\n", (batch+1)*20)
	}
}

// TestKillNineLosesNothing kills a process writing to the frontier with
// SIGKILL at an arbitrary moment, then checks that every batch it
// reported committed is there, every lease it held comes back, and nothing
// completed is handed out again.
func TestKillNineLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	path := filepath.Join(t.TempDir(), "frontier.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashHelperEnv+"="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	committed := 0
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		n, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "committed "))
		if err != nil {
			t.Fatalf("helper said %q", sc.Text())
		}
		committed = n
		if committed >= 400 {
			break
		}
	}
	// Mid-transaction, most likely: the helper writes continuously.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if committed < 400 {
		t.Fatalf("helper stopped after %d URLs", committed)
	}

	ctx := context.Background()
	f, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer f.Close()
	for i := range committed {
		u := fmt.Sprintf("https://crash.test/%d/%d", i/20, i%20)
		if _, err := f.Lookup(ctx, u); err != nil {
			t.Fatalf("reported committed but lost: %s: %v", u, err)
		}
	}
	if _, err := f.Recover(ctx, "restarted", t0); err != nil {
		t.Fatal(err)
	}
	// Everything not completed comes back exactly once; nothing completed does.
	leased := map[string]bool{}
	for {
		items, err := f.Lease(ctx, frontier.LeaseRequest{Owner: "restarted", Max: 100, Now: t0, Until: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) == 0 {
			break
		}
		for _, it := range items {
			if it.Captures != 0 {
				t.Errorf("%s was completed before the crash and leased again", it.URL)
			}
			if leased[it.URL] {
				t.Errorf("%s leased twice", it.URL)
			}
			leased[it.URL] = true
			if err := f.Complete(ctx, it, frontier.Completion{Now: t0, Captured: true, CaptureID: "c2"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var total, captured int
	if err := f.reader.QueryRow(`SELECT count(*), coalesce(sum(captures = 1), 0) FROM items`).Scan(&total, &captured); err != nil {
		t.Fatal(err)
	}
	if total < committed || captured != total {
		t.Errorf("%d items (%d reported committed), %d captured once; want every item captured exactly once", total, committed, captured)
	}
	t.Logf("killed after %d committed URLs; %d in the file; %d handed out again after restart", committed, total, len(leased))
}
