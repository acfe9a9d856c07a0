package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// SiteReadyPrefix starts the line `archivist bench-site` prints once it
// serves; the address follows it.
const SiteReadyPrefix = "bench-site: serving on http://"

// siteProc is the fixture server running as a child process, so that the
// CPU it spends serving never shows in this process's measurements.
type siteProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addr  string // 127.0.0.1:PORT
	port  string
	done  chan error
}

// startSite runs `archivist bench-site` with the fixture's options and
// waits for its address.
func startSite(ctx context.Context, cfg Config) (*siteProc, error) {
	cmd := exec.Command(cfg.Exe, "bench-site",
		"--pages", strconv.Itoa(cfg.Pages), "--per-host", strconv.Itoa(cfg.PerHost),
		"--seed", strconv.FormatInt(cfg.Seed, 10), "--eval", cfg.EvalDir)
	cmd.Env = childEnv(cfg)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("bench: start the fixture server: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("bench: start the fixture server: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start the fixture server %s bench-site: %w", cfg.Exe, err)
	}
	p := &siteProc{cmd: cmd, stdin: stdin, done: make(chan error, 1)}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, SiteReadyPrefix) {
				select {
				case lines <- line:
				default: // only the first one is read
				}
			}
		}
		close(lines)
		p.done <- cmd.Wait()
	}()
	timeout := time.NewTimer(2 * time.Minute)
	defer timeout.Stop()
	select {
	case line, ok := <-lines:
		if !ok {
			return nil, fmt.Errorf("bench: the fixture server exited before serving: %v (its messages are above)", <-p.done)
		}
		p.addr = strings.TrimSpace(strings.TrimPrefix(line, SiteReadyPrefix))
		_, port, err := net.SplitHostPort(p.addr)
		if err != nil {
			p.stop()
			return nil, fmt.Errorf("bench: the fixture server printed %q, not an address: %w", line, err)
		}
		p.port = port
		return p, nil
	case <-ctx.Done():
		p.stop()
		return nil, fmt.Errorf("bench: start the fixture server: %w", ctx.Err())
	case <-timeout.C:
		p.stop()
		return nil, errors.New("bench: the fixture server did not start within 2 minutes")
	}
}

// stop closes the server's standard input, which ends it, and kills it
// if it has not exited after a few seconds.
func (p *siteProc) stop() {
	p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// childEnv is the environment of child processes: this one's, without the
// settings that would point the crawl at another archive or database,
// plus cfg.ExeEnv.
func childEnv(cfg Config) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "ARCHIVIST_DATA=") || strings.HasPrefix(kv, "ARCHIVIST_DB=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, cfg.ExeEnv...)
}
