package daemon

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/crawler/frontier"
)

// TestQueueGaugesRefreshWhileRunning checks that the queue gauges follow
// the frontier while the daemon runs (they are counted beside the
// scheduler, not in its loop): URLs queued for later, before the start and
// while running, show up as scheduled without a stop.
func TestQueueGaugesRefreshWhileRunning(t *testing.T) {
	clock := newClock()
	s := newSite(t, clock)
	fr := openFrontier(t, t.TempDir(), clock)
	later := func(from, n int) []frontier.Discovered {
		var out []frontier.Discovered
		for i := from; i < from+n; i++ {
			out = append(out, frontier.Discovered{URL: fmt.Sprintf("https://later.test/story/%d", i), Depth: 1, Discovery: archive.Discovery{
				Source: "gone", Kind: KindPage, FoundAt: t0.Add(time.Hour), Via: "https://later.test/",
			}})
		}
		return out
	}
	if _, err := fr.Discover(ctxb(), later(0, 3)); err != nil {
		t.Fatal(err)
	}
	m := NewMetrics(nil)
	start(t, testConfig(t, s, clock), fr, &testSink{}, m)
	scheduled := func(want float64) func() bool {
		return func() bool { return testutil.ToFloat64(m.QueueDepth.WithLabelValues("scheduled")) == want }
	}
	waitFor(t, "queue_depth{state=scheduled} = 3", scheduled(3))
	if _, err := fr.Discover(ctxb(), later(3, 2)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "queue_depth{state=scheduled} = 5 while running", scheduled(5))
	if got := testutil.ToFloat64(m.QueueDepth.WithLabelValues("due")); got != 0 {
		t.Errorf("queue_depth{state=due} = %v, want 0", got)
	}
}
