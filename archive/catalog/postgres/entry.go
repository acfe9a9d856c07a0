package postgres

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
)

// selectColumns reads an Entry from the captures table aliased as c, in the
// order scanEntry expects.
const selectColumns = `c.capture_id, c.url, c.final_url, c.canonical_url, c.url_key,
	c.canonical_key, c.host, c.fetched_at, c.status, c.content_type, c.page_type,
	c.title, c.authors, c.published, c.site_name, c.language, c.description,
	c.word_count, c.text, c.payload_sha256, c.seed, c.run_id,
	c.warc_key, c.warc_sha256, c.warc_size,
	c.article_key, c.article_sha256, c.article_size,
	c.provenance_key, c.provenance_sha256, c.provenance_size,
	c.source, c.tags, c.kind, c.previous_capture_id, c.extractor_version, c.paywalled`

// entryColumns are the columns upsertEntry writes, in entryArgs' order.
var entryColumns = []string{"capture_id", "url", "final_url", "canonical_url", "url_key",
	"canonical_key", "host", "fetched_at", "status", "content_type", "page_type",
	"title", "authors", "published", "site_name", "language", "description",
	"word_count", "text", "payload_sha256", "seed", "run_id",
	"warc_key", "warc_sha256", "warc_size",
	"article_key", "article_sha256", "article_size",
	"provenance_key", "provenance_sha256", "provenance_size",
	"source", "tags", "kind", "previous_capture_id", "extractor_version", "paywalled", "ts_config"}

// upsertEntry inserts an entry or replaces every field of the row with the
// same capture id; the generated fts column follows title, text and
// ts_config by itself.
var upsertEntry = func() string {
	var placeholders, updates []string
	for i, col := range entryColumns {
		ph := "$" + strconv.Itoa(i+1)
		if col == "ts_config" {
			ph += "::regconfig"
		}
		placeholders = append(placeholders, ph)
		if col != "capture_id" {
			updates = append(updates, col+" = excluded."+col)
		}
	}
	return `INSERT INTO captures (` + strings.Join(entryColumns, ", ") + `) VALUES (` + strings.Join(placeholders, ", ") +
		`) ON CONFLICT (capture_id) DO UPDATE SET ` + strings.Join(updates, ", ")
}()

// clean makes a string storable as every backend stores text.
func clean(s string) string { return catalog.CleanText(s) }

func cleanAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = clean(s)
	}
	return out
}

// entryArgs returns the upsertEntry arguments for e, after checking what the
// catalog relies on: a capture id to upsert by and a fetch time to order by.
func entryArgs(e catalog.Entry, tsConfig string) ([]any, error) {
	if e.CaptureID == "" {
		return nil, errors.New("entry has no capture id: set CaptureID")
	}
	if e.FetchedAt.IsZero() {
		return nil, fmt.Errorf("entry %s has no fetch time: set FetchedAt", e.CaptureID)
	}
	var published any // NULL when unknown
	if e.Published != nil {
		published = e.Published.UTC()
	}
	kind := e.Kind
	if kind == "" {
		kind = "response"
	}
	return []any{
		clean(e.CaptureID), clean(e.URL), clean(e.FinalURL), clean(e.CanonicalURL), clean(e.URLKey),
		clean(e.CanonicalKey), clean(e.Host), e.FetchedAt.UTC(), e.Status, clean(e.ContentType), clean(e.PageType),
		clean(e.Title), cleanAll(e.Authors), published, clean(e.SiteName), clean(e.Language), clean(e.Description),
		e.WordCount, clean(e.Text), clean(e.PayloadSHA256), clean(e.Seed), clean(e.RunID),
		clean(e.WARC.Key), clean(e.WARC.SHA256), e.WARC.Size,
		clean(e.Article.Key), clean(e.Article.SHA256), e.Article.Size,
		clean(e.Provenance.Key), clean(e.Provenance.SHA256), e.Provenance.Size,
		clean(e.Source), cleanAll(e.Tags), clean(kind), clean(e.PreviousCaptureID), clean(e.ExtractorVersion), e.Paywalled,
		tsConfig,
	}, nil
}

// scanEntry reads the selectColumns of one row, followed by extra
// destinations for columns a query selects after them.
func scanEntry(row interface{ Scan(...any) error }, extra ...any) (catalog.Entry, error) {
	var (
		e         catalog.Entry
		published *time.Time
		dest      = make([]any, 0, 37+len(extra))
	)
	dest = append(dest,
		&e.CaptureID, &e.URL, &e.FinalURL, &e.CanonicalURL, &e.URLKey,
		&e.CanonicalKey, &e.Host, &e.FetchedAt, &e.Status, &e.ContentType, &e.PageType,
		&e.Title, &e.Authors, &published, &e.SiteName, &e.Language, &e.Description,
		&e.WordCount, &e.Text, &e.PayloadSHA256, &e.Seed, &e.RunID,
		&e.WARC.Key, &e.WARC.SHA256, &e.WARC.Size,
		&e.Article.Key, &e.Article.SHA256, &e.Article.Size,
		&e.Provenance.Key, &e.Provenance.SHA256, &e.Provenance.Size,
		&e.Source, &e.Tags, &e.Kind, &e.PreviousCaptureID, &e.ExtractorVersion, &e.Paywalled,
	)
	dest = append(dest, extra...)
	if err := row.Scan(dest...); err != nil {
		return catalog.Entry{}, err
	}
	e.FetchedAt = e.FetchedAt.UTC()
	if published != nil {
		p := published.UTC()
		e.Published = &p
	}
	if len(e.Authors) == 0 {
		e.Authors = nil
	}
	if len(e.Tags) == 0 {
		e.Tags = nil
	}
	return e, nil
}
