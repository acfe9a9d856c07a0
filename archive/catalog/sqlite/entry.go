package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
)

// timeLayout stores times as fixed-width UTC text: every value has the same
// length, so comparing strings compares instants, and indexes on these
// columns sort by time.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

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

// insertEntry adds a new row. The full-text index is written by the
// caller (see writeStmts), not by a trigger.
const insertEntry = `INSERT INTO captures (` + entryColumns + `)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// upsertEntry inserts an entry or replaces every field of the row with the
// same capture id; the write path uses it for rows that exist, whose
// full-text entry the update trigger replaces. It updates in place instead
// of INSERT OR REPLACE: a REPLACE deletes without firing the delete
// trigger, which would leave the old text in the full-text index.
const upsertEntry = insertEntry + `
ON CONFLICT (capture_id) DO UPDATE SET
	url = excluded.url, final_url = excluded.final_url,
	canonical_url = excluded.canonical_url, url_key = excluded.url_key,
	canonical_key = excluded.canonical_key, host = excluded.host,
	fetched_at = excluded.fetched_at, status = excluded.status,
	content_type = excluded.content_type, page_type = excluded.page_type,
	title = excluded.title, authors = excluded.authors,
	published = excluded.published, site_name = excluded.site_name,
	language = excluded.language, description = excluded.description,
	word_count = excluded.word_count, text = excluded.text,
	payload_sha256 = excluded.payload_sha256, seed = excluded.seed,
	run_id = excluded.run_id,
	warc_key = excluded.warc_key, warc_sha256 = excluded.warc_sha256,
	warc_size = excluded.warc_size,
	article_key = excluded.article_key, article_sha256 = excluded.article_sha256,
	article_size = excluded.article_size,
	provenance_key = excluded.provenance_key,
	provenance_sha256 = excluded.provenance_sha256,
	provenance_size = excluded.provenance_size,
	source = excluded.source, tags = excluded.tags, kind = excluded.kind,
	previous_capture_id = excluded.previous_capture_id,
	extractor_version = excluded.extractor_version, paywalled = excluded.paywalled`

// entryColumns are the columns entryArgs fills, in its order.
const entryColumns = `capture_id, url, final_url, canonical_url, url_key,
	canonical_key, host, fetched_at, status, content_type, page_type,
	title, authors, published, site_name, language, description,
	word_count, text, payload_sha256, seed, run_id,
	warc_key, warc_sha256, warc_size,
	article_key, article_sha256, article_size,
	provenance_key, provenance_sha256, provenance_size,
	source, tags, kind, previous_capture_id, extractor_version, paywalled`

// formatTime encodes t for a time column.
func formatTime(t time.Time) (string, error) {
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return "", fmt.Errorf("time %s is outside years 0000-9999", t)
	}
	return t.Format(timeLayout), nil
}

// parseTime decodes a time column.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse stored time %q: %w", s, err)
	}
	return t, nil
}

// entryArgs returns the upsertEntry arguments for e, after checking what the
// catalog relies on: a capture id to upsert by and a fetch time to order by.
func entryArgs(e catalog.Entry) ([]any, error) {
	if e.CaptureID == "" {
		return nil, errors.New("entry has no capture id: set CaptureID")
	}
	if e.FetchedAt.IsZero() {
		return nil, fmt.Errorf("entry %s has no fetch time: set FetchedAt", e.CaptureID)
	}
	fetched, err := formatTime(e.FetchedAt)
	if err != nil {
		return nil, fmt.Errorf("entry %s FetchedAt: %w", e.CaptureID, err)
	}
	var published any // NULL when unknown
	if e.Published != nil {
		p, err := formatTime(*e.Published)
		if err != nil {
			return nil, fmt.Errorf("entry %s Published: %w", e.CaptureID, err)
		}
		published = p
	}
	authors := []string{}
	if len(e.Authors) > 0 {
		authors = e.Authors
	}
	authorsJSON, err := json.Marshal(authors)
	if err != nil {
		return nil, fmt.Errorf("encode authors of entry %s: %w", e.CaptureID, err)
	}
	tags := []string{}
	if len(e.Tags) > 0 {
		tags = e.Tags
	}
	tagsJSON, err := json.Marshal(tags)
	if err != nil {
		return nil, fmt.Errorf("encode tags of entry %s: %w", e.CaptureID, err)
	}
	kind := e.Kind
	if kind == "" {
		kind = "response"
	}
	return []any{
		e.CaptureID, e.URL, e.FinalURL, e.CanonicalURL, e.URLKey,
		e.CanonicalKey, e.Host, fetched, e.Status, e.ContentType, e.PageType,
		e.Title, string(authorsJSON), published, e.SiteName, e.Language, e.Description,
		e.WordCount, e.Text, e.PayloadSHA256, e.Seed, e.RunID,
		e.WARC.Key, e.WARC.SHA256, e.WARC.Size,
		e.Article.Key, e.Article.SHA256, e.Article.Size,
		e.Provenance.Key, e.Provenance.SHA256, e.Provenance.Size,
		e.Source, string(tagsJSON), kind, e.PreviousCaptureID, e.ExtractorVersion, e.Paywalled,
	}, nil
}

// scanEntry reads the selectColumns of one row, followed by extra
// destinations for columns a query selects after them.
func scanEntry(row interface{ Scan(...any) error }, extra ...any) (catalog.Entry, error) {
	var (
		e                      catalog.Entry
		fetched, authors, tags string
		published              sql.NullString
		dest                   = make([]any, 0, 37+len(extra))
	)
	dest = append(dest,
		&e.CaptureID, &e.URL, &e.FinalURL, &e.CanonicalURL, &e.URLKey,
		&e.CanonicalKey, &e.Host, &fetched, &e.Status, &e.ContentType, &e.PageType,
		&e.Title, &authors, &published, &e.SiteName, &e.Language, &e.Description,
		&e.WordCount, &e.Text, &e.PayloadSHA256, &e.Seed, &e.RunID,
		&e.WARC.Key, &e.WARC.SHA256, &e.WARC.Size,
		&e.Article.Key, &e.Article.SHA256, &e.Article.Size,
		&e.Provenance.Key, &e.Provenance.SHA256, &e.Provenance.Size,
		&e.Source, &tags, &e.Kind, &e.PreviousCaptureID, &e.ExtractorVersion, &e.Paywalled,
	)
	dest = append(dest, extra...)
	if err := row.Scan(dest...); err != nil {
		return catalog.Entry{}, err
	}
	var err error
	if e.FetchedAt, err = parseTime(fetched); err != nil {
		return catalog.Entry{}, fmt.Errorf("read entry %s: %w", e.CaptureID, err)
	}
	if published.Valid {
		p, err := parseTime(published.String)
		if err != nil {
			return catalog.Entry{}, fmt.Errorf("read entry %s: %w", e.CaptureID, err)
		}
		e.Published = &p
	}
	if err := json.Unmarshal([]byte(authors), &e.Authors); err != nil {
		return catalog.Entry{}, fmt.Errorf("read authors of entry %s: %w", e.CaptureID, err)
	}
	if len(e.Authors) == 0 {
		e.Authors = nil
	}
	if err := json.Unmarshal([]byte(tags), &e.Tags); err != nil {
		return catalog.Entry{}, fmt.Errorf("read tags of entry %s: %w", e.CaptureID, err)
	}
	if len(e.Tags) == 0 {
		e.Tags = nil
	}
	return e, nil
}
