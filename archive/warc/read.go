package warc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/nlnwa/gowarc/v3"

	"github.com/archivist-project/archivist/archive"
)

// Capture is a capture WARC file read back.
type Capture struct {
	// Info holds the warcinfo record's fields.
	Info map[string][]string
	// Exchange is rebuilt from the request and response records, one hop
	// per response, in file order. Run id, user agent and robots policy
	// come from the warcinfo record; seed, via, depth and robots result
	// from the metadata record in files that have one (written before
	// these fields moved to warcinfo), from warcinfo otherwise.
	Exchange archive.Exchange
	// ResponseRecordID is the WARC-Record-ID of the final response (or
	// revisit) record.
	ResponseRecordID string
	// Metadata holds the metadata record's fields in files written with
	// one (capture-id, seed, via, hopsFromSeed, fetchTimeMs, robots,
	// outlink); it is empty for files written since. Nothing reads the
	// outlink lines any more: export derives a page's links from its body.
	Metadata map[string][]string
	// Revisit is set when the final response is a revisit record: its
	// hop then has the status and headers but no body, and the payload is
	// the one of the record Revisit refers to.
	Revisit *Revisit
	// Problems lists digest mismatches and other validation findings.
	// A clean file has none.
	Problems []string
}

// ReadCapture reads a capture WARC file, checking every record's block and
// payload digests. A body larger than maxBody bytes is an error, so a hostile
// or corrupt file cannot exhaust memory.
func ReadCapture(r io.Reader, maxBody int64) (*Capture, error) {
	fr, err := gowarc.NewWarcFileReaderFromStream(r, 0,
		gowarc.WithBlockErrorPolicy(gowarc.ErrWarn),
		gowarc.WithSpecViolationPolicy(gowarc.ErrWarn),
		gowarc.WithSyntaxErrorPolicy(gowarc.ErrWarn))
	if err != nil {
		return nil, fmt.Errorf("read warc: %w", err)
	}
	defer fr.Close()
	c := &Capture{Info: map[string][]string{}, Metadata: map[string][]string{}}
	var pendingReq *http.Header
	for {
		rec, err := fr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read warc record: %w", err)
		}
		for _, v := range rec.Validation {
			c.Problems = append(c.Problems, fmt.Sprintf("record at offset %d: %v", rec.Offset, v))
		}
		if size := rec.WarcRecord.Block().Size(); size > maxBody+64<<10 {
			rec.WarcRecord.Close()
			return nil, fmt.Errorf("read warc record %s: block of %d bytes is over the %d byte limit", rec.WarcRecord.RecordId(), size, maxBody)
		}
		// ValidateDigest caches the block, so it must run before the
		// block is read.
		problems, err := rec.WarcRecord.ValidateDigest()
		if err != nil {
			rec.WarcRecord.Close()
			return nil, fmt.Errorf("read warc record %s: %w", rec.WarcRecord.RecordId(), err)
		}
		for _, p := range problems {
			c.Problems = append(c.Problems, fmt.Sprintf("record %s: %v", rec.WarcRecord.RecordId(), p))
		}
		err = c.add(rec.WarcRecord, maxBody, &pendingReq)
		rec.WarcRecord.Close()
		if err != nil {
			return nil, err
		}
	}
	if len(c.Exchange.Hops) == 0 {
		return nil, errors.New("read warc: no response record")
	}
	c.Exchange.RequestedURL = c.Exchange.Hops[0].URL
	c.Exchange.FetchStart = c.Exchange.Hops[0].Start
	c.Exchange.FetchEnd = c.Exchange.Hops[len(c.Exchange.Hops)-1].End
	c.readDiscovery()
	return c, nil
}

// readDiscovery fills the Exchange's run and discovery fields from the
// warcinfo record, or from the metadata record of a file that has one.
func (c *Capture) readDiscovery() {
	ex := &c.Exchange
	ex.RunID = first(c.Info["isPartOf"])
	ex.UserAgent = first(c.Info["http-header-user-agent"])
	ex.Robots.Policy = first(c.Info["robots"])
	from, robotsResult := c.Info, "robots-result"
	if len(c.Metadata) > 0 {
		// In the old layout warcinfo's robots is the policy and the
		// metadata record's robots the result.
		from, robotsResult = c.Metadata, "robots"
	}
	ex.Seed = first(from["seed"])
	ex.Via = first(from["via"])
	ex.Robots.Result = first(from[robotsResult])
	if d, err := strconv.Atoi(first(from["hopsFromSeed"])); err == nil {
		ex.Depth = d
	}
}

