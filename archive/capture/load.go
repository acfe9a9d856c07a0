package capture

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/archivist-project/archivist/archive"
	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/extract"
)

// maxRecordBytes bounds the JSON records read back from a store, so a
// corrupt or hostile object cannot exhaust memory.
const maxRecordBytes = 64 << 20

// Stored is a capture's records as read back from the store.
type Stored struct {
	Provenance    *archive.Provenance
	ProvenanceRef archive.ObjectRef
	Article       *extract.Article
}

// Load reads the provenance and article records of capture id. Its
// provenance record is looked for under the current name, then the legacy
// one (see archive.LegacyProvenanceName).
func Load(ctx context.Context, st store.Store, id string) (*Stored, error) {
	provKey, err := archive.CaptureKey(id, archive.ProvenanceName)
	if err != nil {
		return nil, err
	}
	data, ref, err := ReadObject(ctx, st, provKey, maxRecordBytes)
	if errors.Is(err, store.ErrNotFound) {
		// When neither exists, the error names the current record: the
		// one an interrupted capture of today lacks.
		legacyKey, _ := archive.CaptureKey(id, archive.LegacyProvenanceName)
		if ldata, lref, lerr := ReadObject(ctx, st, legacyKey, maxRecordBytes); !errors.Is(lerr, store.ErrNotFound) {
			data, ref, err = ldata, lref, lerr
		}
	}
	if err != nil {
		return nil, err
	}
	return decodeStored(ctx, st, id, data, ref)
}

// loadFrom reads the records of capture id from its provenance record at
// provKey, for callers that listed the capture's objects and know which
// name it has.
func loadFrom(ctx context.Context, st store.Store, id, provKey string) (*Stored, error) {
	data, ref, err := ReadObject(ctx, st, provKey, maxRecordBytes)
	if err != nil {
		return nil, err
	}
	return decodeStored(ctx, st, id, data, ref)
}

// provenanceName returns the provenance record among a capture's object
// names, the current one when both are there, or "" when there is none
// (the capture is incomplete).
func provenanceName(names []string) string {
	for _, name := range []string{archive.ProvenanceName, archive.LegacyProvenanceName} {
		if slices.Contains(names, name) {
			return name
		}
	}
	return ""
}

// decodeStored decodes the provenance record data read as ref and reads
// the Article it lists.
func decodeStored(ctx context.Context, st store.Store, id string, data []byte, ref archive.ObjectRef) (*Stored, error) {
	provKey := ref.Key
	s := Stored{Provenance: new(archive.Provenance), ProvenanceRef: ref}
	if err := decodeJSON(provKey, data, s.Provenance); err != nil {
		return nil, err
	}
	if s.Provenance.CaptureID != id {
		return nil, fmt.Errorf("read %s: it names capture %q, not %q", provKey, s.Provenance.CaptureID, id)
	}
	artRef, ok := s.Provenance.Objects["article"]
	if !ok {
		return nil, fmt.Errorf("read %s: no article object listed", provKey)
	}
	s.Article = new(extract.Article)
	got, err := readJSON(ctx, st, artRef.Key, s.Article)
	if err != nil {
		return nil, err
	}
	if got.SHA256 != artRef.SHA256 {
		return nil, fmt.Errorf("read %s: sha256 %s, provenance says %s (run `archivist verify`)", artRef.Key, got.SHA256, artRef.SHA256)
	}
	return &s, nil
}

// readJSON decodes the object at key into v and returns its reference.
func readJSON(ctx context.Context, st store.Store, key string, v any) (archive.ObjectRef, error) {
	data, ref, err := ReadObject(ctx, st, key, maxRecordBytes)
	if err != nil {
		return ref, err
	}
	return ref, decodeJSON(key, data, v)
}

// decodeJSON decodes the record object stored at key, gzipped or plain
// by its name, into v.
func decodeJSON(key string, data []byte, v any) error {
	data, err := archive.DecodeRecord(key, data, maxRecordBytes)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %s: %w", key, err)
	}
	return nil
}

// ReadObject reads a whole object of at most limit bytes and returns it
// with its size and SHA-256.
func ReadObject(ctx context.Context, st store.Store, key string, limit int64) ([]byte, archive.ObjectRef, error) {
	ref := archive.ObjectRef{Key: key}
	rc, err := st.Get(ctx, key)
	if err != nil {
		return nil, ref, fmt.Errorf("read %s: %w", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, ref, fmt.Errorf("read %s: %w", key, err)
	}
	if int64(len(data)) > limit {
		return nil, ref, fmt.Errorf("read %s: larger than %d bytes", key, limit)
	}
	sum := sha256.Sum256(data)
	ref.SHA256, ref.Size = hex.EncodeToString(sum[:]), int64(len(data))
	return data, ref, nil
}

// HashObject streams an object and returns its size and SHA-256.
func HashObject(ctx context.Context, st store.Store, key string) (archive.ObjectRef, error) {
	ref := archive.ObjectRef{Key: key}
	rc, err := st.Get(ctx, key)
	if err != nil {
		return ref, fmt.Errorf("read %s: %w", key, err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return ref, fmt.Errorf("read %s: %w", key, err)
	}
	ref.SHA256, ref.Size = hex.EncodeToString(h.Sum(nil)), n
	return ref, nil
}
