package capture

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/extract"
)

// Re-extraction runs the current extractor over archived raw captures,
// without fetching anything. Objects are immutable, so the new Article is
// a new object beside the capture's article.json.gz, named after the
// extractor version that made it:
//
//	captures/YYYY/MM/DD/<capture-id>/article.json.gz        the Article made at capture time (named in the provenance record)
//	captures/YYYY/MM/DD/<capture-id>/article.0.2.0.json.gz  the Article extractor 0.2.0 made from the same WARC
//
// (Captures made by earlier versions have the plain article.json,
// article.<version>.json and provenance.json; they are read alike.)
//
// The catalog row then points at the newest Article (Entry.Article and
// ExtractorVersion); every earlier one stays in the store, listed by
// ArticleVersions. A revisit holds no payload and no Article of its own:
// its re-extracted Article is the one of the full capture it refers to,
// stored under that capture.

// ArticleVersionName returns the object name of the Article that
// extractor version v makes in a re-extraction.
func ArticleVersionName(v string) string {
	return "article." + v + ".json.gz"
}

// ParseArticleName reports whether an object name is an Article of a
// capture, and the extractor version in its name ("" for article.json,
// whose version is inside it).
func ParseArticleName(name string) (version string, ok bool) {
	if name == archive.ArticleName || name == archive.LegacyArticleName {
		return "", true
	}
	v, found := strings.CutPrefix(name, "article.")
	if !found {
		return "", false
	}
	v = strings.TrimSuffix(v, ".gz")
	v, found = strings.CutSuffix(v, ".json")
	if !found || v == "" {
		return "", false
	}
	return v, true
}

// ArticleVersion is one stored Article of a capture.
type ArticleVersion struct {
	// Version is the extractor version that made it.
	Version string `json:"extractor_version"`
	// Ref is its key, size and SHA-256. For the original article.json the
	// SHA-256 is the one the provenance record names; for a re-extraction
	// it is the object's own (the catalog row keeps it once indexed).
	Ref archive.ObjectRef `json:"object"`
	// Original is set for the Article made at capture time.
	Original bool `json:"original,omitempty"`
}

// articleHome returns the id of the capture whose prefix holds the
// Articles of capture s: its own, or for a revisit the full capture it
// refers to.
func articleHome(s *Stored) (string, error) {
	ref, ok := s.Provenance.Objects["article"]
	if !ok {
		return "", fmt.Errorf("capture %s: its provenance lists no article object (run `archivist verify`)", s.Provenance.CaptureID)
	}
	id, _, ok := archive.ParseCaptureKey(ref.Key)
	if !ok {
		return "", fmt.Errorf("capture %s: article key %q is outside the capture layout (run `archivist verify`)", s.Provenance.CaptureID, ref.Key)
	}
	return id, nil
}

