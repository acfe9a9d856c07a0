package export

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
)

// sink receives the rows of an export in order and writes one format.
type sink interface {
	add(ctx context.Context, e catalog.Entry, clusterID string) error
	// close finishes the format (footers, indexes, packaging).
	close() error
}

// jsonlSink writes one JSON object a line.
type jsonlSink struct {
	load *loader
	bw   *bufio.Writer
	enc  *json.Encoder
}

func newJSONL(load *loader, w io.Writer) *jsonlSink {
	bw := bufio.NewWriterSize(w, 256<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &jsonlSink{load: load, bw: bw, enc: enc}
}

func (s *jsonlSink) add(ctx context.Context, e catalog.Entry, clusterID string) error {
	r, err := s.load.row(ctx, e, clusterID)
	if err != nil {
		return err
	}
	if err := s.enc.Encode(r); err != nil {
		return fmt.Errorf("write row %s: %w", e.CaptureID, err)
	}
	return nil
}

func (s *jsonlSink) close() error { return s.bw.Flush() }

// flatColumns are the columns of CSV (and, typed, of Parquet): the
// Article's fields, the capture's, and the optional fields asked for.
func flatColumns(with Fields) []string {
	cols := []string{
		"capture_id", "fetched_at", "requested_url", "url", "canonical_url", "host",
		"http_status", "content_type", "source", "source_tags",
		"title", "authors", "published", "modified", "site_name", "language",
		"description", "section", "tags", "image", "word_count", "page_type",
		"paywalled", "kind", "previous_capture_id", "cluster_id",
		"extractor", "extractor_version", "payload_sha256", "text",
	}
	return append(cols, with.names()...)
}

// csvSink writes RFC 4180 CSV with a header row. Fields are quoted when
// they hold a comma, quote or line break; text is written exactly, line
// breaks included, so records end in "\n" rather than RFC 4180's "\r\n":
// encoding/csv's CRLF mode would also turn every newline inside the text
// into "\r\n", and researchers must get the text as extracted. Lists are
// JSON arrays, times RFC 3339 UTC, unknown values empty. Cells are not
// altered to defuse spreadsheet formulas (a leading = + - @ stays), since
// that would change the data pandas and R read; open the file in a
// spreadsheet with care.
type csvSink struct {
	load *loader
	with Fields
	bw   *bufio.Writer
	w    *csv.Writer
	rec  []string
}

func newCSV(load *loader, w io.Writer, with Fields) (*csvSink, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	s := &csvSink{load: load, with: with, bw: bw, w: csv.NewWriter(bw)}
	if err := s.w.Write(flatColumns(with)); err != nil {
		return nil, fmt.Errorf("write csv header: %w", err)
	}
	return s, nil
}

func (s *csvSink) add(ctx context.Context, e catalog.Entry, clusterID string) error {
	r, err := s.load.row(ctx, e, clusterID)
	if err != nil {
		return err
	}
	p := r.Provenance
	s.rec = append(s.rec[:0],
		r.CaptureID, csvTime(&r.FetchedAt), p.RequestedURL, r.URL, r.CanonicalURL, r.Host,
		strconv.Itoa(p.Status), p.ContentType, r.Source, jsonList(r.SourceTags),
		r.Title, jsonList(r.Authors), csvTime(r.Published), csvTime(r.Modified), r.SiteName, r.Language,
		r.Description, r.Section, jsonList(r.Tags), r.Image, strconv.Itoa(r.WordCount), r.PageType,
		strconv.FormatBool(r.Paywalled), r.Kind, r.PreviousCaptureID, r.ClusterID,
		r.Extractor.Name, r.Extractor.Version, p.PayloadSHA256, r.Text,
	)
	if s.with.Evidence {
		s.rec = append(s.rec, string(r.Evidence))
	}
	if s.with.Versions {
		s.rec = append(s.rec, jsonList(r.Versions))
	}
	if s.with.Outlinks {
		s.rec = append(s.rec, jsonList(r.Outlinks))
	}
	if err := s.w.Write(s.rec); err != nil {
		return fmt.Errorf("write row %s: %w", e.CaptureID, err)
	}
	return nil
}

func (s *csvSink) close() error {
	s.w.Flush()
	if err := s.w.Error(); err != nil {
		return err
	}
	return s.bw.Flush()
}

func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// jsonList renders a list as a JSON array ("[]" when empty), which pandas
// and R read back with any JSON parser.
func jsonList(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(l) // a []string always encodes
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}
