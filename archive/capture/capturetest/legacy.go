// Package capturetest lays captures out in a store the way earlier
// versions of Archivist did, for the tests of the code that must still
// read them.
package capturetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/store"
)

// LegacyStore wraps a store so that what a Recorder writes through it is
// stored as captures were before their records were gzipped: the Article
// as plain archive.LegacyArticleName, the provenance record as plain,
// indented archive.LegacyProvenanceName naming that Article. Every other
// object (the WARC) passes through unchanged.
//
// The catalog row the Recorder writes still names the gzipped objects it
// meant to write; tests rebuild it from the store (capture.Reindex, verify
// --repair), as a row of the old layout would have been.
type LegacyStore struct {
	store.Store

	mu sync.Mutex
	// articles maps the key of each gzipped Article received to the
	// reference of the plain one stored instead, for the provenance
	// records (and revisits) that name it.
	articles map[string]archive.ObjectRef
}

// NewLegacyStore returns a LegacyStore writing to st.
func NewLegacyStore(st store.Store) *LegacyStore {
	return &LegacyStore{Store: st, articles: map[string]archive.ObjectRef{}}
}

// Put stores the object, rewriting the records into the legacy layout.
func (s *LegacyStore) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	dir, name := path.Split(key)
	if name != archive.ArticleName && name != archive.ProvenanceName {
		return s.Store.Put(ctx, key, r, size)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("legacy store: read %s: %w", key, err)
	}
	if data, err = archive.DecodeRecord(key, data, 64<<20); err != nil {
		return fmt.Errorf("legacy store: %w", err)
	}
	if name == archive.ArticleName {
		ref, err := s.put(ctx, dir+archive.LegacyArticleName, data)
		if err != nil {
			return err
		}
		s.mu.Lock()
		s.articles[key] = ref
		s.mu.Unlock()
		return nil
	}
	var prov archive.Provenance
	if err := json.Unmarshal(data, &prov); err != nil {
		return fmt.Errorf("legacy store: decode %s: %w", key, err)
	}
	s.mu.Lock()
	if ref, ok := s.articles[prov.Objects["article"].Key]; ok {
		prov.Objects["article"] = ref
	}
	s.mu.Unlock()
	// Earlier versions indented their records.
	if data, err = json.MarshalIndent(prov, "", "  "); err != nil {
		return fmt.Errorf("legacy store: encode %s: %w", key, err)
	}
	_, err = s.put(ctx, dir+archive.LegacyProvenanceName, append(data, '\n'))
	return err
}

func (s *LegacyStore) put(ctx context.Context, key string, data []byte) (archive.ObjectRef, error) {
	if err := s.Store.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
		return archive.ObjectRef{}, err
	}
	sum := sha256.Sum256(data)
	return archive.ObjectRef{Key: key, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}, nil
}

// IsLegacy reports whether key names a record in the legacy layout.
func IsLegacy(key string) bool {
	return strings.HasSuffix(key, "/"+archive.LegacyArticleName) || strings.HasSuffix(key, "/"+archive.LegacyProvenanceName)
}