// ArticleVersions lists the Articles stored for capture s, the original
// first, then re-extractions by ascending extractor version.
func ArticleVersions(ctx context.Context, st store.Store, s *Stored) ([]ArticleVersion, error) {
	home, err := articleHome(s)
	if err != nil {
		return nil, err
	}
	prefix, err := archive.CapturePrefix(home)
	if err != nil {
		return nil, err
	}
	original := s.Provenance.Objects["article"]
	out := []ArticleVersion{{Version: s.Article.Extractor.Version, Ref: original, Original: true}}
	var re []ArticleVersion
	err = st.List(ctx, prefix, func(oi store.ObjectInfo) error {
		_, name, ok := archive.ParseCaptureKey(oi.Key)
		if !ok {
			return nil
		}
		if v, ok := ParseArticleName(name); ok && v != "" {
			re = append(re, ArticleVersion{Version: v, Ref: archive.ObjectRef{Key: oi.Key, Size: oi.Size}})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the articles of capture %s: %w", s.Provenance.CaptureID, err)
	}
	slices.SortFunc(re, func(a, b ArticleVersion) int { return compareVersions(a.Version, b.Version) })
	return append(out, re...), nil
}

// LatestArticle returns the Article of capture s made by the newest
// extractor version in the store, with its reference: s.Article itself
// when the capture was never re-extracted (or only by older versions).
func LatestArticle(ctx context.Context, st store.Store, s *Stored) (*extract.Article, archive.ObjectRef, error) {
	versions, err := ArticleVersions(ctx, st, s)
	if err != nil {
		return nil, archive.ObjectRef{}, err
	}
	best := versions[0]
	for _, v := range versions[1:] {
		if compareVersions(v.Version, best.Version) >= 0 {
			best = v
		}
	}
	if best.Original {
		return s.Article, best.Ref, nil
	}
	art := new(extract.Article)
	ref, err := readJSON(ctx, st, best.Ref.Key, art)
	if err != nil {
		return nil, ref, err
	}
	return art, ref, nil
}

// IndexEntry builds the catalog row of a stored capture the way reindex
// should: as NewEntry, but with the newest Article in the store, so a
// rebuilt catalog shows what `archivist reextract` last produced.
func IndexEntry(ctx context.Context, st store.Store, s *Stored) (catalog.Entry, error) {
	art, ref, err := LatestArticle(ctx, st, s)
	if err != nil {
		return catalog.Entry{}, err
	}
	return entryWithArticle(s, art, ref), nil
}

// entryWithArticle is NewEntry pointing at a given Article object.
func entryWithArticle(s *Stored, art *extract.Article, ref archive.ObjectRef) catalog.Entry {
	e := NewEntry(s.Provenance, art, s.ProvenanceRef)
	e.Article = ref
	e.ExtractorVersion = art.Extractor.Version
	e.Paywalled = art.Paywalled
	return e
}

// ExtractOptions are the extractor options for the final response of a
// fetch: its URL and Content-Type, the fetch time that bounds dates, and
// as hints its Last-Modified and Content-Language headers and the dates
// and title its discovery (a feed or sitemap) gave. Capturing and
// re-extracting both use it, so a re-extraction knows what the fetch
// knew.
func ExtractOptions(final *archive.Hop, fetchedAt time.Time, d *archive.Discovery) extract.Options {
	o := extract.Options{
		URL:         final.URL,
		ContentType: final.ResponseHeader.Get("Content-Type"),
		FetchedAt:   fetchedAt,
		Hints: extract.Hints{
			LastModified:    final.ResponseHeader.Get("Last-Modified"),
			ContentLanguage: final.ResponseHeader.Get("Content-Language"),
		},
	}
	if d != nil {
		o.Hints.FeedDate = d.FeedDate
		o.Hints.FeedTitle = d.Title
		o.Hints.NewsPublicationDate = d.NewsPublicationDate
		o.Hints.SitemapLastmod = d.SitemapLastmod
	}
	return o
}

// ReextractStats counts what a re-extraction did.
type ReextractStats struct {
	Captures  int // catalog rows selected
	Extracted int // new Article objects written
	Reused    int // rows pointed at an Article this extractor version had already written
	Current   int // rows already at this extractor version, left alone
	// Failed lists "capture-id: reason" for captures that could not be
	// re-extracted; their rows are unchanged.
	Failed []string
}

// Reextract runs the current extractor over the raw captures the filter
// selects, oldest first: it reads each capture's WARC from the store
// (checked against the digest its provenance records), decodes the body,
// extracts it with ExtractOptions and rules (the page-type thresholds the
// archive's configuration sets; nil: extract.DefaultPageTypeRules, so that
// a re-extraction classifies pages as its captures do), stores the
// Article as ArticleVersionName(extract.Version) beside the capture's
// other objects, and points the catalog row at it. Rows already at the
// current extractor version are left alone. Nothing is fetched and no
// object is replaced. A capture that fails is listed in the stats and the
// rest go on; only a catalog or context error stops the run.
func Reextract(ctx context.Context, st store.Store, cat catalog.Catalog, f catalog.Filter, maxBody int64, rules *extract.PageTypeRules, logger *slog.Logger) (ReextractStats, error) {
	var stats ReextractStats
	// Ids first, rows later: updating rows while a listing is open would
	// hold a read transaction over the whole run.
	var ids []string
	if err := cat.List(ctx, f, func(e catalog.Entry) error {
		ids = append(ids, e.CaptureID)
		return nil
	}); err != nil {
		return stats, fmt.Errorf("reextract: list catalog: %w", err)
	}
	var enc archive.RecordEncoder // one for the run: it reuses gzip writers
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return stats, err
		}
		stats.Captures++
		outcome, err := reextractOne(ctx, st, cat, &enc, id, maxBody, rules)
		switch {
		case errors.Is(err, errCatalog):
			return stats, err
		case err != nil:
			stats.Failed = append(stats.Failed, id+": "+err.Error())
			logger.Warn("reextract failed", "capture_id", id, "err", err)
		case outcome == outcomeCurrent:
			stats.Current++
		case outcome == outcomeReused:
			stats.Reused++
		default:
			stats.Extracted++
		}
	}
	return stats, nil
}

type reextractOutcome int

const (
	outcomeExtracted reextractOutcome = iota
	outcomeReused
	outcomeCurrent
)

// errCatalog marks catalog failures, which stop a re-extraction.
var errCatalog = errors.New("catalog")

