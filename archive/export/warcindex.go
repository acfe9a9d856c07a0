package export

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/archivist-project/archivist/archive/surt"
	"hash"
	"io"
	"mime"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
)

// indexedRecord is one WARC record worth a CDXJ line: a response or a
// revisit, with its place in the output file.
type indexedRecord struct {
	Type    string // "response" or "revisit"
	URL     string
	Date    time.Time
	Mime    string
	Status  int
	Digest  string
	Offset  int64 // of the record's gzip member in the output
	Length  int64 // of the gzip member
	Refers  string
	Capture string
}

// maxRecordHeader bounds the WARC and HTTP headers read for indexing.
const maxRecordHeader = 1 << 20

// copyMembers copies a capture's WARC file (one gzip member per record)
// to w byte for byte, and calls fn for each response and revisit record
// with the offset and length of its gzip member in w, base being w's
// offset when the copy starts. It returns the number of bytes copied and
// their SHA-256.
func copyMembers(r io.Reader, w io.Writer, base int64, fn func(indexedRecord)) (int64, string, error) {
	cr := &consumeReader{br: bufio.NewReaderSize(r, 64<<10), w: w, sum: sha256.New()}
	zr, err := gzip.NewReader(cr)
	if err != nil {
		return cr.n, "", fmt.Errorf("read warc: not gzip: %w", err)
	}
	for {
		start := cr.atMark
		zr.Multistream(false)
		rec, err := readRecordHead(zr)
		if err != nil {
			return cr.n, "", err
		}
		if _, err := io.Copy(io.Discard, zr); err != nil {
			return cr.n, "", fmt.Errorf("read warc record: %w", err)
		}
		if cr.err != nil {
			return cr.n, "", fmt.Errorf("write warc: %w", cr.err)
		}
		if rec.Type == "response" || rec.Type == "revisit" {
			rec.Offset, rec.Length = base+start, cr.n-start
			fn(rec)
		}
		cr.mark()
		if err := zr.Reset(cr); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return cr.n, "", fmt.Errorf("read warc: %w", err)
		}
	}
	if cr.err != nil {
		return cr.n, "", fmt.Errorf("write warc: %w", cr.err)
	}
	return cr.n, hex.EncodeToString(cr.sum.Sum(nil)), nil
}

// consumeReader passes on exactly the bytes the gzip reader consumes: it
// is an io.ByteReader, so the decompressor reads no further than the end
// of each member, and every byte consumed is copied to w and counted.
type consumeReader struct {
	br     *bufio.Reader
	w      io.Writer
	sum    hash.Hash
	n      int64
	atMark int64 // n at the end of the last member: where the next begins
	err    error // first write error
	pend   []byte
}

func (c *consumeReader) Read(p []byte) (int, error) {
	n, err := c.br.Read(p)
	c.pass(p[:n])
	return n, err
}

func (c *consumeReader) ReadByte() (byte, error) {
	b, err := c.br.ReadByte()
	if err == nil {
		c.pend = append(c.pend, b)
		if len(c.pend) == cap(c.pend) || len(c.pend) >= 32<<10 {
			c.flushPend()
		}
		c.n++
	}
	return b, err
}

func (c *consumeReader) pass(p []byte) {
	c.flushPend()
	c.n += int64(len(p))
	c.write(p)
}

func (c *consumeReader) flushPend() {
	if len(c.pend) > 0 {
		c.write(c.pend)
		c.pend = c.pend[:0]
	}
}

func (c *consumeReader) write(p []byte) {
	c.sum.Write(p)
	if c.err == nil {
		_, c.err = c.w.Write(p)
	}
}

// mark notes the end of a member; the next member starts here.
func (c *consumeReader) mark() {
	c.flushPend()
	c.atMark = c.n
}

// readRecordHead parses the WARC header of a record and, for responses
// and revisits, the HTTP status line and Content-Type of its block.
func readRecordHead(r io.Reader) (indexedRecord, error) {
	var rec indexedRecord
	br := bufio.NewReaderSize(io.LimitReader(r, maxRecordHeader), 16<<10)
	tp := textproto.NewReader(br)
	version, err := tp.ReadLine()
	if err != nil {
		return rec, fmt.Errorf("read warc record: %w", err)
	}
	if !strings.HasPrefix(version, "WARC/") {
		return rec, fmt.Errorf("read warc record: starts with %q, not a WARC version", clipString(version, 40))
	}
	h, err := tp.ReadMIMEHeader()
	if err != nil {
		return rec, fmt.Errorf("read warc record header: %w", err)
	}
	rec.Type = h.Get("WARC-Type")
	rec.URL = strings.Trim(h.Get("WARC-Target-URI"), "<>")
	rec.Digest = h.Get("WARC-Payload-Digest")
	rec.Refers = h.Get("WARC-Refers-To-Target-URI")
	if d := h.Get("WARC-Date"); d != "" {
		if rec.Date, err = time.Parse(time.RFC3339Nano, d); err != nil {
			return rec, fmt.Errorf("read warc record: WARC-Date %q: %w", d, err)
		}
	}
	if rec.Type != "response" && rec.Type != "revisit" {
		return rec, nil
	}
	if !strings.HasPrefix(h.Get("Content-Type"), "application/http") {
		return rec, nil
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return rec, fmt.Errorf("read warc %s record of %s: http head: %w", rec.Type, rec.URL, err)
	}
	rec.Status = resp.StatusCode
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil {
		rec.Mime = mt
	} else {
		rec.Mime = "unk"
	}
	if rec.Type == "revisit" {
		rec.Mime = "warc/revisit"
	}
	return rec, nil
}

// cdxjBlock is the JSON block of a CDXJ line, in pywb's key order and
// with its values as strings, as pywb's indexer writes them.
type cdxjBlock struct {
	URL      string `json:"url"`
	Mime     string `json:"mime"`
	Status   string `json:"status"`
	Digest   string `json:"digest"`
	Length   string `json:"length"`
	Offset   string `json:"offset"`
	Filename string `json:"filename"`
}

// cdxjLine renders the record in pywb's CDXJ layout: the SURT key, a
// 14-digit timestamp and the JSON block.
func cdxjLine(rec indexedRecord, filename string) string {
	var b bytes.Buffer
	b.WriteString(surt.URL(rec.URL))
	b.WriteByte(' ')
	b.WriteString(rec.Date.UTC().Format("20060102150405"))
	b.WriteByte(' ')
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(cdxjBlock{ // strings only: cannot fail
		URL: rec.URL, Mime: rec.Mime, Status: strconv.Itoa(rec.Status), Digest: rec.Digest,
		Length: strconv.FormatInt(rec.Length, 10), Offset: strconv.FormatInt(rec.Offset, 10), Filename: filename,
	})
	return strings.TrimSuffix(b.String(), "\n")
}

func clipString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
