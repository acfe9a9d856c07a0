package crawler

import (
	"context"
	"strings"
	"time"
)

// HostGate shares per-host politeness with other processes: several
// daemons crawling together must keep each host within its limits as one
// crawler would. The Fetcher's own limiter still runs first (it keeps this
// process's requests in order); the gate then holds each request until
// the host has a slot across every process sharing it. Package
// crawler/hostlimit implements it on PostgreSQL. Without a gate (the
// default) politeness is in-process only, which is right for one daemon.
type HostGate interface {
	// Acquire waits until a request to host may start: fewer than
	// parallelism requests in flight to host and at least delay since the
	// last start, counted over all processes. It returns the function that
	// frees the slot (safe to call more than once).
	Acquire(ctx context.Context, host string, parallelism int, delay time.Duration) (release func(), err error)
	// Busy lists the hosts that could not start a request now, as a hint
	// for choosing work (another process may free a slot a moment later).
	Busy(ctx context.Context) ([]string, error)
}

// busyTimeout bounds the gate's Busy query in BusyHosts: it is a hint,
// and the scheduler must not stall on it.
const busyTimeout = time.Second

// limits returns the effective parallelism and delay of host (overrides,
// robots.txt Crawl-delay), as the gate must enforce them.
func (l *hostLimiter) limits(host string) (int, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit(strings.ToLower(host))
}

// gateBusy adds the hosts the gate reports busy to local ones.
func gateBusy(gate HostGate, local []string) []string {
	if gate == nil {
		return local
	}
	ctx, cancel := context.WithTimeout(context.Background(), busyTimeout)
	defer cancel()
	shared, err := gate.Busy(ctx)
	if err != nil {
		return local
	}
	seen := make(map[string]bool, len(local))
	for _, h := range local {
		seen[h] = true
	}
	for _, h := range shared {
		if !seen[h] {
			local = append(local, h)
			seen[h] = true
		}
	}
	return local
}
