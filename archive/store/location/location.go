// Package location opens a store.Store from a store URL, the one setting
// that tells Archivist where its archive lives:
//
//	/srv/archive or ./archive         a local directory (package local)
//	file:///srv/archive               the same, as a URL
//	s3://BUCKET[/PREFIX]?endpoint=HOST[:PORT]&region=R&secure=true|false
//	                                  an S3 bucket (package s3)
//
// For s3, endpoint defaults to s3.amazonaws.com and secure to true;
// credentials come from the environment (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, optional AWS_SESSION_TOKEN), never from the URL, so
// a URL can be logged and stored in provenance as is. Every store's
// Location() is a URL in one of these forms that Open accepts.
package location

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/archive/store/local"
	"github.com/archivist-project/archivist/archive/store/s3"
)

// Environment variables holding S3 credentials.
const (
	EnvAccessKey    = "AWS_ACCESS_KEY_ID"
	EnvSecretKey    = "AWS_SECRET_ACCESS_KEY"
	EnvSessionToken = "AWS_SESSION_TOKEN"
)

const defaultEndpoint = "s3.amazonaws.com"

// acceptedForms ends every parse error so the user sees what would work.
const acceptedForms = `accepted forms: /path/to/dir, file:///path/to/dir, ` +
	`s3://BUCKET[/PREFIX][?endpoint=HOST[:PORT]&region=REGION&secure=true|false] ` +
	`(S3 credentials from ` + EnvAccessKey + ` and ` + EnvSecretKey + `)`

// target is a parsed store URL: exactly one of dir and s3 is set.
type target struct {
	dir string
	s3  *s3.Config
}

// Open opens the store named by rawURL. env looks up environment variables
// (os.Getenv when nil); it is a parameter so callers and tests control
// where credentials come from.
func Open(ctx context.Context, rawURL string, env func(string) string) (store.Store, error) {
	if env == nil {
		env = os.Getenv
	}
	t, err := parse(rawURL, env)
	if err != nil {
		return nil, err
	}
	if t.s3 != nil {
		st, err := s3.Open(ctx, *t.s3)
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	st, err := local.Open(t.dir)
	if err != nil {
		return nil, err
	}
	return st, nil
}

func parse(rawURL string, env func(string) string) (target, error) {
	fail := func(format string, args ...any) (target, error) {
		return target{}, fmt.Errorf("open store %q: %s; %s", Redact(rawURL), fmt.Sprintf(format, args...), acceptedForms)
	}
	if strings.TrimSpace(rawURL) == "" {
		return fail("empty store URL")
	}
	if !strings.Contains(rawURL, "://") {
		return target{dir: rawURL}, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return fail("not a URL")
	}
	if u.User != nil {
		return fail("credentials in the URL are not accepted; set %s and %s", EnvAccessKey, EnvSecretKey)
	}
	if u.Fragment != "" || u.Opaque != "" {
		return fail("unexpected fragment or opaque part")
	}
	switch u.Scheme {
	case "file":
		return parseFile(u, fail)
	case "s3":
		return parseS3(u, env, fail)
	}
	return fail("unknown scheme %q", u.Scheme)
}

func parseFile(u *url.URL, fail func(string, ...any) (target, error)) (target, error) {
	if u.Host != "" && u.Host != "localhost" {
		return fail("file URLs name a local path: file:///path (three slashes), not host %q", u.Host)
	}
	if u.RawQuery != "" {
		return fail("file URLs take no query parameters")
	}
	if u.Path == "" || !filepath.IsAbs(filepath.FromSlash(u.Path)) {
		return fail("file URL needs an absolute path")
	}
	return target{dir: filepath.FromSlash(u.Path)}, nil
}

func parseS3(u *url.URL, env func(string) string, fail func(string, ...any) (target, error)) (target, error) {
	if u.Host == "" {
		return fail("missing bucket: write s3://BUCKET")
	}
	cfg := s3.Config{
		Endpoint: defaultEndpoint,
		Bucket:   u.Host,
		Prefix:   strings.Trim(u.Path, "/"),
		Secure:   true,
	}
	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return fail("bad query: %v", err)
	}
	for name, values := range query {
		if len(values) != 1 {
			return fail("query parameter %q given %d times", name, len(values))
		}
		v := values[0]
		switch name {
		case "endpoint":
			if v == "" || strings.Contains(v, "/") {
				return fail("endpoint %q must be HOST[:PORT] without scheme; use secure=false for plain HTTP", v)
			}
			cfg.Endpoint = v
		case "region":
			cfg.Region = v
		case "secure":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fail("secure=%q is not true or false", v)
			}
			cfg.Secure = b
		default:
			return fail("unknown query parameter %q", name)
		}
	}
	cfg.AccessKey, cfg.SecretKey, cfg.SessionToken = env(EnvAccessKey), env(EnvSecretKey), env(EnvSessionToken)
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		return fail("missing S3 credentials: set %s and %s", EnvAccessKey, EnvSecretKey)
	}
	return target{s3: &cfg}, nil
}

// secretParams are query parameter names (lower case) whose values Redact
// hides; some tools put keys or presigned signatures there.
var secretParams = []string{"secret", "password", "token", "signature", "credential", "key"}

// Redact returns rawURL with any user information and secret-looking query
// values replaced, fit for logs and error messages. Plain paths are returned as is;
// a URL that cannot be parsed is reduced to its scheme.
func Redact(rawURL string) string {
	scheme, _, isURL := strings.Cut(rawURL, "://")
	if !isURL {
		return rawURL
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return scheme + "://REDACTED"
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			u.RawQuery = "REDACTED"
		} else {
			for name := range q {
				if isSecretParam(name) {
					q[name] = []string{"REDACTED"}
				}
			}
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

func isSecretParam(name string) bool {
	lower := strings.ToLower(name)
	for _, s := range secretParams {
		if strings.Contains(lower, s) {
			return true
		}
	}
	return false
}
