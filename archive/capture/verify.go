package capture

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/archive/warc"
)

// Problem is one finding of a fixity audit.
type Problem struct {
	CaptureID string
	Key       string
	// Kind is "missing" (a catalog entry's object is not in the store),
	// "size", "sha256", "warc", "unreadable", "revisit", "orphan" (a
	// complete capture the catalog lacks), "incomplete" (objects of a
	// capture that has no provenance record and was never redone) or
	// "leftover" (the same, but the page was captured again later).
	Kind   string
	Detail string
	// Repaired is set when --repair fixed it (an orphan indexed).
	Repaired bool
	// Note is set for findings that are not problems: a leftover of an
	// interrupted capture is harmless, and kept because nothing is ever
	// deleted.
	Note bool
}

func (p Problem) String() string {
	s := fmt.Sprintf("%s %s %s: %s", p.Kind, p.CaptureID, p.Key, p.Detail)
	if p.Repaired {
		s += " (repaired: indexed into the catalog)"
	}
	return s
}

// VerifyStats counts what an audit checked and found.
type VerifyStats struct {
	Captures int // catalog entries checked
	Objects  int // their objects checked
	// Problems counts findings still wrong after the audit: Repaired
	// ones and Notes are not counted.
	Problems  int
	Repaired  int // orphans indexed by a repair
	Leftovers int // interrupted captures that were redone (notes)
}

// VerifyOptions control an audit.
type VerifyOptions struct {
	// MaxWARCBody bounds the WARC record bodies read (a larger one is a
	// problem, not an out-of-memory crash).
	MaxWARCBody int64
	// Repair indexes every orphan that is complete and whose objects
	// pass the checks. Nothing is ever deleted or rewritten.
	Repair bool
	// Report is called for every finding, in the order found.
	Report func(Problem)
	// Now tells the age of captures still being written (default
	// time.Now); see InProgressGrace.
	Now func() time.Time
}

// Verify checks that every catalog entry's objects exist with the recorded
// size and SHA-256 and that each WARC file parses with matching digests,
// then reports complete captures in the store that the catalog lacks
// (orphans) and captures left incomplete. report is called for every
// finding.
func Verify(ctx context.Context, st store.Store, cat catalog.Catalog, maxWARCBody int64, report func(Problem)) (VerifyStats, error) {
	return Audit(ctx, st, cat, VerifyOptions{MaxWARCBody: maxWARCBody, Report: report})
}

// Audit is the whole fixity audit: a pass over the catalog (every entry's
// objects exist, with the recorded size and SHA-256, WARC files parse with
// matching digests, revisits have their payload's capture), then a pass
// over the store (complete captures the catalog lacks, captures without a
// provenance record). With opts.Repair, complete orphans that pass the
// same checks are added to the catalog.
func Audit(ctx context.Context, st store.Store, cat catalog.Catalog, opts VerifyOptions) (VerifyStats, error) {
	a := &auditor{st: st, cat: cat, opts: opts, seen: map[string]struct{}{}}
	if a.opts.Report == nil {
		a.opts.Report = func(Problem) {}
	}
	err := cat.List(ctx, catalog.Filter{}, func(e catalog.Entry) error {
		a.stats.Captures++
		a.seen[e.CaptureID] = struct{}{}
		a.checkEntry(ctx, e, a.problem)
		return nil
	})
	if err != nil {
		return a.stats, fmt.Errorf("verify: list catalog: %w", err)
	}
	if err := a.storePass(ctx); err != nil {
		return a.stats, err
	}
	return a.stats, nil
}

// auditor carries one audit's state.
type auditor struct {
	st    store.Store
	cat   catalog.Catalog
	opts  VerifyOptions
	stats VerifyStats
	seen  map[string]struct{} // capture ids in the catalog
}

func (a *auditor) problem(p Problem) {
	if a.opts.Repair && !p.Repaired && !p.Note && !strings.Contains(p.Detail, "cannot repair") {
		p.Detail += "; cannot repair: " + unrepairable(p.Kind)
	}
	switch {
	case p.Note:
		a.stats.Leftovers++
	case p.Repaired:
		a.stats.Repaired++
	default:
		a.stats.Problems++
	}
	a.opts.Report(p)
}

