package frontiertest

import (
	"fmt"
	"testing"
	"time"

	"github.com/archivist-project/archivist/crawler/frontier"
)

func spec(name, u string, interval time.Duration) frontier.SourceSpec {
	return frontier.SourceSpec{Name: name, URL: u, Kind: "page", Interval: interval}
}

func pollOnce(t *testing.T, f frontier.Frontier, name string, at time.Time, interval time.Duration, newURLs int) {
	t.Helper()
	items := lease(t, f, "w", 10, at)
	var it *frontier.Item
	for i := range items {
		if items[i].Kind == frontier.KindSource && items[i].Source == name {
			it = &items[i]
		} else if err := f.Retry(ctx(), items[i], frontier.RetryRequest{Now: at, NotBefore: at}); err != nil {
			t.Fatal(err)
		}
	}
	if it == nil {
		t.Fatalf("source %s not due at %s (leased %v)", name, at, urls(items))
	}
	if err := f.RecordPoll(ctx(), frontier.PollResult{Source: name, At: at, OK: true, Result: "ok", HTTPStatus: 200, Found: 5, New: newURLs}); err != nil {
		t.Fatal(err)
	}
	if err := f.Complete(ctx(), *it, frontier.Completion{Now: at, Next: at.Add(interval)}); err != nil {
		t.Fatal(err)
	}
}

func sourceDue(t *testing.T, f frontier.Frontier, name string) time.Time {
	t.Helper()
	stats, err := f.SourceStats(ctx())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stats {
		if s.Name == name {
			return s.NextPoll
		}
	}
	t.Fatalf("source %s not in stats", name)
	return time.Time{}
}

