// Package pgtest runs a real PostgreSQL server on loopback for tests, so
// that the PostgreSQL backends are tested against PostgreSQL itself, never
// a fake.
//
// The server comes from the binaries Debian's postgresql package installs
// (/usr/lib/postgresql/VERSION/bin, the newest version), or from the
// directory $ARCHIVIST_POSTGRES_BIN. It runs from a temporary data
// directory (initdb, then postgres listening on 127.0.0.1 and a socket in
// that directory), as the postgres user when the tests run as root (initdb
// refuses root), and is killed with the test binary at the latest.
// Durability settings are off unless ARCHIVIST_PGTEST_DURABLE=1: the tests
// need PostgreSQL's semantics, not its crash safety, and fsync on a shared
// machine is slow; benchmarks set it to count real commit costs.
//
// $ARCHIVIST_TEST_POSTGRES=postgres://USER@HOST/DB names an existing server
// to use instead (USER needs CREATEDB). Without either, tests that need
// PostgreSQL are skipped, unless ARCHIVIST_REQUIRE_POSTGRES=1 (cmd/test.sh
// sets it) makes them fail.
//
// Every test gets its own database from NewDatabase, so tests never see
// each other's rows. One server per test package:
//
//	var pg pgtest.Shared
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		pg.Close()
//		os.Exit(code)
//	}
//
//	func TestSomething(t *testing.T) {
//		dsn := pg.Server(t).NewDatabase(t)
//		...
//	}
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/archivist-project/archivist/archive/pgdb"
)

// Environment variables read by this package.
const (
	EnvBinDir  = "ARCHIVIST_POSTGRES_BIN"
	EnvDSN     = "ARCHIVIST_TEST_POSTGRES"
	EnvRequire = "ARCHIVIST_REQUIRE_POSTGRES"
	// EnvDurable=1 keeps PostgreSQL's durability settings (fsync,
	// synchronous commit), for benchmarks that must count commit costs.
	EnvDurable = "ARCHIVIST_PGTEST_DURABLE"
)

// InstallHint tells how to get the server; it is part of skip and failure
// messages.
const InstallHint = "install PostgreSQL with `apt-get install postgresql` (cmd/test.sh does), set " +
	EnvBinDir + " to a directory holding initdb and postgres, or set " + EnvDSN + " to a server's URL"

const (
	readyTimeout = 60 * time.Second
	stopTimeout  = 15 * time.Second
	superuser    = "archivist"
)

// Server is a PostgreSQL server the tests may create databases in.
type Server struct {
	base *url.URL // URL of the maintenance database, without a path

	proc *exec.Cmd
	done chan struct{}
	log  *os.File
	root string // temporary directory holding data and socket ("" for an external server)
}

// Shared starts one server on first use and hands it to every caller. The
// zero value is ready; a package's TestMain hands its tests to Main, which
// stops the server after them.
type Shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Server returns the shared server, starting it on the first call. It skips
// or fails tb when no PostgreSQL is available.
func (sh *Shared) Server(tb testing.TB) *Server {
	tb.Helper()
	dsn, bin := require(tb)
	sh.once.Do(func() { sh.srv, sh.err = start(dsn, bin) })
	if sh.err != nil {
		tb.Fatal(sh.err)
	}
	return sh.srv
}

// Close stops the shared server, if it was started, and deletes its files.
func (sh *Shared) Close() error {
	if sh.srv == nil {
		return nil
	}
	return sh.srv.Stop()
}

// Main runs a package's tests (TestMain's m), stops the shared server if
// they started it, and exits with the tests' status.
func (sh *Shared) Main(m *testing.M) {
	code := m.Run()
	if err := sh.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "stop postgres:", err)
	}
	os.Exit(code)
}

// Start starts a server for one test and stops it when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	dsn, bin := require(tb)
	srv, err := start(dsn, bin)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			tb.Errorf("stop postgres: %v", err)
		}
	})
	return srv
}

// require returns an external server's URL or the binary directory, or
// ends the test (skip, or fail under ARCHIVIST_REQUIRE_POSTGRES=1).
func require(tb testing.TB) (dsn, bin string) {
	tb.Helper()
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		return dsn, ""
	}
	bin, err := BinDir()
	if err == nil {
		return "", bin
	}
	if os.Getenv(EnvRequire) == "1" {
		tb.Fatalf("%v (%s=1 forbids skipping)", err, EnvRequire)
	}
	tb.Skip(err)
	return "", ""
}

// BinDir returns the directory of initdb and postgres: $ARCHIVIST_POSTGRES_BIN,
// else the newest /usr/lib/postgresql/*/bin.
func BinDir() (string, error) {
	dirs := []string{}
	if d := os.Getenv(EnvBinDir); d != "" {
		dirs = append(dirs, d)
	} else {
		found, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
		// Newest major version first: compare numerically, not as text.
		sort.Slice(found, func(i, j int) bool { return majorOf(found[i]) > majorOf(found[j]) })
		dirs = append(dirs, found...)
	}
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	if len(dirs) == 0 {
		dirs = []string{"/usr/lib/postgresql/*/bin"}
	}
	return "", fmt.Errorf("find PostgreSQL: no initdb and postgres in %s; %s", strings.Join(dirs, ", "), InstallHint)
}

func majorOf(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode().Perm()&0o111 != 0
}