func reextractOne(ctx context.Context, st store.Store, cat catalog.Catalog, enc *archive.RecordEncoder, id string, maxBody int64, rules *extract.PageTypeRules) (reextractOutcome, error) {
	e, err := cat.Get(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("%w: read row %s: %w", errCatalog, id, err)
	}
	if e.ExtractorVersion == extract.Version {
		return outcomeCurrent, nil
	}
	s, err := Load(ctx, st, id)
	if err != nil {
		return 0, err
	}
	home, err := articleHome(s)
	if err != nil {
		return 0, err
	}
	art, ref, outcome, err := articleFor(ctx, st, enc, home, maxBody, rules)
	if err != nil {
		return 0, err
	}
	if err := cat.Put(ctx, entryWithArticle(s, art, ref)); err != nil {
		return 0, fmt.Errorf("%w: update row %s: %w (the new article %s is stored; run `archivist reextract` again)", errCatalog, id, err, ref.Key)
	}
	return outcome, nil
}

// articleFor returns the current extractor's Article of capture home,
// reading it when an earlier run (or a revisit of it) already stored it,
// extracting and storing it otherwise.
func articleFor(ctx context.Context, st store.Store, enc *archive.RecordEncoder, home string, maxBody int64, rules *extract.PageTypeRules) (*extract.Article, archive.ObjectRef, reextractOutcome, error) {
	key, err := archive.CaptureKey(home, ArticleVersionName(extract.Version))
	if err != nil {
		return nil, archive.ObjectRef{}, 0, err
	}
	if art, ref, err := readArticle(ctx, st, key); err == nil {
		return art, ref, outcomeReused, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, ref, 0, err
	}
	hs, err := Load(ctx, st, home)
	if err != nil {
		return nil, archive.ObjectRef{}, 0, err
	}
	c, err := LoadExchange(ctx, st, home, maxBody)
	if err != nil {
		return nil, archive.ObjectRef{}, 0, err
	}
	final := c.Exchange.Final()
	if final == nil {
		return nil, archive.ObjectRef{}, 0, fmt.Errorf("capture %s: its WARC holds no response", home)
	}
	body, err := DecodeBody(final.Body, final.ResponseHeader.Get("Content-Encoding"), maxBody)
	if err != nil {
		return nil, archive.ObjectRef{}, 0, fmt.Errorf("capture %s: %w", home, err)
	}
	opts := ExtractOptions(final, hs.Provenance.FetchEnd, hs.Provenance.Discovery)
	opts.PageTypes = rules
	res, err := extract.Extract(body, opts)
	if err != nil {
		return nil, archive.ObjectRef{}, 0, fmt.Errorf("capture %s: %w", home, err)
	}
	data, err := enc.Encode(key, &res.Article)
	if err != nil {
		return nil, archive.ObjectRef{}, 0, fmt.Errorf("encode article of capture %s: %w", home, err)
	}
	ref := archive.ObjectRef{Key: key, Size: int64(len(data)), SHA256: payloadSHA256(data)}
	if err := st.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
		if errors.Is(err, store.ErrExists) {
			// A concurrent run stored it first: use that one.
			art, ref, err := readArticle(ctx, st, key)
			return art, ref, outcomeReused, err
		}
		return nil, ref, 0, fmt.Errorf("store %s in %s: %w", key, st.Location(), err)
	}
	return &res.Article, ref, outcomeExtracted, nil
}

func readArticle(ctx context.Context, st store.Store, key string) (*extract.Article, archive.ObjectRef, error) {
	art := new(extract.Article)
	ref, err := readJSON(ctx, st, key, art)
	if err != nil {
		return nil, ref, err
	}
	return art, ref, nil
}

// compareVersions orders dotted version strings numerically part by part
// ("0.10.0" after "0.9.1", "1.0" equal to "1.0.0"); parts that are not
// numbers compare as text.
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		x, y := "0", "0" // "1.0" equals "1.0.0"
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		nx, errx := strconv.Atoi(x)
		ny, erry := strconv.Atoi(y)
		switch {
		case errx == nil && erry == nil && nx != ny:
			return cmp.Compare(nx, ny)
		case (errx != nil || erry != nil) && x != y:
			return strings.Compare(x, y)
		}
	}
	return 0
}

// LoadCurrent is Load with the capture's newest Article: what a reader
// should see after `archivist reextract`. The original Article stays
// readable through ArticleVersions.
func LoadCurrent(ctx context.Context, st store.Store, id string) (*Stored, error) {
	s, err := Load(ctx, st, id)
	if err != nil {
		return nil, err
	}
	art, _, err := LatestArticle(ctx, st, s)
	if err != nil {
		return nil, err
	}
	s.Article = art
	return s, nil
}
