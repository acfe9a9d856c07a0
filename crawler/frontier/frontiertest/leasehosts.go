package frontiertest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/archivist-project/archivist/crawler/frontier"
)

// testLeaseAcrossHosts plays scheduler turns over a frontier like a
// million-URL one in miniature: many hosts, each with its backlog queued
// at once, and busy hosts with backlogs that come first in due order, some
// queued at once and some at as many times as they have URLs (retries,
// revisits). Every turn must lease its full Max, one item a host, from the
// hosts whose oldest items are the oldest, never from a busy or backed-off
// host, however much those have queued before the answer.
func testLeaseAcrossHosts(t *testing.T, open Opener) {
	f := open(t, "lease-hosts")
	const hosts, perHost, scattered = 40, 30, 150
	var ds []frontier.Discovered
	for h := range 3 {
		for i := range scattered {
			u := fmt.Sprintf("https://s%d.test/%d", h, i)
			ds = append(ds, found(u, "s", "https://x.test/", i, t0().Add(time.Duration(3*i+h)*time.Millisecond)))
		}
	}
	for h := range hosts {
		for i := range perHost {
			u := fmt.Sprintf("https://h%02d.test/%d", h, i)
			ds = append(ds, found(u, "s", fmt.Sprintf("https://h%02d.test/sitemap.xml", h), i, t0().Add(time.Duration(h+1)*time.Second)))
		}
	}
	if n := mustDiscover(t, f, ds...); n != len(ds) {
		t.Fatalf("Discover queued %d URLs, want %d", n, len(ds))
	}
	if err := f.BackoffHost(ctx(), "h10.test", t0().Add(2*time.Hour), "HTTP 429"); err != nil {
		t.Fatal(err)
	}
	busy := []string{"s0.test", "s1.test", "s2.test"}
	for h := range 10 {
		busy = append(busy, fmt.Sprintf("h%02d.test", h))
	}
	now := t0().Add(time.Hour)
	for turn, first := range []int{11, 19} {
		got, err := f.Lease(ctx(), frontier.LeaseRequest{Owner: "w", Max: 8, Now: now, Until: now.Add(time.Minute), SkipHosts: busy, PerHost: 1})
		if err != nil {
			t.Fatal(err)
		}
		var want, have []string
		for h := first; h < first+8; h++ {
			want = append(want, fmt.Sprintf("h%02d.test", h))
		}
		for _, it := range got {
			have = append(have, it.Host)
		}
		if !slices.Equal(have, want) {
			t.Fatalf("turn %d leased from hosts %v, want one item of each of %v, oldest first (busy: %v, h10.test backed off)", turn+1, have, want, busy)
		}
		// The scheduler skips the hosts it is now fetching from.
		busy = append(busy, have...)
	}
}
