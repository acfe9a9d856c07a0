// Package minioserver runs a real MinIO server process on loopback, with
// its own data directory and random root credentials. The S3 tests use it
// through miniotest, which adds what only tests need (skipping without a
// binary, cleanup); the benchmark harness in the archivist binary uses it
// directly, so this package must not import testing.
//
// The binary is $ARCHIVIST_MINIO_BIN, else $HOME/.cache/archivist/bin/minio.
// Install it with:
//
//	GOBIN=$HOME/.cache/archivist/bin go install github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c
//
// Server.Stop and Server.Restart simulate an outage: the server comes back
// on the same address with the same data and credentials.
package minioserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// EnvBinary names the MinIO binary to run (Binary reads it).
const EnvBinary = "ARCHIVIST_MINIO_BIN"

// InstallHint tells how to get the binary; it is part of error messages.
const InstallHint = "install MinIO with `GOBIN=$HOME/.cache/archivist/bin go install " +
	"github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c` or set " + EnvBinary + " to a minio binary"

const (
	readyTimeout = 60 * time.Second
	logTailBytes = 8 << 10
)

// Server is a running MinIO server. Its fields are fixed for its lifetime,
// across Stop and Restart.
type Server struct {
	// Endpoint is host:port on 127.0.0.1, without scheme (plain HTTP).
	Endpoint string
	// AccessKey and SecretKey are the root credentials.
	AccessKey string
	SecretKey string

	bin         string
	dataDir     string
	configDir   string
	consoleAddr string

	mu   sync.Mutex
	proc *process // nil while stopped
}

// Binary returns the path of the MinIO binary to run, or an error with
// installation instructions.
func Binary() (string, error) {
	bin := os.Getenv(EnvBinary)
	if bin == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find minio binary: %w; %s", err, InstallHint)
		}
		bin = filepath.Join(home, ".cache", "archivist", "bin", "minio")
	}
	fi, err := os.Stat(bin)
	if err != nil {
		return "", fmt.Errorf("find minio binary: %w; %s", err, InstallHint)
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("find minio binary: %s is not an executable file; %s", bin, InstallHint)
	}
	return bin, nil
}

// Start starts a MinIO server from bin with its data and configuration
// under root, on free loopback ports with random root credentials, and
// waits until it serves S3 requests (up to a minute). It retries with new
// ports if another process grabs a chosen port first. The caller stops it
// with Stop and removes root.
func Start(bin, root string) (*Server, error) {
	user, pass := randomHex(10), randomHex(20)
	srv := &Server{
		AccessKey: user,
		SecretKey: pass,
		bin:       bin,
		dataDir:   filepath.Join(root, "data"),
		configDir: filepath.Join(root, "config"),
	}
	var lastErr error
	for range 3 {
		api, err := freeLoopbackAddr()
		if err != nil {
			return nil, err
		}
		console, err := freeLoopbackAddr()
		if err != nil {
			return nil, err
		}
		srv.Endpoint, srv.consoleAddr = api, console
		if lastErr = srv.Restart(); lastErr == nil {
			return srv, nil
		}
		if !strings.Contains(lastErr.Error(), "address already in use") {
			break
		}
	}
	return nil, lastErr
}

// Stop kills the server and waits for it to exit. The data directory is
// kept, so Restart brings back the same objects. Stopping a stopped server
// does nothing.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return nil
	}
	err := s.proc.kill()
	s.proc = nil
	return err
}

// Restart starts a stopped server again on the same address, data and
// credentials, and waits until it is ready (up to a minute). It is safe to
// call from any goroutine, for example to end a simulated outage.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return fmt.Errorf("restart minio at %s: already running; call Stop first", s.Endpoint)
	}
	p, err := s.launch()
	if err != nil {
		return err
	}
	if err := p.waitReady(s.Endpoint, readyTimeout); err != nil {
		kerr := p.kill()
		return errors.Join(err, kerr)
	}
	s.proc = p
	return nil
}

// PID returns the server's process id, 0 while it is stopped: the
// benchmark harness reads the server's own CPU time from it.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil || s.proc.cmd.Process == nil {
		return 0
	}
	return s.proc.cmd.Process.Pid
}

// Running reports whether the server process is up (not stopped, not
// crashed).
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc != nil && !s.proc.exited()
}

func (s *Server) launch() (*process, error) {
	cmd := exec.Command(s.bin, "server",
		"--address", s.Endpoint,
		"--console-address", s.consoleAddr,
		"--certs-dir", filepath.Join(s.configDir, "certs"),
		"--quiet",
		s.dataDir)
	cmd.Env = append(minioFreeEnv(os.Environ()),
		"HOME="+s.configDir,
		"MINIO_ROOT_USER="+s.AccessKey,
		"MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_CALLHOME_ENABLE=off",
		// The host is shared; background scanning would steal CPU from the
		// tests or measurements the server is there for.
		"MINIO_SCANNER_SPEED=slowest",
	)
	setParentDeathSignal(cmd)
	return startProcess(cmd)
}

// minioFreeEnv drops inherited MINIO_ and AWS_ settings, which could change
// the server's behaviour or credentials behind the caller's back.
func minioFreeEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if strings.HasPrefix(kv, "MINIO_") || strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "HOME=") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free loopback port for minio: %w", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", fmt.Errorf("find a free loopback port for minio: %w", err)
	}
	return addr, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	// crypto/rand.Read never fails since Go 1.24: it crashes the program instead.
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// waitReady polls until MinIO is ready and serves S3 requests, the process
// exits, or timeout passes. The health endpoint alone is not enough: it
// answers 200 while S3 requests still get 503 "server not initialized".
func (p *process) waitReady(endpoint string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if answers(ctx, client, "http://"+endpoint+"/minio/health/ready", func(code int) bool { return code == http.StatusOK }) &&
			// Anonymous ListBuckets: 403 once initialized, 503 before.
			answers(ctx, client, "http://"+endpoint+"/", func(code int) bool { return code != http.StatusServiceUnavailable }) {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("start minio at %s: exited early (%v); log tail:\n%s", endpoint, p.waitErr, p.log.String())
		case <-ctx.Done():
			return fmt.Errorf("start minio at %s: not ready after %v; log tail:\n%s", endpoint, timeout, p.log.String())
		case <-tick.C:
		}
	}
}

// answers reports whether a GET of url gets a response whose status
// satisfies ok.
func answers(ctx context.Context, client *http.Client, url string, ok func(int) bool) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return ok(resp.StatusCode)
}