func (c *Capture) add(rec gowarc.WarcRecord, maxBody int64, pendingReq **http.Header) error {
	h := rec.WarcHeader()
	switch rec.Type() {
	case gowarc.Warcinfo, gowarc.Metadata:
		fieldsOf := c.Info
		if rec.Type() == gowarc.Metadata {
			fieldsOf = c.Metadata
		}
		raw, err := readBlock(rec.Block(), maxBody)
		if err != nil {
			return err
		}
		parseFields(raw, fieldsOf)
	case gowarc.Request:
		// A request head gowarc could not parse has no header (nil): the
		// hop is kept without its request header.
		if b, ok := rec.Block().(gowarc.HttpRequestBlock); ok && b.HttpHeader() != nil {
			hdr := b.HttpHeader().Clone()
			*pendingReq = &hdr
		}
		if _, err := readBlock(rec.Block(), maxBody); err != nil {
			return err
		}
	case gowarc.Response:
		b, ok := rec.Block().(gowarc.HttpResponseBlock)
		if !ok {
			return fmt.Errorf("read warc: response record %s has no HTTP block", rec.RecordId())
		}
		if b.HttpHeader() == nil {
			return fmt.Errorf("read warc: response record %s has an HTTP head that does not parse", rec.RecordId())
		}
		date, _ := h.GetTime(gowarc.WarcDate)
		hop := archive.Hop{
			URL:            h.Get(gowarc.WarcTargetURI),
			Method:         http.MethodGet,
			Status:         b.HttpStatusCode(),
			ResponseHeader: b.HttpHeader().Clone(),
			RemoteIP:       h.Get(gowarc.WarcIPAddress),
			Truncated:      h.Get(gowarc.WarcTruncated),
			Start:          date,
			End:            date,
		}
		line := strings.TrimSpace(b.HttpStatusLine())
		if proto, status, ok := strings.Cut(line, " "); ok {
			hop.Proto, hop.StatusText = proto, status
		}
		if *pendingReq != nil {
			hop.RequestHeader = **pendingReq
			*pendingReq = nil
		}
		payload, err := b.PayloadBytes()
		if err != nil {
			return fmt.Errorf("read warc response %s: %w", hop.URL, err)
		}
		body, err := io.ReadAll(io.LimitReader(payload, maxBody+1))
		if err != nil {
			return fmt.Errorf("read warc response %s: %w", hop.URL, err)
		}
		if int64(len(body)) > maxBody {
			return fmt.Errorf("read warc response %s: payload larger than %d bytes", hop.URL, maxBody)
		}
		hop.Body = body
		c.Exchange.Hops = append(c.Exchange.Hops, hop)
		c.ResponseRecordID = "<" + rec.RecordId() + ">"
		c.Revisit = nil
	case gowarc.Revisit:
		hop, rv, err := readRevisit(rec, maxBody)
		if err != nil {
			return err
		}
		if *pendingReq != nil {
			hop.RequestHeader = **pendingReq
			*pendingReq = nil
		}
		c.Exchange.Hops = append(c.Exchange.Hops, hop)
		c.ResponseRecordID = "<" + rec.RecordId() + ">"
		c.Revisit = rv
	default:
		if _, err := readBlock(rec.Block(), maxBody); err != nil {
			return err
		}
	}
	return nil
}

func readBlock(b gowarc.Block, maxBody int64) ([]byte, error) {
	r, err := b.RawBytes()
	if err != nil {
		return nil, fmt.Errorf("read warc block: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(r, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("read warc block: %w", err)
	}
	if int64(len(raw)) > maxBody {
		return nil, fmt.Errorf("read warc block: larger than %d bytes", maxBody)
	}
	return raw, nil
}

// parseHTTPHead splits an HTTP response head (status line, header fields,
// blank line) into the status line and the header.
func parseHTTPHead(raw []byte) (string, http.Header, error) {
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw)))
	status, err := tp.ReadLine()
	if err != nil {
		return "", nil, fmt.Errorf("read HTTP status line: %w", err)
	}
	hdr, err := tp.ReadMIMEHeader()
	if err != nil && !errors.Is(err, io.EOF) {
		return status, http.Header(hdr), fmt.Errorf("read HTTP header: %w", err)
	}
	return strings.TrimSpace(status), http.Header(hdr), nil
}

func parseFields(raw []byte, into map[string][]string) {
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		into[strings.TrimSpace(name)] = append(into[strings.TrimSpace(name)], strings.TrimSpace(value))
	}
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
