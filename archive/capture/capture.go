// Package capture turns one fetch into archived data: it extracts the page,
// writes the WARC file, the Article and the provenance record to the store
// (in that order, provenance last), and only then adds the catalog row. A
// failure at any step leaves the catalog untouched, so the next crawl
// redoes the capture; objects written before the failure stay as harmless
// orphans that `archivist verify` reports.
//
// The package also reads captures back from the store, which is what
// reindex and verify are built on.
package capture

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/url"
	"strings"
	"sync"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/archive/versions"
	"github.com/archivist-project/archivist/archive/warc"
	"github.com/archivist-project/archivist/extract"
)

// Config says which pages are kept.
type Config struct {
	// KeepListings stores seed pages (depth 0) even when they are not
	// articles: the versions of a topic page over time are themselves a
	// record of what was covered.
	KeepListings bool
	// KeepAll stores every HTML page fetched, article or not.
	KeepAll bool
	// MaxBodyBytes bounds the decoded body handed to the extractor.
	MaxBodyBytes int64
	// Operator is written into the warcinfo record (a contact address).
	Operator string
	// PageTypes tunes the extractor's page-type rule, which decides what
	// is kept as an article (nil: extract.DefaultPageTypeRules).
	PageTypes *extract.PageTypeRules
}

// Result is what became of one fetch.
type Result struct {
	CaptureID    string // "" when nothing was stored
	Archived     bool
	PageType     string
	CanonicalURL string
	Links        []extract.Link
	Reason       string // why it was not archived
	// PreviousCaptureID is the page's capture before this one ("" for the
	// first); RevisitOf is set when the payload was identical and only a
	// revisit record was stored; Changed names what changed in the
	// content of a new full capture (headline, byline, dates, body).
	PreviousCaptureID string
	RevisitOf         string
	Changed           []string
}

// Recorder archives fetches. It is safe for concurrent use.
type Recorder struct {
	store    store.Store
	catalog  catalog.Catalog
	software archive.Component
	cfg      Config
	log      *slog.Logger
	writers  sync.Pool // *warc.Writer: gzip state is costly to allocate per capture
	commits  *committer
	records  archive.RecordEncoder

	// uncertain holds capture ids whose provenance write or catalog write
	// failed: the store may have kept the provenance anyway (a request
	// that reached the server but whose answer was lost in an outage).
	// Each is settled before the next capture, so a retry finds it.
	mu        sync.Mutex
	uncertain []string
}

// NewRecorder returns a Recorder writing to st and cat.
func NewRecorder(st store.Store, cat catalog.Catalog, software archive.Component, cfg Config, logger *slog.Logger) *Recorder {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 10 << 20
	}
	return &Recorder{store: st, catalog: cat, software: software, cfg: cfg, log: logger, commits: newCommitter(cat, defaultCommitLinger)}
}

// ErrExtraction marks a capture that failed because the page could not be
// extracted: the same bytes will not extract better on a retry.
var ErrExtraction = errors.New("extraction failed")

// ClaimFunc reserves a page (by canonical URL) for this capture, so that two
// URLs of one article in a crawl are archived once. It returns false and
// the URL that holds the claim when another fetch got there first.
type ClaimFunc func(canonicalURL string) (firstURL string, claimed bool)

// Capture archives one exchange: extract, decide whether to keep it, claim
// the page (claim may be nil), write the objects, then the catalog row.
func (r *Recorder) Capture(ctx context.Context, ex *archive.Exchange, claim ClaimFunc) (Result, error) {
	r.settleUncertain(ctx)
	final := ex.Final()
	if final == nil {
		return Result{}, fmt.Errorf("capture %s: no response to archive", ex.RequestedURL)
	}
	body, err := DecodeBody(final.Body, final.ResponseHeader.Get("Content-Encoding"), r.cfg.MaxBodyBytes)
	if err != nil {
		// The same bytes decode no better on a retry (a compression
		// bomb, a broken or unknown encoding): fail the page for good.
		return Result{}, fmt.Errorf("capture %s: %w: %w", final.URL, ErrExtraction, err)
	}
	opts := ExtractOptions(final, ex.FetchEnd, ex.Discovery)
	opts.PageTypes = r.cfg.PageTypes
	ext, err := extract.Extract(body, opts)
	if err != nil {
		return Result{}, fmt.Errorf("capture %s: %w: %w", final.URL, ErrExtraction, err)
	}
	art := ext.Article
	res := Result{PageType: art.PageType, CanonicalURL: art.CanonicalURL, Links: ext.Links}
	keep := art.PageType == "article" || r.cfg.KeepAll || (r.cfg.KeepListings && ex.Depth == 0)
	if !keep {
		res.Reason = "not an article (" + art.PageType + ")"
		return res, nil
	}
	if claim != nil {
		page := art.CanonicalURL
		if page == "" {
			page = final.URL
		}
		if first, ok := claim(page); !ok {
			res.Reason = "duplicate of " + first
			return res, nil
		}
	}
	w, err := r.write(ctx, ex, &art)
	if err != nil {
		return res, err
	}
	res.CaptureID, res.Archived = w.id, true
	res.PreviousCaptureID, res.RevisitOf, res.Changed = w.previous, w.revisitOf, w.changed
	return res, nil
}

