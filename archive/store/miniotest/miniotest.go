// Package miniotest runs a real MinIO server on loopback for tests, so that
// the S3 backend is tested against S3 semantics rather than a fake. It
// wraps minioserver, which starts and stops the process, with what tests
// need: skipping (or failing) without a binary and stopping the server
// when the test ends.
//
// The binary is $ARCHIVIST_MINIO_BIN, else $HOME/.cache/archivist/bin/minio.
// Install it with:
//
//	GOBIN=$HOME/.cache/archivist/bin go install github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c
//
// Without a binary, tests that need MinIO are skipped, unless
// ARCHIVIST_REQUIRE_MINIO=1 (set in CI) makes them fail instead.
//
// Start gives a test its own server, stopped when the test ends. To share
// one server across a test package, hold a Shared in the test package and
// close it from TestMain:
//
//	var minio miniotest.Shared
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		minio.Close()
//		os.Exit(code)
//	}
//
//	func TestSomething(t *testing.T) {
//		srv := minio.Server(t)
//		...
//	}
//
// Tests sharing a server should each use their own bucket or key prefix.
//
// Server.Stop and Server.Restart simulate an outage: the server comes back
// on the same address with the same data and credentials.
package miniotest

import (
	"os"
	"testing"

	"github.com/archivist-project/archivist/archive/store/s3/minioserver"
)

// Environment variables read by this package.
const (
	EnvBinary  = minioserver.EnvBinary
	EnvRequire = "ARCHIVIST_REQUIRE_MINIO"
)

// InstallHint tells how to get the binary; it is part of skip and failure
// messages.
const InstallHint = minioserver.InstallHint

// Server is a running MinIO server: Endpoint, AccessKey and SecretKey to
// reach it, Stop and Restart to simulate an outage.
type Server = minioserver.Server

// Start starts a MinIO server with a fresh data directory and registers its
// shutdown with tb.Cleanup. It skips the test when no binary is installed,
// or fails it if ARCHIVIST_REQUIRE_MINIO=1.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin := requireBinary(tb)
	srv, err := minioserver.Start(bin, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			tb.Errorf("stop minio: %v", err)
		}
	})
	return srv
}

// Binary returns the path of the MinIO binary to run, or an error with
// installation instructions.
func Binary() (string, error) { return minioserver.Binary() }

// requireBinary returns the binary or ends the test (skip or fail).
func requireBinary(tb testing.TB) string {
	tb.Helper()
	bin, err := Binary()
	if err == nil {
		return bin
	}
	if os.Getenv(EnvRequire) == "1" {
		tb.Fatalf("%v (%s=1 forbids skipping)", err, EnvRequire)
	}
	tb.Skip(err)
	return ""
}
