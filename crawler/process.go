package crawler

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/crawler/scope"
	"github.com/archivist-project/archivist/crawler/urlnorm"
)

// process decides about one queued URL: robots.txt, fetch, classification,
// the Sink, and discovery of the links it reports.
func (r *run) process(it item) {
	began := time.Now()
	res := URLResult{URL: it.url, Via: it.via, Depth: it.depth}
	links := r.decide(it, &res)
	r.record(res)
	r.logResult(res, time.Since(began))
	if len(links) > 0 {
		r.discover(it, res.FinalURL, links)
	}
}

// decide fills res and returns the links to consider for discovery.
func (r *run) decide(it item, res *URLResult) []string {
	if owner := r.dedup.canonicalOwner(it.key); owner != "" && owner != it.url {
		res.Status, res.Reason = StatusSkipped, "duplicate of "+owner
		return nil
	}
	fr := r.fetcher.Fetch(r.ctx, FetchRequest{URL: it.url, Seed: it.seed, Via: it.via, Depth: it.depth, RunID: r.id})
	res.FinalURL, res.HTTPStatus = fr.FinalURL, fr.HTTPStatus
	switch fr.Outcome {
	case FetchOK:
	case FetchBlocked, FetchNotHTML:
		res.Status, res.Reason = StatusSkipped, fr.Reason
		return nil
	case FetchCanceled:
		res.Status, res.Reason = StatusFailed, "crawl "+fr.Reason
		return nil
	default:
		res.Status, res.Reason = StatusFailed, fr.Reason
		return nil
	}
	if finalKey := urlnorm.Key(res.FinalURL); finalKey != it.key {
		if first := r.dedup.seenBy(finalKey, it.url); first != it.url {
			res.Status, res.Reason = StatusSkipped, "duplicate of "+first
			return nil
		}
	}
	return r.capture(it, fr.Exchange, res)
}

// capture hands an HTML page to the Sink and returns its links.
func (r *run) capture(it item, ex *archive.Exchange, res *URLResult) []string {
	var mu sync.Mutex
	var claimed []string
	claim := func(canonical string) (string, bool) {
		key := urlnorm.Key(canonical)
		if key == "" {
			return it.url, true
		}
		owner, ok := r.dedup.claim(key, it.url)
		if ok {
			mu.Lock()
			claimed = append(claimed, key)
			mu.Unlock()
		}
		return owner, ok
	}
	out, err := r.safeCapture(r.ctx, ex, claim)
	mu.Lock()
	defer mu.Unlock()
	if err != nil || !out.Archived {
		r.dedup.release(claimed, it.url)
	}
	if err != nil {
		res.Status, res.Reason = StatusFailed, "capture: "+err.Error()
		return nil
	}
	if out.Archived {
		res.Status, res.CaptureID = StatusArchived, out.CaptureID
		// Later pages naming this one as canonical, or reached under its
		// other URLs, are duplicates even if the Sink never claimed them.
		for _, u := range []string{out.CanonicalURL, res.FinalURL, it.url} {
			if k := urlnorm.Key(u); k != "" {
				r.dedup.claim(k, it.url)
			}
		}
	} else {
		res.Status, res.Reason = StatusSkipped, out.Reason
		if res.Reason == "" {
			res.Reason = "not archived (" + out.PageType + ")"
		}
	}
	if k := urlnorm.Key(out.CanonicalURL); k != "" {
		r.dedup.seenBy(k, it.url)
	}
	links := make([]string, 0, len(out.Links))
	for _, l := range out.Links {
		links = append(links, l.URL)
	}
	return links
}

// safeCapture calls the Sink, which parses untrusted HTML with third-party
// libraries; a panic there fails this URL, not the crawl.
func (r *run) safeCapture(ctx context.Context, ex *archive.Exchange, claim ClaimFunc) (out Outcome, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = Outcome{}, fmt.Errorf("sink panicked: %v", p)
		}
	}()
	return r.crawler.sink.Capture(ctx, ex, claim)
}

// discover queues the in-scope, not yet seen links of a page.
func (r *run) discover(from item, pageURL string, links []string) {
	page := scope.Page{URL: pageURL, Depth: from.depth}
	var queued []item
	for _, raw := range links {
		n, err := r.links.Normalize(raw)
		if err != nil {
			r.log.Debug("link ignored", "link", raw, "page", pageURL, "reason", err)
			continue
		}
		if ok, reason := r.crawler.scope.Check(n, page); !ok {
			r.log.Debug("link out of scope", "link", n, "page", pageURL, "reason", reason)
			continue
		}
		it := newItem(n, pageURL, from.seed, from.depth+1)
		if !r.dedup.markSeen(it.key, n) {
			continue
		}
		queued = append(queued, it)
	}
	r.enqueue(queued...)
}

func (r *run) logResult(res URLResult, took time.Duration) {
	attrs := []any{"url", res.URL, "http_status", res.HTTPStatus, "duration", took.Round(time.Millisecond),
		"outcome", res.Status, "depth", res.Depth}
	if res.FinalURL != "" && res.FinalURL != res.URL {
		attrs = append(attrs, "final_url", res.FinalURL)
	}
	if res.Reason != "" {
		attrs = append(attrs, "reason", res.Reason)
	}
	if res.CaptureID != "" {
		attrs = append(attrs, "capture_id", res.CaptureID)
	}
	switch {
	case res.Status == StatusFailed:
		r.log.Warn("url failed", attrs...)
	case res.HTTPStatus != 0:
		r.log.Info("url fetched", attrs...)
	default:
		r.log.Info("url skipped", attrs...)
	}
}
