package daemon

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/crawler"
	"github.com/archivist-project/archivist/crawler/discover"
	"github.com/archivist-project/archivist/crawler/frontier"
	"github.com/archivist-project/archivist/crawler/scope"
	"github.com/archivist-project/archivist/crawler/urlnorm"
	"github.com/archivist-project/archivist/extract"
)

// feedAccept is the Accept header of feed and sitemap requests.
const feedAccept = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"

// pollResult is what one poll of a source came to.
type pollResult struct {
	found      []frontier.Discovered
	ok         bool
	status     int    // HTTP status of the source document
	note       string // "not modified", "2 feeds, 1 sitemap", failures of secondary documents
	reason     string // why the poll failed
	transient  bool
	retryAt    time.Time // the host asked to wait until then
	canceled   bool
	validators *frontier.Validators // of the source document, stored on success
}

// failed fills r from a fetch that did not succeed.
func (r *pollResult) failed(res crawler.FetchResult) {
	r.status, r.reason = res.HTTPStatus, res.Reason
	switch res.Outcome {
	case crawler.FetchCanceled:
		r.canceled = true
	case crawler.FetchBackedOff:
		r.retryAt = res.RetryAfter
	case crawler.FetchTransient:
		r.transient, r.retryAt = true, res.RetryAfter
	}
}

// poll fetches a source, records what it found and reschedules it.
func (d *Daemon) poll(ctx context.Context, it frontier.Item) {
	src := d.source(it.Source)
	start := d.cfg.Clock()
	if src == nil {
		// Removed by a reload while leased; SyncSources dropped its item.
		d.complete(it, frontier.Completion{Now: start, Result: "source removed"})
		return
	}
	log := d.log.With("source", src.Name, "kind", src.Kind, "url", src.URL)
	var pr pollResult
	switch src.Kind {
	case KindPage:
		pr = d.pollPage(ctx, src, it, start)
	case KindFeed, KindSitemap:
		pr = d.pollDocument(ctx, src, it, start)
	default:
		pr = d.pollAuto(ctx, src, start)
	}
	if pr.canceled {
		d.giveBack(it, "shutdown during poll")
		return
	}
	newURLs, err := d.discover(ctx, src, pr.found)
	if err != nil {
		d.retryPoll(it, src, start, "record discovered urls: "+err.Error(), start.Add(d.cfg.Retry.Base), false)
		return
	}
	if ctx.Err() != nil {
		// Cut short by shutdown: what was found is kept, the poll is redone.
		d.giveBack(it, "shutdown during poll")
		return
	}
	rec := frontier.PollResult{Source: src.Name, At: start, OK: pr.ok, HTTPStatus: pr.status, Found: len(pr.found), New: newURLs}
	label := "ok"
	if pr.ok {
		rec.Result = fmt.Sprintf("%d found, %d new", len(pr.found), newURLs)
		if pr.note != "" {
			rec.Result = pr.note + "; " + rec.Result
		}
		if pr.note == "not modified" {
			label = "not_modified"
		}
		log.Info("source polled", "found", len(pr.found), "new", newURLs, "note", pr.note)
	} else {
		label, rec.Result = "error", pr.reason
		log.Warn("source poll failed", "reason", pr.reason, "attempt", it.Attempts+1)
	}
	d.m.Polls.WithLabelValues(src.Name, label).Inc()
	wctx, cancel := d.writeCtx()
	if err := d.fr.RecordPoll(wctx, rec); err != nil {
		d.m.FrontierErrors.Inc()
		log.Warn("record poll failed", "error", err)
	}
	cancel()

	next := start.Add(src.Interval)
	switch {
	case pr.ok:
		d.complete(it, frontier.Completion{Now: start, Next: next, Validators: pr.validators, Result: rec.Result})
	case !pr.retryAt.IsZero():
		d.retryPoll(it, src, start, pr.reason, pr.retryAt, pr.transient)
	case pr.transient:
		// Retry sooner than the next poll, backing off, never giving up:
		// a source is polled for as long as it is configured.
		d.retryPoll(it, src, start, pr.reason, start.Add(min(d.cfg.Retry.Delay(it.Attempts+1, d.cfg.Rand()), src.Interval)), true)
	default:
		d.retryPoll(it, src, start, pr.reason, next, false)
	}
}

