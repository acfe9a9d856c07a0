package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/minio/minio-go/v7"

	"github.com/archivist-project/archivist/archive/store"
)

// credentialCodes are the S3 error codes that mean the credentials, not the
// request, are at fault.
var credentialCodes = map[string]bool{
	"InvalidAccessKeyId":    true,
	"SignatureDoesNotMatch": true,
	"AccessDenied":          true,
	"InvalidToken":          true,
	"ExpiredToken":          true,
	"InvalidSecurity":       true,
}

// classify wraps err from operation op with the store error it stands for
// and, for conditions an operator must fix, says what to do. Messages name
// the endpoint and bucket but never the secret key.
func (s *Store) classify(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		// The caller gave up; report that rather than the transport's
		// rendering of it.
		return fmt.Errorf("%s: %w", op, cerr)
	}
	where := fmt.Sprintf("endpoint %s bucket %s", s.cfg.Endpoint, s.cfg.Bucket)
	var resp minio.ErrorResponse
	if !errors.As(err, &resp) {
		// Not an S3 answer: DNS, refused connection, timeout, TLS.
		return fmt.Errorf("%s: %w: cannot reach %s: %w; check the endpoint and the network", op, store.ErrUnavailable, where, err)
	}
	switch {
	case resp.Code == minio.NoSuchKey:
		return fmt.Errorf("%s: %w in %s", op, store.ErrNotFound, s.Location())
	case resp.Code == minio.PreconditionFailed || resp.StatusCode == http.StatusPreconditionFailed:
		return fmt.Errorf("%s: %w in %s", op, store.ErrExists, s.Location())
	case credentialCodes[resp.Code] || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%s: %w: %s refused the credentials (%s: %s); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY and the key's permissions on the bucket",
			op, store.ErrUnavailable, where, resp.Code, resp.Message)
	case resp.Code == minio.NoSuchBucket:
		return fmt.Errorf("%s: %w: %s: the bucket does not exist; create it or reopen the store to have it created", op, store.ErrUnavailable, where)
	case resp.StatusCode == http.StatusNotFound && op != "list":
		// HEAD responses have no body, hence no code.
		return fmt.Errorf("%s: %w in %s", op, store.ErrNotFound, s.Location())
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.Code == "SlowDown" || resp.Code == "RequestTimeout":
		return fmt.Errorf("%s: %w: %s answered %d %s (%s); retry later", op, store.ErrUnavailable, where, resp.StatusCode, resp.Code, resp.Message)
	}
	return fmt.Errorf("%s: %s: %w", op, where, err)
}
