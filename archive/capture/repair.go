package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/archive/warc"
	"github.com/archivist-project/archivist/crawler/urlnorm"
)

// InProgressGrace is how young a capture without a provenance record may
// be and still count as being written (by a daemon running beside the
// audit) rather than interrupted. A capture's objects are written within
// one fetch's time, far below it.
const InProgressGrace = 10 * time.Minute

// storePass lists every capture in the store once. A capture's keys are
// adjacent in lexical order, so each is judged as soon as the listing
// moves past it, holding only its object names.
func (a *auditor) storePass(ctx context.Context) error {
	var current string
	var names []string
	flush := func() error {
		if current == "" {
			return nil
		}
		return a.checkStored(ctx, current, names)
	}
	err := a.st.List(ctx, archive.CapturesPrefix, func(oi store.ObjectInfo) error {
		id, name, ok := archive.ParseCaptureKey(oi.Key)
		if !ok {
			return nil
		}
		if id != current {
			if err := flush(); err != nil {
				return err
			}
			current, names = id, names[:0]
		}
		names = append(names, name)
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return fmt.Errorf("verify: list store %s: %w", a.st.Location(), err)
	}
	return nil
}

// checkStored judges one capture of the store from its object names.
func (a *auditor) checkStored(ctx context.Context, id string, names []string) error {
	if _, ok := a.seen[id]; ok {
		return nil
	}
	provName := provenanceName(names)
	if provName == "" {
		a.checkIncomplete(ctx, id, names)
		return nil
	}
	provKey, _ := archive.CaptureKey(id, provName)
	// The catalog pass is over; a daemon running beside the audit may
	// have catalogued the capture since.
	if _, err := a.cat.Get(ctx, id); err == nil {
		return nil
	} else if !errors.Is(err, catalog.ErrNotFound) {
		return err
	}
	if !a.opts.Repair {
		a.problem(Problem{CaptureID: id, Key: provKey, Kind: "orphan", Detail: "complete capture in the store but not in the catalog (`archivist verify --repair` indexes it)"})
		return nil
	}
	s, err := loadFrom(ctx, a.st, id, provKey)
	if err != nil {
		a.problem(Problem{CaptureID: id, Key: provKey, Kind: "orphan", Detail: "complete capture not in the catalog; cannot repair: its records are unreadable: " + err.Error()})
		return nil
	}
	// The row reindex would build: it points at the newest re-extraction.
	e, err := IndexEntry(ctx, a.st, s)
	if err != nil {
		a.problem(Problem{CaptureID: id, Key: provKey, Kind: "orphan", Detail: "complete capture not in the catalog; cannot repair: its article is unreadable: " + err.Error()})
		return nil
	}
	var found []Problem
	a.checkEntry(ctx, e, func(p Problem) { found = append(found, p) })
	if len(found) > 0 {
		for _, p := range found {
			a.problem(p)
		}
		a.problem(Problem{CaptureID: id, Key: provKey, Kind: "orphan", Detail: "complete capture not in the catalog; cannot repair: its objects fail the checks above"})
		return nil
	}
	if err := a.cat.Put(ctx, e); err != nil {
		return fmt.Errorf("verify: index orphan %s: %w", id, err)
	}
	a.seen[id] = struct{}{}
	a.problem(Problem{CaptureID: id, Key: provKey, Kind: "orphan", Detail: "complete capture in the store but not in the catalog", Repaired: true})
	return nil
}

// checkIncomplete judges a capture that has objects but no provenance
// record: the process writing it stopped (crash, full disk, store outage)
// before the record that completes it. Its objects are never catalogued
// and never deleted. That is harmless when the page was captured again
// afterwards (a leftover, noted); otherwise the capture is lost and it
// is a problem, unless it is young enough to be still being written.
func (a *auditor) checkIncomplete(ctx context.Context, id string, names []string) {
	key, _ := archive.CaptureKey(id, archive.WARCName)
	what := "objects of an interrupted capture (" + strings.Join(names, ", ") + ") without a provenance record"
	incomplete := func(detail string) {
		if a.opts.Repair {
			detail += "; cannot repair: an incomplete capture cannot be completed, and Archivist deletes nothing"
		}
		a.problem(Problem{CaptureID: id, Key: key, Kind: "incomplete", Detail: detail})
	}
	at, err := archive.CaptureTime(id)
	if err != nil {
		incomplete(what + ": " + err.Error())
		return
	}
	if !slices.Contains(names, archive.WARCName) {
		incomplete(what + " and without its WARC file, so the page it was for is unknown")
		return
	}
	data, _, err := ReadObject(ctx, a.st, key, a.opts.MaxWARCBody*2+(16<<20))
	var c *warc.Capture
	if err == nil {
		c, err = warc.ReadCapture(bytes.NewReader(data), a.opts.MaxWARCBody)
	}
	if err != nil {
		incomplete(what + "; its WARC file is unreadable: " + err.Error())
		return
	}
	urls := []string{c.Exchange.RequestedURL, c.Exchange.Final().URL}
	if later := a.capturedSince(ctx, urls, id, at); later != "" {
		a.problem(Problem{CaptureID: id, Key: key, Kind: "leftover", Note: true,
			Detail: fmt.Sprintf("%s; the page (%s) was captured again as %s, so nothing is lost; kept, since Archivist deletes nothing", what, urls[0], later)})
		return
	}
	if a.opts.now().Sub(at) < InProgressGrace {
		a.problem(Problem{CaptureID: id, Key: key, Kind: "leftover", Note: true,
			Detail: fmt.Sprintf("%s of %s, started %s ago: probably still being written; run verify again later", what, urls[0], a.opts.now().Sub(at).Round(time.Second))})
		return
	}
	incomplete(fmt.Sprintf("%s, and %s was not captured since: fetch it again (the daemon retries by itself)", what, urls[0]))
}

// capturedSince returns the id of a catalogued capture of any of urls
// made at or after at, or "".
func (a *auditor) capturedSince(ctx context.Context, urls []string, id string, at time.Time) string {
	for _, u := range urls {
		key := urlnorm.Key(u)
		if key == "" {
			continue
		}
		e, err := a.cat.Nearest(ctx, key, time.Time{})
		if err == nil && e.CaptureID != id && !e.FetchedAt.Before(at) {
			return e.CaptureID
		}
	}
	return ""
}

func (o VerifyOptions) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}
