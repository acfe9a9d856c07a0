package guard

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestKey(t *testing.T) {
	if err := Key("captures/2026/11/27/x/capture.warc.gz"); err != nil {
		t.Fatalf("valid key refused: %v", err)
	}
	err := Key("a//b")
	if err == nil || !strings.Contains(err.Error(), `"a//b"`) || !strings.Contains(err.Error(), "segments") {
		t.Fatalf("Key(a//b) = %v, want an error naming the key and the rules", err)
	}
}

func TestBody(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 1000)
	tests := []struct {
		name    string
		src     io.Reader
		size    int64
		wantErr string
	}{
		{"exact", bytes.NewReader(data), int64(len(data)), ""},
		{"exact one byte at a time", iotest.OneByteReader(bytes.NewReader(data)), int64(len(data)), ""},
		{"exact with data and EOF together", iotest.DataErrReader(bytes.NewReader(data)), int64(len(data)), ""},
		{"empty", bytes.NewReader(nil), 0, ""},
		{"short", bytes.NewReader(data), int64(len(data)) + 1, "got 10000 of the 10001"},
		{"long", bytes.NewReader(data), int64(len(data)) - 1, "continues past the 9999"},
		{"empty declared, data given", bytes.NewReader(data), 0, "continues past the 0"},
		{"reader error", iotest.TimeoutReader(bytes.NewReader(data)), int64(len(data)), "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBody(context.Background(), tt.src, tt.size)
			var out bytes.Buffer
			_, err := io.Copy(&out, b)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("copy: %v", err)
				}
				if !bytes.Equal(out.Bytes(), data[:tt.size]) {
					t.Fatalf("got %d bytes, want the first %d of the source", out.Len(), tt.size)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("copy error = %v, want one containing %q", err, tt.wantErr)
			}
			if int64(out.Len()) >= tt.size && tt.size > 0 {
				t.Fatalf("consumer received %d bytes of a %d-byte body that failed; it must never see a complete body", out.Len(), tt.size)
			}
			if b.Err() != err {
				t.Fatalf("Err() = %v, want the read error %v", b.Err(), err)
			}
		})
	}
}

// A consumer that stops at the declared length, like net/http with a
// ContentLength, must not receive the last byte of an over-long body.
func TestBodyLongWithLimitedConsumer(t *testing.T) {
	b := NewBody(context.Background(), strings.NewReader("abcdef"), 3)
	got, err := io.ReadAll(io.LimitReader(b, 3))
	if err == nil || len(got) == 3 {
		t.Fatalf("limited read got %q, %v; want fewer than 3 bytes and an error", got, err)
	}
}

func TestBodyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	b := NewBody(ctx, strings.NewReader("abcdef"), 6)
	buf := make([]byte, 2)
	if _, err := b.Read(buf); err != nil {
		t.Fatalf("first read: %v", err)
	}
	cancel()
	if _, err := b.Read(buf); !errors.Is(err, context.Canceled) {
		t.Fatalf("read after cancel = %v, want context.Canceled", err)
	}
	if !errors.Is(b.Err(), context.Canceled) {
		t.Fatalf("Err() = %v, want context.Canceled", b.Err())
	}
}
