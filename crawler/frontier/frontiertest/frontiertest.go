// Package frontiertest is the shared behaviour suite every frontier.Frontier
// backend must pass: de-duplication and the discovery log, lease order and
// expiry, ending leases (idempotent, lost), retries and failures, claims,
// host back-offs, source syncing across restarts, poll records and stall
// detection, and at-least-once across a reopen without a clean shutdown.
package frontiertest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/crawler/frontier"
)

// Opener opens the frontier named name; opening the same name again (in
// the same test) must reach the same data, as a restarted daemon would.
type Opener func(t *testing.T, name string) frontier.Frontier

// t0() is the suite's clock origin.
func t0() time.Time { return time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC) }

// Run runs the suite.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"DiscoverDeduplicatesAndLogs", testDiscover},
		{"LeaseOrderAndDueTimes", testLeaseOrder},
		{"LeaseExpiryAndLostLease", testLeaseExpiry},
		{"EndingLeaseIsIdempotent", testIdempotent},
		{"RetryAndFail", testRetryFail},
		{"HostsSkippedAndBackedOff", testHosts},
		{"LeaseAcrossHosts", testLeaseAcrossHosts},
		{"Claims", testClaims},
		{"ValidatorsAndCaptures", testValidators},
		{"SourcesAcrossRestart", testSources},
		{"SourceStatsAndStall", testSourceStats},
		{"ReopenWithoutCloseLosesNothing", testReopen},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

func ctx() context.Context { return context.Background() }

// found builds a discovery of u by source on via at time at.
func found(u, source, via string, pos int, at time.Time) frontier.Discovered {
	return frontier.Discovered{URL: u, Depth: 1, Discovery: archive.Discovery{
		Source: source, Kind: "page", FoundAt: at, Via: via, Position: pos,
	}}
}

func mustDiscover(t *testing.T, f frontier.Frontier, ds ...frontier.Discovered) int {
	t.Helper()
	n, err := f.Discover(ctx(), ds)
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	return n
}

func lease(t *testing.T, f frontier.Frontier, owner string, max int, now time.Time) []frontier.Item {
	t.Helper()
	items, err := f.Lease(ctx(), frontier.LeaseRequest{Owner: owner, Max: max, Now: now, Until: now.Add(5 * time.Minute)})
	if err != nil {
		t.Fatalf("Lease: %v", err)
	}
	return items
}

func urls(items []frontier.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.URL
	}
	return out
}

func lookup(t *testing.T, f frontier.Frontier, u string) frontier.Entry {
	t.Helper()
	e, err := f.Lookup(ctx(), u)
	if err != nil {
		t.Fatalf("Lookup %s: %v", u, err)
	}
	return e
}

func testDiscover(t *testing.T, open Opener) {
	f := open(t, "discover")
	feedDate := t0().Add(-time.Hour)
	feedItem := frontier.Discovered{URL: "https://news.test/a", Depth: 1, Discovery: archive.Discovery{
		Source: "wire", Kind: "feed", FoundAt: t0().Add(time.Minute), Via: "https://news.test/feed.xml", Position: 3,
		FeedGUID: "urn:a", FeedDate: &feedDate, Title: "Story A",
	}}
	n := mustDiscover(t, f,
		found("https://news.test/a", "topic", "https://news.test/topic", 1, t0()),
		// Spelling variants of the same URL are the same item.
		found("https://NEWS.test/a?utm_source=x#top", "topic", "https://news.test/topic", 7, t0()),
		found("https://news.test/b", "topic", "https://news.test/topic", 2, t0()),
		feedItem,
	)
	if n != 2 {
		t.Errorf("Discover reported %d new URLs, want 2", n)
	}
	if n := mustDiscover(t, f, found("https://news.test/a", "topic", "https://news.test/topic", 1, t0().Add(time.Hour))); n != 0 {
		t.Errorf("re-discovery reported %d new URLs, want 0", n)
	}
	log, err := f.Discoveries(ctx(), "https://news.test/a")
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 {
		t.Fatalf("discovery log of a has %d rows, want 2 (one per source and page): %+v", len(log), log)
	}
	if d := log[0]; d.Source != "topic" || d.Kind != "page" || d.Position != 1 || !d.FoundAt.Equal(t0()) || d.Via != "https://news.test/topic" {
		t.Errorf("first discovery = %+v", d)
	}
	if d := log[1]; d.Source != "wire" || d.Kind != "feed" || d.FeedGUID != "urn:a" || d.FeedDate == nil || !d.FeedDate.Equal(feedDate) ||
		d.Title != "Story A" || d.Position != 3 {
		t.Errorf("feed discovery = %+v", d)
	}
	// The item belongs to the first source, and carries its discovery.
	e := lookup(t, f, "https://news.test/a")
	if e.Source != "topic" || e.State != frontier.StatePending || e.Kind != frontier.KindURL || e.Host != "news.test" {
		t.Errorf("entry = %+v", e)
	}
	if e.Discovery == nil || e.Discovery.Source != "topic" || e.Discovery.Position != 1 {
		t.Errorf("entry discovery = %+v", e.Discovery)
	}
	if _, err := f.Lookup(ctx(), "https://news.test/never"); !errors.Is(err, frontier.ErrNotFound) {
		t.Errorf("Lookup of an unknown URL: %v, want ErrNotFound", err)
	}
}

