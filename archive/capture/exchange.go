package capture

import (
	"bytes"
	"context"
	"fmt"

	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/archive/warc"
)

// LoadExchange reads the WARC file of capture id, checked against the
// digest its provenance records. For a revisit, whose WARC holds no
// payload, the final hop's body is filled in from the capture the revisit
// refers to, and must hash to the revisit's payload digest; the returned
// Capture still has Revisit set, so callers can tell.
func LoadExchange(ctx context.Context, st store.Store, id string, maxBody int64) (*warc.Capture, error) {
	c, s, err := loadWARC(ctx, st, id, maxBody)
	if err != nil {
		return nil, err
	}
	if c.Revisit == nil {
		return c, nil
	}
	rv := s.Provenance.Revisit
	if rv == nil {
		return nil, fmt.Errorf("load capture %s: its WARC holds a revisit record but its provenance names no capture it refers to (run `archivist verify`)", id)
	}
	ref, _, err := loadWARC(ctx, st, rv.CaptureID, maxBody)
	if err != nil {
		return nil, fmt.Errorf("load the payload of revisit %s from capture %s: %w", id, rv.CaptureID, err)
	}
	if ref.Revisit != nil {
		return nil, fmt.Errorf("load capture %s: it refers to capture %s, which is itself a revisit (run `archivist verify`)", id, rv.CaptureID)
	}
	body := ref.Exchange.Final().Body
	if got := payloadSHA256(body); got != c.Revisit.PayloadSHA256 {
		return nil, fmt.Errorf("load capture %s: the payload of capture %s has sha256 %s, the revisit record says %s (run `archivist verify`)", id, rv.CaptureID, got, c.Revisit.PayloadSHA256)
	}
	c.Exchange.Final().Body = body
	return c, nil
}

// loadWARC reads and parses the WARC of capture id.
func loadWARC(ctx context.Context, st store.Store, id string, maxBody int64) (*warc.Capture, *Stored, error) {
	s, err := Load(ctx, st, id)
	if err != nil {
		return nil, nil, err
	}
	ref, ok := s.Provenance.Objects["warc"]
	if !ok {
		return nil, nil, fmt.Errorf("load capture %s: its provenance lists no warc object", id)
	}
	data, got, err := ReadObject(ctx, st, ref.Key, maxBody*2+(16<<20))
	if err != nil {
		return nil, nil, err
	}
	if got.SHA256 != ref.SHA256 {
		return nil, nil, fmt.Errorf("read %s: sha256 %s, provenance says %s (run `archivist verify`)", ref.Key, got.SHA256, ref.SHA256)
	}
	c, err := warc.ReadCapture(bytes.NewReader(data), maxBody)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", ref.Key, err)
	}
	return c, s, nil
}
