package export

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"time"

	"crypto/sha256"
	"hash/fnv"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/catalog"
)

// archiveSink writes the selected captures' WARC records, each capture's
// gzip members copied byte for byte, into one .warc.gz, and indexes every
// response and revisit record for a CDXJ index. For WACZ it also lists the
// pages, then packages everything (see wacz.go).
type archiveSink struct {
	st       Store
	cat      Catalog
	hidden   func(catalog.Entry) bool
	warc     *hashingWriter
	filename string // the WARC's name in the CDXJ lines
	index    *lineSorter
	err      error

	// written holds a 64-bit hash of every capture copied so far (8 bytes
	// and map overhead a capture), so that a revisit's payload record is
	// added when the capture it refers to is not in the export, and only
	// once.
	written map[uint64]struct{}
	// added counts captures copied only because a revisit refers to them.
	added int

	// WARC format: where the CDXJ index goes.
	indexOut io.Writer

	// WACZ format.
	wacz     *waczParts
	zipOut   io.Writer
	pages    *hashingWriter
	pagesBuf *bufio.Writer
}

// hashingWriter counts, checksums and hashes what passes through it, on
// its way to a buffered file.
type hashingWriter struct {
	bw    *bufio.Writer
	f     *os.File
	n     int64
	sha   hash.Hash
	crc   hash.Hash32
	multi io.Writer
}

func newHashingWriter(f *os.File) *hashingWriter {
	h := &hashingWriter{bw: bufio.NewWriterSize(f, 256<<10), f: f, sha: sha256.New(), crc: crc32.NewIEEE()}
	h.multi = io.MultiWriter(h.bw, h.sha, h.crc)
	return h
}

func (h *hashingWriter) Write(p []byte) (int, error) {
	n, err := h.multi.Write(p)
	h.n += int64(n)
	return n, err
}

func (h *hashingWriter) flush() error { return h.bw.Flush() }

// newWARCSink writes the WARC to warcFile and its CDXJ index to indexOut.
func newWARCSink(src source, warcFile *os.File, filename string, indexOut io.Writer, scratch func() (*os.File, error)) *archiveSink {
	return &archiveSink{
		st: src.st, cat: src.cat, hidden: src.hidden, written: map[uint64]struct{}{},
		warc: newHashingWriter(warcFile), filename: filename, index: newLineSorter(scratch), indexOut: indexOut,
	}
}

// source is where an archive sink reads captures from.
type source struct {
	st     Store
	cat    Catalog
	hidden func(catalog.Entry) bool
}

// newWACZSink builds the parts of a WACZ in scratch files and packages
// them into zipOut on close.
func newWACZSink(src source, zipOut io.Writer, scratch func() (*os.File, error), meta waczMeta) (*archiveSink, error) {
	warcFile, err := scratch()
	if err != nil {
		return nil, err
	}
	pagesFile, err := scratch()
	if err != nil {
		return nil, err
	}
	s := &archiveSink{
		st: src.st, cat: src.cat, hidden: src.hidden, written: map[uint64]struct{}{},
		warc: newHashingWriter(warcFile), filename: "data.warc.gz", index: newLineSorter(scratch),
		zipOut: zipOut, pages: newHashingWriter(pagesFile),
		wacz: &waczParts{meta: meta, scratch: scratch},
	}
	s.pagesBuf = bufio.NewWriter(s.pages)
	header := `{"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}` + "\n"
	if _, err := s.pagesBuf.WriteString(header); err != nil {
		return nil, fmt.Errorf("write pages.jsonl: %w", err)
	}
	return s, nil
}

// waczPage is one line of pages/pages.jsonl.
type waczPage struct {
	ID    string `json:"id"`
	URL   string `json:"url"`
	TS    string `json:"ts"`
	Title string `json:"title,omitempty"`
	Text  string `json:"text,omitempty"`
}

