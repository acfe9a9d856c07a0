// Package guard holds the input checks every store backend applies before it
// writes anything: key validation and a body reader that delivers exactly the
// declared number of bytes.
//
// Backends share it so that an invalid key or a body of the wrong length is
// refused the same way, with the same message, whatever the backend.
package guard

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/archivist-project/archivist/archive/store"
)

// keyRules is shown with every rejected key so the caller can fix it without
// reading the source.
const keyRules = "keys are relative slash-separated paths of at most 1024 bytes " +
	"without empty, \".\" or \"..\" segments, backslashes or control characters"

// Key returns an error naming key when store.ValidKey refuses it.
func Key(key string) error {
	if store.ValidKey(key) {
		return nil
	}
	return fmt.Errorf("invalid key %q: %s", key, keyRules)
}

// Body is a reader that yields exactly size bytes of r and fails otherwise.
//
// The check for surplus bytes happens before the last byte is handed out:
// a consumer such as an HTTP transport that stops reading at the declared
// length would otherwise send a complete-looking body, and the server would
// publish an object from a reader that was longer than declared.
//
// Body also checks ctx before every read so that a cancelled Put stops
// between chunks even if r itself never blocks.
type Body struct {
	ctx       context.Context
	r         io.Reader
	size      int64
	remaining int64
	err       error // sticky: once failed, every later Read fails the same way
}

// NewBody wraps r, which must yield exactly size bytes.
func NewBody(ctx context.Context, r io.Reader, size int64) *Body {
	return &Body{ctx: ctx, r: r, size: size, remaining: size}
}

// Err returns the error that made Read fail, or nil. Backends use it to
// report the caller's fault (short body, cancellation) rather than the
// transport error it caused downstream.
func (b *Body) Err() error { return b.err }

// Read implements io.Reader.
func (b *Body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if err := b.ctx.Err(); err != nil {
		b.err = err
		return 0, err
	}
	if b.remaining == 0 {
		if err := b.checkDrained(); err != nil {
			return 0, err
		}
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	n, err := b.r.Read(p)
	b.remaining -= int64(n)
	switch {
	case err != nil && !errors.Is(err, io.EOF):
		b.err = fmt.Errorf("read object body: %w", err)
		return n, b.err
	case b.remaining == 0:
		// Withhold the final bytes until we know nothing follows them.
		if err := b.checkDrained(); err != nil {
			return 0, err
		}
		return n, nil
	case errors.Is(err, io.EOF):
		b.err = fmt.Errorf("read object body: got %d of the %d declared bytes; pass the exact size of the data",
			b.size-b.remaining, b.size)
		return n, b.err
	}
	return n, nil
}

// checkDrained fails if r has data beyond the declared size.
func (b *Body) checkDrained() error {
	var probe [1]byte
	// Bounded like bufio: a reader stuck returning (0, nil) must not hang Put.
	for range 100 {
		n, err := b.r.Read(probe[:])
		if n > 0 {
			b.err = fmt.Errorf("read object body: data continues past the %d declared bytes; pass the exact size of the data", b.size)
			return b.err
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			b.err = fmt.Errorf("read object body: %w", err)
			return b.err
		}
	}
	b.err = fmt.Errorf("read object body: %w", io.ErrNoProgress)
	return b.err
}
