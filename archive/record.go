package archive

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// RecordEncoder serialises JSON records for objects. Its zero value is
// ready to use, and it is safe for concurrent use. It keeps its gzip
// writers for reuse: a new one allocates about a megabyte of state, more
// than everything else a capture allocates outside extraction.
type RecordEncoder struct {
	gzips sync.Pool // *gzip.Writer
}

// Encode serialises a JSON record for the object named name: gzipped when
// the name ends in ".gz" (Articles and provenance today), plain otherwise
// (the legacy names, which only tests still write). Records are compact,
// one line: pretty-printing made an Article 20% larger for no reader's
// benefit.
func (e *RecordEncoder) Encode(name string, v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	data = append(data, '\n')
	if !strings.HasSuffix(name, ".gz") {
		return data, nil
	}
	var buf bytes.Buffer
	buf.Grow(len(data)/3 + 64)
	zw, _ := e.gzips.Get().(*gzip.Writer)
	if zw == nil {
		zw = gzip.NewWriter(&buf)
	} else {
		zw.Reset(&buf)
	}
	defer e.gzips.Put(zw)
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DecodeRecord returns the JSON of a record object as stored under key:
// gunzipped (to at most limit bytes) when key ends in ".gz".
func DecodeRecord(key string, data []byte, limit int64) ([]byte, error) {
	if !strings.HasSuffix(key, ".gz") {
		return data, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decompress %s: %w", key, err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, fmt.Errorf("decompress %s: %w", key, err)
	}
	if int64(len(out)) > limit {
		return nil, fmt.Errorf("decompress %s: larger than %d bytes", key, limit)
	}
	return out, nil
}
