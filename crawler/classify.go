package crawler

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/crawler/netguard"
)

// classify fills res.Outcome and res.Reason from what the fetch recorded.
func (f *Fetcher) classify(ctx context.Context, req FetchRequest, st *fetchState, final *archive.Hop, collyErr error, res *FetchResult) {
	set := func(o FetchOutcome, reason string) { res.Outcome, res.Reason = o, reason }
	switch {
	case (st.transportErr != nil || st.policyErr != nil) && ctx.Err() != nil:
		set(FetchCanceled, "canceled during fetch: "+ctx.Err().Error())
		return
	case st.policyErr != nil && errors.Is(st.policyErr, errBlockedByRobots):
		set(FetchBlocked, st.policyErr.Error())
		return
	case st.policyErr != nil:
		set(FetchPermanent, fmt.Sprintf("fetch %s: %v", req.URL, st.policyErr))
		return
	case st.transportErr != nil:
		reason := fmt.Sprintf("fetch %s: %v", st.transportURL, st.transportErr)
		switch {
		case errors.Is(st.transportErr, ErrHostBackedOff):
			// A redirect led to a host that asked to wait.
			res.RetryAfter, _ = f.backoff.check(HostOf(st.transportURL))
			set(FetchBackedOff, reason)
		case netguard.IsRefused(st.transportErr):
			set(FetchPermanent, reason)
		default:
			set(FetchTransient, reason)
		}
		return
	case final == nil && collyErr != nil:
		set(FetchTransient, fmt.Sprintf("fetch %s: %v", req.URL, collyErr))
		return
	case final == nil:
		set(FetchTransient, fmt.Sprintf("fetch %s: no response", req.URL))
		return
	}

	code := final.Status
	switch {
	case code == http.StatusNotModified && (req.ETag != "" || req.LastModified != ""):
		set(FetchNotModified, "not modified")
		return
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		set(FetchTransient, fmt.Sprintf("HTTP %d", code))
		if t, ok := ParseRetryAfter(final.ResponseHeader.Get("Retry-After"), f.cfg.Clock()); ok {
			if limit := f.cfg.MaxRetryAfter; limit > 0 && t.Sub(f.cfg.Clock()) > limit {
				t = f.cfg.Clock().Add(limit)
			}
			res.RetryAfter = t
			f.backoff.set(HostOf(final.URL), t)
			res.Reason += fmt.Sprintf(" (Retry-After: host backed off until %s)", t.UTC().Format("2006-01-02T15:04:05Z"))
			f.log.Warn("host asked to back off", "host", HostOf(final.URL), "http_status", code, "until", t.UTC())
		}
		return
	case code == http.StatusRequestTimeout || code >= 500:
		set(FetchTransient, fmt.Sprintf("HTTP %d", code))
		return
	case code >= 400:
		set(FetchPermanent, fmt.Sprintf("HTTP %d", code))
		return
	case code >= 300 && f.cfg.MaxRedirects == 0:
		set(FetchPermanent, fmt.Sprintf("HTTP %d: redirect not followed (max_redirects is 0)", code))
		return
	case code >= 300 || code < 200:
		set(FetchPermanent, fmt.Sprintf("HTTP %d: no redirect target", code))
		return
	}
	res.MediaType = mediaType(final)
	res.ETag = final.ResponseHeader.Get("ETag")
	res.LastModified = final.ResponseHeader.Get("Last-Modified")
	if !req.AnyType && res.MediaType != "text/html" && res.MediaType != "application/xhtml+xml" {
		set(FetchNotHTML, fmt.Sprintf("not HTML (%s)", res.MediaType))
		return
	}
	res.Outcome = FetchOK
}

// mediaType returns the response's media type, sniffed when the server
// sent none.
func mediaType(h *archive.Hop) string {
	ct := h.ResponseHeader.Get("Content-Type")
	if ct == "" {
		if len(h.Body) == 0 {
			return "empty body"
		}
		ct = http.DetectContentType(h.Body)
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "invalid content type " + ct
	}
	return mt
}
