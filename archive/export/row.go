package export

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/extract"
)

// Row is one capture in a tabular dataset: the Article's fields as
// extracted, what the catalog knows about the capture, the optional
// fields, and (in JSON Lines) the full provenance record.
type Row struct {
	CaptureID string    `json:"capture_id"`
	FetchedAt time.Time `json:"fetched_at"`

	URL          string            `json:"url"`
	CanonicalURL string            `json:"canonical_url,omitempty"`
	Title        string            `json:"title"`
	Authors      []string          `json:"authors"`
	Published    *time.Time        `json:"published,omitempty"`
	Modified     *time.Time        `json:"modified,omitempty"`
	SiteName     string            `json:"site_name,omitempty"`
	Language     string            `json:"language,omitempty"`
	Description  string            `json:"description,omitempty"`
	Section      string            `json:"section,omitempty"`
	Tags         []string          `json:"tags"`
	Image        string            `json:"image,omitempty"`
	Text         string            `json:"text"`
	WordCount    int               `json:"word_count"`
	PageType     string            `json:"page_type"`
	Extractor    extract.Component `json:"extractor"`

	Host              string   `json:"host"`
	Source            string   `json:"source,omitempty"`
	SourceTags        []string `json:"source_tags,omitempty"`
	Kind              string   `json:"kind"`
	Paywalled         bool     `json:"paywalled"`
	PreviousCaptureID string   `json:"previous_capture_id,omitempty"`
	// ClusterID is the capture id of the first capture (in row order) of
	// this row's near-duplicate cluster; a row without near-duplicates is
	// its own cluster.
	ClusterID string `json:"cluster_id"`

	Evidence json.RawMessage `json:"evidence,omitempty"`
	Versions []string        `json:"versions,omitempty"`
	Outlinks []string        `json:"outlinks,omitempty"`

	Provenance *archive.Provenance `json:"provenance"`
}

// maxRecordBytes bounds the JSON records read from the store, so a
// damaged object cannot exhaust memory.
const maxRecordBytes = 64 << 20

// maxChain bounds a version chain walk, in case the catalog holds a loop.
const maxChain = 100000

// loader builds Rows from catalog entries and store objects.
type loader struct {
	st     Store
	cat    Catalog
	with   Fields
	hidden func(catalog.Entry) bool
}

func (l *loader) row(ctx context.Context, e catalog.Entry, clusterID string) (*Row, error) {
	provData, err := readRecord(ctx, l.st, e.Provenance)
	if err != nil {
		return nil, err
	}
	prov := new(archive.Provenance)
	if err := json.Unmarshal(provData, prov); err != nil {
		return nil, fmt.Errorf("decode %s: %w", e.Provenance.Key, err)
	}
	if prov.CaptureID != e.CaptureID {
		return nil, fmt.Errorf("%s names capture %q, not %q (run `archivist verify`)", e.Provenance.Key, prov.CaptureID, e.CaptureID)
	}
	artRef, ok := prov.Objects["article"]
	if !ok {
		return nil, fmt.Errorf("%s lists no article object", e.Provenance.Key)
	}
	artData, err := readRecord(ctx, l.st, artRef)
	if err != nil {
		return nil, err
	}
	var art extract.Article
	if err := json.Unmarshal(artData, &art); err != nil {
		return nil, fmt.Errorf("decode %s: %w", artRef.Key, err)
	}
	r := &Row{
		CaptureID: e.CaptureID, FetchedAt: e.FetchedAt.UTC(),
		URL: art.URL, CanonicalURL: art.CanonicalURL, Title: art.Title, Authors: nonNil(art.Authors),
		Published: art.Published, Modified: art.Modified, SiteName: art.SiteName, Language: art.Language,
		Description: art.Description, Section: art.Section, Tags: nonNil(art.Tags), Image: art.Image,
		Text: art.Text, WordCount: art.WordCount, PageType: art.PageType, Extractor: art.Extractor,
		Host: e.Host, Source: e.Source, SourceTags: e.Tags, Kind: e.Kind, Paywalled: e.Paywalled,
		PreviousCaptureID: e.PreviousCaptureID, ClusterID: clusterID, Provenance: prov,
	}
	if l.with.Evidence {
		// Read from the raw JSON rather than a struct field, so evidence
		// recorded by any extractor version is passed on as it is.
		var ev struct {
			Evidence json.RawMessage `json:"evidence"`
		}
		if err := json.Unmarshal(artData, &ev); err != nil {
			return nil, fmt.Errorf("decode %s: %w", artRef.Key, err)
		}
		if len(ev.Evidence) > 0 && !bytes.Equal(ev.Evidence, []byte("null")) {
			var compact bytes.Buffer
			if err := json.Compact(&compact, ev.Evidence); err != nil {
				return nil, fmt.Errorf("decode evidence in %s: %w", artRef.Key, err)
			}
			r.Evidence = compact.Bytes()
		}
	}
	if l.with.Versions {
		if r.Versions, err = l.chain(ctx, e); err != nil {
			return nil, err
		}
	}
	if l.with.Outlinks {
		if r.Outlinks, err = l.outlinks(ctx, e, prov); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// chain returns the capture ids of e's version chain, oldest first, e
// last. A link to a capture missing from the catalog ends the walk there
// (the id is kept: it is what the record says); embargoed captures are
// left out.
func (l *loader) chain(ctx context.Context, e catalog.Entry) ([]string, error) {
	ids := []string{e.CaptureID}
	seen := map[string]bool{e.CaptureID: true}
	for prev := e.PreviousCaptureID; prev != "" && !seen[prev] && len(seen) < maxChain; {
		seen[prev] = true
		pe, err := l.cat.Get(ctx, prev)
		if errors.Is(err, catalog.ErrNotFound) {
			ids = append(ids, prev)
			break
		}
		if err != nil {
			return nil, fmt.Errorf("version chain of %s: %w", e.CaptureID, err)
		}
		if l.hidden == nil || !l.hidden(pe) {
			ids = append(ids, prev)
		}
		prev = pe.PreviousCaptureID
	}
	slices.Reverse(ids)
	return ids, nil
}

func readVerified(ctx context.Context, st Store, ref archive.ObjectRef) ([]byte, error) {
	return readVerifiedLimit(ctx, st, ref, maxRecordBytes)
}

// readRecord reads a JSON record object (an Article or a provenance
// record) as readVerified does and returns the JSON it holds: records are
// gzipped, or plain in captures made before that, as their names say.
func readRecord(ctx context.Context, st Store, ref archive.ObjectRef) ([]byte, error) {
	data, err := readVerified(ctx, st, ref)
	if err != nil {
		return nil, err
	}
	return archive.DecodeRecord(ref.Key, data, maxRecordBytes)
}

// readVerifiedLimit reads a whole object and checks it against the
// digest recorded for it: an export must never pass on damaged data
// silently.
func readVerifiedLimit(ctx context.Context, st Store, ref archive.ObjectRef, limit int64) ([]byte, error) {
	rc, err := st.Get(ctx, ref.Key)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref.Key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref.Key, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("read %s: larger than %d bytes", ref.Key, limit)
	}
	if ref.SHA256 != "" {
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != ref.SHA256 {
			return nil, fmt.Errorf("read %s: sha256 %s, recorded %s: the object is damaged (run `archivist verify`)", ref.Key, got, ref.SHA256)
		}
	}
	return data, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
