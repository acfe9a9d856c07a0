// Package warc writes and reads the WARC 1.1 file of one capture: a warcinfo
// record, which also tells how the page was found, then a request and a
// response record for every HTTP round trip (redirects included). Every
// record is its own gzip member, so tools can seek to any record, as the
// WARC specification's annex recommends.
//
// Files written before the warcinfo record held the discovery fields end
// with a metadata record holding them and the page's outlinks; ReadCapture
// reads both layouts.
//
// Records are built and serialised by github.com/nlnwa/gowarc/v3, a
// maintained WARC library from the National Library of Norway that
// validates records' header fields and computes their block digests as it
// builds them (payload digests are the writer's own); compression uses
// github.com/klauspost/compress/gzip, which is several times faster than the
// standard library's.
package warc

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/nlnwa/gowarc/v3"

	"github.com/archivist-project/archivist/archive"
)

// Info describes the software and run that made a WARC file, for its
// warcinfo record. The discovery fields (seed, via, hops, fetch time,
// robots result) come from the Exchange: a capture WARC holds exactly one
// capture, so its warcinfo record describes that capture.
type Info struct {
	Software  archive.Component
	CaptureID string
	RunID     string
	UserAgent string
	Robots    string // "obey" or "ignore"
	Operator  string // contact of the operator, if configured

	// Payload is not written to warcinfo: it is the final response's
	// payload digest, SumPayload(ex.Final().Body), for a caller that
	// computed it before writing (the Recorder looks it up for
	// de-duplication), so that the body is not hashed again. The zero
	// value means unknown: the writer hashes the body.
	Payload PayloadSum
}

// PayloadSum is the SHA-256 of a response body, made by SumPayload, and
// remembers which body it was made from: the writer uses it only for a
// hop whose Body is that same slice (same first byte in memory, same
// length), and hashes any other body itself. A digest of an equal copy,
// of the decoded body or of another page is thus ignored rather than
// written, and a WARC cannot get a wrong WARC-Payload-Digest from it;
// what it cannot detect is a body changed in place between SumPayload
// and the write, which no caller does (a fetched body is never written
// to again).
type PayloadSum struct {
	hex   string
	first *byte // &body[0]; nil for an empty body
	n     int
}

// SumPayload returns the SHA-256 of body.
func SumPayload(body []byte) PayloadSum {
	s := PayloadSum{hex: payloadDigest(body), n: len(body)}
	if len(body) > 0 {
		s.first = &body[0]
	}
	return s
}

// Hex returns the digest in lowercase hex ("" for the zero PayloadSum).
func (s PayloadSum) Hex() string { return s.hex }

// of returns the lowercase hex SHA-256 of body: s's when s was made from
// body itself, computed otherwise.
func (s PayloadSum) of(body []byte) string {
	if s.hex != "" && len(body) == s.n && (s.n == 0 || &body[0] == s.first) {
		return s.hex
	}
	return payloadDigest(body)
}

// Result tells what was written.
type Result struct {
	// PayloadSHA256 is the lowercase hex SHA-256 of the final response's
	// payload (the HTTP entity body as transferred).
	PayloadSHA256 string
	// ResponseRecordID is the WARC-Record-ID of the final response record.
	ResponseRecordID string
	// Records counts the records written.
	Records int
}

// Writer writes capture WARC files. It reuses its gzip compressor, so one
// Writer must not be used by two goroutines at once.
type Writer struct {
	gz   *gzip.Writer
	out  copyWriter // gz, as gowarc's marshaler writes to it
	buf  bytes.Buffer
	opts []gowarc.WarcRecordOption
}

// copyWriter is an io.Writer with a ReadFrom that copies through one
// reused buffer: gowarc's marshaler copies each block with io.Copy, from a
// reader that has no WriteTo, which would allocate 32 KiB a record.
type copyWriter struct {
	w   io.Writer
	buf []byte
}

func (c *copyWriter) Write(p []byte) (int, error) { return c.w.Write(p) }

func (c *copyWriter) ReadFrom(r io.Reader) (int64, error) {
	if c.buf == nil {
		c.buf = make([]byte, 32<<10)
	}
	return io.CopyBuffer(c.w, r, c.buf)
}

// DefaultLevel is the gzip level of capture WARC files. On the 181 real
// pages of ../shared/eval, klauspost's level 3 compresses at 112 MB/s to
// 22.4% of the input, its default level 5 at 75 MB/s to 20.6%: a third
// less CPU for 8% more bytes. Compression is the WARC stage's main cost,
// and a crawl is CPU-bound long before it is disk-bound.
const DefaultLevel = 3

