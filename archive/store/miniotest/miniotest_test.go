package miniotest

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

func client(t *testing.T, srv *Server) *minio.Client {
	t.Helper()
	c, err := minio.New(srv.Endpoint, &minio.Options{
		Creds:      credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""),
		MaxRetries: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ready(srv *Server) bool {
	resp, err := http.Get("http://" + srv.Endpoint + "/minio/health/ready")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func TestStopRestartKeepsData(t *testing.T) {
	srv := Start(t)
	if !strings.HasPrefix(srv.Endpoint, "127.0.0.1:") || !srv.Running() {
		t.Fatalf("server at %q running=%v, want a running server on 127.0.0.1", srv.Endpoint, srv.Running())
	}
	ctx := context.Background()
	c := client(t, srv)
	if err := c.MakeBucket(ctx, "bucket", minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("make bucket: %v", err)
	}
	if _, err := c.PutObject(ctx, "bucket", "k", strings.NewReader("kept"), 4, minio.PutObjectOptions{}); err != nil {
		t.Fatalf("put: %v", err)
	}

	pid := srv.PID()
	if pid <= 0 {
		t.Fatalf("PID of a running server = %d", pid)
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if srv.Running() || ready(srv) {
		t.Fatal("server still answers after Stop")
	}
	if got := srv.PID(); got != 0 {
		t.Fatalf("PID after Stop = %d, want 0", got)
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("second stop: %v", err)
	}

	endpoint := srv.Endpoint
	if err := srv.Restart(); err != nil {
		t.Fatalf("restart: %v", err)
	}
	if srv.Endpoint != endpoint || !ready(srv) {
		t.Fatalf("restarted server at %q ready=%v, want it ready at %q", srv.Endpoint, ready(srv), endpoint)
	}
	obj, err := c.GetObject(ctx, "bucket", "k", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	got, err := io.ReadAll(obj)
	if err != nil || string(got) != "kept" {
		t.Fatalf("object after restart = %q, %v; want %q", got, err, "kept")
	}
	if err := srv.Restart(); err == nil {
		t.Fatal("restart of a running server succeeded; want an error")
	}
}

func TestShared(t *testing.T) {
	var sh Shared
	first := sh.Server(t)
	if second := sh.Server(t); second != first {
		t.Fatal("second call started another server")
	}
	if !ready(first) {
		t.Fatal("shared server not ready")
	}
	if err := sh.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if ready(first) {
		t.Fatal("shared server still answers after Close")
	}
}

func TestMissingBinarySkips(t *testing.T) {
	t.Setenv(EnvBinary, filepath.Join(t.TempDir(), "no-minio"))
	t.Setenv(EnvRequire, "")
	if _, err := Binary(); err == nil || !strings.Contains(err.Error(), "go install github.com/minio/minio@") {
		t.Fatalf("Binary() = %v, want an error with install instructions", err)
	}
	var skipped bool
	t.Run("needs minio", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		Start(t)
	})
	if !skipped {
		t.Fatal("Start without a binary did not skip the test")
	}
}