// start uses the external server at dsn, or runs one from bin.
func start(dsn, bin string) (*Server, error) {
	if dsn != "" {
		u, err := url.Parse(dsn)
		if err != nil {
			return nil, fmt.Errorf("%s: not a URL: %w", EnvDSN, err)
		}
		return &Server{base: u}, nil
	}
	root, err := os.MkdirTemp("", "archivist-pg-")
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	s := &Server{root: root, done: make(chan struct{})}
	if err := s.launch(bin); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// launch runs initdb and the server, retrying another port if the chosen
// one is taken before the server binds it.
func (s *Server) launch(bin string) error {
	cred, err := credential()
	if err != nil {
		return err
	}
	if cred != nil {
		if err := os.Chown(s.root, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("start postgres: hand %s to the postgres user: %w", s.root, err)
		}
	}
	data := filepath.Join(s.root, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "--no-sync", "-D", data, "-U", superuser,
		"--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	initdb.Env = cleanEnv()
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("start postgres: initdb: %v\n%s", err, out)
	}
	if s.log, err = os.Create(filepath.Join(s.root, "server.log")); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	var lastErr error
	for range 3 {
		port, err := freePort()
		if err != nil {
			return err
		}
		args := []string{"-D", data, "-p", strconv.Itoa(port), "-k", s.root,
			"-c", "listen_addresses=127.0.0.1",
			"-c", "max_connections=300", "-c", "shared_buffers=128MB",
			"-c", "log_min_messages=warning"}
		if os.Getenv(EnvDurable) != "1" {
			args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
		}
		cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
		cmd.Env = cleanEnv()
		cmd.Stdout, cmd.Stderr = s.log, s.log
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start postgres: %w", err)
		}
		s.proc, s.done = cmd, make(chan struct{})
		go func(done chan struct{}) { cmd.Wait(); close(done) }(s.done)
		s.base = &url.URL{Scheme: "postgres", User: url.User(superuser), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), RawQuery: "sslmode=disable"}
		if lastErr = s.waitReady(); lastErr == nil {
			return nil
		}
		s.kill()
		if !strings.Contains(s.logTail(), "already in use") {
			break
		}
	}
	return lastErr
}

// credential returns the postgres user's ids when running as root, nil
// otherwise.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("start postgres as root: initdb refuses root and there is no postgres user (%v); %s", err, InstallHint)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// cleanEnv drops PG* variables, which would point initdb or the server at
// another cluster or change its settings behind the test's back.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			out = append(out, kv)
		}
	}
	return out
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free loopback port for postgres: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) waitReady() error {
	deadline := time.Now().Add(readyTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, s.URL(s.maintenanceDB()))
		if err == nil {
			conn.Close(ctx)
			cancel()
			return nil
		}
		cancel()
		select {
		case <-s.done:
			return fmt.Errorf("start postgres: exited early; log:\n%s", s.logTail())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("start postgres: not ready after %s (%v); log:\n%s", readyTimeout, err, s.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *Server) logTail() string {
	if s.log == nil {
		return ""
	}
	data, _ := os.ReadFile(s.log.Name())
	if len(data) > 4096 {
		data = data[len(data)-4096:]
	}
	return string(data)
}

// maintenanceDB is the database test databases are created from: the
// external URL's, else "postgres".
func (s *Server) maintenanceDB() string {
	if db := strings.TrimPrefix(s.base.Path, "/"); db != "" {
		return db
	}
	return "postgres"
}

// URL returns the URL of database db on the server.
func (s *Server) URL(db string) string {
	u := *s.base
	u.Path = "/" + db
	return u.String()
}

// NewDatabase creates an empty database for tb and returns its URL.
func (s *Server) NewDatabase(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "t_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL(s.maintenanceDB()))
	if err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	return s.URL(name)
}

// Stop stops the server (fast shutdown, then SIGKILL) and deletes its
// files. An external server is left alone.
func (s *Server) Stop() error {
	if s.root == "" {
		return nil
	}
	var err error
	if s.proc != nil && s.proc.Process != nil {
		select {
		case <-s.done:
		default:
			// SIGINT is PostgreSQL's fast shutdown: sessions are cut, no
			// checkpoint wait.
			_ = s.proc.Process.Signal(syscall.SIGINT)
			select {
			case <-s.done:
			case <-time.After(stopTimeout):
				err = s.kill()
			}
		}
	}
	if s.log != nil {
		s.log.Close()
	}
	return errors.Join(err, os.RemoveAll(s.root))
}

func (s *Server) kill() error {
	if s.proc == nil || s.proc.Process == nil {
		return nil
	}
	if err := s.proc.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill postgres (pid %d): %w", s.proc.Process.Pid, err)
	}
	select {
	case <-s.done:
		return nil
	case <-time.After(stopTimeout):
		return fmt.Errorf("kill postgres (pid %d): still running %s after SIGKILL", s.proc.Process.Pid, stopTimeout)
	}
}

// MigratedDatabase creates a fresh database like NewDatabase and applies
// the given schema components to it, so a test starts where
// `archivist migrate` leaves a real deployment.
func (s *Server) MigratedDatabase(tb testing.TB, comps ...pgdb.Component) string {
	tb.Helper()
	dsn := s.NewDatabase(tb)
	pool, err := pgdb.Connect(tb.Context(), dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer pool.Close()
	if _, err := pgdb.Migrate(tb.Context(), pool, nil, comps...); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return dsn
}