func (s *archiveSink) add(ctx context.Context, e catalog.Entry, _ string) error {
	if e.Kind == "revisit" {
		if err := s.addRevisitTarget(ctx, e); err != nil {
			return err
		}
	}
	last, err := s.copyCapture(ctx, e)
	if err != nil {
		return err
	}
	if s.wacz != nil && last != nil {
		line, err := json.Marshal(waczPage{
			ID: e.CaptureID, URL: last.URL, TS: last.Date.UTC().Format(time.RFC3339),
			Title: e.Title, Text: e.Text,
		})
		if err != nil {
			return fmt.Errorf("write pages.jsonl: %w", err)
		}
		s.pagesBuf.Write(line)
		if err := s.pagesBuf.WriteByte('\n'); err != nil {
			return fmt.Errorf("write pages.jsonl: %w", err)
		}
	}
	return nil
}

// addRevisitTarget copies the capture holding the payload a revisit
// refers to, unless it is already in the export: a revisit record alone
// cannot be replayed. It is not a row (no page, not counted), and an
// embargoed target is not added.
func (s *archiveSink) addRevisitTarget(ctx context.Context, e catalog.Entry) error {
	data, err := readRecord(ctx, s.st, e.Provenance)
	if err != nil {
		return err
	}
	var prov archive.Provenance
	if err := json.Unmarshal(data, &prov); err != nil {
		return fmt.Errorf("decode %s: %w", e.Provenance.Key, err)
	}
	if prov.Revisit == nil || prov.Revisit.CaptureID == "" {
		return nil
	}
	target := prov.Revisit.CaptureID
	if _, ok := s.written[idHash(target)]; ok {
		return nil
	}
	te, err := s.cat.Get(ctx, target)
	if err != nil {
		return fmt.Errorf("revisit %s refers to capture %s: %w (run `archivist verify`)", e.CaptureID, target, err)
	}
	if s.hidden != nil && s.hidden(te) {
		return nil
	}
	if _, err := s.copyCapture(ctx, te); err != nil {
		return err
	}
	s.added++
	return nil
}

// copyCapture appends one capture's WARC file and indexes it; it returns
// the last response or revisit record (the final hop).
func (s *archiveSink) copyCapture(ctx context.Context, e catalog.Entry) (*indexedRecord, error) {
	rc, err := s.st.Get(ctx, e.WARC.Key)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", e.WARC.Key, err)
	}
	defer rc.Close()
	var last *indexedRecord
	_, sum, err := copyMembers(rc, s.warc, s.warc.n, func(rec indexedRecord) {
		if s.err == nil {
			s.err = s.index.add(cdxjLine(rec, s.filename))
		}
		last = &rec
	})
	if err != nil {
		return nil, fmt.Errorf("copy %s: %w", e.WARC.Key, err)
	}
	if s.err != nil {
		return nil, s.err
	}
	if e.WARC.SHA256 != "" && sum != e.WARC.SHA256 {
		return nil, fmt.Errorf("copy %s: sha256 %s, recorded %s: the object is damaged (run `archivist verify`)", e.WARC.Key, sum, e.WARC.SHA256)
	}
	s.written[idHash(e.CaptureID)] = struct{}{}
	return last, nil
}

// idHash is a 64-bit FNV-1a hash of a capture id; a million ids collide
// with probability about 2^-25.
func idHash(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}

func (s *archiveSink) close() error {
	if err := s.warc.flush(); err != nil {
		return fmt.Errorf("write warc: %w", err)
	}
	if s.wacz == nil {
		if err := s.index.writeTo(s.indexOut); err != nil {
			return fmt.Errorf("write cdxj index: %w", err)
		}
		return nil
	}
	if err := s.pagesBuf.Flush(); err != nil {
		return fmt.Errorf("write pages.jsonl: %w", err)
	}
	if err := s.pages.flush(); err != nil {
		return fmt.Errorf("write pages.jsonl: %w", err)
	}
	return s.wacz.pack(s.zipOut, s.warc, s.index, s.pages)
}
