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
	switch {
	case s.Provenance.Revisit != nil:
		p.target = s.Provenance.Revisit
	case s.Provenance.Response != nil:
		p.target = &archive.RevisitOf{
			CaptureID: best.CaptureID, URL: s.Provenance.Response.TargetURI,
			Date: s.Provenance.Response.Date, RecordID: s.Provenance.Response.RecordID,
		}
	default:
		// Captured before provenance named its response record: read
		// the record's id and date from the WARC itself.
		c, err := r.readWARC(ctx, best.WARC)
		if err != nil {
			if errors.Is(err, store.ErrUnavailable) {
				return nil, err
			}
			r.log.Warn("previous capture's WARC unreadable; storing a full capture", "capture_id", best.CaptureID, "error", err)
			return p, nil
		}
		if c.Revisit == nil {
			final := c.Exchange.Final()
			p.target = &archive.RevisitOf{CaptureID: best.CaptureID, URL: final.URL, Date: final.Start.UTC(), RecordID: c.ResponseRecordID}
		}
	}
	return p, nil
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
