package s3

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/archivist-project/archivist/archive/store"
	"github.com/archivist-project/archivist/archive/store/miniotest"
	"github.com/archivist-project/archivist/archive/store/storetest"
)

// sharedMinIO serves every test but the outage test, which stops its own.
var sharedMinIO miniotest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	if err := sharedMinIO.Close(); err != nil {
		println("stop shared minio:", err.Error())
	}
	os.Exit(code)
}

func uniqueBucket() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "test-" + hex.EncodeToString(b)
}

func config(srv *miniotest.Server, bucket, prefix string) Config {
	return Config{
		Endpoint:  srv.Endpoint,
		Bucket:    bucket,
		Prefix:    prefix,
		AccessKey: srv.AccessKey,
		SecretKey: srv.SecretKey,
	}
}

func open(t *testing.T, cfg Config) *Store {
	t.Helper()
	st, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open %s: %v", location(cfg), err)
	}
	return st
}

func TestConformance(t *testing.T) {
	srv := sharedMinIO.Server(t)
	t.Run("BucketRoot", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store {
			return open(t, config(srv, uniqueBucket(), ""))
		})
	})
	t.Run("Prefixed", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store {
			return open(t, config(srv, "shared-bucket", "archives/"+t.Name()))
		})
	})
}

func TestPrefixIsolation(t *testing.T) {
	srv := sharedMinIO.Server(t)
	ctx := context.Background()
	a := open(t, config(srv, "isolation", "/team/a/"))
	b := open(t, config(srv, "isolation", "team/a2"))
	if err := a.Put(ctx, "k", strings.NewReader("in a"), 4); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Stat(ctx, "k"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("object of store a visible in store b: stat = %v", err)
	}
	var inB int
	if err := b.List(ctx, "", func(store.ObjectInfo) error { inB++; return nil }); err != nil || inB != 0 {
		t.Errorf("list of store b = %d objects, %v; want none", inB, err)
	}
	raw, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.StatObject(ctx, "isolation", "team/a/k", minio.StatObjectOptions{}); err != nil {
		t.Errorf("object not stored under the prefix as team/a/k: %v", err)
	}
}

func TestConcurrentOpenCreatesBucket(t *testing.T) {
	srv := sharedMinIO.Server(t)
	bucket := uniqueBucket()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			st, err := Open(context.Background(), config(srv, bucket, ""))
			if err == nil {
				st.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent open %d of a new bucket: %v", i, err)
		}
	}
}

func TestLocation(t *testing.T) {
	cfg := Config{Endpoint: "127.0.0.1:9000", Bucket: "arch", Prefix: "/p/q/", Region: "eu-west-1",
		AccessKey: "AKIDEXAMPLE", SecretKey: "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"}
	cfg.Prefix = strings.Trim(cfg.Prefix, "/")
	got := location(cfg)
	want := "s3://arch/p/q?endpoint=127.0.0.1%3A9000&region=eu-west-1&secure=false"
	if got != want {
		t.Errorf("location = %q, want %q", got, want)
	}
	if strings.Contains(got, cfg.AccessKey) || strings.Contains(got, cfg.SecretKey) {
		t.Errorf("location %q contains credentials", got)
	}
}

func TestConfigErrors(t *testing.T) {
	good := Config{Endpoint: "127.0.0.1:1", Bucket: "arch", AccessKey: "id", SecretKey: "secret"}
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no endpoint", func(c *Config) { c.Endpoint = "" }, "no endpoint"},
		{"endpoint with scheme", func(c *Config) { c.Endpoint = "http://127.0.0.1:1" }, "without scheme"},
		{"no access key", func(c *Config) { c.AccessKey = "" }, "AWS_ACCESS_KEY_ID"},
		{"no secret", func(c *Config) { c.SecretKey = "" }, "AWS_SECRET_ACCESS_KEY"},
		{"bad bucket", func(c *Config) { c.Bucket = "No_Such" }, `bucket "No_Such"`},
		{"bad prefix", func(c *Config) { c.Prefix = "a/../b" }, "invalid prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.change(&cfg)
			_, err := Open(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open = %v, want an error mentioning %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") && cfg.SecretKey != "" {
				t.Fatalf("error %q reveals the secret key", err)
			}
		})
	}
}

