// Package versions tells how a page changed over time: Chain lists the
// captures of one page as a version chain (full captures and revisits,
// each with what changed since the capture before), and Diff compares the
// content of two versions: headline, byline, dates and a paragraph- and
// word-level diff of the body.
//
// The catalog is enough for Chain; Diff needs the two Articles. Both
// return plain data with JSON tags, for the command line and the web UI.
package versions

import (
	"context"
	"fmt"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
)

// Catalog kinds of capture.
const (
	KindResponse = "response" // a full capture
	KindRevisit  = "revisit"  // identical payload: a WARC revisit record, no second copy
)

// Version is one capture in a page's version chain.
type Version struct {
	CaptureID         string    `json:"capture_id"`
	FetchedAt         time.Time `json:"fetched_at"`
	Kind              string    `json:"kind"`
	PreviousCaptureID string    `json:"previous_capture_id,omitempty"`
	URL               string    `json:"url"`
	Title             string    `json:"title"`
	Status            int       `json:"http_status"`
	PayloadSHA256     string    `json:"payload_sha256"`
	// Content numbers the distinct contents of the page, from 1 in
	// capture order: captures with the same number show the same article
	// (a new payload with the same extracted content is not a new one).
	Content int `json:"content_version"`
	// Changed names what differs from the capture before: headline,
	// byline, dates, body. It is nil for the first capture and empty when
	// the content is the same. From the catalog alone, dates means the
	// published date (the catalog does not keep the modified date);
	// RecordedChanges adds what the provenance records say.
	Changed []string `json:"changed"`
}

// Chain returns every capture of the page with the normalised URL urlKey
// (matched like catalog.Filter.URLKey: the URL or the canonical URL),
// oldest first, as a version chain. An unknown URL gives an empty chain.
func Chain(ctx context.Context, cat catalog.Catalog, urlKey string) ([]Version, error) {
	if urlKey == "" {
		return nil, fmt.Errorf("list versions: empty URL key")
	}
	var (
		out  []Version
		prev *catalog.Entry
	)
	err := cat.List(ctx, catalog.Filter{URLKey: urlKey}, func(e catalog.Entry) error {
		v := Version{
			CaptureID: e.CaptureID, FetchedAt: e.FetchedAt, Kind: e.Kind, PreviousCaptureID: e.PreviousCaptureID,
			URL: e.FinalURL, Title: e.Title, Status: e.Status, PayloadSHA256: e.PayloadSHA256, Content: 1,
		}
		if v.Kind == "" {
			v.Kind = KindResponse
		}
		if prev != nil {
			v.Changed = changes(prev.Title, e.Title, prev.Authors, e.Authors, prev.Published, e.Published, nil, nil, prev.Text, e.Text)
			v.Content = out[len(out)-1].Content
			if len(v.Changed) > 0 {
				v.Content++
			}
		}
		out = append(out, v)
		prev = &e
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list versions of %s: %w", urlKey, err)
	}
	return out, nil
}

// RecordedChanges fills in, for each full capture of a chain, what its
// provenance record says changed since the capture before (loaded with
// load; nil when it records nothing). The catalog, which Chain reads, does
// not keep the modified date; the provenance record, written when the
// capture was made from both Articles, does. Content numbers are
// recomputed to match.
func RecordedChanges(ctx context.Context, chain []Version, load func(ctx context.Context, captureID string) (*archive.Provenance, error)) error {
	for i := range chain {
		v := &chain[i]
		if v.Kind == KindRevisit || v.Changed == nil {
			continue
		}
		p, err := load(ctx, v.CaptureID)
		if err != nil {
			return fmt.Errorf("read what capture %s changed: %w", v.CaptureID, err)
		}
		if p != nil && p.ContentChanged != nil && p.PreviousCaptureID == v.PreviousCaptureID && v.PreviousCaptureID != "" {
			v.Changed = append([]string{}, p.Changed...)
		}
	}
	for i := range chain {
		switch {
		case i == 0:
			chain[i].Content = 1
		case len(chain[i].Changed) > 0:
			chain[i].Content = chain[i-1].Content + 1
		default:
			chain[i].Content = chain[i-1].Content
		}
	}
	return nil
}

// LatestTwoContents returns the last capture of the last two distinct
// contents in a chain (older first): the pair a diff shows by default.
// ok is false when the chain has fewer than two contents.
func LatestTwoContents(chain []Version) (older, newer Version, ok bool) {
	if len(chain) == 0 {
		return older, newer, false
	}
	newer = chain[len(chain)-1]
	for i := len(chain) - 1; i >= 0; i-- {
		if chain[i].Content < newer.Content {
			return chain[i], newer, true
		}
	}
	return older, newer, false
}

// At returns the capture of the chain nearest t (the earlier one on a
// tie), as `archivist get --at` picks captures.
func At(chain []Version, t time.Time) (Version, bool) {
	var best Version
	found := false
	for _, v := range chain {
		if !found || abs(v.FetchedAt.Sub(t)) < abs(best.FetchedAt.Sub(t)) {
			best, found = v, true
		}
	}
	return best, found
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
