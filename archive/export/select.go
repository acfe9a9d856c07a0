package export

import (
	"bufio"
	"cmp"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
)

// selection is the outcome of the selection pass: how many captures were
// selected and, when clusters are needed, their signatures in row order.
type selection struct {
	n      int
	hidden int // captures left out by Options.Hidden
	dup    *nearDups
}

// selectCaptures runs the query (or reads the fixed id list) and writes
// the selected capture ids to w, one a line, in row order: capture time,
// then capture id.
func (e *exporter) selectCaptures(ctx context.Context, w io.Writer) (selection, error) {
	var sel selection
	if e.opts.Format.tabular() || e.opts.Dedupe {
		sel.dup = newNearDups()
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	emit := func(ent catalog.Entry) error {
		if e.hidden(ent) {
			sel.hidden++
			return nil
		}
		if sel.dup != nil {
			sel.dup.add(ent.Text, ent.Published)
		}
		sel.n++
		e.opts.Progress.Add(1)
		if _, err := bw.WriteString(ent.CaptureID + "\n"); err != nil {
			return fmt.Errorf("export: write capture list: %w", err)
		}
		return nil
	}
	e.opts.Progress.Phase("selecting", -1)
	var err error
	switch {
	case e.opts.ids != nil:
		err = e.fixedIDs(ctx, emit)
	case e.opts.Query.Sample > 0:
		var hidden int
		hidden, err = e.sample(ctx, emit)
		sel.hidden += hidden
	default:
		err = e.cat.Select(ctx, e.opts.Query.selection(), emit)
	}
	e.opts.Progress.Done()
	if err != nil {
		return sel, err
	}
	if err := bw.Flush(); err != nil {
		return sel, fmt.Errorf("export: write capture list: %w", err)
	}
	return sel, nil
}

// fixedIDs selects the captures of a recorded list, in its order.
func (e *exporter) fixedIDs(ctx context.Context, emit func(catalog.Entry) error) error {
	return eachLine(e.opts.ids, func(id string) error {
		ent, err := e.cat.Get(ctx, id)
		if errors.Is(err, catalog.ErrNotFound) {
			return fmt.Errorf("export: capture %s of the recorded list is not in this archive's catalog: %w", id, err)
		}
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if e.hidden(ent) {
			return fmt.Errorf("export: capture %s of the recorded list is now under embargo: the export cannot be made again without it", id)
		}
		return emit(ent)
	})
}

func (e *exporter) hidden(ent catalog.Entry) bool {
	return e.opts.Hidden != nil && e.opts.Hidden(ent)
}

// sample selects Sample captures at random, reproducibly: each capture's
// rank is a hash of the seed and its id, and the lowest ranks win. The
// sample does not depend on the order the catalog returns rows in, and a
// larger N keeps every row of a smaller one. It holds the N sampled ids.
func (e *exporter) sample(ctx context.Context, emit func(catalog.Entry) error) (int, error) {
	n := e.opts.Query.Sample
	h := &sampleHeap{}
	hidden := 0
	err := e.cat.Select(ctx, e.opts.Query.selection(), func(ent catalog.Entry) error {
		if e.hidden(ent) {
			hidden++
			return nil
		}
		it := sampleItem{rank: sampleRank(e.opts.Query.Seed, ent.CaptureID), fetched: ent.FetchedAt, id: ent.CaptureID}
		if h.Len() < n {
			heap.Push(h, it)
		} else if it.before((*h)[0]) {
			(*h)[0] = it
			heap.Fix(h, 0)
		}
		return nil
	})
	if err != nil {
		return hidden, err
	}
	items := []sampleItem(*h)
	slices.SortFunc(items, func(a, b sampleItem) int {
		if c := a.fetched.Compare(b.fetched); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	for _, it := range items {
		ent, err := e.cat.Get(ctx, it.id)
		if err != nil {
			return hidden, fmt.Errorf("export: %w", err)
		}
		if err := emit(ent); err != nil {
			return hidden, err
		}
	}
	return hidden, nil
}

// sampleRank orders captures for sampling.
func sampleRank(seed uint64, id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return splitmix64(seed ^ h.Sum64())
}

type sampleItem struct {
	rank    uint64
	fetched time.Time
	id      string
}

// before orders by rank, then id, so ties cannot depend on input order.
func (a sampleItem) before(b sampleItem) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return a.id < b.id
}

// sampleHeap is a max-heap: its root is the sampled item to drop first.
type sampleHeap []sampleItem

func (h sampleHeap) Len() int           { return len(h) }
func (h sampleHeap) Less(i, j int) bool { return h[j].before(h[i]) }
func (h sampleHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *sampleHeap) Push(x any)        { *h = append(*h, x.(sampleItem)) }
func (h *sampleHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

// eachLine calls fn for each non-empty line of r.
func eachLine(r io.Reader, fn func(string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if err := fn(line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("export: read capture list: %w", err)
	}
	return nil
}
