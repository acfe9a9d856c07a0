package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/crawler"
	"github.com/archivist-project/archivist/crawler/frontier"
	"github.com/archivist-project/archivist/crawler/scope"
	"github.com/archivist-project/archivist/crawler/urlnorm"
	"github.com/archivist-project/archivist/extract"
)

// fetchURL fetches a discovered URL (first visit or revisit), hands it to
// the Sink, queues its links when the source follows more hops, and ends
// the lease.
func (d *Daemon) fetchURL(ctx context.Context, it frontier.Item) {
	src := d.source(it.Source)
	req := crawler.FetchRequest{URL: it.URL, Via: it.Via, Depth: it.Depth, RunID: d.runID, Seed: it.Via}
	if src != nil {
		req.Seed = src.URL
	}
	if it.Captures > 0 {
		// A revisit: the server may answer 304 if nothing changed.
		req.ETag, req.LastModified = it.Validators.ETag, it.Validators.LastModified
	}
	began := d.cfg.Clock()
	res := d.fetcher.Fetch(ctx, req)
	d.m.fetched(res)
	log := d.log.With("url", it.URL, "source", it.Source, "http_status", res.HTTPStatus)

	switch res.Outcome {
	case crawler.FetchCanceled:
		d.giveBack(it, res.Reason)
		return
	case crawler.FetchBackedOff:
		d.m.outcome("backed_off")
		d.retry(it, res.Reason, res.RetryAfter, false)
		return
	case crawler.FetchBlocked:
		d.m.outcome("robots")
		log.Info("url blocked by robots.txt", "reason", res.Reason)
		d.fail(it, frontier.FailRobots, res.Reason)
		return
	case crawler.FetchNotHTML, crawler.FetchPermanent:
		d.m.outcome("failed")
		log.Warn("url failed", "reason", res.Reason)
		d.fail(it, frontier.FailPermanent, res.Reason)
		return
	case crawler.FetchTransient:
		d.backOffHost(res)
		log.Warn("url fetch failed; will retry", "reason", res.Reason, "attempt", it.Attempts+1)
		d.retry(it, res.Reason, res.RetryAfter, true)
		return
	case crawler.FetchNotModified:
		d.m.outcome("not_modified")
		log.Info("url not modified", "revisit", it.Captures)
		d.complete(it, frontier.Completion{Now: began, Result: "not modified", Next: d.nextRevisit(src, it, began)})
		return
	}

	ex := res.Exchange
	ex.Source = it.Source
	if src != nil {
		ex.Tags = src.Tags
	}
	ex.Discovery = it.Discovery
	claim := func(canonical string) (string, bool) {
		owner, ok, err := d.fr.Claim(ctx, canonical, it)
		if err != nil {
			// Archiving twice beats not archiving at all.
			d.log.Warn("claim canonical url failed; capturing anyway", "url", it.URL, "canonical", canonical, "error", err)
			return it.URL, true
		}
		return owner, ok
	}
	out, err := d.capture(ctx, ex, claim)
	if err != nil {
		d.sinkFailed(ctx, it, err)
		return
	}
	if src != nil && it.Depth < src.MaxHops && len(out.Links) > 0 {
		page := res.FinalURL
		if page == "" {
			page = it.URL
		}
		if _, err := d.discover(ctx, src, d.linksFound(src, out.Links, page, it.Depth, began)); err != nil {
			// The links are not recorded: fetch the page again later.
			d.retry(it, "record discovered links: "+err.Error(), time.Time{}, false)
			return
		}
	}
	c := frontier.Completion{Now: began, Result: "archived", CaptureID: out.CaptureID, Captured: out.Archived}
	if out.Archived {
		d.m.Captures.Inc()
		d.m.outcome("archived")
		c.Validators = &frontier.Validators{ETag: res.ETag, LastModified: res.LastModified}
		log.Info("url archived", "capture_id", out.CaptureID, "revisit", it.Captures)
	} else {
		d.m.outcome("not_archived")
		c.Result = out.Reason
		log.Info("url not archived", "reason", out.Reason, "page_type", out.PageType)
	}
	if out.Archived || it.Captures > 0 {
		c.Next = d.nextRevisit(src, it, began)
	}
	d.complete(it, c)
}

// capture calls the Sink, which parses untrusted HTML with third-party
// libraries; a panic there fails this URL, not the daemon.
func (d *Daemon) capture(ctx context.Context, ex *archive.Exchange, claim crawler.ClaimFunc) (out crawler.Outcome, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = crawler.Outcome{}, fmt.Errorf("%w: sink panicked: %v", crawler.ErrExtraction, p)
		}
	}()
	return d.sink.Capture(ctx, ex, claim)
}

// sinkFailed decides what a Sink error means for the item.
func (d *Daemon) sinkFailed(ctx context.Context, it frontier.Item, err error) {
	log := d.log.With("url", it.URL, "source", it.Source, "error", err)
	switch {
	case ctx.Err() != nil:
		d.giveBack(it, "shutdown during capture: "+err.Error())
	case errors.Is(err, store.ErrUnavailable):
		d.m.StoreErrors.Inc()
		log.Error("store unavailable; the url waits for it", "retry_in", d.cfg.StoreRetry)
		d.retry(it, err.Error(), d.cfg.Clock().Add(d.cfg.StoreRetry), false)
	case errors.Is(err, crawler.ErrExtraction) || errors.Is(err, extract.ErrNotHTML):
		d.m.ExtractionFailures.Inc()
		d.m.outcome("failed")
		log.Warn("extraction failed")
		d.fail(it, frontier.FailPermanent, "extraction: "+err.Error())
	default:
		d.m.SinkErrors.Inc()
		log.Warn("capture failed; will retry")
		d.retry(it, "capture: "+err.Error(), time.Time{}, true)
	}
}

