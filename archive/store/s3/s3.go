// Package s3 is the store.Store backend on an S3-compatible object store
// (AWS S3, MinIO, and others that honour conditional writes), built on
// minio-go.
//
// # Durability
//
// Once Put returns nil, the server has acknowledged the whole object; from
// then on its durability is the server's (AWS S3 and MinIO acknowledge only
// after the object is persisted). An object becomes visible only when its
// upload completes: a failed, short or cancelled upload leaves nothing.
//
// # Write-once
//
// Put is a single PUT request with "If-None-Match: *", so the server itself
// refuses to overwrite an existing object, also against other processes; the
// refusal (412 Precondition Failed) is reported as store.ErrExists. Servers
// that ignore the header would silently overwrite: use AWS S3 (since 2024),
// MinIO, or another server known to support conditional writes. Multipart
// uploads are not used because minio-go does not carry the condition to the
// completing request, which limits an object to 5 GiB.
//
// # Failures
//
// Network errors, server errors (5xx) and refused credentials are reported
// as store.ErrUnavailable with a message naming the endpoint and bucket.
// Connection and response-header timeouts and a small retry budget make an
// unreachable endpoint fail within about 30 seconds instead of hanging.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"

	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/archive/store/internal/guard"
)

const (
	connectTimeout        = 10 * time.Second
	responseHeaderTimeout = 60 * time.Second
	// maxRetries bounds minio-go's own retries of idempotent requests: with
	// its backoff capped at 1s and the timeouts above, a dead endpoint fails
	// in seconds when refused and in about 30s when packets are dropped.
	maxRetries = 3
	// maxObjectSize is S3's single-PUT limit; see the package comment.
	maxObjectSize = 5 << 30
)

// Config says where the store is and how to authenticate.
type Config struct {
	// Endpoint is the server's host[:port], without scheme, e.g.
	// "s3.amazonaws.com" or "127.0.0.1:9000".
	Endpoint string
	// Bucket holds the objects; Open creates it if missing.
	Bucket string
	// Prefix, if set, is prepended (with "/") to every key, so several
	// archives can share a bucket.
	Prefix string
	// Region of the bucket; empty lets the client discover it.
	Region string
	// Secure selects HTTPS.
	Secure bool
	// AccessKey, SecretKey and the optional SessionToken are the
	// credentials, usually from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
	// and AWS_SESSION_TOKEN.
	AccessKey    string
	SecretKey    string
	SessionToken string
}

// Store is a store.Store on an S3 bucket. It is safe for concurrent use.
type Store struct {
	client    *minio.Client
	transport *http.Transport
	cfg       Config // Prefix without surrounding slashes
}

var _ store.Store = (*Store)(nil)

// Open connects to the bucket described by cfg, creating the bucket if it
// does not exist. Unreachable endpoints and refused credentials give an
// error wrapping store.ErrUnavailable.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg.Prefix = strings.Trim(cfg.Prefix, "/")
	if err := checkConfig(cfg); err != nil {
		return nil, err
	}
	transport, err := minio.DefaultTransport(cfg.Secure)
	if err != nil {
		return nil, fmt.Errorf("open s3 store %s: build transport: %w", location(cfg), err)
	}
	transport.DialContext = (&net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second}).DialContext
	transport.TLSHandshakeTimeout = connectTimeout
	transport.ResponseHeaderTimeout = responseHeaderTimeout

	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:      credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, cfg.SessionToken),
		Secure:     cfg.Secure,
		Transport:  transport,
		Region:     cfg.Region,
		MaxRetries: maxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("open s3 store %s: %w", location(cfg), err)
	}
	s := &Store{client: client, transport: transport, cfg: cfg}
	if err := s.ensureBucket(ctx); err != nil {
		transport.CloseIdleConnections()
		return nil, fmt.Errorf("open s3 store %s: %w", s.Location(), err)
	}
	return s, nil
}

func checkConfig(cfg Config) error {
	loc := location(cfg)
	switch {
	case cfg.Endpoint == "":
		return fmt.Errorf("open s3 store %s: no endpoint; give the server's host[:port], e.g. s3.amazonaws.com", loc)
	case strings.Contains(cfg.Endpoint, "/"):
		return fmt.Errorf("open s3 store %s: endpoint %q must be host[:port] without scheme or path; choose HTTPS with Secure", loc, cfg.Endpoint)
	case cfg.AccessKey == "" || cfg.SecretKey == "":
		return fmt.Errorf("open s3 store %s: missing credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", loc)
	}
	if err := s3utils.CheckValidBucketNameStrict(cfg.Bucket); err != nil {
		return fmt.Errorf("open s3 store %s: bucket %q: %w", loc, cfg.Bucket, err)
	}
	if cfg.Prefix != "" && !store.ValidKey(cfg.Prefix) {
		return fmt.Errorf("open s3 store %s: invalid prefix %q; use slash-separated names without empty, \".\" or \"..\" segments", loc, cfg.Prefix)
	}
	return nil
}

func (s *Store) ensureBucket(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.cfg.Bucket)
	if err != nil {
		return s.classify(ctx, "check bucket", err)
	}
	if ok {
		return nil
	}
	err = s.client.MakeBucket(ctx, s.cfg.Bucket, minio.MakeBucketOptions{Region: s.cfg.Region})
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && resp.Code == "BucketAlreadyOwnedByYou" {
		return nil // another process created it first
	}
	if err != nil {
		return s.classify(ctx, "create bucket", err)
	}
	return nil
}