// NewWriter returns a Writer compressing at the given gzip level
// (DefaultLevel if level is 0).
func NewWriter(level int) (*Writer, error) {
	if level == 0 {
		level = DefaultLevel
	}
	gz, err := gzip.NewWriterLevel(io.Discard, level)
	if err != nil {
		return nil, fmt.Errorf("create gzip writer: %w", err)
	}
	return &Writer{
		gz:  gz,
		out: copyWriter{w: gz},
		opts: []gowarc.WarcRecordOption{
			// gowarc would otherwise parse every block by its content
			// type (HTTP message, WARC fields) to find the payload and
			// hash it a second time besides the block, which for a
			// response repeats the payload digest we already have (see
			// writeResponse) and for the other records finds nothing we
			// want. With it gowarc still checks the header fields and
			// adds WARC-Record-ID, Content-Length and WARC-Block-Digest,
			// but treats the block as bytes; WARC-Payload-Digest is ours.
			gowarc.WithSkipParseBlock(),
			gowarc.WithAddMissingDigest(true),
			gowarc.WithAddMissingRecordId(true),
			gowarc.WithAddMissingContentLength(true),
			gowarc.WithDefaultDigestAlgorithm("sha256"),
			gowarc.WithBufferMaxMemBytes(64 << 20),
		},
	}, nil
}

// WriteCapture writes the WARC file of one capture to w.
//
// No metadata record is written: the page's outlinks are a function of the
// archived response body (export derives them from it with the extractor),
// and the capture's other fields are in the warcinfo record.
func (wr *Writer) WriteCapture(w io.Writer, ex *archive.Exchange, info Info) (Result, error) {
	return wr.write(w, ex, info, nil)
}

// write writes a capture's records; with ref, the final response becomes a
// revisit record referring to ref.
func (wr *Writer) write(w io.Writer, ex *archive.Exchange, info Info, ref *RefersTo) (Result, error) {
	var res Result
	if ex.Final() == nil {
		return res, fmt.Errorf("write warc for %s: the exchange has no response", ex.RequestedURL)
	}
	infoID, err := wr.writeInfo(w, ex, info)
	if err != nil {
		return res, err
	}
	res.Records++
	for i := range ex.Hops {
		hop := &ex.Hops[i]
		reqID, err := wr.writeRequest(w, hop, infoID)
		if err != nil {
			return res, err
		}
		payload := info.Payload.of(hop.Body)
		var respID string
		if ref != nil && i == len(ex.Hops)-1 {
			respID, err = wr.writeRevisit(w, hop, infoID, reqID, ref, payload)
		} else {
			respID, err = wr.writeResponse(w, hop, infoID, reqID, payload)
		}
		if err != nil {
			return res, err
		}
		res.Records += 2
		if i == len(ex.Hops)-1 {
			res.ResponseRecordID = respID
			res.PayloadSHA256 = payload
		}
	}
	return res, nil
}

// writeInfo writes the warcinfo record. Its fields are the ones WARC 1.1
// defines for warcinfo (software, http-header-user-agent, robots,
// operator), Dublin Core's isPartOf for the run, and the fields WARC 1.1
// defines for metadata records (via, hopsFromSeed, fetchTimeMs) with
// Heritrix's capture-id and seed: earlier files held those in a metadata
// record, under the same names. The robots result is robots-result, since
// warcinfo's robots names the policy. "format" and "conformsTo" are left
// out: the specification shows them in an informative example only, and
// every record's first line already says WARC/1.1.
func (wr *Writer) writeInfo(w io.Writer, ex *archive.Exchange, info Info) (string, error) {
	var f fields
	f.add("software", info.Software.Name+"/"+info.Software.Version)
	f.add("isPartOf", info.RunID)
	f.add("capture-id", info.CaptureID)
	f.add("seed", ex.Seed)
	f.add("via", ex.Via)
	f.add("hopsFromSeed", strconv.Itoa(ex.Depth))
	f.add("fetchTimeMs", strconv.FormatInt(ex.FetchEnd.Sub(ex.FetchStart).Milliseconds(), 10))
	f.add("http-header-user-agent", info.UserAgent)
	f.add("robots", info.Robots)
	f.add("robots-result", ex.Robots.Result)
	f.add("operator", info.Operator)
	rb := gowarc.NewRecordBuilder(gowarc.Warcinfo, wr.opts...)
	rb.AddWarcHeader(gowarc.ContentType, "application/warc-fields")
	rb.AddWarcHeaderTime(gowarc.WarcDate, ex.FetchStart)
	rb.AddWarcHeader(gowarc.WarcFilename, info.CaptureID+".warc.gz")
	return wr.emit(w, rb, nil, f.bytes())
}

