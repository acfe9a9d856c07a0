package catalogtest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/archivist-project/archivist/archive/catalog"
)

// testFirstByPayload checks the lookup behind archive-wide deduplication:
// under any URL, the earliest full capture of a digest, never a revisit,
// and ErrNotFound for an unknown digest.
func testFirstByPayload(t *testing.T, cat catalog.Catalog) {
	digest := strings.Repeat("1f", 32)
	other := strings.Repeat("2e", 32)
	// Inserted out of time order; the revisit is the earliest row of the
	// digest and must be skipped.
	revisit := newEntry(captureID(at(-time.Hour), "RRRRRRRRRR"), "https://mirror.example/copy", at(-time.Hour))
	revisit.PayloadSHA256, revisit.Kind = digest, "revisit"
	late := newEntry(captureID(at(2*time.Hour), "LLLLLLLLLL"), "https://news.example/story", at(2*time.Hour))
	late.PayloadSHA256 = digest
	// Two full captures in the same instant: the smaller capture id wins.
	firstB := newEntry(captureID(at(0), "BBBBBBBBBB"), "https://wire.example/b", at(0))
	firstB.PayloadSHA256 = digest
	firstA := newEntry(captureID(at(0), "AAAAAAAAAA"), "https://wire.example/a", at(0))
	firstA.PayloadSHA256 = digest
	unrelated := newEntry(captureID(at(-2*time.Hour), "UUUUUUUUUU"), "https://news.example/story", at(-2*time.Hour))
	unrelated.PayloadSHA256 = other
	put(t, cat, late, revisit, firstB, unrelated, firstA)

	got, err := cat.FirstByPayload(t.Context(), digest)
	if err != nil {
		t.Fatalf("FirstByPayload: %v", err)
	}
	checkEntry(t, "FirstByPayload", got, firstA)
	if got, err := cat.FirstByPayload(t.Context(), other); err != nil || got.CaptureID != unrelated.CaptureID {
		t.Errorf("FirstByPayload(other) = %s, %v; want %s", got.CaptureID, err, unrelated.CaptureID)
	}
	for _, d := range []string{strings.Repeat("00", 32), ""} {
		if _, err := cat.FirstByPayload(t.Context(), d); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("FirstByPayload(%q) error = %v, want ErrNotFound", d, err)
		}
	}
	// A digest held only by revisits has no full capture to refer to.
	only := strings.Repeat("3d", 32)
	rv := newEntry(captureID(at(3*time.Hour), "VVVVVVVVVV"), "https://news.example/v", at(3*time.Hour))
	rv.PayloadSHA256, rv.Kind = only, "revisit"
	put(t, cat, rv)
	if _, err := cat.FirstByPayload(t.Context(), only); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("FirstByPayload(digest of revisits only) error = %v, want ErrNotFound", err)
	}
}
