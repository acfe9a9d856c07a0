package export

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/archivist-project/archivist/archive/catalog"
)

// parquetRow is the Parquet schema: the CSV columns, typed. Times are
// TIMESTAMP(MICROS, UTC); publication and modification dates are null
// when unknown; lists are LIST<STRING>; evidence is a string of JSON
// (plain STRING: parquet-go v0.32 writes a pointer under its JSON
// logical type as null, and panics on a string there). The
// schema is fixed, so the optional columns are always present and null
// unless asked for.
type parquetRow struct {
	CaptureID         string     `parquet:"capture_id"`
	FetchedAt         time.Time  `parquet:"fetched_at,timestamp(microsecond)"`
	RequestedURL      string     `parquet:"requested_url"`
	URL               string     `parquet:"url"`
	CanonicalURL      string     `parquet:"canonical_url"`
	Host              string     `parquet:"host,dict"`
	HTTPStatus        int32      `parquet:"http_status"`
	ContentType       string     `parquet:"content_type,dict"`
	Source            string     `parquet:"source,dict"`
	SourceTags        []string   `parquet:"source_tags,list"`
	Title             string     `parquet:"title"`
	Authors           []string   `parquet:"authors,list"`
	Published         *time.Time `parquet:"published,timestamp(microsecond)"`
	Modified          *time.Time `parquet:"modified,timestamp(microsecond)"`
	SiteName          string     `parquet:"site_name,dict"`
	Language          string     `parquet:"language,dict"`
	Description       string     `parquet:"description"`
	Section           string     `parquet:"section,dict"`
	Tags              []string   `parquet:"tags,list"`
	Image             string     `parquet:"image"`
	WordCount         int32      `parquet:"word_count"`
	PageType          string     `parquet:"page_type,dict"`
	Paywalled         bool       `parquet:"paywalled"`
	Kind              string     `parquet:"kind,dict"`
	PreviousCaptureID string     `parquet:"previous_capture_id"`
	ClusterID         string     `parquet:"cluster_id"`
	Extractor         string     `parquet:"extractor,dict"`
	ExtractorVersion  string     `parquet:"extractor_version,dict"`
	PayloadSHA256     string     `parquet:"payload_sha256"`
	Text              string     `parquet:"text"`
	Evidence          *string    `parquet:"evidence,optional"`
	Versions          []string   `parquet:"versions,optional,list"`
	Outlinks          []string   `parquet:"outlinks,optional,list"`
}

// parquetRowGroup is the number of rows per row group. parquet-go keeps a
// row group's compressed pages in memory until the group is flushed, so
// this bounds the writer's memory: about 4096 × the average row size.
const parquetRowGroup = 4096

// parquetSink writes a Parquet file with zstd compression through
// github.com/parquet-go/parquet-go.
type parquetSink struct {
	load *loader
	w    *parquet.GenericWriter[parquetRow]
	buf  []parquetRow
}

func newParquet(load *loader, w io.Writer, software string) (s *parquetSink, err error) {
	// parquet-go panics on a schema it cannot build; the schema is fixed,
	// so this cannot happen at run time unless the library changes, and
	// then it must be an error, not a crash.
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("parquet writer: %v", r)
		}
	}()
	pw := parquet.NewGenericWriter[parquetRow](w,
		parquet.Compression(&zstd.Codec{Level: zstd.DefaultLevel}),
		parquet.MaxRowsPerRowGroup(parquetRowGroup),
		// The default names the library's build, which would make the
		// same export differ between builds.
		parquet.CreatedBy("archivist", software, ""),
	)
	return &parquetSink{load: load, w: pw, buf: make([]parquetRow, 0, 256)}, nil
}

func (s *parquetSink) add(ctx context.Context, e catalog.Entry, clusterID string) error {
	r, err := s.load.row(ctx, e, clusterID)
	if err != nil {
		return err
	}
	p := r.Provenance
	pr := parquetRow{
		CaptureID: r.CaptureID, FetchedAt: r.FetchedAt, RequestedURL: p.RequestedURL, URL: r.URL,
		CanonicalURL: r.CanonicalURL, Host: r.Host, HTTPStatus: int32(p.Status), ContentType: p.ContentType,
		Source: r.Source, SourceTags: nonNil(r.SourceTags), Title: r.Title, Authors: r.Authors,
		Published: utcPtr(r.Published), Modified: utcPtr(r.Modified), SiteName: r.SiteName, Language: r.Language,
		Description: r.Description, Section: r.Section, Tags: r.Tags, Image: r.Image,
		WordCount: int32(r.WordCount), PageType: r.PageType, Paywalled: r.Paywalled, Kind: r.Kind,
		PreviousCaptureID: r.PreviousCaptureID, ClusterID: r.ClusterID,
		Extractor: r.Extractor.Name, ExtractorVersion: r.Extractor.Version,
		PayloadSHA256: p.PayloadSHA256, Text: r.Text,
	}
	if s.load.with.Evidence && len(r.Evidence) > 0 {
		ev := string(r.Evidence)
		pr.Evidence = &ev
	}
	if s.load.with.Versions {
		pr.Versions = nonNil(r.Versions)
	}
	if s.load.with.Outlinks {
		pr.Outlinks = nonNil(r.Outlinks)
	}
	s.buf = append(s.buf, pr)
	if len(s.buf) == cap(s.buf) {
		return s.flush()
	}
	return nil
}

func (s *parquetSink) flush() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parquet writer: %v", r)
		}
	}()
	if _, err := s.w.Write(s.buf); err != nil {
		return fmt.Errorf("write parquet rows: %w", err)
	}
	clear(s.buf)
	s.buf = s.buf[:0]
	return nil
}

func (s *parquetSink) close() (err error) {
	if err := s.flush(); err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parquet writer: %v", r)
		}
	}()
	if err := s.w.Close(); err != nil {
		return fmt.Errorf("finish parquet file: %w", err)
	}
	return nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
