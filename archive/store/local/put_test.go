package local

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/archivist-project/archivist/archive/store"
)

// storeFiles returns every non-directory under dir, temporary files
// included, as slash-separated paths relative to dir, sorted.
func storeFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk store %s: %v", dir, err)
	}
	slices.Sort(files)
	return files
}

// gateReader yields head, then, once asked for more (so head has been
// written), closes inflight and waits for release: nil lets the rest
// follow, an error fails the Put part way.
type gateReader struct {
	head     []byte
	rest     io.Reader
	inflight chan struct{}
	release  chan error
	state    int
}

func newGateReader(data []byte, headLen int) *gateReader {
	return &gateReader{
		head:     data[:headLen],
		rest:     bytes.NewReader(data[headLen:]),
		inflight: make(chan struct{}),
		release:  make(chan error, 1),
	}
}

func (g *gateReader) Read(p []byte) (int, error) {
	switch g.state {
	case 0:
		g.state++
		return copy(p, g.head), nil // head is smaller than Put's buffer
	case 1:
		g.state++
		close(g.inflight)
		if err := <-g.release; err != nil {
			return 0, err
		}
	}
	return g.rest.Read(p)
}

// gatedPut starts a Put of data at key from a gateReader and returns the
// reader and the channel that receives Put's result.
func gatedPut(st *Store, key string, data []byte) (*gateReader, chan error) {
	g := newGateReader(data, 64<<10)
	done := make(chan error, 1)
	go func() { done <- st.Put(context.Background(), key, g, int64(len(data))) }()
	return g, done
}

func testData(n int) []byte {
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i*7 + i>>8)
	}
	return data
}

// TestPutNamesNothingUntilComplete checks, on both paths, what a Put
// leaves on disk while it writes, once it succeeds, and once its source
// fails part way: never a partial object at the key, and nothing in .tmp
// after it returns.
func TestPutNamesNothingUntilComplete(t *testing.T) {
	const key = "captures/c1/capture.warc.gz"
	for _, mode := range testModes {
		for _, fail := range []bool{false, true} {
			name := mode.name + "/success"
			if fail {
				name = mode.name + "/source fails mid-copy"
			}
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				st, err := open(dir, mode.opts)
				if err != nil {
					t.Fatal(err)
				}
				data := testData(300 << 10)
				g, done := gatedPut(st, key, data)
				<-g.inflight

				files := storeFiles(t, dir)
				if st.tmpfile.Load() {
					if len(files) != 0 {
						t.Errorf("files while a put is writing: %q; want none (the data is in an unnamed file)", files)
					}
				} else {
					if mode.opts == (options{}) {
						t.Log("this filesystem lacks O_TMPFILE: testing the portable path twice")
					}
					if len(files) != 1 || !strings.HasPrefix(files[0], tmpDirName+"/put-") {
						t.Errorf("files while a put is writing: %q; want one temporary file in %s", files, tmpDirName)
					}
				}
				if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(key))); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("object path exists before the put completed (lstat: %v)", err)
				}

				var cause error
				if fail {
					cause = errors.New("source connection reset")
				}
				g.release <- cause
				err = <-done
				files = storeFiles(t, dir)
				if fail {
					if err == nil || !errors.Is(err, cause) || !strings.Contains(err.Error(), key) {
						t.Fatalf("put from a failing source = %v, want the source's error naming the key", err)
					}
					if len(files) != 0 {
						t.Fatalf("files after the failed put: %q; want none", files)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if len(files) != 1 || files[0] != key {
					t.Fatalf("files after the put: %q; want only %s", files, key)
				}
				if got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(key))); err != nil || !bytes.Equal(got, data) {
					t.Fatalf("object: %d bytes, %v; want the %d bytes put", len(got), err, len(data))
				}
			})
		}
	}
}