// Location returns "s3://BUCKET[/PREFIX]?endpoint=HOST&region=R&secure=B",
// the form package location opens; credentials are never part of it.
func (s *Store) Location() string { return location(s.cfg) }

func location(cfg Config) string {
	q := url.Values{}
	q.Set("endpoint", cfg.Endpoint)
	if cfg.Region != "" {
		q.Set("region", cfg.Region)
	}
	q.Set("secure", strconv.FormatBool(cfg.Secure))
	u := url.URL{Scheme: "s3", Host: cfg.Bucket, RawQuery: q.Encode()}
	if cfg.Prefix != "" {
		u.Path = "/" + cfg.Prefix
	}
	return u.String()
}

// Close drops idle connections to the server.
func (s *Store) Close() error {
	s.transport.CloseIdleConnections()
	return nil
}

func (s *Store) objectName(key string) string {
	if s.cfg.Prefix == "" {
		return key
	}
	return s.cfg.Prefix + "/" + key
}

// Put implements store.Store.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := guard.Key(key); err != nil {
		return fmt.Errorf("put: %w", err)
	}
	switch {
	case size < 0:
		return fmt.Errorf("put %q: negative size %d; pass the exact size of the data", key, size)
	case size > maxObjectSize:
		return fmt.Errorf("put %q: %d bytes exceed the %d-byte limit of a single conditional PUT; split the object", key, size, int64(maxObjectSize))
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %q: %w", key, err)
	}
	body := guard.NewBody(ctx, r, size)
	var payload io.Reader = body
	if size == 0 {
		// Check emptiness here: an HTTP client sends no body for a zero
		// length and would never read r.
		if _, err := body.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
			return fmt.Errorf("put %q: %w", key, err)
		}
		payload = http.NoBody
	}
	opts := minio.PutObjectOptions{
		ContentType:      "application/octet-stream",
		DisableMultipart: true,
	}
	opts.SetMatchETagExcept("*")
	_, err := s.client.PutObject(ctx, s.cfg.Bucket, s.objectName(key), payload, size, opts)
	if err == nil {
		return nil
	}
	if berr := body.Err(); berr != nil {
		return fmt.Errorf("put %q: %w", key, berr)
	}
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && (resp.Code == "ConditionalRequestConflict" || resp.StatusCode == http.StatusConflict) {
		// A concurrent conditional write raced ours; whether it won decides
		// between "exists" and "try again".
		if _, serr := s.Stat(ctx, key); serr == nil {
			return fmt.Errorf("put %q: %w in %s (a concurrent write won)", key, store.ErrExists, s.Location())
		}
	}
	return fmt.Errorf("put %q: %w", key, s.classify(ctx, "upload", err))
}

// Get implements store.Store. The returned reader uses ctx: cancelling it
// stops reading.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := guard.Key(key); err != nil {
		return nil, fmt.Errorf("get: %w", err)
	}
	obj, err := s.client.GetObject(ctx, s.cfg.Bucket, s.objectName(key), minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("get %q: %w", key, s.classify(ctx, "download", err))
	}
	// GetObject is lazy; Stat sends the request so a missing object is
	// reported here rather than on the first Read.
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		return nil, fmt.Errorf("get %q: %w", key, s.classify(ctx, "download", err))
	}
	return obj, nil
}

// Stat implements store.Store.
func (s *Store) Stat(ctx context.Context, key string) (store.ObjectInfo, error) {
	if err := guard.Key(key); err != nil {
		return store.ObjectInfo{}, fmt.Errorf("stat: %w", err)
	}
	info, err := s.client.StatObject(ctx, s.cfg.Bucket, s.objectName(key), minio.StatObjectOptions{})
	if err != nil {
		return store.ObjectInfo{}, fmt.Errorf("stat %q: %w", key, s.classify(ctx, "stat", err))
	}
	return store.ObjectInfo{Key: key, Size: info.Size, ModTime: info.LastModified}, nil
}

// List implements store.Store. Objects under the store's prefix whose
// names are not valid keys (written by other tools) are not listed.
func (s *Store) List(ctx context.Context, prefix string, fn func(store.ObjectInfo) error) error {
	// Every segment of a valid key is valid, so a prefix whose directory
	// part is not a valid key cannot match any object; some servers would
	// reject it instead of listing nothing.
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 && !store.ValidKey(prefix[:i]) {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops minio-go's listing goroutine when fn fails
	strip := ""
	if s.cfg.Prefix != "" {
		strip = s.cfg.Prefix + "/"
	}
	objects := s.client.ListObjects(ctx, s.cfg.Bucket, minio.ListObjectsOptions{
		Prefix:    strip + prefix,
		Recursive: true,
	})
	for obj := range objects {
		if obj.Err != nil {
			return fmt.Errorf("list %q: %w", prefix, s.classify(ctx, "list", obj.Err))
		}
		key, ok := strings.CutPrefix(obj.Key, strip)
		if !ok || !store.ValidKey(key) {
			continue
		}
		if err := fn(store.ObjectInfo{Key: key, Size: obj.Size, ModTime: obj.LastModified}); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("list %q: %w", prefix, err)
	}
	return nil
}
