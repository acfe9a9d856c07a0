package capture

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/archive/warc"
	"github.com/archivist-project/archivist/crawler/urlnorm"
	"github.com/archivist-project/archivist/extract"
)

// written is what write stored.
type written struct {
	id        string
	previous  string
	revisitOf string
	changed   []string
}

// prior is the latest earlier capture of a page.
type prior struct {
	entry   catalog.Entry
	article *extract.Article // nil when its records could not be read
	// target is the full capture holding the payload of entry: entry
	// itself, or the capture a revisit entry refers to. nil when unknown,
	// and then no revisit can refer to it.
	target *archive.RevisitOf
}

// previous finds the latest capture of the page, by its canonical URL and
// by its final URL (matched against both keys of every catalog row), and
// reads what a new version needs of it. It returns nil for a page never
// captured before.
func (r *Recorder) previous(ctx context.Context, canonicalURL, finalURL string) (*prior, error) {
	var best *catalog.Entry
	seen := map[string]bool{}
	for _, u := range []string{canonicalURL, finalURL} {
		if u == "" {
			continue
		}
		key := urlnorm.Key(u)
		if key == "" || seen[key] {
			continue
		}
		seen[key] = true
		e, err := r.catalog.Nearest(ctx, key, time.Time{}) // the latest
		if errors.Is(err, catalog.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("find the previous capture of %s: %w", u, err)
		}
		if best == nil || e.FetchedAt.After(best.FetchedAt) {
			best = &e
		}
	}
	if best == nil {
		return nil, nil
	}
	p := &prior{entry: *best}
	s, err := Load(ctx, r.store, best.CaptureID)
	if err != nil {
		if errors.Is(err, store.ErrUnavailable) {
			return nil, err
		}
		// A damaged earlier capture must not stop new ones: this one is
		// stored in full and linked, and `verify` reports the damage.
		r.log.Warn("previous capture unreadable; storing a full capture", "capture_id", best.CaptureID, "error", err)
		return p, nil
	}
	p.article = s.Article
	if p.target, err = r.revisitTarget(ctx, *best, s); err != nil {
		return nil, err
	}
	return p, nil
}

// revisitTarget returns the full capture holding the payload of entry e
// (whose records are s): e itself, or the capture a revisit refers to. It
// returns nil when that cannot be told, and an error only when the store
// is unavailable.
func (r *Recorder) revisitTarget(ctx context.Context, e catalog.Entry, s *Stored) (*archive.RevisitOf, error) {
	switch {
	case s.Provenance.Revisit != nil:
		return s.Provenance.Revisit, nil
	case s.Provenance.Response != nil:
		return &archive.RevisitOf{
			CaptureID: e.CaptureID, URL: s.Provenance.Response.TargetURI,
			Date: s.Provenance.Response.Date, RecordID: s.Provenance.Response.RecordID,
		}, nil
	}
	// Captured before provenance named its response record: read the
	// record's id and date from the WARC itself.
	c, err := r.readWARC(ctx, e.WARC)
	if err != nil {
		if errors.Is(err, store.ErrUnavailable) {
			return nil, err
		}
		r.log.Warn("earlier capture's WARC unreadable; storing a full capture", "capture_id", e.CaptureID, "error", err)
		return nil, nil
	}
	if c.Revisit != nil {
		return nil, nil
	}
	final := c.Exchange.Final()
	return &archive.RevisitOf{CaptureID: e.CaptureID, URL: final.URL, Date: final.Start.UTC(), RecordID: c.ResponseRecordID}, nil
}

// duplicate is an earlier full capture holding the payload of a new fetch,
// which is then stored as a revisit record referring to it.
type duplicate struct {
	target *archive.RevisitOf
	// samePage is set when the payload is the page's own latest capture's
	// (same status too): the revisit then reuses that capture's Article.
	// A payload found under another URL gets an Article of its own, since
	// the URLs in it differ.
	samePage bool
}

// duplicateOf decides whether the payload of final, whose lowercase hex
// SHA-256 is payload, is already archived: first as the page's latest
// capture (prev, may be nil), then under any URL of the archive. It
// returns nil when the payload must be stored.
func (r *Recorder) duplicateOf(ctx context.Context, prev *prior, final *archive.Hop, payload string) (*duplicate, error) {
	if prev != nil && prev.target != nil && prev.entry.PayloadSHA256 == payload && prev.entry.Status == final.Status {
		return &duplicate{target: prev.target, samePage: true}, nil
	}
	if len(final.Body) == 0 || (prev != nil && prev.entry.PayloadSHA256 == payload) {
		// An empty payload saves nothing as a revisit. The page's own
		// payload under another status is a new version of the page.
		return nil, nil
	}
	orig, err := r.catalog.FirstByPayload(ctx, payload)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up payload %s of %s in the catalog: %w", payload, final.URL, err)
	}
	s, err := Load(ctx, r.store, orig.CaptureID)
	if err != nil {
		if errors.Is(err, store.ErrUnavailable) {
			return nil, err
		}
		r.log.Warn("capture with the same payload unreadable; storing a full capture", "capture_id", orig.CaptureID, "url", final.URL, "error", err)
		return nil, nil
	}
	if s.Provenance.PayloadSHA256 != payload {
		// The catalog row disagrees with the records it was built from:
		// `verify` reports it; a revisit must not rest on it.
		r.log.Warn("catalog payload digest differs from the capture's provenance; storing a full capture", "capture_id", orig.CaptureID, "url", final.URL)
		return nil, nil
	}
	target, err := r.revisitTarget(ctx, orig, s)
	if err != nil || target == nil {
		return nil, err
	}
	return &duplicate{target: target}, nil
}

func (r *Recorder) readWARC(ctx context.Context, ref archive.ObjectRef) (*warc.Capture, error) {
	data, got, err := ReadObject(ctx, r.store, ref.Key, r.cfg.MaxBodyBytes*2+(16<<20))
	if err != nil {
		return nil, err
	}
	if got.SHA256 != ref.SHA256 {
		return nil, fmt.Errorf("read %s: sha256 %s, catalog says %s (run `archivist verify`)", ref.Key, got.SHA256, ref.SHA256)
	}
	return warc.ReadCapture(bytes.NewReader(data), r.cfg.MaxBodyBytes*2)
}

func payloadSHA256(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}