func (d *Daemon) retryPoll(it frontier.Item, src *source, now time.Time, reason string, at time.Time, count bool) {
	wctx, cancel := d.writeCtx()
	defer cancel()
	d.ended(it, "reschedule poll", d.fr.Retry(wctx, d.current(it), frontier.RetryRequest{Now: now, NotBefore: at, Reason: reason, CountAttempt: count}))
}

// pollPage captures a page source as a listing and follows its links.
func (d *Daemon) pollPage(ctx context.Context, src *source, it frontier.Item, start time.Time) pollResult {
	res := d.fetcher.Fetch(ctx, crawler.FetchRequest{
		URL: src.URL, Seed: src.URL, RunID: d.runID,
		ETag: it.Validators.ETag, LastModified: it.Validators.LastModified,
	})
	d.m.fetched(res)
	var pr pollResult
	switch res.Outcome {
	case crawler.FetchOK:
	case crawler.FetchNotModified:
		return pollResult{ok: true, status: res.HTTPStatus, note: "not modified"}
	default:
		d.backOffHost(res)
		pr.failed(res)
		return pr
	}
	links, stored := d.capturePage(ctx, src, res)
	pr = pollResult{ok: true, status: res.HTTPStatus, found: d.linksFound(src, links, res.FinalURL, 0, start)}
	if stored {
		pr.validators = &frontier.Validators{ETag: res.ETag, LastModified: res.LastModified}
	} else {
		// Without a stored capture the next poll must fetch the page whole.
		pr.validators, pr.note = &frontier.Validators{}, "page not stored"
	}
	return pr
}

// capturePage hands a source page to the Sink as a listing (depth 0: its
// versions are a record of what was covered) and returns its links. When
// the Sink fails, the links are extracted here so discovery goes on during
// a store outage.
func (d *Daemon) capturePage(ctx context.Context, src *source, res crawler.FetchResult) ([]extract.Link, bool) {
	ex := res.Exchange
	ex.Source, ex.Tags, ex.Depth, ex.Seed = src.Name, src.Tags, 0, src.URL
	self := func(string) (string, bool) { return res.FinalURL, true }
	out, err := d.capture(ctx, ex, self)
	if err == nil {
		if out.Archived {
			d.m.Captures.Inc()
		}
		return out.Links, out.Archived
	}
	switch {
	case errors.Is(err, store.ErrUnavailable):
		d.m.StoreErrors.Inc()
	case errors.Is(err, crawler.ErrExtraction) || errors.Is(err, extract.ErrNotHTML):
		d.m.ExtractionFailures.Inc()
	default:
		d.m.SinkErrors.Inc()
	}
	d.log.Warn("source page not stored; following its links anyway", "source", src.Name, "error", err)
	final := ex.Final()
	body, derr := discover.Decode(final.Body, final.ResponseHeader.Get("Content-Encoding"), extract.MaxBodyBytes)
	if derr != nil {
		return nil, false
	}
	r, xerr := extract.Extract(body, extract.Options{URL: final.URL, ContentType: final.ResponseHeader.Get("Content-Type"), FetchedAt: ex.FetchEnd})
	if xerr != nil {
		return nil, false
	}
	return r.Links, false
}

// pollDocument polls a feed or sitemap source.
func (d *Daemon) pollDocument(ctx context.Context, src *source, it frontier.Item, start time.Time) pollResult {
	doc := d.readDocument(ctx, src, src.URL, it.Validators, start, 0)
	pr := pollResult{ok: doc.err == nil, status: doc.res.HTTPStatus, found: doc.found}
	if doc.err != nil {
		pr.failed(doc.res)
		pr.reason = doc.err.Error()
		return pr
	}
	if doc.notModified {
		pr.note = "not modified"
	}
	pr.note = joinNotes(pr.note, doc.note)
	pr.validators = doc.validators
	if doc.index {
		// An index rarely changes while its sitemaps do: a 304 on it must
		// not stop the children from being read.
		pr.validators = &frontier.Validators{}
	}
	return pr
}

