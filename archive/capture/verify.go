package capture

import (
	"bytes"
	"context"
	"fmt"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/archive/warc"
)

// Problem is one finding of a fixity audit.
type Problem struct {
	CaptureID string
	Key       string
	Kind      string // "missing", "size", "sha256", "warc", "orphan", "unreadable", "revisit"
	Detail    string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s %s %s: %s", p.Kind, p.CaptureID, p.Key, p.Detail)
}

// VerifyStats counts what an audit checked.
type VerifyStats struct {
	Captures int
	Objects  int
	Problems int
}

// Verify checks that every catalog entry's objects exist with the recorded
// size and SHA-256 and that each WARC file parses with matching digests,
// then reports complete captures in the store that the catalog lacks
// (orphans). report is called for every problem found.
func Verify(ctx context.Context, st store.Store, cat catalog.Catalog, maxWARCBody int64, report func(Problem)) (VerifyStats, error) {
	var stats VerifyStats
	seen := map[string]struct{}{}
	problem := func(p Problem) {
		stats.Problems++
		report(p)
	}
	err := cat.List(ctx, catalog.Filter{}, func(e catalog.Entry) error {
		stats.Captures++
		seen[e.CaptureID] = struct{}{}
		for _, ref := range []archive.ObjectRef{e.WARC, e.Article, e.Provenance} {
			stats.Objects++
			if ref.Key == "" {
				problem(Problem{e.CaptureID, "", "missing", "the catalog row lists no key for an object"})
				continue
			}
			if ref.Key == e.WARC.Key {
				c := verifyWARC(ctx, st, e.CaptureID, ref, maxWARCBody, problem)
				if c != nil && (c.Revisit != nil) != (e.Kind == "revisit") {
					problem(Problem{e.CaptureID, ref.Key, "revisit", fmt.Sprintf("the catalog says kind %q but the WARC %s a revisit record", e.Kind, map[bool]string{true: "holds", false: "holds no"}[c.Revisit != nil])})
				}
				if c != nil && c.Revisit != nil && c.Revisit.PayloadSHA256 != e.PayloadSHA256 {
					problem(Problem{e.CaptureID, ref.Key, "revisit", fmt.Sprintf("revisit payload digest %s, catalog says %s", c.Revisit.PayloadSHA256, e.PayloadSHA256)})
				}
				continue
			}
			got, err := HashObject(ctx, st, ref.Key)
			if err != nil {
				problem(Problem{e.CaptureID, ref.Key, "missing", err.Error()})
				continue
			}
			checkRef(e.CaptureID, ref, got, problem)
		}
		if e.Kind == "revisit" {
			verifyRevisitTarget(ctx, st, cat, e, problem)
		}
		return nil
	})
	if err != nil {
		return stats, fmt.Errorf("verify: list catalog: %w", err)
	}
	err = st.List(ctx, archive.CapturesPrefix, func(oi store.ObjectInfo) error {
		id, name, ok := archive.ParseCaptureKey(oi.Key)
		if !ok || name != archive.ProvenanceName {
			return nil
		}
		if _, ok := seen[id]; !ok {
			problem(Problem{id, oi.Key, "orphan", "complete capture in the store but not in the catalog (run `archivist reindex`)"})
		}
		return nil
	})
	if err != nil {
		return stats, fmt.Errorf("verify: list store %s: %w", st.Location(), err)
	}
	return stats, nil
}

// verifyWARC checks a capture's WARC object and returns it parsed (nil
// when it could not be read).
func verifyWARC(ctx context.Context, st store.Store, id string, ref archive.ObjectRef, maxBody int64, problem func(Problem)) *warc.Capture {
	data, got, err := ReadObject(ctx, st, ref.Key, maxBody*2+(16<<20))
	if err != nil {
		problem(Problem{id, ref.Key, "missing", err.Error()})
		return nil
	}
	if !checkRef(id, ref, got, problem) {
		return nil
	}
	c, err := warc.ReadCapture(bytes.NewReader(data), maxBody)
	if err != nil {
		problem(Problem{id, ref.Key, "warc", err.Error()})
		return nil
	}
	for _, p := range c.Problems {
		problem(Problem{id, ref.Key, "warc", p})
	}
	return c
}

// verifyRevisitTarget checks that the capture a revisit refers to is in
// the catalog, is a full capture and has the same payload digest: a
// revisit without its payload's capture has lost the payload.
func verifyRevisitTarget(ctx context.Context, st store.Store, cat catalog.Catalog, e catalog.Entry, problem func(Problem)) {
	s, err := Load(ctx, st, e.CaptureID)
	if err != nil {
		problem(Problem{e.CaptureID, e.Provenance.Key, "unreadable", err.Error()})
		return
	}
	rv := s.Provenance.Revisit
	if rv == nil {
		problem(Problem{e.CaptureID, e.Provenance.Key, "revisit", "a revisit whose provenance names no capture it refers to"})
		return
	}
	target, err := cat.Get(ctx, rv.CaptureID)
	if err != nil {
		problem(Problem{e.CaptureID, e.Provenance.Key, "revisit", fmt.Sprintf("the capture it refers to, %s, is not in the catalog: %v", rv.CaptureID, err)})
		return
	}
	if target.Kind == "revisit" {
		problem(Problem{e.CaptureID, e.Provenance.Key, "revisit", fmt.Sprintf("it refers to %s, which is itself a revisit", rv.CaptureID)})
	}
	if target.PayloadSHA256 != e.PayloadSHA256 {
		problem(Problem{e.CaptureID, e.Provenance.Key, "revisit", fmt.Sprintf("payload sha256 %s, the capture it refers to (%s) has %s", e.PayloadSHA256, rv.CaptureID, target.PayloadSHA256)})
	}
}

func checkRef(id string, want, got archive.ObjectRef, problem func(Problem)) bool {
	if got.Size != want.Size {
		problem(Problem{id, want.Key, "size", fmt.Sprintf("%d bytes, catalog says %d", got.Size, want.Size)})
		return false
	}
	if got.SHA256 != want.SHA256 {
		problem(Problem{id, want.Key, "sha256", fmt.Sprintf("%s, catalog says %s", got.SHA256, want.SHA256)})
		return false
	}
	return true
}
