package web

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/embargo"
)

// visibleCatalog is the catalog minus the embargoed captures. Every route
// reads through it, so an embargo hides a capture everywhere at once; and
// versions.Chain, given it, builds the chain of what may be shown.
type visibleCatalog struct {
	catalog.Catalog
	list *embargo.List
}

// errStop ends a List early; it never leaves this file.
var errStop = errors.New("stop listing")

// refresh picks up embargo changes made by another process.
func (c *visibleCatalog) refresh() error {
	if c.list == nil {
		return nil
	}
	return c.list.Refresh()
}

func (c *visibleCatalog) hidden(e catalog.Entry) bool {
	return c.list.HiddenEntry(e)
}

// active reports whether anything is embargoed at all, so the common
// case costs nothing.
func (c *visibleCatalog) active() bool { return c.list != nil && c.list.Len() > 0 }

// Get returns ErrNotFound for a hidden capture: an embargo hides, so the
// answer is the same as for a capture that never existed.
func (c *visibleCatalog) Get(ctx context.Context, id string) (catalog.Entry, error) {
	if err := c.refresh(); err != nil {
		return catalog.Entry{}, err
	}
	e, err := c.Catalog.Get(ctx, id)
	if err == nil && c.hidden(e) {
		return catalog.Entry{}, fmt.Errorf("get capture %s: %w", id, catalog.ErrNotFound)
	}
	return e, err
}

// Nearest picks among visible captures only.
func (c *visibleCatalog) Nearest(ctx context.Context, urlKey string, at time.Time) (catalog.Entry, error) {
	if err := c.refresh(); err != nil {
		return catalog.Entry{}, err
	}
	if !c.active() {
		return c.Catalog.Nearest(ctx, urlKey, at)
	}
	var all []catalog.Entry
	if err := c.List(ctx, catalog.Filter{URLKey: urlKey}, func(e catalog.Entry) error {
		all = append(all, e)
		return nil
	}); err != nil {
		return catalog.Entry{}, err
	}
	i := nearest(all, at)
	if i < 0 {
		return catalog.Entry{}, fmt.Errorf("find nearest capture of %s: %w", urlKey, catalog.ErrNotFound)
	}
	return all[i], nil
}

// List skips hidden captures; f.Limit counts visible ones.
func (c *visibleCatalog) List(ctx context.Context, f catalog.Filter, fn func(catalog.Entry) error) error {
	if err := c.refresh(); err != nil {
		return err
	}
	if !c.active() {
		return c.Catalog.List(ctx, f, fn)
	}
	limit := f.Limit
	f.Limit = 0
	n := 0
	err := c.Catalog.List(ctx, f, func(e catalog.Entry) error {
		if c.hidden(e) {
			return nil
		}
		if limit > 0 && n >= limit {
			return errStop
		}
		n++
		return fn(e)
	})
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// Count counts visible captures.
func (c *visibleCatalog) Count(ctx context.Context, f catalog.Filter) (int, error) {
	if err := c.refresh(); err != nil {
		return 0, err
	}
	if !c.active() {
		return c.Catalog.Count(ctx, f)
	}
	f.Limit = 0
	n := 0
	err := c.List(ctx, f, func(catalog.Entry) error { n++; return nil })
	return n, err
}

// Search pages through visible hits: hidden ones are skipped and more
// are fetched, so a page is full whenever enough visible hits exist.
func (c *visibleCatalog) Search(ctx context.Context, q catalog.Query) ([]catalog.Hit, error) {
	if err := c.refresh(); err != nil {
		return nil, err
	}
	if !c.active() {
		return c.Catalog.Search(ctx, q)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	skip := max(q.Offset, 0)
	const batch = 200
	var out []catalog.Hit
	for from := 0; ; from += batch {
		hits, err := c.Catalog.Search(ctx, catalog.Query{Text: q.Text, Filter: q.Filter, Limit: batch, Offset: from})
		if err != nil {
			return nil, err
		}
		for _, h := range hits {
			if c.hidden(h.Entry) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			out = append(out, h)
			if len(out) == limit {
				return out, nil
			}
		}
		if len(hits) < batch {
			return out, nil
		}
	}
}
