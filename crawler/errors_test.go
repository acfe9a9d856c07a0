package crawler

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive"
)

func TestInvalidSeedsAreReportedAndTheRestCrawled(t *testing.T) {
	f := newNewsFixture(t)
	cfg := testConfig(t, f.resolver)
	cfg.MaxDepth = 0
	good := f.daily.url("/2026/11/glacier")
	sum := runCrawl(t, cfg, newTestSink(), "not a url", "ftp://daily.test/file", good, good+"#again")

	if r := resultFor(t, sum, "not a url"); r.Status != StatusFailed || !strings.HasPrefix(r.Reason, "invalid seed: ") {
		t.Errorf("bad seed result = %+v", r)
	}
	if r := resultFor(t, sum, "ftp://daily.test/file"); r.Status != StatusFailed || !strings.Contains(r.Reason, "only http and https") {
		t.Errorf("ftp seed result = %+v", r)
	}
	if r := resultFor(t, sum, good); r.Status != StatusArchived {
		t.Errorf("good seed result = %+v", r)
	}
	if len(sum.Results) != 3 || sum.Failed != 2 || sum.Archived != 1 {
		t.Errorf("summary %+v, want 2 failed seeds and 1 archived (duplicate seed dropped)", sum)
	}
}

func TestRunErrorsWithoutUsableSeeds(t *testing.T) {
	clearProxyEnv(t)
	c, err := New(testConfig(t, newTestResolver()), newTestSink(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := c.Run(context.Background(), []string{"mailto:x@example.org", "/relative"})
	if err == nil || !strings.Contains(err.Error(), "none of the 2 seeds") || !strings.Contains(err.Error(), "/relative") {
		t.Errorf("error = %v", err)
	}
	if sum.Failed != 2 {
		t.Errorf("summary = %+v, want the two failed seeds", sum)
	}
	if _, err := c.Run(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "no seeds") {
		t.Errorf("no seeds: error = %v", err)
	}
}

func TestSinkErrorsAndPanicsFailOneURL(t *testing.T) {
	f := newNewsFixture(t)
	sink := newTestSink()
	sink.fail = func(ex *archive.Exchange) error {
		switch {
		case strings.HasSuffix(ex.RequestedURL, "/2026/11/glacier"):
			return errors.New("store unavailable: disk full")
		case strings.HasSuffix(ex.RequestedURL, "/2026/11/storm"):
			panic("extractor bug")
		}
		return nil
	}
	cfg := testConfig(t, f.resolver)
	sum := runCrawl(t, cfg, sink, f.daily.url("/topics/climate"))

	if r := resultFor(t, sum, f.daily.url("/2026/11/glacier")); r.Status != StatusFailed || r.Reason != "capture: store unavailable: disk full" {
		t.Errorf("sink error result = %+v", r)
	}
	storm := resultFor(t, sum, f.daily.url("/2026/11/storm"))
	if storm.Status != StatusFailed && storm.Reason != "duplicate of "+f.daily.url("/amp/2026/11/storm") {
		t.Errorf("sink panic result = %+v", storm)
	}
	if storm.Status == StatusFailed && storm.Reason != "capture: sink panicked: extractor bug" {
		t.Errorf("sink panic reason = %q", storm.Reason)
	}
	if r := resultFor(t, sum, f.daily.url("/moved")); r.Status != StatusArchived {
		t.Errorf("crawl did not go on after sink errors: %+v", r)
	}
}

// claimThenFailSink claims canonical for requested URLs containing
// failOn and then fails, as a pipeline whose store breaks mid-capture.
type claimThenFailSink struct {
	*testSink
	failOn, canonical string
}

func (s claimThenFailSink) Capture(ctx context.Context, ex *archive.Exchange, claim ClaimFunc) (Outcome, error) {
	if strings.Contains(ex.RequestedURL, s.failOn) {
		if _, ok := claim(s.canonical); !ok {
			return Outcome{}, errors.New("test: claim refused")
		}
		return Outcome{}, errors.New("store unavailable")
	}
	return s.testSink.Capture(ctx, ex, claim)
}

func TestFailedCaptureReleasesCanonical(t *testing.T) {
	f := newNewsFixture(t)
	cfg := testConfig(t, f.resolver)
	cfg.Parallelism = 1 // the AMP page first, then the canonical one
	cfg.MaxDepth = 0
	amp, canonical := f.daily.url("/amp/2026/11/storm"), f.daily.url("/2026/11/storm")
	sink := claimThenFailSink{testSink: newTestSink(), failOn: "/amp/", canonical: canonical}
	sum := runCrawl(t, cfg, sink, amp, canonical)

	if r := resultFor(t, sum, amp); r.Status != StatusFailed || r.Reason != "capture: store unavailable" {
		t.Errorf("AMP page: %+v, want failed", r)
	}
	if r := resultFor(t, sum, canonical); r.Status != StatusArchived {
		t.Errorf("canonical page after a failed capture that claimed it: %+v", r)
	}
}

func TestBodyCappedAtMaxBodyBytes(t *testing.T) {
	f := newNewsFixture(t)
	sink := newTestSink()
	cfg := testConfig(t, f.resolver)
	cfg.MaxBodyBytes = 64
	cfg.MaxDepth = 0
	seed := f.daily.url("/2026/11/reef")
	runCrawl(t, cfg, sink, seed)
	ex := sink.exchange(seed)
	if ex == nil {
		t.Fatal("sink did not get the page")
	}
	full := article("Reef", "", "")
	if h := ex.Final(); h.Truncated != "length" || string(h.Body) != full[:64] {
		t.Errorf("truncated=%q body=%q, want the first 64 bytes marked length", h.Truncated, h.Body)
	}
}

func TestHostsThatFailToAnswer(t *testing.T) {
	f := newNewsFixture(t)
	f.daily.mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	f.daily.redirect("/loop/a", "/loop/b", http.StatusFound)
	f.daily.redirect("/loop/b", "/loop/a", http.StatusFound)
	f.daily.redirect("/to-private", "/private/memo", http.StatusFound)
	cfg := testConfig(t, f.resolver)
	cfg.RequestTimeout = 300 * time.Millisecond
	cfg.MaxRedirects = 3
	cfg.MaxDepth = 0
	nowhere := "http://nowhere.test/"
	sum := runCrawl(t, cfg, newTestSink(), f.daily.url("/hang"), f.daily.url("/loop/a"), f.daily.url("/to-private"), nowhere)

	if r := resultFor(t, sum, f.daily.url("/hang")); r.Status != StatusFailed || !strings.Contains(r.Reason, "raise request_timeout") {
		t.Errorf("timeout result = %+v", r)
	}
	if r := resultFor(t, sum, f.daily.url("/loop/a")); r.Status != StatusFailed || !strings.HasSuffix(r.Reason, "stopped after 3 redirects (max_redirects)") {
		t.Errorf("redirect loop result = %+v", r)
	}
	want := "redirect to " + f.daily.url("/private/memo") + ": blocked by robots.txt"
	if r := resultFor(t, sum, f.daily.url("/to-private")); r.Status != StatusSkipped || r.Reason != want {
		t.Errorf("redirect into robots-disallowed path = %+v, want reason %q", r, want)
	}
	if f.daily.hitCount("/private/memo") != 0 {
		t.Error("redirect target disallowed by robots.txt was requested")
	}
	if r := resultFor(t, sum, nowhere); r.Status != StatusFailed || r.Reason != "fetch http://nowhere.test/: resolve nowhere.test: test resolver: unknown host nowhere.test" {
		t.Errorf("unresolvable host result = %+v", r)
	}
}

func TestRedirectsToOneTargetFetchedOnce(t *testing.T) {
	f := newNewsFixture(t)
	f.daily.redirect("/r1", "/2026/11/reef", http.StatusMovedPermanently)
	f.daily.redirect("/r2", "/2026/11/reef", http.StatusMovedPermanently)
	cfg := testConfig(t, f.resolver)
	cfg.MaxDepth = 0
	sum := runCrawl(t, cfg, newTestSink(), f.daily.url("/r1"), f.daily.url("/r2"))
	r1, r2 := resultFor(t, sum, f.daily.url("/r1")), resultFor(t, sum, f.daily.url("/r2"))
	if r1.Status == r2.Status || sum.Archived != 1 {
		t.Fatalf("want one archived and one duplicate: %+v %+v", r1, r2)
	}
	dup, first := r2, r1
	if r1.Status != StatusArchived {
		dup, first = r1, r2
	}
	if dup.Status != StatusSkipped || dup.Reason != "duplicate of "+first.URL {
		t.Errorf("duplicate redirect result = %+v", dup)
	}
}

func TestCancellationStopsPromptly(t *testing.T) {
	f := newNewsFixture(t)
	arrived := make(chan struct{}, 8)
	f.daily.mux.HandleFunc("/stuck/", func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	})
	var hrefs []string
	for _, p := range []string{"/stuck/1", "/stuck/2", "/stuck/3", "/stuck/4", "/stuck/5", "/stuck/6"} {
		hrefs = append(hrefs, p)
	}
	f.daily.html("/stuck-topic", listing("Stuck", hrefs...))
	cfg := testConfig(t, f.resolver)
	cfg.Parallelism = 2
	cfg.PerHostParallelism = 1
	c, err := New(cfg, newTestSink(), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		sum Summary
		err error
	}
	done := make(chan result, 1)
	go func() {
		sum, err := c.Run(ctx, []string{f.daily.url("/stuck-topic")})
		done <- result{sum, err}
	}()
	<-arrived
	cancel()
	var res result
	select {
	case res = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancellation")
	}
	if !errors.Is(res.err, context.Canceled) {
		t.Errorf("Run error = %v, want context.Canceled", res.err)
	}
	stuck := 0
	for _, r := range res.sum.Results {
		if strings.Contains(r.URL, "/stuck/") {
			stuck++
			if r.Status != StatusFailed || !strings.HasPrefix(r.Reason, "crawl canceled") {
				t.Errorf("in-flight result = %+v", r)
			}
		}
	}
	// One page was in flight and the other worker may have been waiting
	// for the host's single slot; nothing else may have started.
	if stuck < 1 || stuck > cfg.Parallelism {
		t.Errorf("%d stuck pages decided, want 1 to %d (the workers' items)", stuck, cfg.Parallelism)
	}
	if r := resultFor(t, res.sum, f.daily.url("/stuck-topic")); r.Status != StatusSkipped {
		t.Errorf("partial summary lost the topic page: %+v", r)
	}
}
