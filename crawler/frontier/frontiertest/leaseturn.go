package frontiertest

import (
	"context"
	"fmt"
	"time"

	"github.com/archivist-project/archivist/crawler/frontier"
)

// Scheduler plays the daemon's scheduler against a frontier for the
// backends' large-frontier benchmarks: each Turn leases up to 8 items, one
// a host, skipping the hosts of the last Busy items leased (busy with
// politeness), and completes them as captured.
type Scheduler struct {
	Busy   int
	recent []string
}

// Turn runs one lease at now and returns the items it leased.
func (s *Scheduler) Turn(ctx context.Context, f frontier.Frontier, now time.Time) (int, error) {
	items, err := f.Lease(ctx, frontier.LeaseRequest{Owner: "b", Max: 8, Now: now, Until: now.Add(time.Minute), SkipHosts: s.recent, PerHost: 1})
	if err != nil {
		return 0, err
	}
	if len(items) == 0 {
		return 0, fmt.Errorf("lease at %s: nothing due", now)
	}
	for _, it := range items {
		if err := f.Complete(ctx, it, frontier.Completion{Now: now, Captured: true, CaptureID: "c", Next: now.Add(time.Hour)}); err != nil {
			return 0, err
		}
		s.recent = append(s.recent, it.Host)
	}
	if len(s.recent) > s.Busy {
		s.recent = s.recent[len(s.recent)-s.Busy:]
	}
	return len(items), nil
}

// Recent returns the hosts the next Turn skips.
func (s *Scheduler) Recent() []string { return s.recent }