// TestPutLosesRaceAtPublish makes another writer publish the key while a
// Put is copying: the link must refuse with ErrExists, keep the winner's
// bytes, and leave the loser's data nowhere.
func TestPutLosesRaceAtPublish(t *testing.T) {
	const key = "race/obj"
	for _, mode := range testModes {
		t.Run(mode.name, func(t *testing.T) {
			dir := t.TempDir()
			st := mustOpen(t, dir, mode.opts)
			g, done := gatedPut(st, key, testData(200<<10))
			<-g.inflight
			if err := putString(context.Background(), st, key, "winner"); err != nil {
				t.Errorf("put by the winner: %v", err)
			}
			g.release <- nil
			err := <-done
			if !errors.Is(err, store.ErrExists) || !strings.Contains(err.Error(), key) {
				t.Fatalf("put that lost the race = %v, want ErrExists naming the key", err)
			}
			if got, err := os.ReadFile(filepath.Join(dir, "race", "obj")); err != nil || string(got) != "winner" {
				t.Fatalf("object after the race = %q, %v; want the winner's bytes", got, err)
			}
			if files := storeFiles(t, dir); len(files) != 1 {
				t.Fatalf("files after the race: %q; want only the winner's object", files)
			}
		})
	}
}

// crashHelperEnv, set, makes TestCrashMidPut the child process that is
// killed: "MODE:DIR".
const crashHelperEnv = "ARCHIVIST_TEST_LOCAL_CRASH"

// TestCrashMidPut kills (SIGKILL) a process in the middle of a Put. With
// O_TMPFILE nothing at all is left; the portable path leaves one temporary
// file in .tmp, which Open removes once stale. Either way no object
// appears and the key can be written afterwards.
func TestCrashMidPut(t *testing.T) {
	if spec := os.Getenv(crashHelperEnv); spec != "" {
		crashHelper(spec)
		return
	}
	const key = "crash/capture.warc.gz"
	for _, mode := range testModes {
		t.Run(mode.name, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashMidPut$")
			cmd.Env = append(os.Environ(), crashHelperEnv+"="+mode.name+":"+dir)
			// The child blocks reading this pipe; if the test dies first, EOF
			// ends the child too.
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(out).ReadString('\n')
			if kerr := cmd.Process.Kill(); kerr != nil {
				t.Fatal(kerr)
			}
			cmd.Wait() // killed: its error says so
			var path string
			if _, serr := fmt.Sscanf(line, "inflight %s\n", &path); err != nil || serr != nil {
				t.Fatalf("child did not reach the middle of its put: %q, %v", line, err)
			}

			files := storeFiles(t, dir)
			switch path {
			case "tmpfile":
				if len(files) != 0 {
					t.Fatalf("files after a crash mid-put: %q; want none", files)
				}
			case "fallback":
				if len(files) != 1 || !strings.HasPrefix(files[0], tmpDirName+"/") {
					t.Fatalf("files after a crash mid-put: %q; want one temporary file", files)
				}
			default:
				t.Fatalf("child reported path %q", path)
			}
			st := mustOpen(t, dir, mode.opts)
			if _, err := st.Stat(context.Background(), key); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("stat after the crash = %v, want ErrNotFound", err)
			}
			if err := putString(context.Background(), st, key, "again"); err != nil {
				t.Fatalf("put of the key after the crash: %v", err)
			}
		})
	}
}

// crashHelper runs in the child: it starts a Put, reports which path it
// takes once part of the data is written, and blocks until killed.
func crashHelper(spec string) {
	mode, dir, _ := strings.Cut(spec, ":")
	st, err := open(dir, options{noTmpfile: mode == "fallback"})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	data := testData(300 << 10)
	g := newGateReader(data, 64<<10)
	go func() {
		<-g.inflight
		path := "fallback"
		if st.tmpfile.Load() {
			path = "tmpfile"
		}
		fmt.Printf("inflight %s\n", path)
		_, err := io.Copy(io.Discard, os.Stdin)
		g.release <- fmt.Errorf("parent gone: %v", err)
	}()
	err = st.Put(context.Background(), "crash/capture.warc.gz", g, int64(len(data)))
	fmt.Println("put returned", err)
	os.Exit(3)
}
