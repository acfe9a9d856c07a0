package crawler

import (
	"context"
	"strings"
	"sync"
	"time"
)

// hostLimiter enforces politeness per host name: at most parallelism
// requests in flight, and consecutive request starts at least delay apart.
// Colly's LimitRule cannot do this: one rule shares a single semaphore
// between every domain its glob matches, so "*" would limit the whole crawl
// rather than each host.
//
// Every HTTP round trip (pages, redirect hops, robots.txt) passes through
// acquire in the recording transport, so the limit holds whatever code path
// issued the request.
type hostLimiter struct {
	parallelism int
	delay       time.Duration

	mu    sync.Mutex
	hosts map[string]*hostState
}

type hostState struct {
	inflight  int
	nextStart time.Time     // earliest start of the next request
	changed   chan struct{} // closed and replaced whenever a slot frees
}

func newHostLimiter(parallelism int, delay time.Duration) *hostLimiter {
	return &hostLimiter{parallelism: parallelism, delay: delay, hosts: make(map[string]*hostState)}
}

func (l *hostLimiter) state(host string) *hostState {
	host = strings.ToLower(host)
	s := l.hosts[host]
	if s == nil {
		s = &hostState{changed: make(chan struct{})}
		l.hosts[host] = s
	}
	return s
}

// acquire waits for a slot on host and returns the function that frees it
// (safe to call more than once) and the time the request may start.
func (l *hostLimiter) acquire(ctx context.Context, host string) (release func(), started time.Time, err error) {
	for {
		l.mu.Lock()
		s := l.state(host)
		now := time.Now()
		if s.inflight < l.parallelism && !now.Before(s.nextStart) {
			s.inflight++
			s.nextStart = now.Add(l.delay)
			l.mu.Unlock()
			var once sync.Once
			return func() { once.Do(func() { l.release(s) }) }, now, nil
		}
		// A full host waits for a release; a host in its delay waits for
		// the delay to pass (or a release, harmlessly early).
		var timer *time.Timer
		var expired <-chan time.Time
		if s.inflight < l.parallelism {
			timer = time.NewTimer(s.nextStart.Sub(now))
			expired = timer.C
		}
		changed := s.changed
		l.mu.Unlock()

		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-expired:
		case <-changed:
		}
		if timer != nil {
			timer.Stop()
		}
		if err != nil {
			return nil, time.Time{}, err
		}
	}
}

func (l *hostLimiter) release(s *hostState) {
	l.mu.Lock()
	s.inflight--
	close(s.changed)
	s.changed = make(chan struct{})
	l.mu.Unlock()
}

// ready reports whether a request to host could start now. It is a hint
// for picking work: another worker may take the slot first.
func (l *hostLimiter) ready(host string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.state(host)
	return s.inflight < l.parallelism && !time.Now().Before(s.nextStart)
}
