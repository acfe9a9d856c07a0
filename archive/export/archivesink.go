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

	"github.com/archivist-project/archivist/archive/catalog"
)

// archiveSink writes the selected captures' WARC records, each capture's
// gzip members copied byte for byte, into one .warc.gz, and indexes every
// response and revisit record for a CDXJ index. For WACZ it also lists the
// pages, then packages everything (see wacz.go).
type archiveSink struct {
	st       Store
	warc     *hashingWriter
	filename string // the WARC's name in the CDXJ lines
	index    *lineSorter
	err      error

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
func newWARCSink(st Store, warcFile *os.File, filename string, indexOut io.Writer, scratch func() (*os.File, error)) *archiveSink {
	return &archiveSink{st: st, warc: newHashingWriter(warcFile), filename: filename, index: newLineSorter(scratch), indexOut: indexOut}
}

// newWACZSink builds the parts of a WACZ in scratch files and packages
// them into zipOut on close.
func newWACZSink(st Store, zipOut io.Writer, scratch func() (*os.File, error), meta waczMeta) (*archiveSink, error) {
	warcFile, err := scratch()
	if err != nil {
		return nil, err
	}
	pagesFile, err := scratch()
	if err != nil {
		return nil, err
	}
	s := &archiveSink{
		st: st, warc: newHashingWriter(warcFile), filename: "data.warc.gz", index: newLineSorter(scratch),
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
	rc, err := s.st.Get(ctx, e.WARC.Key)
	if err != nil {
		return fmt.Errorf("read %s: %w", e.WARC.Key, err)
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
		return fmt.Errorf("copy %s: %w", e.WARC.Key, err)
	}
	if s.err != nil {
		return s.err
	}
	if e.WARC.SHA256 != "" && sum != e.WARC.SHA256 {
		return fmt.Errorf("copy %s: sha256 %s, recorded %s: the object is damaged (run `archivist verify`)", e.WARC.Key, sum, e.WARC.SHA256)
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