// write stores one capture: a revisit when the page's latest capture, or
// any full capture in the archive, has the same payload; a full capture
// otherwise. Either is linked to the page's latest capture.
func (r *Recorder) write(ctx context.Context, ex *archive.Exchange, art *extract.Article) (written, error) {
	// Its row is expected from now on: a commit leader waits for it.
	r.commits.expect()
	queued := false
	defer func() {
		if !queued {
			r.commits.forget()
		}
	}()
	final := ex.Final()
	prev, err := r.previous(ctx, art.CanonicalURL, final.URL)
	if err != nil {
		return written{}, err
	}
	id := archive.NewCaptureID(ex.FetchStart)
	prefix, err := archive.CapturePrefix(id)
	if err != nil {
		return written{}, err
	}
	// The payload digest is computed here once: the duplicate lookup
	// needs it, and the WARC writer takes it rather than hash the body
	// again.
	payload := warc.SumPayload(final.Body)
	info := warc.Info{
		Software: r.software, CaptureID: id, RunID: ex.RunID, UserAgent: ex.UserAgent,
		Robots: ex.Robots.Policy, Operator: r.cfg.Operator, Payload: payload,
	}
	dup, err := r.duplicateOf(ctx, prev, final, payload.Hex())
	if err != nil {
		return written{}, err
	}
	var warcBuf bytes.Buffer
	var wres warc.Result
	err = r.withWriter(func(wr *warc.Writer) error {
		var err error
		if dup != nil {
			wres, err = wr.WriteRevisit(&warcBuf, ex, info, warc.RefersTo{
				TargetURI: dup.target.URL, Date: dup.target.Date, RecordID: dup.target.RecordID,
			})
		} else {
			wres, err = wr.WriteCapture(&warcBuf, ex, info)
		}
		return err
	})
	if err != nil {
		return written{}, fmt.Errorf("capture %s: %w", final.URL, err)
	}
	warcRef, err := r.put(ctx, prefix+archive.WARCName, warcBuf.Bytes())
	if err != nil {
		return written{}, err
	}
	prov := NewProvenance(id, ex, wres.PayloadSHA256, r.software, art.Extractor)
	prov.Response = &archive.WARCRecordRef{RecordID: wres.ResponseRecordID, TargetURI: final.URL, Date: final.Start.UTC()}
	out := written{id: id}
	var artRef archive.ObjectRef
	if dup != nil {
		prov.Revisit = dup.target
		out.revisitOf = dup.target.CaptureID
	}
	if dup != nil && dup.samePage {
		// The content is the page's latest capture's: its Article is
		// reused, not stored again.
		art = prev.article
		artRef = prev.entry.Article
		prov.Extractor = archive.Component{Name: art.Extractor.Name, Version: art.Extractor.Version}
		prov.PreviousCaptureID = prev.entry.CaptureID
	} else {
		artJSON, err := r.records.Encode(archive.ArticleName, art)
		if err != nil {
			return written{}, fmt.Errorf("encode article of %s: %w", final.URL, err)
		}
		if artRef, err = r.put(ctx, prefix+archive.ArticleName, artJSON); err != nil {
			return written{}, err
		}
		if prev != nil {
			prov.PreviousCaptureID = prev.entry.CaptureID
			if prev.article != nil {
				changed := versions.Changes(prev.article, art)
				contentChanged := len(changed) > 0
				prov.ContentChanged, prov.Changed = &contentChanged, changed
			}
		}
	}
	out.previous, out.changed = prov.PreviousCaptureID, prov.Changed
	prov.Objects = map[string]archive.ObjectRef{"warc": warcRef, "article": artRef}
	provJSON, err := r.records.Encode(archive.ProvenanceName, prov)
	if err != nil {
		return written{}, fmt.Errorf("encode provenance of %s: %w", final.URL, err)
	}
	provRef, err := r.put(ctx, prefix+archive.ProvenanceName, provJSON)
	if err != nil {
		r.noteUncertain(id)
		return written{}, err
	}
	entry := NewEntry(prov, art, provRef)
	queued = true
	if err := r.commits.put(ctx, entry, true); err != nil {
		r.noteUncertain(id)
		return written{}, fmt.Errorf("catalog capture %s of %s: %w (the objects are stored; `archivist reindex` adds them)", id, final.URL, err)
	}
	r.log.Debug("archived", "capture_id", id, "url", final.URL, "kind", entry.Kind, "previous", prov.PreviousCaptureID, "bytes", warcBuf.Len())
	return out, nil
}

func (r *Recorder) noteUncertain(id string) {
	r.mu.Lock()
	r.uncertain = append(r.uncertain, id)
	r.mu.Unlock()
}

// Settle indexes the captures whose last write had an uncertain outcome
// (see settleUncertain) and returns how many are still unsettled because
// the store is still unreachable. A crawl calls it before it ends: each
// Capture settles earlier ones first, but nothing follows the last one.
func (r *Recorder) Settle(ctx context.Context) int {
	r.settleUncertain(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.uncertain)
}

