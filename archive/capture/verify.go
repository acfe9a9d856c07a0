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
	Kind      string // "missing", "size", "sha256", "warc", "orphan", "unreadable"
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
				verifyWARC(ctx, st, e.CaptureID, ref, maxWARCBody, problem)
				continue
			}
			got, err := HashObject(ctx, st, ref.Key)
			if err != nil {
				problem(Problem{e.CaptureID, ref.Key, "missing", err.Error()})
				continue
			}
			checkRef(e.CaptureID, ref, got, problem)
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

func verifyWARC(ctx context.Context, st store.Store, id string, ref archive.ObjectRef, maxBody int64, problem func(Problem)) {
	data, got, err := ReadObject(ctx, st, ref.Key, maxBody*2+(16<<20))
	if err != nil {
		problem(Problem{id, ref.Key, "missing", err.Error()})
		return
	}
	if !checkRef(id, ref, got, problem) {
		return
	}
	c, err := warc.ReadCapture(bytes.NewReader(data), maxBody)
	if err != nil {
		problem(Problem{id, ref.Key, "warc", err.Error()})
		return
	}
	for _, p := range c.Problems {
		problem(Problem{id, ref.Key, "warc", p})
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
