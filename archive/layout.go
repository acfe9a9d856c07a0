package archive

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"path"
	"strings"
	"time"
)

// Object key layout. Every capture lives under its own prefix, dated by the
// capture time so that listing a period is a prefix scan:
//
//	captures/YYYY/MM/DD/<capture-id>/capture.warc.gz      raw exchange, WARC 1.1, gzip per record
//	captures/YYYY/MM/DD/<capture-id>/article.json.gz      extracted Article, gzipped JSON
//	captures/YYYY/MM/DD/<capture-id>/provenance.json.gz   Provenance, gzipped JSON, written last
//
// Keys never change once written; a new capture of the same URL gets a new id.
// Captures made by earlier versions keep their plain article.json and
// provenance.json (LegacyArticleName, LegacyProvenanceName); every reader
// accepts both names.
const (
	CapturesPrefix = "captures/"
	WARCName       = "capture.warc.gz"
	ArticleName    = "article.json.gz"
	ProvenanceName = "provenance.json.gz"
	// LegacyArticleName is the uncompressed Article of captures made
	// before Articles were gzipped; it is still read. An Article holds the
	// page's text and the evidence of its metadata, a quarter of the size
	// of the compressed page: gzip makes it a twelfth.
	LegacyArticleName = "article.json"
	// LegacyProvenanceName is the uncompressed provenance record of
	// captures made before provenance was gzipped; it is still read. Its
	// hashes, URLs and headers gzip to under half (1.7 KB to 0.8 KB), 2.4%
	// of the compressed payload it describes.
	LegacyProvenanceName = "provenance.json"
)

// IsProvenanceName reports whether an object name is a capture's
// provenance record, gzipped or legacy: its presence is what makes a
// capture complete.
func IsProvenanceName(name string) bool {
	return name == ProvenanceName || name == LegacyProvenanceName
}

// NewCaptureID returns a new capture id: the UTC capture time to the second
// followed by 10 random base32 characters, e.g. "20261127T013826Z-K3J5Q7ZP2M".
// Ids sort by time and are unique without coordination between processes.
func NewCaptureID(at time.Time) string {
	var b [7]byte
	// crypto/rand.Read never fails since Go 1.24: it crashes the program instead.
	_, _ = rand.Read(b[:])
	r := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])[:10]
	return at.UTC().Format("20060102T150405Z") + "-" + r
}

// CaptureTime parses the time encoded in a capture id.
func CaptureTime(id string) (time.Time, error) {
	ts, _, ok := strings.Cut(id, "-")
	if !ok {
		return time.Time{}, fmt.Errorf("parse capture id %q: no time part", id)
	}
	t, err := time.Parse("20060102T150405Z", ts)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse capture id %q: %w", id, err)
	}
	return t, nil
}

// CapturePrefix returns the key prefix (ending in "/") of a capture's objects.
func CapturePrefix(id string) (string, error) {
	t, err := CaptureTime(id)
	if err != nil {
		return "", err
	}
	return CapturesPrefix + t.Format("2006/01/02") + "/" + id + "/", nil
}

// CaptureKey returns the key of one object of a capture.
func CaptureKey(id, name string) (string, error) {
	p, err := CapturePrefix(id)
	if err != nil {
		return "", err
	}
	return p + name, nil
}

// ParseCaptureKey splits an object key into capture id and object name.
// ok is false for keys outside the capture layout.
func ParseCaptureKey(key string) (id, name string, ok bool) {
	if !strings.HasPrefix(key, CapturesPrefix) {
		return "", "", false
	}
	parts := strings.Split(strings.TrimPrefix(key, CapturesPrefix), "/")
	if len(parts) != 5 {
		return "", "", false
	}
	id, name = parts[3], parts[4]
	want, err := CaptureKey(id, name)
	if err != nil || want != path.Clean(key) {
		return "", "", false
	}
	return id, name, true
}