func testSources(t *testing.T, open Opener) {
	f := open(t, "sources")
	const every = 15 * time.Minute
	if err := f.SyncSources(ctx(), []frontier.SourceSpec{spec("topic", "https://a.test/topic", every)}, t0()); err != nil {
		t.Fatal(err)
	}
	pollOnce(t, f, "topic", t0(), every, 3)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// Restart two minutes later: the poll is not due again yet.
	f = open(t, "sources")
	now := t0().Add(2 * time.Minute)
	if err := f.SyncSources(ctx(), []frontier.SourceSpec{spec("topic", "https://a.test/topic", every)}, now); err != nil {
		t.Fatal(err)
	}
	if got := lease(t, f, "w2", 10, now); len(got) != 0 {
		t.Fatalf("restart re-polled at once: %v", urls(got))
	}
	if due := sourceDue(t, f, "topic"); !due.Equal(t0().Add(every)) {
		t.Errorf("next poll %s, want %s", due, t0().Add(every))
	}
	// A longer interval counts from the last poll.
	if err := f.SyncSources(ctx(), []frontier.SourceSpec{spec("topic", "https://a.test/topic", time.Hour)}, now); err != nil {
		t.Fatal(err)
	}
	if due := sourceDue(t, f, "topic"); !due.Equal(t0().Add(time.Hour)) {
		t.Errorf("after interval change next poll %s, want %s", due, t0().Add(time.Hour))
	}
	// A changed URL is polled at once.
	if err := f.SyncSources(ctx(), []frontier.SourceSpec{spec("topic", "https://a.test/topic2", time.Hour)}, now); err != nil {
		t.Fatal(err)
	}
	if got := lease(t, f, "w2", 10, now); len(got) != 1 || got[0].URL != "https://a.test/topic2" {
		t.Fatalf("changed URL not polled at once: %v", urls(got))
	} else if err := f.Complete(ctx(), got[0], frontier.Completion{Now: now, Next: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// Removing a source stops its polls; its URLs stay. A new source is due at once.
	mustDiscover(t, f, found("https://a.test/story", "topic", "https://a.test/topic", 1, now))
	if err := f.SyncSources(ctx(), []frontier.SourceSpec{spec("wire", "https://b.test/feed", every)}, now); err != nil {
		t.Fatal(err)
	}
	got := lease(t, f, "w2", 10, now.Add(3*time.Hour))
	if len(got) != 2 {
		t.Fatalf("leased %v, want the wire poll and the story", urls(got))
	}
	stats, err := f.SourceStats(ctx())
	if err != nil || len(stats) != 1 || stats[0].Name != "wire" {
		t.Errorf("stats after removal = %+v, %v", stats, err)
	}
	// Re-adding the removed source resumes from its last poll.
	if err := f.SyncSources(ctx(), []frontier.SourceSpec{spec("topic", "https://a.test/topic2", time.Hour), spec("wire", "https://b.test/feed", every)}, now); err != nil {
		t.Fatal(err)
	}
	if stats, _ := f.SourceStats(ctx()); len(stats) != 2 || stats[0].Polls != 1 || stats[0].Name != "topic" {
		t.Errorf("re-added source lost its history: %+v", stats)
	}
}

func testSourceStats(t *testing.T, open Opener) {
	f := open(t, "stats")
	clock := t0()
	setter, ok := f.(interface{ SetClock(func() time.Time) })
	if !ok {
		t.Skip("backend cannot take an injected clock for stall checks")
	}
	setter.SetClock(func() time.Time { return clock })
	const every = 15 * time.Minute
	if err := f.SyncSources(ctx(), []frontier.SourceSpec{spec("topic", "https://a.test/topic", every)}, t0()); err != nil {
		t.Fatal(err)
	}
	// New articles every hour for five hours, nothing in between.
	for i := range 21 {
		at := t0().Add(time.Duration(i) * every)
		n := 0
		if i%4 == 0 {
			n = 2
		}
		pollOnce(t, f, "topic", at, every, n)
	}
	var ds []frontier.Discovered
	for _, p := range []string{"ok1", "ok2", "robots", "gone", "wait"} {
		ds = append(ds, found("https://a.test/"+p, "topic", "https://a.test/topic", 1, t0()))
	}
	mustDiscover(t, f, ds...)
	mustDiscover(t, f, found("https://a.test/ok1", "other", "https://b.test/", 1, t0()))
	now := t0().Add(5 * time.Hour)
	for _, it := range lease(t, f, "w", 10, now) {
		var err error
		switch it.URL {
		case "https://a.test/ok1", "https://a.test/ok2":
			err = f.Complete(ctx(), it, frontier.Completion{Now: now, Captured: true, CaptureID: "c"})
		case "https://a.test/robots":
			err = f.Fail(ctx(), it, frontier.Failure{Now: now, Kind: frontier.FailRobots, Reason: "blocked by robots.txt"})
		case "https://a.test/gone":
			err = f.Fail(ctx(), it, frontier.Failure{Now: now, Kind: frontier.FailPermanent, Reason: "HTTP 404"})
		default:
			err = f.Retry(ctx(), it, frontier.RetryRequest{Now: now, NotBefore: now.Add(time.Hour), CountAttempt: true})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	clock = t0().Add(5*time.Hour + time.Minute)
	stats, err := f.SourceStats(ctx())
	if err != nil || len(stats) != 1 {
		t.Fatalf("SourceStats = %+v, %v", stats, err)
	}
	s := stats[0]
	if s.Found != 5 || s.Archived != 2 || s.BlockedByRobots != 1 || s.Failed != 1 || s.Pending != 1 {
		t.Errorf("counts = found %d archived %d robots %d failed %d pending %d; want 5 2 1 1 1", s.Found, s.Archived, s.BlockedByRobots, s.Failed, s.Pending)
	}
	if s.Polls != 21 || !s.LastPoll.Equal(t0().Add(5*time.Hour)) || !s.LastOK || s.LastHTTPStatus != 200 || !s.LastNew.Equal(t0().Add(5*time.Hour)) {
		t.Errorf("poll fields = %+v", s)
	}
	if s.UsualGap != time.Hour {
		t.Errorf("usual gap = %s, want 1h", s.UsualGap)
	}
	if s.Stalled {
		t.Error("stalled right after a new find")
	}
	// Three usual gaps (3h) without anything new is not yet a stall...
	clock = t0().Add(8 * time.Hour)
	if stats, _ := f.SourceStats(ctx()); stats[0].Stalled {
		t.Error("stalled after exactly 3 usual gaps")
	}
	// ...but longer is.
	clock = t0().Add(8*time.Hour + time.Minute)
	if stats, _ := f.SourceStats(ctx()); !stats[0].Stalled {
		t.Errorf("not stalled after 3h01m without anything new (usual gap 1h): %+v", stats[0])
	}
}

func testReopen(t *testing.T, open Opener) {
	f := open(t, "reopen")
	var ds []frontier.Discovered
	for i := range 50 {
		ds = append(ds, found(fmt.Sprintf("https://a.test/%d", i), "s", "https://a.test/", i, t0()))
	}
	mustDiscover(t, f, ds...)
	held := lease(t, f, "run-1", 20, t0())
	done := held[:5]
	for _, it := range done {
		if err := f.Complete(ctx(), it, frontier.Completion{Now: t0(), Captured: true, CaptureID: "c-" + it.URL}); err != nil {
			t.Fatal(err)
		}
	}
	// The process dies: no Close, no Retry of the 15 other leases. The
	// next process opens the same data.
	g := open(t, "reopen")
	if n, err := g.Recover(ctx(), "run-2", t0().Add(time.Minute)); err != nil || n != 15 {
		t.Fatalf("Recover = %d, %v; want the 15 unfinished leases", n, err)
	}
	seen := map[string]bool{}
	for {
		items := lease(t, g, "run-2", 7, t0().Add(time.Minute))
		if len(items) == 0 {
			break
		}
		for _, it := range items {
			if seen[it.URL] {
				t.Fatalf("%s leased twice in one run", it.URL)
			}
			seen[it.URL] = true
			if err := g.Complete(ctx(), it, frontier.Completion{Now: t0(), Captured: true, CaptureID: "c"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(seen) != 45 {
		t.Errorf("after the crash %d URLs were leased, want the 45 not completed", len(seen))
	}
	for _, it := range done {
		if seen[it.URL] {
			t.Errorf("%s completed before the crash was leased again", it.URL)
		}
		if e := lookup(t, g, it.URL); e.Captures != 1 {
			t.Errorf("%s: %d captures, want 1", it.URL, e.Captures)
		}
	}
}
