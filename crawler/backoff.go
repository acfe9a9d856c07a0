package crawler

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrHostBackedOff marks a request refused without touching the network
// because its host asked the crawler to stay away (429 or 503 with
// Retry-After) and that time has not come.
var ErrHostBackedOff = errors.New("host asked to back off")

// hostBackoff remembers, per host name, until when no request may go to
// it. Times are on the crawler's Clock, so a test can move past a
// Retry-After of hours without sleeping.
type hostBackoff struct {
	clock func() time.Time

	mu    sync.Mutex
	until map[string]time.Time
}

func newHostBackoff(clock func() time.Time) *hostBackoff {
	return &hostBackoff{clock: clock, until: make(map[string]time.Time)}
}

// set backs host off until t (a later time already set wins).
func (b *hostBackoff) set(host string, t time.Time) {
	host = strings.ToLower(host)
	b.mu.Lock()
	defer b.mu.Unlock()
	if t.After(b.until[host]) {
		b.until[host] = t
	}
}

// check returns an error wrapping ErrHostBackedOff while host is backed
// off, and the time it may be contacted again.
func (b *hostBackoff) check(host string) (time.Time, error) {
	host = strings.ToLower(host)
	now := b.clock()
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.until[host]
	if !ok {
		return time.Time{}, nil
	}
	if !now.Before(t) {
		delete(b.until, host)
		return time.Time{}, nil
	}
	return t, fmt.Errorf("%w until %s (Retry-After)", ErrHostBackedOff, t.UTC().Format(time.RFC3339))
}

// active returns the hosts backed off now and until when.
func (b *hostBackoff) active() map[string]time.Time {
	now := b.clock()
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]time.Time)
	for h, t := range b.until {
		if now.Before(t) {
			out[h] = t
		} else {
			delete(b.until, h)
		}
	}
	return out
}

// ParseRetryAfter reads a Retry-After header value: delay-seconds or an
// HTTP date. It returns the absolute time relative to now and whether the
// value was usable. Dates in the past mean "now".
func ParseRetryAfter(v string, now time.Time) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return time.Time{}, false
		}
		// Bound before multiplying: a hostile value must not overflow.
		secs = min(secs, int64(365*24*time.Hour/time.Second))
		return now.Add(time.Duration(secs) * time.Second), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return time.Time{}, false
	}
	if t.Before(now) {
		return now, true
	}
	return t, true
}
