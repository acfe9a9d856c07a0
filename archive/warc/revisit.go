package warc

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/nlnwa/gowarc/v3"

	"github.com/archivist-project/archivist/archive"
)

// ProfileIdenticalPayload is the WARC 1.1 revisit profile for a response
// whose payload is byte for byte the same as an earlier one's.
const ProfileIdenticalPayload = gowarc.ProfileIdenticalPayloadDigestV1_1

// RefersTo names the earlier response whose payload a revisit record
// stands for.
type RefersTo struct {
	// TargetURI is the WARC-Target-URI of the earlier response.
	TargetURI string
	// Date is the WARC-Date of the earlier response.
	Date time.Time
	// RecordID is its WARC-Record-ID ("<urn:uuid:...>"), "" when unknown.
	RecordID string
}

// Revisit is a revisit record read back.
type Revisit struct {
	Profile        string
	RefersTo       string // WARC-Refers-To, "" when absent
	RefersToURI    string
	RefersToDate   time.Time
	PayloadSHA256  string // lowercase hex, from WARC-Payload-Digest
	TargetURI      string
	HeaderBlockLen int
}

// WriteRevisit writes the WARC file of a capture whose final payload is
// identical to an earlier capture's: like WriteCapture, except that the
// final response is a revisit record (profile identical-payload-digest)
// that keeps the HTTP status line and headers and refers to the earlier
// record for the payload, so the payload is not stored a second time.
// Earlier redirect hops are written in full: they are small and they are
// part of what this fetch saw.
func (wr *Writer) WriteRevisit(w io.Writer, ex *archive.Exchange, info Info, ref RefersTo) (Result, error) {
	if ref.TargetURI == "" || ref.Date.IsZero() {
		return Result{}, fmt.Errorf("write warc revisit for %s: the earlier response's URI and date are required", ex.RequestedURL)
	}
	return wr.write(w, ex, info, &ref)
}

// writeRevisit writes the revisit record standing for hop's response;
// payload is the lowercase hex SHA-256 of hop.Body.
func (wr *Writer) writeRevisit(w io.Writer, hop *archive.Hop, infoID, reqID string, ref *RefersTo, payload string) (string, error) {
	var head bytes.Buffer
	writeStatusAndHeader(&head, hop)
	rb := gowarc.NewRecordBuilder(gowarc.Revisit, wr.opts...)
	rb.AddWarcHeader(gowarc.ContentType, "application/http;msgtype=response")
	rb.AddWarcHeader(gowarc.WarcTargetURI, hop.URL)
	rb.AddWarcHeaderTime(gowarc.WarcDate, hop.Start)
	rb.AddWarcHeader(gowarc.WarcWarcinfoID, infoID)
	rb.AddWarcHeader(gowarc.WarcConcurrentTo, reqID)
	rb.AddWarcHeader(gowarc.WarcProfile, ProfileIdenticalPayload)
	if ref.RecordID != "" {
		rb.AddWarcHeader(gowarc.WarcRefersTo, ref.RecordID)
	}
	rb.AddWarcHeader(gowarc.WarcRefersToTargetURI, ref.TargetURI)
	rb.AddWarcHeaderTime(gowarc.WarcRefersToDate, ref.Date)
	rb.AddWarcHeader(gowarc.WarcPayloadDigest, "sha256:"+payload)
	// The payload is left out on purpose; "length" is how Heritrix and
	// gowarc mark that in a revisit record.
	rb.AddWarcHeader(gowarc.WarcTruncated, "length")
	if hop.RemoteIP != "" {
		rb.AddWarcHeader(gowarc.WarcIPAddress, hop.RemoteIP)
	}
	return wr.emit(w, rb, nil, head.Bytes())
}

// writeStatusAndHeader writes the HTTP status line and header of hop's
// response, ending with the blank line.
func writeStatusAndHeader(b *bytes.Buffer, hop *archive.Hop) {
	proto := hop.Proto
	if proto == "" {
		proto = "HTTP/1.1"
	}
	status := hop.StatusText
	if status == "" {
		status = strconv.Itoa(hop.Status) + " " + httpStatusText(hop.Status)
	}
	fmt.Fprintf(b, "%s %s\r\n", proto, status)
	writeHeader(b, hop.ResponseHeader)
}

// readRevisit turns a revisit record into a hop without a body and the
// record's reference.
func readRevisit(rec gowarc.WarcRecord, maxBody int64) (archive.Hop, *Revisit, error) {
	h := rec.WarcHeader()
	raw, err := readBlock(rec.Block(), maxBody)
	if err != nil {
		return archive.Hop{}, nil, err
	}
	date, _ := h.GetTime(gowarc.WarcDate)
	hop := archive.Hop{
		URL:       h.Get(gowarc.WarcTargetURI),
		Method:    "GET",
		RemoteIP:  h.Get(gowarc.WarcIPAddress),
		Start:     date,
		End:       date,
		Truncated: "",
	}
	status, hdr, err := parseHTTPHead(raw)
	if err != nil {
		return hop, nil, fmt.Errorf("read warc revisit %s: %w", hop.URL, err)
	}
	hop.ResponseHeader = hdr
	if proto, text, ok := strings.Cut(status, " "); ok {
		hop.Proto, hop.StatusText = proto, text
		code, _, _ := strings.Cut(text, " ")
		hop.Status, _ = strconv.Atoi(code)
	}
	rv := &Revisit{
		Profile:        h.Get(gowarc.WarcProfile),
		RefersTo:       h.Get(gowarc.WarcRefersTo),
		RefersToURI:    h.Get(gowarc.WarcRefersToTargetURI),
		TargetURI:      hop.URL,
		HeaderBlockLen: len(raw),
	}
	rv.RefersToDate, _ = h.GetTime(gowarc.WarcRefersToDate)
	if alg, hexSum, ok := strings.Cut(h.Get(gowarc.WarcPayloadDigest), ":"); ok && strings.EqualFold(alg, "sha256") {
		rv.PayloadSHA256 = strings.ToLower(hexSum)
	}
	return hop, rv, nil
}
