package postgres

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/crawler/frontier"
	frontiersqlite "github.com/archivist-project/archivist/crawler/frontier/sqlite"
)

// copyInto copies the SQLite frontier at path into dst in batches of two
// rows (so every table spans several batches), as migrate-catalog does.
func copyInto(t *testing.T, path string, dst *Frontier, now time.Time) (map[frontier.Table]int, map[frontier.Table]frontier.ImportResult) {
	t.Helper()
	written := map[frontier.Table]frontier.ImportResult{}
	read, err := frontiersqlite.Export(t.Context(), path, 2, func(ctx context.Context, rows frontier.Rows) error {
		if rows.Len() > 2 {
			t.Errorf("a batch of %d %s, want at most 2", rows.Len(), rows.Table)
		}
		res, err := dst.Import(ctx, rows, now)
		written[rows.Table] = written[rows.Table].Add(res)
		return err
	})
	if err != nil {
		t.Fatalf("copy: %v", err)
	}
	for _, tb := range frontier.Tables() {
		if written[tb].Total() != read[tb] {
			t.Errorf("%s: read %d, imported %+v", tb, read[tb], written[tb])
		}
	}
	return read, written
}

// crawled is a stopped daemon's SQLite frontier: URLs in every state,
// revisits, retries, failures, claims, validators, polls, back-offs and a
// lease still held when it stopped.
type crawled struct {
	path   string
	urls   []string // URLs, and source keys for the polls
	leased []string // held leased by the stopped daemon
	canon  string   // claimed by claimer
	claim  string
}

const (
	alpha = "https://alpha.test/"
	beta  = "https://beta.test/feed.xml"
)

func art(n string) string { return "https://alpha.test/news/" + n }

func disc(u, source, kind, via string, pos int, at time.Time) frontier.Discovered {
	return frontier.Discovered{URL: u, Depth: 1, Discovery: archive.Discovery{Source: source, Kind: kind, FoundAt: at, Via: via, Position: pos}}
}