func (wr *Writer) writeRequest(w io.Writer, hop *archive.Hop, infoID string) (string, error) {
	u, err := url.Parse(hop.URL)
	if err != nil {
		return "", fmt.Errorf("write warc request record: parse %q: %w", hop.URL, err)
	}
	var block bytes.Buffer
	method := hop.Method
	if method == "" {
		method = http.MethodGet
	}
	fmt.Fprintf(&block, "%s %s HTTP/1.1\r\n", method, u.RequestURI())
	hdr := hop.RequestHeader.Clone()
	if hdr == nil {
		hdr = http.Header{}
	}
	if hdr.Get("Host") == "" {
		hdr.Set("Host", u.Host)
	}
	writeHeader(&block, hdr)
	rb := gowarc.NewRecordBuilder(gowarc.Request, wr.opts...)
	rb.AddWarcHeader(gowarc.ContentType, "application/http;msgtype=request")
	rb.AddWarcHeader(gowarc.WarcTargetURI, hop.URL)
	rb.AddWarcHeaderTime(gowarc.WarcDate, hop.Start)
	rb.AddWarcHeader(gowarc.WarcWarcinfoID, infoID)
	if hop.RemoteIP != "" {
		rb.AddWarcHeader(gowarc.WarcIPAddress, hop.RemoteIP)
	}
	// A request has no body, so no WARC-Payload-Digest: the digest of
	// nothing says nothing, the field is optional in WARC 1.1 (Heritrix
	// writes none on requests), and the line would cost 52 bytes a
	// request after gzip (BenchmarkWriteCapture).
	return wr.emit(w, rb, nil, block.Bytes())
}

// writeResponse writes hop's response record; payload is the lowercase
// hex SHA-256 of hop.Body.
func (wr *Writer) writeResponse(w io.Writer, hop *archive.Hop, infoID, reqID, payload string) (string, error) {
	var head bytes.Buffer
	writeStatusAndHeader(&head, hop)

	rb := gowarc.NewRecordBuilder(gowarc.Response, wr.opts...)
	rb.AddWarcHeader(gowarc.ContentType, "application/http;msgtype=response")
	rb.AddWarcHeader(gowarc.WarcTargetURI, hop.URL)
	rb.AddWarcHeaderTime(gowarc.WarcDate, hop.Start)
	rb.AddWarcHeader(gowarc.WarcWarcinfoID, infoID)
	rb.AddWarcHeader(gowarc.WarcConcurrentTo, reqID)
	if hop.RemoteIP != "" {
		rb.AddWarcHeader(gowarc.WarcIPAddress, hop.RemoteIP)
	}
	if hop.Truncated != "" {
		rb.AddWarcHeader(gowarc.WarcTruncated, hop.Truncated)
	}
	// The payload digest is set on the built record, after the
	// WARC-Block-Digest gowarc adds, where gowarc itself put it when it
	// parsed the block to compute it. gowarc does not check it: given
	// before Build, it would only be checked by hashing the payload again.
	return wr.emit(w, rb, func(rec gowarc.WarcRecord) error {
		rec.WarcHeader().Set(gowarc.WarcPayloadDigest, "sha256:"+payload)
		return nil
	}, head.Bytes(), hop.Body)
}

// emit builds the record from the parts of its block, hands it to built
// (if not nil), and writes it to w as one gzip member.
func (wr *Writer) emit(w io.Writer, rb gowarc.WarcRecordBuilder, built func(gowarc.WarcRecord) error, block ...[]byte) (string, error) {
	for _, part := range block {
		if _, err := rb.Write(part); err != nil {
			_ = rb.Close()
			return "", fmt.Errorf("build warc record: %w", err)
		}
	}
	rec, _, err := rb.Build()
	if err != nil {
		return "", fmt.Errorf("build warc record: %w", err)
	}
	defer rec.Close()
	if built != nil {
		if err := built(rec); err != nil {
			return "", err
		}
	}
	wr.buf.Reset()
	wr.gz.Reset(&wr.buf)
	if _, _, err := gowarc.NewMarshaler().Marshal(&wr.out, rec, 0); err != nil {
		return "", fmt.Errorf("write warc %s record: %w", rec.Type(), err)
	}
	if err := wr.gz.Close(); err != nil {
		return "", fmt.Errorf("compress warc record: %w", err)
	}
	if _, err := w.Write(wr.buf.Bytes()); err != nil {
		return "", fmt.Errorf("write warc record: %w", err)
	}
	return "<" + rec.RecordId() + ">", nil
}

// payloadDigest is the lowercase hex SHA-256 of a payload.
func payloadDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

func httpStatusText(code int) string { return http.StatusText(code) }

// writeHeader writes HTTP header fields in a stable order, then the blank
// line that ends them. Go canonicalises field names and folds repeated
// fields into a slice, so the original case and order are not kept.
func writeHeader(b *bytes.Buffer, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			b.WriteString(k)
			b.WriteString(": ")
			b.WriteString(sanitizeFieldValue(v))
			b.WriteString("\r\n")
		}
	}
	b.WriteString("\r\n")
}

// sanitizeFieldValue keeps a hostile header value from breaking the record
// framing.
func sanitizeFieldValue(v string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
}

type fields struct{ b bytes.Buffer }

func (f *fields) add(name, value string) {
	if value == "" {
		return
	}
	f.b.WriteString(name)
	f.b.WriteString(": ")
	f.b.WriteString(sanitizeFieldValue(value))
	f.b.WriteString("\r\n")
}

func (f *fields) bytes() []byte { return f.b.Bytes() }
