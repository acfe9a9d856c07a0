package crawler

import (
	"context"
	"net"
	"strings"
	"sync"
	"time"
)

// HostLimit overrides the politeness defaults for one host. A zero field
// keeps the default (Config.PerHostParallelism, Config.PerHostDelay).
type HostLimit struct {
	Parallelism int           // concurrent requests
	Delay       time.Duration // minimum time between request starts
}

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
	def HostLimit
	// minDelay returns a host's robots.txt Crawl-delay (0 when none). It is
	// called with mu held, so it must not call back into the limiter.
	minDelay func(host string) time.Duration

	mu        sync.Mutex
	overrides map[string]HostLimit
	hosts     map[string]*hostState
}

type hostState struct {
	inflight  int
	nextStart time.Time     // earliest start of the next request
	changed   chan struct{} // closed and replaced whenever a slot frees
}

func newHostLimiter(parallelism int, delay time.Duration) *hostLimiter {
	return &hostLimiter{
		def:      HostLimit{Parallelism: parallelism, Delay: delay},
		minDelay: func(string) time.Duration { return 0 },
		hosts:    make(map[string]*hostState),
	}
}

// setOverrides replaces the per-host limits. Keys are host names as
// LimitKey spells them.
func (l *hostLimiter) setOverrides(limits map[string]HostLimit) {
	m := make(map[string]HostLimit, len(limits))
	for h, lim := range limits {
		m[LimitKey(h)] = lim
	}
	l.mu.Lock()
	l.overrides = m
	for _, s := range l.hosts {
		// Wake waiters: a raised limit may let them start now.
		close(s.changed)
		s.changed = make(chan struct{})
	}
	l.mu.Unlock()
}

// LimitKey is how host names are matched against HostLimits keys: lower
// case, without a port and without a leading "www.".
func LimitKey(host string) string {
	host = strings.ToLower(host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.TrimPrefix(host, "www.")
}

// limit returns the effective parallelism and delay of host; mu is held.
func (l *hostLimiter) limit(host string) (int, time.Duration) {
	lim := l.def
	if o, ok := l.overrides[LimitKey(host)]; ok {
		if o.Parallelism > 0 {
			lim.Parallelism = o.Parallelism
		}
		if o.Delay > 0 {
			lim.Delay = o.Delay
		}
	}
	// Crawl-delay is a floor the site asked for: an override can slow a
	// host down further but never speed it up past its own request.
	return lim.Parallelism, max(lim.Delay, l.minDelay(host))
}

func (l *hostLimiter) state(host string) *hostState {
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
	host = strings.ToLower(host)
	for {
		l.mu.Lock()
		s := l.state(host)
		par, delay := l.limit(host)
		now := time.Now()
		if s.inflight < par && !now.Before(s.nextStart) {
			s.inflight++
			s.nextStart = now.Add(delay)
			l.mu.Unlock()
			var once sync.Once
			return func() { once.Do(func() { l.release(s) }) }, now, nil
		}
		// A full host waits for a release; a host in its delay waits for
		// the delay to pass (or a release, harmlessly early).
		var timer *time.Timer
		var expired <-chan time.Time
		if s.inflight < par {
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

// readyIn returns how long until a request to host may start: 0 now,
// hostFull while every slot is taken, else the rest of the delay.
func (l *hostLimiter) readyIn(host string) time.Duration {
	host = strings.ToLower(host)
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.hosts[host]
	if !ok {
		return 0
	}
	if par, _ := l.limit(host); s.inflight >= par {
		return hostFull
	}
	return max(0, time.Until(s.nextStart))
}

// busy returns the hosts that could not start a request now, and forgets
// idle hosts so that a daemon visiting many hosts over months keeps only
// the ones it is talking to.
func (l *hostLimiter) busy() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	var out []string
	for host, s := range l.hosts {
		if s.inflight == 0 && !now.Before(s.nextStart) {
			// Nobody can be waiting on an idle host's channel for long:
			// a waiter would have taken the free slot. Close it anyway so
			// that a waiter holding it re-reads the (new) state.
			close(s.changed)
			delete(l.hosts, host)
			continue
		}
		par, _ := l.limit(host)
		if s.inflight >= par || now.Before(s.nextStart) {
			out = append(out, host)
		}
	}
	return out
}