func crawlSQLite(t *testing.T) crawled {
	t.Helper()
	ctx := t.Context()
	c := crawled{path: filepath.Join(t.TempDir(), "frontier.db")}
	src, err := frontiersqlite.Open(ctx, c.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	at := func(d time.Duration) time.Time { return t0().Add(d) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(src.SyncSources(ctx, []frontier.SourceSpec{
		{Name: "alpha", URL: alpha, Kind: "page", Interval: time.Hour},
		{Name: "beta", URL: beta, Kind: "feed", Interval: 30 * time.Minute},
	}, t0()))
	feedDate := at(-time.Hour)
	b1 := frontier.Discovered{URL: "https://beta.test/story/1", Depth: 1, Discovery: archive.Discovery{Source: "beta", Kind: "feed",
		FoundAt: at(20 * time.Second), Via: beta, Position: 1, FeedGUID: "guid-1", FeedDate: &feedDate, Title: "Story one"}}
	found := []frontier.Discovered{b1, disc("https://slow.test/x", "alpha", "page", alpha, 9, at(10*time.Second))}
	for i, n := range []string{"revisit", "done", "retry", "robots", "gone", "held"} {
		found = append(found, disc(art(n), "alpha", "page", alpha, i+1, at(10*time.Second)))
	}
	// The same URL seen by another source, on another page.
	found = append(found, disc(art("revisit"), "beta", "feed", beta, 2, at(20*time.Second)))
	if _, err := src.Discover(ctx, found); err != nil {
		t.Fatal(err)
	}
	must(src.BackoffHost(ctx, "slow.test", at(2*time.Hour), "Retry-After: 7200"))
	items, err := src.Lease(ctx, frontier.LeaseRequest{Owner: "old-daemon", Max: 20, Now: at(time.Minute), Until: at(6 * time.Minute)})
	must(err)
	byURL := map[string]frontier.Item{}
	for _, it := range items {
		byURL[it.URL] = it
	}
	if len(byURL) != 9 { // two polls and seven URLs (slow.test is backed off)
		t.Fatalf("leased %d items, want 9", len(byURL))
	}
	done := at(2 * time.Minute)
	must(src.Complete(ctx, byURL[alpha], frontier.Completion{Now: done, Next: at(time.Hour), Result: "7 found", Validators: &frontier.Validators{ETag: `"page"`}}))
	must(src.RecordPoll(ctx, frontier.PollResult{Source: "alpha", At: done, OK: true, Result: "7 found, 7 new", HTTPStatus: 200, Found: 7, New: 7}))
	must(src.RecordPoll(ctx, frontier.PollResult{Source: "beta", At: at(90 * time.Second), OK: false, Result: "HTTP 503", HTTPStatus: 503}))
	must(src.SetValidators(ctx, "feed:"+beta, frontier.Validators{ETag: `"feed"`, LastModified: "Fri, 27 Nov 2026 07:00:00 GMT"}, done))
	must(src.Complete(ctx, byURL[art("revisit")], frontier.Completion{Now: done, Captured: true, CaptureID: "cap-revisit", Next: at(time.Hour),
		Validators: &frontier.Validators{ETag: `"r1"`}, Result: "archived"}))
	must(src.Complete(ctx, byURL[art("done")], frontier.Completion{Now: done, Captured: true, CaptureID: "cap-done", Result: "archived"}))
	must(src.Retry(ctx, byURL[art("retry")], frontier.RetryRequest{Now: done, NotBefore: at(time.Hour), Reason: "HTTP 503", CountAttempt: true}))
	must(src.Fail(ctx, byURL[art("robots")], frontier.Failure{Now: done, Kind: frontier.FailRobots, Reason: "disallowed"}))
	must(src.Fail(ctx, byURL[art("gone")], frontier.Failure{Now: done, Kind: frontier.FailPermanent, Reason: "HTTP 404"}))
	c.canon, c.claim = "https://beta.test/canonical/1", b1.URL
	if _, claimed, err := src.Claim(ctx, c.canon, byURL[b1.URL]); err != nil || !claimed {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	must(src.Complete(ctx, byURL[b1.URL], frontier.Completion{Now: done, Captured: true, CaptureID: "cap-b1", Result: "archived"}))
	// Found after the lease: pending, never leased.
	if _, err := src.Discover(ctx, []frontier.Discovered{disc(art("late"), "alpha", "page", alpha, 8, at(3*time.Minute))}); err != nil {
		t.Fatal(err)
	}
	// art("held") and the beta poll stay leased: the daemon stopped.
	c.leased = []string{art("held"), frontier.SourceKey("beta")}
	c.urls = []string{frontier.SourceKey("alpha"), frontier.SourceKey("beta"), b1.URL, "https://slow.test/x", art("revisit"), art("done"), art("retry"), art("robots"), art("gone"),
		art("held"), art("late")}
	return c
}

// TestCopyFromSQLite fills a SQLite frontier through its API, copies it
// into PostgreSQL, and reads everything back through the PostgreSQL
// frontier's API; then copies again after the replicas changed rows.
func TestCopyFromSQLite(t *testing.T) {
	ctx := t.Context()
	c := crawlSQLite(t)
	before, err := os.ReadFile(c.path)
	if err != nil {
		t.Fatal(err)
	}
	dst := open(t, migrated(t))
	// A replica already rediscovered one URL (never fetched it): the
	// copy's history replaces it.
	if _, err := dst.Discover(ctx, []frontier.Discovered{disc(art("revisit"), "alpha", "page", alpha, 4, t0().Add(time.Hour))}); err != nil {
		t.Fatal(err)
	}
	copyAt := t0().Add(10 * time.Minute)
	read, written := copyInto(t, c.path, dst, copyAt)
	if after, err := os.ReadFile(c.path); err != nil || !bytes.Equal(after, before) {
		t.Errorf("the copy changed the SQLite file (%v)", err)
	}
	wantRead := map[frontier.Table]int{frontier.TableSources: 2, frontier.TableItems: 11, frontier.TableDiscoveries: 10,
		frontier.TablePolls: 2, frontier.TableHosts: 1, frontier.TableValidators: 3, frontier.TableClaims: 1}
	if !reflect.DeepEqual(read, wantRead) {
		t.Errorf("read %v, want %v", read, wantRead)
	}
	if w := written[frontier.TableItems]; w.Added != 10 || w.Updated != 1 || w.Kept != 0 {
		t.Errorf("items: %+v, want 10 added and the rediscovered one updated", w)
	}
	if w := written[frontier.TableDiscoveries]; w.Added != 9 || w.Updated != 1 {
		t.Errorf("discoveries: %+v, want 9 added and the rediscovered one's first sighting taken", w)
	}

	src, err := frontiersqlite.Open(ctx, c.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for _, u := range c.urls {
		want, err := src.Lookup(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		got, err := dst.Lookup(ctx, u)
		if err != nil {
			t.Fatalf("%s not copied: %v", u, err)
		}
		want.ID, got.ID = 0, 0
		if slices.Contains(c.leased, u) {
			if want.State != frontier.StateLeased {
				t.Fatalf("%s is %s in SQLite, want leased", u, want.State)
			}
			want.State, want.Due, want.Lease.Until = frontier.StatePending, copyAt, time.Time{}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", u, got, want)
		}
		wantD, err := src.Discoveries(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		gotD, err := dst.Discoveries(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gotD, wantD) {
			t.Errorf("discoveries of %s:\n got %+v\nwant %+v", u, gotD, wantD)
		}
	}

	clock := func() time.Time { return copyAt }
	src.SetClock(clock)
	dst.SetClock(clock)
	wantS, err := src.SourceStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gotS, err := dst.SourceStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range wantS {
		if wantS[i].Name == "beta" { // its poll was leased: due at the copy
			wantS[i].NextPoll = copyAt
		}
	}
	if !reflect.DeepEqual(gotS, wantS) {
		t.Errorf("source stats:\n got %+v\nwant %+v", gotS, wantS)
	}

	wantQ, err := src.Stats(ctx, copyAt)
	if err != nil {
		t.Fatal(err)
	}
	gotQ, err := dst.Stats(ctx, copyAt)
	if err != nil {
		t.Fatal(err)
	}
	if want := (frontier.QueueStats{Due: wantQ.Due + wantQ.Leased, Scheduled: wantQ.Scheduled}); gotQ != want || wantQ.Leased != 2 {
		t.Errorf("stats: got %+v, want %+v (SQLite %+v)", gotQ, want, wantQ)
	}
	for _, key := range []string{"feed:" + beta} {
		w, _ := src.Validators(ctx, key)
		g, err := dst.Validators(ctx, key)
		if err != nil || g != w || w.ETag == "" {
			t.Errorf("validators %s: got %+v %v, want %+v", key, g, err, w)
		}
	}
	wantH, _ := src.HostsInBackoff(ctx, copyAt)
	gotH, err := dst.HostsInBackoff(ctx, copyAt)
	if err != nil || !reflect.DeepEqual(gotH, wantH) || len(wantH) != 1 {
		t.Errorf("back-offs: got %+v %v, want %+v", gotH, err, wantH)
	}
	late, err := dst.Lookup(ctx, art("late"))
	if err != nil {
		t.Fatal(err)
	}
	if owner, claimed, err := dst.Claim(ctx, c.canon, late.Item); err != nil || claimed || owner != c.claim {
		t.Errorf("claim of %s: owner %q claimed %v (%v), want held by %s", c.canon, owner, claimed, err, c.claim)
	}

	// Lease hands out exactly the due work: the never-leased URL and what
	// the stopped daemon held, not the backed-off host's URL.
	leased, err := dst.Lease(ctx, frontier.LeaseRequest{Owner: "replica", Max: 50, Now: copyAt, Until: copyAt.Add(5 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	var gotURLs []string
	for _, it := range leased {
		gotURLs = append(gotURLs, it.URL)
	}
	slices.Sort(gotURLs)
	wantURLs := []string{art("held"), art("late"), beta}
	slices.Sort(wantURLs)
	if !slices.Equal(gotURLs, wantURLs) {
		t.Errorf("leased %v, want %v", gotURLs, wantURLs)
	}

	// The replicas move on: one leased item is archived, the others stay
	// leased. A second copy adds nothing and undoes none of it.
	var held frontier.Item
	for _, it := range leased {
		if it.URL == art("held") {
			held = it
		}
	}
	if err := dst.Complete(ctx, held, frontier.Completion{Now: copyAt.Add(time.Minute), Captured: true, CaptureID: "cap-held", Result: "archived"}); err != nil {
		t.Fatal(err)
	}
	countsBefore, err := dst.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, again := copyInto(t, c.path, dst, copyAt.Add(time.Hour))
	for tb, w := range again {
		if w.Added != 0 || w.Updated != 0 {
			t.Errorf("second copy of %s: %+v, want all kept", tb, w)
		}
	}
	countsAfter, err := dst.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(countsAfter, countsBefore) {
		t.Errorf("counts after the second copy %v, before %v", countsAfter, countsBefore)
	}
	if e, err := dst.Lookup(ctx, art("held")); err != nil || e.State != frontier.StateDone || e.Captures != 1 || e.LastCaptureID != "cap-held" {
		t.Errorf("the replica's capture was overwritten: %+v %v", e, err)
	}
	if e, err := dst.Lookup(ctx, art("late")); err != nil || e.State != frontier.StateLeased || e.Lease.Owner != "replica" {
		t.Errorf("the replica's lease was overwritten: %+v %v", e, err)
	}
}