// pollAuto fetches the source page, then uses the feeds it announces and
// the sitemaps its robots.txt lists; with none, it falls back to the page.
// A feed or sitemap URL given as an auto source is read as such.
func (d *Daemon) pollAuto(ctx context.Context, src *source, start time.Time) pollResult {
	res := d.fetcher.Fetch(ctx, crawler.FetchRequest{URL: src.URL, Seed: src.URL, RunID: d.runID, AnyType: true})
	d.m.fetched(res)
	var pr pollResult
	if res.Outcome != crawler.FetchOK {
		d.backOffHost(res)
		pr.failed(res)
		return pr
	}
	if res.MediaType != "text/html" && res.MediaType != "application/xhtml+xml" {
		doc := d.followIndex(ctx, src, d.parseDocument(src, res, start), start, 0)
		switch {
		case doc.canceled:
			return pollResult{canceled: true}
		case doc.err != nil:
			return pollResult{status: res.HTTPStatus, reason: doc.err.Error()}
		}
		return pollResult{ok: true, status: res.HTTPStatus, found: doc.found, note: doc.note}
	}
	final := res.Exchange.Final()
	feeds := discover.FeedLinks(final.Body, res.FinalURL)
	feeds = feeds[:min(len(feeds), d.cfg.MaxFeeds)]
	sitemaps, err := d.fetcher.Sitemaps(ctx, src.URL)
	if err != nil {
		return pollResult{canceled: true}
	}
	sitemaps = sitemaps[:min(len(sitemaps), d.cfg.MaxSitemaps)]
	links, _ := d.capturePage(ctx, src, res)
	pr = pollResult{ok: true, status: res.HTTPStatus}
	if len(feeds)+len(sitemaps) == 0 {
		pr.found = d.linksFound(src, links, res.FinalURL, 0, start)
		pr.note = "no feeds or sitemaps found; used the page's links"
		return pr
	}
	var notes []string
	good := 0
	for _, u := range append(feeds, sitemaps...) {
		v, key := d.docValidators(ctx, src, u)
		doc := d.readDocument(ctx, src, u, v, start, 0)
		if doc.canceled {
			return pollResult{canceled: true}
		}
		if doc.err != nil {
			notes = append(notes, doc.err.Error())
			continue
		}
		good++
		pr.found = append(pr.found, doc.found...)
		if !doc.index {
			d.saveDocValidators(src, key, doc.validators, start)
		}
	}
	pr.note = joinNotes(fmt.Sprintf("%d feeds, %d sitemaps", len(feeds), len(sitemaps)), strings.Join(notes, "; "))
	if good == 0 {
		// Every announced document failed: the page's links still count.
		pr.found = d.linksFound(src, links, res.FinalURL, 0, start)
	}
	return pr
}

