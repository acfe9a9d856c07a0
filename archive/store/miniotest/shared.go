package miniotest

import (
	"errors"
	"os"
	"sync"
	"testing"

	"github.com/archivist-project/archivist/archive/store/s3/minioserver"
)

// Shared starts one server on first use and hands it to every caller, so a
// test package pays MinIO's start-up once. The zero value is ready to use;
// call Close from TestMain after m.Run.
type Shared struct {
	once sync.Once
	srv  *Server
	root string
	err  error
}

// Server returns the shared server, starting it on the first call. Like
// Start it skips or fails tb when no binary is installed, and fails tb if
// the server could not start.
func (sh *Shared) Server(tb testing.TB) *Server {
	tb.Helper()
	bin := requireBinary(tb)
	sh.once.Do(func() {
		sh.root, sh.err = os.MkdirTemp("", "miniotest-")
		if sh.err != nil {
			return
		}
		sh.srv, sh.err = minioserver.Start(bin, sh.root)
	})
	if sh.err != nil {
		tb.Fatal(sh.err)
	}
	return sh.srv
}

// Close stops the shared server, if it was started, and deletes its data.
func (sh *Shared) Close() error {
	var err error
	if sh.srv != nil {
		err = sh.srv.Stop()
	}
	if sh.root != "" {
		err = errors.Join(err, os.RemoveAll(sh.root))
	}
	return err
}
