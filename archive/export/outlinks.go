package export

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/capture"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/warc"
	"github.com/archivist-project/archivist/extract"
)

// OutlinksInfo tells, in a manifest, how the outlinks field was obtained.
type OutlinksInfo struct {
	Method    string            `json:"method"`
	Extractor archive.Component `json:"extractor"`
}

// String describes the method and extractor in one line, for the
// datasheet.
func (i *OutlinksInfo) String() string {
	return i.Method + ", by " + i.Extractor.Name + " " + i.Extractor.Version
}

// outlinksMethod is how outlinks are obtained, for the manifest and the
// datasheet.
const outlinksMethod = "the links extract.Links finds in each capture's archived final response body " +
	"(for a revisit, the payload it refers to), as the crawl found them; " +
	"outlink lines in the metadata record of WARCs written by earlier versions are not used"

// outlinksInfo describes the outlinks field of an export with fields f,
// nil when it has none.
func outlinksInfo(f Fields) *OutlinksInfo {
	if !f.Outlinks {
		return nil
	}
	return &OutlinksInfo{Method: outlinksMethod, Extractor: archive.Component{Name: extract.Name, Version: extract.Version}}
}

// outlinks returns the links of the page capture e archived, derived from
// its final response body with the extractor's link finder, the code the
// crawl ran on the same bytes: WARCs hold no outlinks (older ones do, in a
// metadata record, but those lines are ignored so that every row of a
// dataset comes from the same code). A revisit's body is the payload of
// the capture its provenance refers to, checked against the revisit's
// payload digest.
func (l *loader) outlinks(ctx context.Context, e catalog.Entry, prov *archive.Provenance) ([]string, error) {
	c, err := l.readCapture(ctx, e)
	if err != nil {
		return nil, err
	}
	final := c.Exchange.Final()
	body := final.Body
	if c.Revisit != nil {
		if body, err = l.revisitPayload(ctx, e, prov, c.Revisit); err != nil {
			return nil, err
		}
	}
	decoded, err := capture.DecodeBody(body, final.ResponseHeader.Get("Content-Encoding"), extract.MaxBodyBytes)
	if err != nil {
		return nil, fmt.Errorf("outlinks of %s: %w", e.CaptureID, err)
	}
	links, err := extract.Links(decoded, capture.ExtractOptions(final, prov.FetchEnd, prov.Discovery))
	if err != nil {
		return nil, fmt.Errorf("outlinks of %s: %w", e.CaptureID, err)
	}
	urls := make([]string, len(links))
	for i, lk := range links {
		urls[i] = lk.URL
	}
	return urls, nil
}

// readCapture reads and parses the WARC of catalog entry e, checked
// against its recorded digest.
func (l *loader) readCapture(ctx context.Context, e catalog.Entry) (*warc.Capture, error) {
	data, err := readVerifiedLimit(ctx, l.st, e.WARC, maxWARCBytes)
	if err != nil {
		return nil, err
	}
	c, err := warc.ReadCapture(bytes.NewReader(data), maxWARCBytes)
	if err != nil {
		return nil, fmt.Errorf("outlinks of %s: %s: %w", e.CaptureID, e.WARC.Key, err)
	}
	return c, nil
}

// revisitPayload returns the payload revisit e stands for: the final
// response body of the full capture its provenance refers to.
func (l *loader) revisitPayload(ctx context.Context, e catalog.Entry, prov *archive.Provenance, rv *warc.Revisit) ([]byte, error) {
	if prov.Revisit == nil {
		return nil, fmt.Errorf("outlinks of %s: its WARC holds a revisit record but its provenance names no capture it refers to (run `archivist verify`)", e.CaptureID)
	}
	te, err := l.cat.Get(ctx, prov.Revisit.CaptureID)
	if err != nil {
		return nil, fmt.Errorf("outlinks of revisit %s: read the capture it refers to, %s: %w", e.CaptureID, prov.Revisit.CaptureID, err)
	}
	tc, err := l.readCapture(ctx, te)
	if err != nil {
		return nil, err
	}
	if tc.Revisit != nil {
		return nil, fmt.Errorf("outlinks of %s: it refers to %s, which is itself a revisit (run `archivist verify`)", e.CaptureID, te.CaptureID)
	}
	body := tc.Exchange.Final().Body
	sum := sha256.Sum256(body)
	if got := hex.EncodeToString(sum[:]); got != rv.PayloadSHA256 {
		return nil, fmt.Errorf("outlinks of %s: the payload of %s has sha256 %s, the revisit record says %s (run `archivist verify`)", e.CaptureID, te.CaptureID, got, rv.PayloadSHA256)
	}
	return body, nil
}