func joinNotes(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// docValidators reads the stored validators of a secondary document (a
// feed found by an auto source, a child sitemap).
func (d *Daemon) docValidators(ctx context.Context, src *source, docURL string) (frontier.Validators, string) {
	key := "doc:" + src.Name + ":" + urlnorm.Key(docURL)
	v, err := d.fr.Validators(ctx, key)
	if err != nil {
		d.log.Warn("read validators failed; fetching in full", "url", docURL, "error", err)
	}
	return v, key
}

func (d *Daemon) saveDocValidators(src *source, key string, v *frontier.Validators, now time.Time) {
	if v == nil {
		return
	}
	ctx, cancel := d.writeCtx()
	defer cancel()
	if err := d.fr.SetValidators(ctx, key, *v, now); err != nil {
		d.log.Warn("store validators failed", "source", src.Name, "key", key, "error", err)
	}
}

// document is one feed or sitemap read during a poll.
type document struct {
	res         crawler.FetchResult
	found       []frontier.Discovered
	notModified bool
	note        string
	validators  *frontier.Validators
	err         error
	canceled    bool
	index       bool // a sitemap index: its children were read
}

// readDocument fetches and parses a feed or sitemap; a sitemap index is
// followed one level down (depth 0 → 1).
func (d *Daemon) readDocument(ctx context.Context, src *source, docURL string, v frontier.Validators, start time.Time, level int) document {
	res := d.fetcher.Fetch(ctx, crawler.FetchRequest{
		URL: docURL, Seed: src.URL, RunID: d.runID, AnyType: true, Accept: feedAccept,
		ETag: v.ETag, LastModified: v.LastModified,
	})
	d.m.fetched(res)
	switch res.Outcome {
	case crawler.FetchOK:
	case crawler.FetchNotModified:
		return document{res: res, notModified: true}
	case crawler.FetchCanceled:
		return document{res: res, canceled: true, err: errors.New(res.Reason)}
	default:
		d.backOffHost(res)
		return document{res: res, err: fmt.Errorf("%s: %s", docURL, res.Reason)}
	}
	doc := d.parseDocument(src, res, start)
	if doc.err != nil {
		return doc.document
	}
	doc.validators = &frontier.Validators{ETag: res.ETag, LastModified: res.LastModified}
	return d.followIndex(ctx, src, doc, start, level)
}

// followIndex reads the children of a sitemap index (one level only).
func (d *Daemon) followIndex(ctx context.Context, src *source, doc parsed, start time.Time, level int) document {
	if len(doc.children) == 0 {
		return doc.document
	}
	doc.index = true
	if level > 0 {
		doc.note = joinNotes(doc.note, fmt.Sprintf("nested sitemap index %s not followed", doc.res.FinalURL))
		return doc.document
	}
	var notes []string
	for _, child := range d.pickSitemaps(doc.children, start) {
		cv, key := d.docValidators(ctx, src, child)
		cd := d.readDocument(ctx, src, child, cv, start, level+1)
		if cd.canceled {
			return cd
		}
		if cd.err != nil {
			notes = append(notes, cd.err.Error())
			continue
		}
		doc.found = append(doc.found, cd.found...)
		d.saveDocValidators(src, key, cd.validators, start)
	}
	doc.note = joinNotes(fmt.Sprintf("sitemap index of %d", len(doc.children)), strings.Join(notes, "; "))
	return doc.document
}

// parsed is a parsed document plus the children of a sitemap index.
type parsed struct {
	document
	children []discover.Entry
}

// parseDocument reads a fetched feed or sitemap, telling them apart by
// their content.
func (d *Daemon) parseDocument(src *source, res crawler.FetchResult, start time.Time) parsed {
	final := res.Exchange.Final()
	p := parsed{document: document{res: res}}
	body, err := discover.Decode(final.Body, final.ResponseHeader.Get("Content-Encoding"), 0)
	if err != nil {
		p.err = fmt.Errorf("%s: %w", final.URL, err)
		return p
	}
	if final.Truncated != "" {
		p.note = fmt.Sprintf("%s cut at the size cap", final.URL)
	}
	via := final.URL
	page := scope.Page{URL: via, Depth: 0}
	add := func(e discover.Entry, disc archive.Discovery) {
		n, err := urlnorm.Normalize(e.URL)
		if err != nil {
			return
		}
		if ok, _ := src.rules.Check(n, page); !ok {
			return
		}
		disc.Source, disc.FoundAt, disc.Via, disc.Position, disc.Title = src.Name, start, via, e.Position, e.Title
		p.found = append(p.found, frontier.Discovered{URL: n, Depth: 1, Discovery: disc})
	}
	if discover.Sniff(body) == "sitemap" {
		sm, err := discover.ParseSitemap(body, via, discover.Limits{})
		if err != nil {
			p.err = err
			return p
		}
		if sm.Index {
			p.children = sm.Sitemaps
			return p
		}
		for _, e := range sm.Entries {
			add(e, archive.Discovery{Kind: KindSitemap, SitemapLastmod: e.Lastmod, NewsPublicationDate: e.NewsPublicationDate})
		}
		if sm.Truncated {
			p.note = joinNotes(p.note, "sitemap truncated")
		}
		return p
	}
	feed, err := discover.ParseFeed(body, via, discover.Limits{})
	if err != nil {
		p.err = err
		return p
	}
	for _, e := range feed.Entries {
		date := e.Published
		if date == nil {
			date = e.Updated
		}
		add(e, archive.Discovery{Kind: KindFeed, FeedGUID: e.GUID, FeedDate: date})
	}
	return p
}

// pickSitemaps chooses the child sitemaps of an index to read: the most
// recently modified first, none older than SitemapMaxAge (archives of past
// years are not re-read every poll), at most MaxSitemaps. A child without
// lastmod counts as current.
func (d *Daemon) pickSitemaps(children []discover.Entry, now time.Time) []string {
	type child struct {
		url string
		mod time.Time
	}
	var cs []child
	for _, c := range children {
		mod := now
		if c.Lastmod != nil {
			mod = *c.Lastmod
		}
		if now.Sub(mod) > d.cfg.SitemapMaxAge {
			continue
		}
		cs = append(cs, child{c.URL, mod})
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].mod.After(cs[j].mod) })
	out := make([]string, 0, min(len(cs), d.cfg.MaxSitemaps))
	for _, c := range cs[:min(len(cs), d.cfg.MaxSitemaps)] {
		out = append(out, c.url)
	}
	return out
}
