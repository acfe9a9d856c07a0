package crawler

import (
	"net/http"
	"strings"
	"testing"
)

func TestRobotsProductTokenBeforeStar(t *testing.T) {
	s := newSite(t, "strict.test")
	s.robots("User-agent: *\nDisallow: /\n\nUser-agent: Archivist\nDisallow: /members/\n")
	s.html("/news/a", article("A", "", ""))
	s.html("/members/b", article("B", "", ""))
	other := newSite(t, "others.test")
	other.robots("User-agent: SomeoneElse\nDisallow: /\n\nUser-agent: *\nDisallow: /drafts/\n")
	other.html("/news/c", article("C", "", ""))
	other.html("/drafts/d", article("D", "", ""))

	cfg := testConfig(t, newTestResolver("strict.test", "others.test"))
	cfg.MaxDepth = 0
	sum := runCrawl(t, cfg, newTestSink(), s.url("/news/a"), s.url("/members/b"), other.url("/news/c"), other.url("/drafts/d"))

	want := map[string]string{
		s.url("/news/a"):       StatusArchived, // "*" disallows everything, but the Archivist group applies
		s.url("/members/b"):    StatusSkipped,
		other.url("/news/c"):   StatusArchived, // another crawler's group does not apply
		other.url("/drafts/d"): StatusSkipped,
	}
	for u, status := range want {
		if r := resultFor(t, sum, u); r.Status != status {
			t.Errorf("%s: %+v, want %s", u, r, status)
		}
	}
}

func TestRobotsUnavailableIsRecordedAndAllowed(t *testing.T) {
	s := newSite(t, "flaky.test")
	s.mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
	})
	s.html("/news/a", article("A", "", ""))
	s.html("/news/b", article("B", "", ""))
	sink := newTestSink()
	cfg := testConfig(t, newTestResolver("flaky.test"))
	cfg.MaxDepth = 0
	sum := runCrawl(t, cfg, sink, s.url("/news/a"), s.url("/news/b"))
	if sum.Archived != 2 {
		t.Fatalf("archived %d, want 2: %+v", sum.Archived, sum.Results)
	}
	if d := sink.exchange(s.url("/news/a")).Robots; d.Result != "unavailable" || d.Policy != "obey" || d.RobotsURL != s.url("/robots.txt") {
		t.Errorf("decision = %+v", d)
	}
	if n := s.hitCount("/robots.txt"); n != 1 {
		t.Errorf("robots.txt requested %d times, want once per run", n)
	}
}

func TestRobotsMissingIsNoRobots(t *testing.T) {
	s := newSite(t, "open.test")
	s.html("/news/a", article("A", "", ""))
	sink := newTestSink()
	cfg := testConfig(t, newTestResolver("open.test"))
	cfg.MaxDepth = 0
	runCrawl(t, cfg, sink, s.url("/news/a"))
	if d := sink.exchange(s.url("/news/a")).Robots; d.Result != "no-robots" {
		t.Errorf("decision = %+v, want no-robots", d)
	}
}

func TestRobotsSizeCap(t *testing.T) {
	// A Disallow beyond the 512 KiB cap is never seen.
	body := "User-agent: *\nDisallow: /early/\n" + "# " + strings.Repeat("x", maxRobotsBytes) + "\nDisallow: /late/\n"
	s := newSite(t, "big.test")
	s.robots(body)
	s.html("/early/a", article("A", "", ""))
	s.html("/late/b", article("B", "", ""))
	cfg := testConfig(t, newTestResolver("big.test"))
	cfg.MaxDepth = 0
	sum := runCrawl(t, cfg, newTestSink(), s.url("/early/a"), s.url("/late/b"))
	if r := resultFor(t, sum, s.url("/early/a")); r.Status != StatusSkipped {
		t.Errorf("early rule not applied: %+v", r)
	}
	if r := resultFor(t, sum, s.url("/late/b")); r.Status != StatusArchived {
		t.Errorf("rule beyond the cap applied: %+v", r)
	}
}