// checkEntry checks one entry's objects and, for a revisit, the capture it
// refers to.
func (a *auditor) checkEntry(ctx context.Context, e catalog.Entry, problem func(Problem)) {
	for _, ref := range []archive.ObjectRef{e.WARC, e.Article, e.Provenance} {
		a.stats.Objects++
		if ref.Key == "" {
			problem(Problem{CaptureID: e.CaptureID, Kind: "missing", Detail: "the catalog row lists no key for an object"})
			continue
		}
		if ref.Key == e.WARC.Key {
			c := verifyWARC(ctx, a.st, e.CaptureID, ref, a.opts.MaxWARCBody, problem)
			if c != nil && (c.Revisit != nil) != (e.Kind == "revisit") {
				problem(Problem{CaptureID: e.CaptureID, Key: ref.Key, Kind: "revisit", Detail: fmt.Sprintf("the catalog says kind %q but the WARC %s a revisit record", e.Kind, map[bool]string{true: "holds", false: "holds no"}[c.Revisit != nil])})
			}
			if c != nil && c.Revisit != nil && c.Revisit.PayloadSHA256 != e.PayloadSHA256 {
				problem(Problem{CaptureID: e.CaptureID, Key: ref.Key, Kind: "revisit", Detail: fmt.Sprintf("revisit payload digest %s, catalog says %s", c.Revisit.PayloadSHA256, e.PayloadSHA256)})
			}
			continue
		}
		got, err := HashObject(ctx, a.st, ref.Key)
		if err != nil {
			problem(Problem{CaptureID: e.CaptureID, Key: ref.Key, Kind: "missing", Detail: err.Error()})
			continue
		}
		checkRef(e.CaptureID, ref, got, problem)
	}
	if e.Kind == "revisit" {
		verifyRevisitTarget(ctx, a.st, a.cat, e, problem)
	}
}

// verifyWARC checks a capture's WARC object and returns it parsed (nil
// when it could not be read).
func verifyWARC(ctx context.Context, st store.Store, id string, ref archive.ObjectRef, maxBody int64, problem func(Problem)) *warc.Capture {
	data, got, err := ReadObject(ctx, st, ref.Key, maxBody*2+(16<<20))
	if err != nil {
		problem(Problem{CaptureID: id, Key: ref.Key, Kind: "missing", Detail: err.Error()})
		return nil
	}
	if !checkRef(id, ref, got, problem) {
		return nil
	}
	c, err := warc.ReadCapture(bytes.NewReader(data), maxBody)
	if err != nil {
		problem(Problem{CaptureID: id, Key: ref.Key, Kind: "warc", Detail: err.Error()})
		return nil
	}
	for _, p := range c.Problems {
		problem(Problem{CaptureID: id, Key: ref.Key, Kind: "warc", Detail: p})
	}
	return c
}

// verifyRevisitTarget checks that the capture a revisit refers to is in
// the catalog, is a full capture and has the same payload digest: a
// revisit without its payload's capture has lost the payload.
func verifyRevisitTarget(ctx context.Context, st store.Store, cat catalog.Catalog, e catalog.Entry, problem func(Problem)) {
	s, err := Load(ctx, st, e.CaptureID)
	if err != nil {
		problem(Problem{CaptureID: e.CaptureID, Key: e.Provenance.Key, Kind: "unreadable", Detail: err.Error()})
		return
	}
	rv := s.Provenance.Revisit
	if rv == nil {
		problem(Problem{CaptureID: e.CaptureID, Key: e.Provenance.Key, Kind: "revisit", Detail: "a revisit whose provenance names no capture it refers to"})
		return
	}
	target, err := cat.Get(ctx, rv.CaptureID)
	if err != nil {
		problem(Problem{CaptureID: e.CaptureID, Key: e.Provenance.Key, Kind: "revisit", Detail: fmt.Sprintf("the capture it refers to, %s, is not in the catalog: %v", rv.CaptureID, err)})
		return
	}
	if target.Kind == "revisit" {
		problem(Problem{CaptureID: e.CaptureID, Key: e.Provenance.Key, Kind: "revisit", Detail: fmt.Sprintf("it refers to %s, which is itself a revisit", rv.CaptureID)})
	}
	if target.PayloadSHA256 != e.PayloadSHA256 {
		problem(Problem{CaptureID: e.CaptureID, Key: e.Provenance.Key, Kind: "revisit", Detail: fmt.Sprintf("payload sha256 %s, the capture it refers to (%s) has %s", e.PayloadSHA256, rv.CaptureID, target.PayloadSHA256)})
	}
}

// unrepairable says why a repair leaves a problem of kind as it is.
func unrepairable(kind string) string {
	switch kind {
	case "missing", "size", "sha256", "warc":
		return "the archived bytes are lost or damaged, and Archivist never rewrites an object: restore it from a backup of the store"
	case "unreadable", "revisit":
		return "the capture's records contradict each other or the catalog; restore its objects from a backup, or `archivist reindex` if the catalog is wrong"
	}
	return "no repair is known for it"
}

func checkRef(id string, want, got archive.ObjectRef, problem func(Problem)) bool {
	if got.Size != want.Size {
		problem(Problem{CaptureID: id, Key: want.Key, Kind: "size", Detail: fmt.Sprintf("%d bytes, catalog says %d", got.Size, want.Size)})
		return false
	}
	if got.SHA256 != want.SHA256 {
		problem(Problem{CaptureID: id, Key: want.Key, Kind: "sha256", Detail: fmt.Sprintf("%s, catalog says %s", got.SHA256, want.SHA256)})
		return false
	}
	return true
}
