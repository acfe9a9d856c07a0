package crawler

import (
	"context"
	"errors"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/extract"
)

// Sink archives fetched pages. The crawler calls Capture for every fetch
// whose final response is a 2xx HTML page (text/html or
// application/xhtml+xml); other responses are reported in the Summary
// without reaching the Sink. Capture is called from several goroutines at
// once.
type Sink interface {
	// Capture extracts, decides and stores one fetch. It must call claim
	// with the page's trusted canonical URL (or its final URL when it has
	// none) after deciding to store it and before storing anything; when
	// claim returns false another fetch of this run already archived that
	// page and Capture must store nothing and return Archived false with
	// Reason "duplicate of <firstURL>". Links should be returned whether
	// or not the page was archived: listing pages are how articles are found.
	Capture(ctx context.Context, ex *archive.Exchange, claim ClaimFunc) (Outcome, error)
}

// ClaimFunc reserves a canonical URL for the fetch being captured, once per
// run. claimed is true when the URL was free (or already held by this same
// fetch); otherwise firstURL is the URL of the fetch that holds it.
//
// Only the crawler sees every fetch of a run, so only it can tell that two
// URLs are the same article; a callback lets the Sink ask at the one moment
// that matters, after extraction found the canonical URL and before
// anything is written. Claims of a Capture that fails or archives nothing
// are released.
type ClaimFunc func(canonicalURL string) (firstURL string, claimed bool)

// Outcome is what the Sink did with a fetch.
type Outcome struct {
	CaptureID    string         // "" when nothing was stored
	Archived     bool           // stored as a capture
	PageType     string         // "article" | "listing" | "other"
	CanonicalURL string         // trusted canonical URL, "" if none
	Links        []extract.Link // links on the page, for discovery
	Reason       string         // why not archived, e.g. "not an article (listing)"
}

// ErrExtraction marks a Sink error as an extraction failure: the page was
// fetched but could not be turned into an article. A Sink wraps such
// errors with it (fmt.Errorf("...: %w: %w", crawler.ErrExtraction, err));
// the daemon counts them and does not retry, since the same bytes will
// not extract better later. Other Sink errors are retried.
var ErrExtraction = errors.New("extraction failed")