// nextRevisit is the first revisit offset after now, counted from the
// first capture, or zero when the source does not revisit or the schedule
// is over. Offsets missed while the daemon was down are skipped.
func (d *Daemon) nextRevisit(src *source, it frontier.Item, now time.Time) time.Time {
	if src == nil || !src.Revisit {
		return time.Time{}
	}
	first := it.FirstCaptureAt
	if first.IsZero() {
		first = now
	}
	for _, off := range d.cfg.Revisits {
		if t := first.Add(off); t.After(now) {
			return t
		}
	}
	return time.Time{}
}

// linksFound turns a page's links into discoveries within the source's
// scope, one hop deeper than the page.
func (d *Daemon) linksFound(src *source, links []extract.Link, pageURL string, pageDepth int, at time.Time) []frontier.Discovered {
	self := urlnorm.Key(pageURL)
	var out []frontier.Discovered
	for i, l := range links {
		n, err := d.links.Normalize(l.URL)
		if err != nil || urlnorm.KeyOfNormalized(n) == self {
			continue
		}
		if ok, _ := src.rules.Check(n, scope.Page{URL: pageURL, Depth: pageDepth}); !ok {
			continue
		}
		out = append(out, frontier.Discovered{URL: n, Depth: pageDepth + 1, Discovery: archive.Discovery{
			Source: src.Name, Kind: KindPage, FoundAt: at, Via: pageURL, Position: i + 1, Title: l.Text,
		}})
	}
	return out
}

// discover records discoveries and counts the new ones.
func (d *Daemon) discover(ctx context.Context, src *source, found []frontier.Discovered) (int, error) {
	if len(found) == 0 {
		return 0, nil
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	n, err := d.fr.Discover(wctx, found)
	if err != nil {
		d.m.FrontierErrors.Inc()
		d.log.Error("record discovered urls failed", "source", src.Name, "urls", len(found), "error", err)
		return 0, err
	}
	if n > 0 {
		d.m.NewURLs.WithLabelValues(src.Name).Add(float64(n))
	}
	return n, nil
}

// backOffHost persists a host's Retry-After so a restart honours it too.
func (d *Daemon) backOffHost(res crawler.FetchResult) {
	if res.RetryAfter.IsZero() || res.FinalURL == "" {
		return
	}
	host := crawler.HostOf(res.FinalURL)
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if err := d.fr.BackoffHost(ctx, host, res.RetryAfter, res.Reason); err != nil {
		d.m.FrontierErrors.Inc()
		d.log.Warn("record host back-off failed", "host", host, "error", err)
	}
}

// Ending leases. Frontier writes get their own deadline: they must happen
// while shutting down too, or work is only returned at lease expiry.

func (d *Daemon) writeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), writeTimeout)
}

func (d *Daemon) ended(it frontier.Item, what string, err error) {
	switch {
	case err == nil:
	case errors.Is(err, frontier.ErrLeaseLost):
		d.log.Warn("lease lost before the work was recorded; the url is redone", "url", it.URL, "action", what)
	default:
		d.m.FrontierErrors.Inc()
		d.log.Error("record work in the frontier failed; the url is redone after its lease expires", "url", it.URL, "action", what, "error", err)
	}
}

func (d *Daemon) complete(it frontier.Item, c frontier.Completion) {
	ctx, cancel := d.writeCtx()
	defer cancel()
	d.ended(it, "complete", d.fr.Complete(ctx, d.current(it), c))
}

func (d *Daemon) fail(it frontier.Item, kind frontier.FailKind, reason string) {
	ctx, cancel := d.writeCtx()
	defer cancel()
	d.ended(it, "fail", d.fr.Fail(ctx, d.current(it), frontier.Failure{Now: d.cfg.Clock(), Kind: kind, Reason: reason}))
}

// retry schedules the item again: at notBefore when given, else after the
// retry policy's delay. A counted retry past MaxAttempts fails the item.
func (d *Daemon) retry(it frontier.Item, reason string, notBefore time.Time, count bool) {
	now := d.cfg.Clock()
	attempt := it.Attempts + 1
	if count && attempt >= d.cfg.Retry.MaxAttempts {
		d.m.outcome("failed")
		d.log.Warn("url failed: out of attempts", "url", it.URL, "attempts", attempt, "reason", reason)
		d.fail(it, frontier.FailExhausted, fmt.Sprintf("gave up after %d attempts: %s", attempt, reason))
		return
	}
	if notBefore.IsZero() {
		notBefore = now.Add(d.cfg.Retry.Delay(attempt, d.cfg.Rand()))
	}
	if count {
		d.m.outcome("retry")
	}
	ctx, cancel := d.writeCtx()
	defer cancel()
	d.ended(it, "retry", d.fr.Retry(ctx, d.current(it), frontier.RetryRequest{Now: now, NotBefore: notBefore, Reason: reason, CountAttempt: count}))
}

// giveBack returns interrupted work to the queue at once, uncounted.
func (d *Daemon) giveBack(it frontier.Item, reason string) {
	d.m.outcome("returned")
	now := d.cfg.Clock()
	ctx, cancel := d.writeCtx()
	defer cancel()
	d.ended(it, "return", d.fr.Retry(ctx, d.current(it), frontier.RetryRequest{Now: now, NotBefore: now, Reason: reason}))
}
