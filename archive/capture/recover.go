package capture

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/store"
)

// IndexRecentOrphans adds to the catalog every complete capture made
// between from and to (by capture time) that the catalog lacks, and
// returns how many it added.
//
// A process killed after a capture's last object was stored but before its
// catalog row was written leaves exactly such a capture. Indexing it at the
// next start, before any work is retried, means the retried fetch finds it
// as the previous version (and records a revisit), so a crash never leaves
// two full captures of one fetch. Captures are laid out by day, so only the
// days between from and to are listed, not the whole store.
func IndexRecentOrphans(ctx context.Context, st store.Store, cat catalog.Catalog, from, to time.Time) (int, error) {
	added := 0
	day := from.UTC().Truncate(24 * time.Hour)
	for ; !day.After(to.UTC()); day = day.Add(24 * time.Hour) {
		prefix := archive.CapturesPrefix + day.Format("2006/01/02") + "/"
		err := st.List(ctx, prefix, func(oi store.ObjectInfo) error {
			id, name, ok := archive.ParseCaptureKey(oi.Key)
			if !ok || !archive.IsProvenanceName(name) {
				return nil
			}
			if _, err := cat.Get(ctx, id); err == nil {
				return nil
			} else if !errors.Is(err, catalog.ErrNotFound) {
				return err
			}
			// Load, not the listed key: it prefers the current record
			// should a capture have both, and the second name listed then
			// finds the capture catalogued.
			s, err := Load(ctx, st, id)
			if err != nil {
				// An unreadable capture is verify's to report; it must
				// not stop the daemon from starting.
				return nil
			}
			e, err := IndexEntry(ctx, st, s)
			if err != nil {
				return nil
			}
			if err := cat.Put(ctx, e); err != nil {
				return err
			}
			added++
			return nil
		})
		if err != nil {
			return added, fmt.Errorf("index recent orphans under %s in %s: %w", prefix, st.Location(), err)
		}
	}
	return added, nil
}