func testLeaseOrder(t *testing.T, open Opener) {
	f := open(t, "order")
	mustDiscover(t, f,
		found("https://a.test/2", "s", "https://a.test/", 1, t0().Add(2*time.Minute)),
		found("https://b.test/1", "s", "https://a.test/", 2, t0().Add(time.Minute)),
		found("https://c.test/later", "s", "https://a.test/", 3, t0().Add(time.Hour)),
	)
	if got := lease(t, f, "w", 10, t0()); len(got) != 0 {
		t.Fatalf("leased %v before anything was due", urls(got))
	}
	got := lease(t, f, "w", 10, t0().Add(10*time.Minute))
	if len(got) != 2 || got[0].URL != "https://b.test/1" || got[1].URL != "https://a.test/2" {
		t.Fatalf("leased %v, want b.test/1 then a.test/2 (oldest due first)", urls(got))
	}
	for _, it := range got {
		if it.Lease.Owner != "w" || it.Lease.Seq < 1 || !it.Lease.Until.Equal(t0().Add(15*time.Minute)) {
			t.Errorf("lease of %s = %+v", it.URL, it.Lease)
		}
	}
	if again := lease(t, f, "w2", 10, t0().Add(11*time.Minute)); len(again) != 0 {
		t.Errorf("leased items are leased again while the lease holds: %v", urls(again))
	}
	st, err := f.Stats(ctx(), t0().Add(11*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if st.Leased != 2 || st.Scheduled != 1 || st.Due != 0 {
		t.Errorf("stats = %+v, want 2 leased, 1 scheduled", st)
	}
}

func testLeaseExpiry(t *testing.T, open Opener) {
	f := open(t, "expiry")
	mustDiscover(t, f, found("https://a.test/x", "s", "https://a.test/", 1, t0()))
	first := lease(t, f, "dead", 1, t0())
	if len(first) != 1 {
		t.Fatalf("leased %d items, want 1", len(first))
	}
	// Extending keeps it; after the deadline it is due again.
	if err := f.Extend(ctx(), first, t0().Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := lease(t, f, "other", 1, t0().Add(6*time.Minute)); len(got) != 0 {
		t.Fatalf("extended lease was taken over at +6m")
	}
	second := lease(t, f, "other", 1, t0().Add(10*time.Minute))
	if len(second) != 1 || second[0].Lease.Seq <= first[0].Lease.Seq || second[0].Lease.Owner != "other" {
		t.Fatalf("expired lease not re-leased with a new sequence: first %+v, second %+v", first, second)
	}
	// The first holder's late results are refused.
	err := f.Complete(ctx(), first[0], frontier.Completion{Now: t0().Add(11 * time.Minute), Captured: true, CaptureID: "late"})
	if !errors.Is(err, frontier.ErrLeaseLost) {
		t.Errorf("Complete with an expired, re-leased lease: %v, want ErrLeaseLost", err)
	}
	if err := f.Retry(ctx(), first[0], frontier.RetryRequest{Now: t0(), NotBefore: t0()}); !errors.Is(err, frontier.ErrLeaseLost) {
		t.Errorf("Retry with a lost lease: %v", err)
	}
	if err := f.Complete(ctx(), second[0], frontier.Completion{Now: t0().Add(12 * time.Minute), Captured: true, CaptureID: "c2"}); err != nil {
		t.Fatalf("Complete by the current holder: %v", err)
	}
	if e := lookup(t, f, "https://a.test/x"); e.State != frontier.StateDone || e.Captures != 1 || e.LastCaptureID != "c2" {
		t.Errorf("entry = %+v, want done with one capture c2", e)
	}
	// Recover hands back the leases of other (dead) owners at once.
	mustDiscover(t, f, found("https://a.test/y", "s", "https://a.test/", 2, t0()))
	held := lease(t, f, "crashed-run", 1, t0().Add(20*time.Minute))
	if len(held) != 1 {
		t.Fatal("nothing to lease")
	}
	n, err := f.Recover(ctx(), "new-run", t0().Add(21*time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("Recover = %d, %v; want 1", n, err)
	}
	if got := lease(t, f, "new-run", 1, t0().Add(21*time.Minute)); len(got) != 1 || got[0].URL != "https://a.test/y" {
		t.Errorf("recovered item not leasable at once: %v", urls(got))
	}
	if n, err := f.Recover(ctx(), "new-run", t0().Add(22*time.Minute)); err != nil || n != 0 {
		t.Errorf("Recover took the caller's own leases: %d, %v", n, err)
	}
}

func testIdempotent(t *testing.T, open Opener) {
	f := open(t, "idem")
	mustDiscover(t, f, found("https://a.test/x", "s", "https://a.test/", 1, t0()))
	it := lease(t, f, "w", 1, t0())[0]
	c := frontier.Completion{Now: t0().Add(time.Minute), Captured: true, CaptureID: "c1", Next: t0().Add(time.Hour), Result: "archived"}
	for i := range 2 {
		if err := f.Complete(ctx(), it, c); err != nil {
			t.Fatalf("Complete #%d: %v", i+1, err)
		}
	}
	e := lookup(t, f, "https://a.test/x")
	if e.Captures != 1 {
		t.Errorf("two Completes of one lease counted %d captures, want 1", e.Captures)
	}
	if e.State != frontier.StatePending || !e.Due.Equal(t0().Add(time.Hour)) || !e.FirstCaptureAt.Equal(t0().Add(time.Minute)) {
		t.Errorf("entry = %+v, want pending again at +1h (revisit) with first capture at +1m", e)
	}
	// The revisit keeps the first capture time.
	re := lease(t, f, "w", 1, t0().Add(time.Hour))
	if len(re) != 1 || re[0].Captures != 1 || !re[0].FirstCaptureAt.Equal(t0().Add(time.Minute)) {
		t.Fatalf("revisit lease = %+v", re)
	}
	if err := f.Complete(ctx(), re[0], frontier.Completion{Now: t0().Add(time.Hour), Captured: true, CaptureID: "c2"}); err != nil {
		t.Fatal(err)
	}
	if e := lookup(t, f, "https://a.test/x"); e.Captures != 2 || !e.FirstCaptureAt.Equal(t0().Add(time.Minute)) || e.State != frontier.StateDone {
		t.Errorf("after revisit: %+v", e)
	}
}

func testRetryFail(t *testing.T, open Opener) {
	f := open(t, "retry")
	mustDiscover(t, f, found("https://a.test/flaky", "s", "https://a.test/", 1, t0()), found("https://a.test/gone", "s", "https://a.test/", 2, t0()))
	items := lease(t, f, "w", 2, t0())
	flaky, gone := items[0], items[1]
	if flaky.URL != "https://a.test/flaky" {
		flaky, gone = gone, flaky
	}
	if err := f.Retry(ctx(), flaky, frontier.RetryRequest{Now: t0(), NotBefore: t0().Add(2 * time.Minute), Reason: "HTTP 503", CountAttempt: true}); err != nil {
		t.Fatal(err)
	}
	if err := f.Fail(ctx(), gone, frontier.Failure{Now: t0(), Kind: frontier.FailPermanent, Reason: "HTTP 404"}); err != nil {
		t.Fatal(err)
	}
	if e := lookup(t, f, "https://a.test/gone"); e.State != frontier.StateFailed || e.FailKind != frontier.FailPermanent || e.LastError != "HTTP 404" {
		t.Errorf("failed entry = %+v", e)
	}
	if got := lease(t, f, "w", 2, t0().Add(time.Minute)); len(got) != 0 {
		t.Errorf("retry leased before its time: %v", urls(got))
	}
	got := lease(t, f, "w", 2, t0().Add(2*time.Minute))
	if len(got) != 1 || got[0].URL != "https://a.test/flaky" || got[0].Attempts != 1 {
		t.Fatalf("after retry delay leased %+v, want flaky with 1 attempt (failed item never again)", got)
	}
	// An uncounted retry (host back-off, shutdown) leaves attempts alone.
	if err := f.Retry(ctx(), got[0], frontier.RetryRequest{Now: t0(), NotBefore: t0().Add(3 * time.Minute), Reason: "shutdown"}); err != nil {
		t.Fatal(err)
	}
	if e := lookup(t, f, "https://a.test/flaky"); e.Attempts != 1 || e.LastError != "shutdown" {
		t.Errorf("after uncounted retry: %+v", e)
	}
	// Success resets the attempt count.
	again := lease(t, f, "w", 1, t0().Add(3*time.Minute))
	if err := f.Complete(ctx(), again[0], frontier.Completion{Now: t0().Add(3 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if e := lookup(t, f, "https://a.test/flaky"); e.Attempts != 0 || e.State != frontier.StateDone || e.Captures != 0 {
		t.Errorf("after success: %+v", e)
	}
}

func testHosts(t *testing.T, open Opener) {
	f := open(t, "hosts")
	var ds []frontier.Discovered
	for i := range 3 {
		ds = append(ds, found(fmt.Sprintf("https://busy.test/%d", i), "s", "https://x.test/", i, t0()))
		ds = append(ds, found(fmt.Sprintf("https://calm.test/%d", i), "s", "https://x.test/", 10+i, t0().Add(time.Second)))
	}
	mustDiscover(t, f, ds...)
	got, err := f.Lease(ctx(), frontier.LeaseRequest{Owner: "w", Max: 4, Now: t0().Add(time.Minute), Until: t0().Add(time.Hour), PerHost: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Host == got[1].Host {
		t.Errorf("PerHost 1 leased %v, want one item of each host", urls(got))
	}
	complete := func(items []frontier.Item) {
		for _, it := range items {
			if err := f.Complete(ctx(), it, frontier.Completion{Now: t0()}); err != nil {
				t.Fatal(err)
			}
		}
	}
	complete(got)
	got, err = f.Lease(ctx(), frontier.LeaseRequest{Owner: "w", Max: 4, Now: t0().Add(time.Minute), Until: t0().Add(time.Hour), SkipHosts: []string{"busy.test"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Errorf("with busy.test skipped leased %v, want the 2 other calm.test items", urls(got))
	}
	for _, it := range got {
		if it.Host == "busy.test" {
			t.Errorf("leased %s from a skipped host", it.URL)
		}
	}
	complete(got)
	if err := f.BackoffHost(ctx(), "busy.test", t0().Add(2*time.Hour), "HTTP 429"); err != nil {
		t.Fatal(err)
	}
	hb, err := f.HostsInBackoff(ctx(), t0().Add(time.Hour))
	if err != nil || len(hb) != 1 || hb[0].Host != "busy.test" || !hb[0].Until.Equal(t0().Add(2*time.Hour)) || hb[0].Reason != "HTTP 429" {
		t.Fatalf("HostsInBackoff = %+v, %v", hb, err)
	}
	if got := lease(t, f, "w", 10, t0().Add(time.Hour+time.Minute)); len(got) != 0 {
		t.Errorf("leased %v while busy.test is backed off", urls(got))
	}
	if got := lease(t, f, "w", 10, t0().Add(2*time.Hour)); len(got) != 2 {
		t.Errorf("after the back-off leased %v, want the 2 remaining busy.test items", urls(got))
	}
	// An earlier back-off never shortens a later one.
	if err := f.BackoffHost(ctx(), "busy.test", t0().Add(3*time.Hour), "a"); err != nil {
		t.Fatal(err)
	}
	if err := f.BackoffHost(ctx(), "busy.test", t0().Add(150*time.Minute), "b"); err != nil {
		t.Fatal(err)
	}
	if hb, _ := f.HostsInBackoff(ctx(), t0().Add(2*time.Hour)); len(hb) != 1 || !hb[0].Until.Equal(t0().Add(3*time.Hour)) {
		t.Errorf("back-off shortened: %+v", hb)
	}
}

func testClaims(t *testing.T, open Opener) {
	f := open(t, "claims")
	mustDiscover(t, f, found("https://a.test/story", "s", "https://a.test/", 1, t0()), found("https://a.test/amp/story", "s", "https://a.test/", 2, t0()))
	items := lease(t, f, "w", 2, t0())
	owner, ok, err := f.Claim(ctx(), "https://a.test/story", items[0])
	if err != nil || !ok || owner != items[0].URL {
		t.Fatalf("first claim = %q, %v, %v", owner, ok, err)
	}
	if owner, ok, _ := f.Claim(ctx(), "https://a.test/story", items[0]); !ok || owner != items[0].URL {
		t.Errorf("re-claim by the holder refused")
	}
	owner, ok, err = f.Claim(ctx(), "https://a.test/story", items[1])
	if err != nil || ok || owner != items[0].URL {
		t.Errorf("competing claim = %q, %v, %v; want refused naming %s", owner, ok, err, items[0].URL)
	}
	// A claimed canonical is not queued again when found under that URL
	// by another item's claim.
	if _, ok, _ := f.Claim(ctx(), "https://a.test/canonical-only", items[0]); !ok {
		t.Fatal("claim failed")
	}
	if n := mustDiscover(t, f, found("https://a.test/canonical-only", "s", "https://a.test/", 3, t0())); n != 0 {
		t.Errorf("a URL claimed as another item's canonical was queued")
	}
	// Failing releases the holder's claims.
	if err := f.Fail(ctx(), items[0], frontier.Failure{Now: t0(), Kind: frontier.FailPermanent, Reason: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := f.Claim(ctx(), "https://a.test/story", items[1]); !ok {
		t.Errorf("claim not released by Fail")
	}
}

func testValidators(t *testing.T, open Opener) {
	f := open(t, "validators")
	mustDiscover(t, f, found("https://a.test/x", "s", "https://a.test/", 1, t0()))
	it := lease(t, f, "w", 1, t0())[0]
	if it.Validators != (frontier.Validators{}) {
		t.Errorf("new item has validators %+v", it.Validators)
	}
	v := frontier.Validators{ETag: `"v1"`, LastModified: "Fri, 27 Nov 2026 08:00:00 GMT"}
	if err := f.Complete(ctx(), it, frontier.Completion{Now: t0(), Captured: true, CaptureID: "c1", Validators: &v, Next: t0().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	re := lease(t, f, "w", 1, t0().Add(time.Hour))
	if len(re) != 1 || re[0].Validators != v {
		t.Fatalf("revisit lease validators = %+v, want %+v", re, v)
	}
	// A 304 completes without a capture and keeps the validators.
	if err := f.Complete(ctx(), re[0], frontier.Completion{Now: t0().Add(time.Hour), Result: "not modified", Next: t0().Add(6 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if e := lookup(t, f, "https://a.test/x"); e.Captures != 1 || e.Validators != v || e.LastResult != "not modified" {
		t.Errorf("after 304: %+v", e)
	}
	if err := f.SetValidators(ctx(), "doc:feed", frontier.Validators{ETag: "f"}, t0()); err != nil {
		t.Fatal(err)
	}
	if got, err := f.Validators(ctx(), "doc:feed"); err != nil || got.ETag != "f" {
		t.Errorf("Validators = %+v, %v", got, err)
	}
	if got, err := f.Validators(ctx(), "doc:none"); err != nil || got != (frontier.Validators{}) {
		t.Errorf("Validators of unknown key = %+v, %v", got, err)
	}
}