// settleUncertain indexes every uncertain capture that turns out to be
// complete in the store, forgets those the store never kept, and keeps the
// rest (the store is still unreachable) for the next call. A capture whose
// provenance write timed out but landed would otherwise stay out of the
// catalog while its retry stored the page a second time.
func (r *Recorder) settleUncertain(ctx context.Context) {
	r.mu.Lock()
	pending := r.uncertain
	r.uncertain = nil
	r.mu.Unlock()
	var keep []string
	for _, id := range pending {
		s, err := Load(ctx, r.store, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // never written: nothing to index
		}
		if err == nil {
			var e catalog.Entry
			if e, err = IndexEntry(ctx, r.store, s); err == nil {
				err = r.catalog.Put(ctx, e)
			}
		}
		if err != nil {
			keep = append(keep, id)
			continue
		}
		r.log.Info("indexed a capture whose write outcome was uncertain", "capture_id", id)
	}
	if len(keep) > 0 {
		r.mu.Lock()
		r.uncertain = append(keep, r.uncertain...)
		r.mu.Unlock()
	}
}

// withWriter lends fn a WARC writer from the pool.
func (r *Recorder) withWriter(fn func(*warc.Writer) error) error {
	wr, _ := r.writers.Get().(*warc.Writer)
	if wr == nil {
		var err error
		if wr, err = warc.NewWriter(0); err != nil {
			return err
		}
	}
	defer r.writers.Put(wr)
	return fn(wr)
}

// put stores data at key and returns its reference.
func (r *Recorder) put(ctx context.Context, key string, data []byte) (archive.ObjectRef, error) {
	sum := sha256.Sum256(data)
	ref := archive.ObjectRef{Key: key, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
	if err := r.store.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
		return ref, fmt.Errorf("store %s in %s: %w", key, r.store.Location(), err)
	}
	return ref, nil
}

// NewProvenance builds the provenance record of an exchange.
func NewProvenance(id string, ex *archive.Exchange, payloadSHA256 string, software archive.Component, extractor extract.Component) *archive.Provenance {
	final := ex.Final()
	p := &archive.Provenance{
		Schema:        archive.ProvenanceSchema,
		CaptureID:     id,
		RequestedURL:  ex.RequestedURL,
		FinalURL:      final.URL,
		Status:        final.Status,
		FetchStart:    ex.FetchStart.UTC(),
		FetchEnd:      ex.FetchEnd.UTC(),
		RemoteIP:      final.RemoteIP,
		ContentType:   final.ResponseHeader.Get("Content-Type"),
		ContentLength: int64(len(final.Body)),
		Truncated:     final.Truncated,
		PayloadSHA256: payloadSHA256,
		Seed:          ex.Seed,
		Via:           ex.Via,
		Hops:          ex.Depth,
		Robots:        ex.Robots,
		UserAgent:     ex.UserAgent,
		Software:      software,
		Extractor:     archive.Component{Name: extractor.Name, Version: extractor.Version},
		CrawlRunID:    ex.RunID,
		Source:        ex.Source,
		Tags:          ex.Tags,
		Discovery:     ex.Discovery,
		RedirectChain: []archive.Redirect{},
	}
	for _, h := range ex.Hops {
		p.RedirectChain = append(p.RedirectChain, archive.Redirect{URL: h.URL, Status: h.Status, Location: h.ResponseHeader.Get("Location")})
	}
	return p
}

// DecodeBody undoes a Content-Encoding of gzip or deflate, reading at most
// limit decoded bytes so that a compression bomb cannot exhaust memory.
func DecodeBody(body []byte, encoding string, limit int64) ([]byte, error) {
	var zr io.Reader
	switch enc := strings.ToLower(strings.TrimSpace(encoding)); enc {
	case "", "identity":
		return body, nil
	case "gzip", "x-gzip":
		g, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("decode gzip body: %w", err)
		}
		zr = g
	case "deflate":
		zr = flate.NewReader(bytes.NewReader(body))
	default:
		return nil, fmt.Errorf("unsupported Content-Encoding %q", encoding)
	}
	out, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("decode %s body: %w", encoding, err)
	}
	if int64(len(out)) > limit {
		return nil, fmt.Errorf("decoded body is over the %d byte limit (compression bomb?)", limit)
	}
	return out, nil
}

// mediaType returns the lower-case media type of a Content-Type value.
func mediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	}
	return mt
}

// HostOf returns the host of u as the catalog keys it: lower case, without
// "www.", with the port only when it is not the scheme's default.
func HostOf(u string) string {
	pu, err := url.Parse(u)
	if err != nil {
		return ""
	}
	host := strings.ToLower(pu.Host)
	if p := pu.Port(); (p == "80" && pu.Scheme == "http") || (p == "443" && pu.Scheme == "https") {
		host = strings.ToLower(pu.Hostname())
	}
	return strings.TrimPrefix(host, "www.")
}
