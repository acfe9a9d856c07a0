package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/archivist-project/archivist/cmd/archivist/internal/benchsite"
)

// LoopbackOnlyEnv, set to 1, makes `archivist crawl` resolve the
// fixture's host names to loopback and nothing else.
const LoopbackOnlyEnv = "ARCHIVIST_TEST_LOOPBACK_ONLY"

// summaryRE matches the crawl's summary line.
var summaryRE = regexp.MustCompile(`(?m)^crawl (\S+): (\d+) pages fetched, (\d+) archived, (\d+) skipped, (\d+) failed in `)

// runPipeline runs the real `archivist crawl` over every host's section
// pages into a fresh data directory, with the default configuration (so
// default politeness) and the network guard on, allowing only loopback.
func runPipeline(ctx context.Context, cfg Config, site *benchsite.Site, srv *siteProc, dir string) (*Pipeline, error) {
	port := srv.port
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bench: create %s: %w", dir, err)
	}
	data := filepath.Join(dir, "data")
	seeds := site.SeedURLs(port)
	args := append([]string{"crawl", "--data", data, "--allow-private-networks"}, seeds...)
	p := &Pipeline{
		Command:   fmt.Sprintf("archivist crawl --data DIR --allow-private-networks SEED... (%d seeds, %s=1)", len(seeds), LoopbackOnlyEnv),
		Seeds:     len(seeds),
		Hosts:     site.Hosts(),
		Generated: site.Pages(),
	}
	delay := cfg.Crawler.PerHostDelay
	p.Politeness = Politeness{
		DelaySeconds: delay.Seconds(), PerHostParallelism: cfg.Crawler.PerHostParallelism,
		Hosts: site.Hosts(), MaxRequestsPerHost: site.RequestsPerHost(),
		MinSeconds: float64(site.RequestsPerHost()-1) * delay.Seconds(),
	}
	if delay > 0 {
		p.Politeness.MaxRequestsPerSecond = float64(site.Hosts()) / delay.Seconds()
	}

	out, err := os.Create(filepath.Join(dir, "crawl.out"))
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer out.Close()
	logFile, err := os.Create(filepath.Join(dir, "crawl.log"))
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer logFile.Close()

	cmd := exec.CommandContext(ctx, cfg.Exe, args...)
	cmd.Env = append(childEnv(cfg), LoopbackOnlyEnv+"=1")
	cmd.Stdout = out
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	fmt.Fprintf(cfg.Out, "bench: pipeline: archivist crawl of %d seed pages on %d hosts, default politeness (%s a host)\n", len(seeds), site.Hosts(), delay)
	if cfg.Progress != nil {
		cfg.Progress.Phase("crawl", int64(site.Pages()+len(seeds)))
		defer cfg.Progress.Done()
	}
	serverBefore, serverOK := procCPU(srv.cmd.Process.Pid)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: run %s crawl: %w", cfg.Exe, err)
	}
	stopWatch := make(chan struct{})
	peak := watchPeakRSS(cmd.Process.Pid, stopWatch)
	copyLog(stderr, logFile, cfg.Progress)
	// The log ends when the crawl exits; its /proc entry stays until Wait.
	close(stopWatch)
	watched := <-peak
	waitErr := cmd.Wait()
	p.WallSeconds = time.Since(start).Seconds()
	if after, ok := procCPU(srv.cmd.Process.Pid); ok && serverOK {
		p.ServerCPUSeconds = after.sub(serverBefore).total().Seconds()
	}

	var ee *exec.ExitError
	if waitErr != nil && !(errors.As(waitErr, &ee) && ee.ExitCode() == 3) {
		return nil, fmt.Errorf("bench: the crawl failed: %w; its log is in %s (rerun with --keep to read it), last lines:\n%s",
			waitErr, logFile.Name(), tail(logFile.Name(), 2000))
	}
	cpu, rss := childUsage(cmd.ProcessState)
	p.CPUSeconds, p.UserSeconds, p.SysSeconds = cpu.total().Seconds(), cpu.user.Seconds(), cpu.sys.Seconds()
	p.PeakRSSBytes, p.PeakRSSFirstHalfBytes = watched.whole, watched.firstHalf
	if watched.whole == 0 {
		// No /proc: rusage's figure, which may include this process's
		// memory at the fork.
		p.PeakRSSBytes = rss
	}

	summary, _ := os.ReadFile(out.Name())
	m := summaryRE.FindSubmatch(summary)
	if m == nil {
		return nil, fmt.Errorf("bench: the crawl printed no summary line; its output is in %s", out.Name())
	}
	p.Fetched, _ = strconv.Atoi(string(m[2]))
	p.Archived, _ = strconv.Atoi(string(m[3]))
	p.Skipped, _ = strconv.Atoi(string(m[4]))
	p.Failed, _ = strconv.Atoi(string(m[5]))
	if p.Failed > 0 {
		fmt.Fprintf(cfg.Out, "bench: %d URLs failed in the crawl; see %s\n", p.Failed, out.Name())
	}

	fmt.Fprintf(cfg.Out, "bench: reading back what the crawl stored\n")
	counts, storage, err := measureStorage(ctx, cfg, data, site.ArticleURLs(port), seeds)
	if err != nil {
		return nil, err
	}
	p.Captured, p.ListingCaptures, p.OtherCaptures = counts.articles, counts.listings, counts.other
	p.Storage = storage
	p.CapturedPages = p.Captured + p.ListingCaptures + p.OtherCaptures
	if p.WallSeconds > 0 {
		p.PagesPerSecond = float64(p.CapturedPages) / p.WallSeconds
	}
	if p.CapturedPages > 0 {
		p.CPUMsPerPage = p.CPUSeconds * 1000 / float64(p.CapturedPages)
	}
	if p.WallSeconds > 0 {
		p.CPUUtilisation = p.CPUSeconds / (p.WallSeconds * float64(runtime.NumCPU()))
	}
	p.Politeness.Bound = p.Politeness.MinSeconds > 0 && p.WallSeconds < 1.25*p.Politeness.MinSeconds
	if p.Politeness.MinSeconds > 0 {
		p.Politeness.MaxPagesPerSecond = float64(p.CapturedPages) / p.Politeness.MinSeconds
	}
	return p, nil
}

// copyLog copies the crawl's log to w and advances the progress bar by
// one for every URL the crawl reports done.
func copyLog(r io.Reader, w io.Writer, prog Progress) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		w.Write(line)
		w.Write([]byte{'\n'})
		if prog != nil && (bytes.Contains(line, []byte(`msg="url fetched"`)) ||
			bytes.Contains(line, []byte(`msg="url skipped"`)) || bytes.Contains(line, []byte(`msg="url failed"`))) {
			prog.Add(1)
		}
	}
	// Drain whatever a too-long line left, so the crawl never blocks.
	io.Copy(w, r)
}

// tail returns the last n bytes of a file.
func tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > n {
		f.Seek(fi.Size()-n, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	return strings.TrimSpace(string(b))
}