func TestBadCredentials(t *testing.T) {
	srv := sharedMinIO.Server(t)
	const wrongSecret = "not-the-secret-5f0e1d2c3b4a"
	tests := []struct {
		name string
		cfg  Config
	}{
		{"wrong secret", Config{Endpoint: srv.Endpoint, Bucket: "creds", AccessKey: srv.AccessKey, SecretKey: wrongSecret}},
		{"unknown key id", Config{Endpoint: srv.Endpoint, Bucket: "creds", AccessKey: "nobody", SecretKey: wrongSecret}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(context.Background(), tt.cfg)
			if !errors.Is(err, store.ErrUnavailable) {
				t.Fatalf("Open with %s = %v, want ErrUnavailable", tt.name, err)
			}
			msg := err.Error()
			for _, want := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", srv.Endpoint, "creds"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not mention %q", msg, want)
				}
			}
			if strings.Contains(msg, wrongSecret) || strings.Contains(msg, srv.SecretKey) {
				t.Errorf("error %q reveals a secret key", msg)
			}
		})
	}
}

// TestOutage stops MinIO under an open store: operations must fail promptly
// with ErrUnavailable, change nothing, and work again once it is back.
func TestOutage(t *testing.T) {
	srv := miniotest.Start(t)
	ctx := context.Background()
	st := open(t, config(srv, "outage", "p"))
	t.Cleanup(func() { st.Close() })
	if err := st.Put(ctx, "before", strings.NewReader("kept"), 4); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}

	// Generous next to the ~30s worst case for a dead endpoint; a refused
	// connection fails in well under a second.
	const bound = 90 * time.Second
	checks := []struct {
		op  string
		run func(context.Context) error
	}{
		{"put", func(ctx context.Context) error { return st.Put(ctx, "during", strings.NewReader("lost"), 4) }},
		{"stat", func(ctx context.Context) error { _, err := st.Stat(ctx, "before"); return err }},
		{"get", func(ctx context.Context) error {
			rc, err := st.Get(ctx, "before")
			if err == nil {
				rc.Close()
			}
			return err
		}},
		{"list", func(ctx context.Context) error {
			return st.List(ctx, "", func(store.ObjectInfo) error { return nil })
		}},
		{"open", func(ctx context.Context) error {
			_, err := Open(ctx, config(srv, "outage", "p"))
			return err
		}},
	}
	for _, c := range checks {
		// The deadline only keeps a broken timeout from hanging the test;
		// the operation must give up on its own, well before it.
		opCtx, cancel := context.WithTimeout(ctx, 2*bound)
		start := time.Now()
		err := c.run(opCtx)
		elapsed := time.Since(start)
		cancel()
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s during outage = %v, want ErrUnavailable", c.op, err)
		} else if !strings.Contains(err.Error(), srv.Endpoint) {
			t.Errorf("%s during outage = %q, want the endpoint named", c.op, err)
		}
		if elapsed > bound {
			t.Errorf("%s during outage took %v, want under %v", c.op, elapsed, bound)
		}
	}

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Stat(ctx, "during"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("put that failed during the outage left an object: stat = %v", err)
	}
	if err := st.Put(ctx, "during", strings.NewReader("now"), 3); err != nil {
		t.Fatalf("put after restart: %v", err)
	}
	rc, err := st.Get(ctx, "before")
	if err != nil {
		t.Fatalf("get after restart: %v", err)
	}
	defer rc.Close()
	if got, err := io.ReadAll(rc); err != nil || string(got) != "kept" {
		t.Fatalf("object written before the outage = %q, %v; want %q", got, err, "kept")
	}
}
