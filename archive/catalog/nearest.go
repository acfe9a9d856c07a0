package catalog

import "time"

// Closer reports whether a should be preferred to b as the capture nearest
// to at (zero at: the latest). When a capture before and one after are
// equally close, the earlier wins; among captures fetched at the very same
// instant, the greater capture id wins. Every backend's Nearest picks its
// answer with this one rule, so they agree.
func Closer(a, b Entry, at time.Time) bool {
	if !a.FetchedAt.Equal(b.FetchedAt) {
		if at.IsZero() {
			return a.FetchedAt.After(b.FetchedAt)
		}
		da, db := absDuration(a.FetchedAt.Sub(at)), absDuration(b.FetchedAt.Sub(at))
		if da != db {
			return da < db
		}
		return a.FetchedAt.Before(b.FetchedAt)
	}
	return a.CaptureID > b.CaptureID
}

// absDuration is |d|, clamping the one value whose negation overflows.
func absDuration(d time.Duration) time.Duration {
	if d >= 0 {
		return d
	}
	if d == time.Duration(-1<<63) {
		return 1<<63 - 1
	}
	return -d
}
