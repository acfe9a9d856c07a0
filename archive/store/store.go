// Package store defines the immutable object store that is Archivist's
// source of truth, and the errors its backends share.
//
// Backends live in sub-packages (local, s3) and all pass the same test suite
// (storetest). Package location opens a backend from a store URL.
package store

import (
	"context"
	"errors"
	"io"
	"time"
)

// Errors every backend returns (wrapped) so callers can tell cases apart with
// errors.Is.
var (
	// ErrExists: Put found an object already at the key and left it alone.
	ErrExists = errors.New("object already exists")
	// ErrNotFound: no object at the key.
	ErrNotFound = errors.New("object not found")
	// ErrUnavailable: the backend could not be reached or refused the
	// request (network down, bad credentials, disk full). The operation may
	// succeed later; nothing was changed.
	ErrUnavailable = errors.New("store unavailable")
)

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// Store keeps immutable objects under slash-separated keys such as
// "captures/2026/11/27/<id>/capture.warc.gz".
//
// Objects are write-once: Put never replaces an existing object, so a retried
// or concurrent write can never corrupt what is already archived. There is no
// Delete: nothing in Archivist removes archived data.
//
// Implementations are safe for concurrent use.
type Store interface {
	// Put stores the size bytes read from r at key. The object becomes
	// visible only once complete: a crash or error part way leaves no object
	// at key. If an object already exists at key, Put returns an error
	// wrapping ErrExists and changes nothing.
	Put(ctx context.Context, key string, r io.Reader, size int64) error

	// Get opens the object at key for reading. The caller closes it.
	// A missing object gives an error wrapping ErrNotFound.
	Get(ctx context.Context, key string) (io.ReadCloser, error)

	// Stat describes the object at key, or returns an error wrapping
	// ErrNotFound.
	Stat(ctx context.Context, key string) (ObjectInfo, error)

	// List calls fn for every object whose key starts with prefix, in
	// lexical key order. An error from fn stops the listing and is returned.
	List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error

	// Location returns the store's URL with any secret removed, for logs
	// and provenance.
	Location() string

	// Close releases resources held by the store.
	Close() error
}

// ValidKey reports whether key is acceptable to every backend: non-empty,
// relative, slash-separated, without "." or ".." segments, empty segments,
// backslashes or control characters, at most 1024 bytes.
func ValidKey(key string) bool {
	if key == "" || len(key) > 1024 || key[0] == '/' || key[len(key)-1] == '/' {
		return false
	}
	seg := 0
	for i := 0; i <= len(key); i++ {
		if i == len(key) || key[i] == '/' {
			s := key[seg:i]
			if s == "" || s == "." || s == ".." {
				return false
			}
			seg = i + 1
			continue
		}
		if c := key[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return false
		}
	}
	return true
}
