package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/archivist-project/archivist/archive/store/miniotest"
	"github.com/archivist-project/archivist/cmd/archivist/internal/bench"
	"github.com/archivist-project/archivist/cmd/archivist/internal/benchsite"
	"github.com/archivist-project/archivist/cmd/archivist/internal/cli"
)

// childEnv, set to 1, makes this test binary act as the archivist binary:
// `archivist bench` runs os.Executable() as the fixture server and the
// crawl, and in this test that is the test binary itself.
const childEnv = "ARCHIVIST_BENCH_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		err := cli.Run(context.Background(), os.Args[1:], cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Getenv: os.Getenv})
		os.Exit(cli.ExitCode(err, os.Stderr))
	}
	os.Exit(m.Run())
}

var evalDir = filepath.Join("..", "..", "..", "..", benchsite.DefaultEvalDir)

// TestSmallRun runs `archivist bench` on a fixture of 40 pages on 5 hosts
// and checks that the report is complete and agrees with itself and with
// the files the crawl left.
func TestSmallRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a crawl with default politeness (about 10 s) and, if installed, MinIO")
	}
	if _, err := os.Stat(filepath.Join(evalDir, "ground-truth.json")); err != nil {
		t.Skipf("benchmark pages not found (%v): they live in ../shared/eval", err)
	}
	t.Setenv(childEnv, "1")
	work := t.TempDir()
	jsonPath := filepath.Join(t.TempDir(), "report.json")
	minio := "none"
	if bin, err := miniotest.Binary(); err == nil {
		minio = bin
	} else if os.Getenv(miniotest.EnvRequire) == "1" {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err := cli.Run(context.Background(), []string{"bench", "--pages", "40", "--per-host", "8", "--eval", evalDir,
		"--work", work, "--keep", "--json", jsonPath, "--minio-bin", minio},
		cli.IO{Out: &out, Err: &errOut, Getenv: os.Getenv})
	if err != nil {
		t.Fatalf("archivist bench: %v\n%s", err, errOut.String())
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep bench.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}

	if rep.Machine.NumCPU != runtime.NumCPU() || rep.Machine.GoVersion != runtime.Version() {
		t.Errorf("machine facts %+v", rep.Machine)
	}
	if f := rep.Fixture; f.Pages != 40 || f.Hosts != 5 || f.PerHost != 8 || f.SeedURLs < 5 {
		t.Errorf("fixture %+v, want 40 pages on 5 hosts", f)
	}

	want := []string{"fetch", "extract", "readability", "warc", "records", "store-local", "catalog", "recorder"}
	if minio != "none" {
		want = append(want, "store-minio")
	}
	byName := map[string]bench.Stage{}
	var sum float64
	for _, s := range rep.Stages {
		byName[s.Name] = s
		if s.Pages != 40+rep.Fixture.SeedURLs || s.CPUSeconds <= 0 || s.WallSeconds <= 0 || s.PagesPerSecond <= 0 || s.AllocBytesPerPage <= 0 || s.PeakHeapBytes == 0 {
			t.Errorf("stage %s not measured: %+v", s.Name, s)
		}
		if math.Abs(s.CPUSeconds-s.UserSeconds-s.SysSeconds) > 1e-6 || math.Abs(s.CPUMsPerPage-1000*s.CPUSeconds/float64(s.Pages)) > 0.01 {
			t.Errorf("stage %s: CPU figures disagree: %+v", s.Name, s)
		}
		if s.Note != "" {
			t.Errorf("stage %s: %s", s.Name, s.Note)
		}
		if s.InCeiling {
			sum += s.CPUMsPerPage
		}
	}
	for _, name := range want {
		if _, ok := byName[name]; !ok {
			t.Errorf("stage %s missing from the report", name)
		}
	}
	for _, name := range []string{"readability", "recorder", "store-minio"} {
		if byName[name].InCeiling {
			t.Errorf("stage %s counted in the ceiling: it is measured beside the capture's parts", name)
		}
	}
	if minio != "none" && byName["store-minio"].ServerCPUMsPerPage <= 0 {
		t.Error("MinIO's own CPU not measured")
	}
	c := rep.Ceiling
	if c == nil || math.Abs(c.CPUMsPerPage-sum) > 1e-9 || math.Abs(c.PagesPerSecond-float64(runtime.NumCPU())*1000/sum) > 1e-6 {
		t.Fatalf("ceiling %+v, want %d CPUs ÷ %.3f ms", c, runtime.NumCPU(), sum)
	}

	p := rep.Pipeline
	if p == nil {
		t.Fatal("no pipeline in the report")
	}
	if p.Generated != 40 || p.Captured != 40 || p.Failed != 0 || p.OtherCaptures != 0 {
		t.Errorf("pipeline captured %d of %d articles, %d failed, %d unexpected captures", p.Captured, p.Generated, p.Failed, p.OtherCaptures)
	}
	if p.ListingCaptures != rep.Fixture.SeedURLs || p.Archived != p.Captured+p.ListingCaptures || p.Storage.Captures != p.Archived {
		t.Errorf("pipeline: %d section pages of %d seeds captured, summary says %d archived, catalog holds %d",
			p.ListingCaptures, rep.Fixture.SeedURLs, p.Archived, p.Storage.Captures)
	}
	if p.PeakRSSFirstHalfBytes == 0 || p.PeakRSSFirstHalfBytes > p.PeakRSSBytes {
		t.Errorf("peak RSS over the first half %d, over the whole crawl %d", p.PeakRSSFirstHalfBytes, p.PeakRSSBytes)
	}
	if p.CPUSeconds <= 0 || p.PeakRSSBytes == 0 || p.WallSeconds <= 0 ||
		p.CapturedPages != p.Archived || math.Abs(p.CPUMsPerPage-1000*p.CPUSeconds/float64(p.CapturedPages)) > 0.01 ||
		math.Abs(p.PagesPerSecond-float64(p.CapturedPages)/p.WallSeconds) > 0.01 {
		t.Errorf("pipeline measures disagree: %+v", p)
	}
	if math.Abs(p.FractionOfCeiling-p.PagesPerSecond/c.PagesPerSecond) > 1e-9 || math.Abs(p.CPUBoundFraction-sum/p.CPUMsPerPage) > 1e-9 {
		t.Errorf("fraction of ceiling %.4f (CPU-bound %.4f), want %.4f (%.4f)", p.FractionOfCeiling, p.CPUBoundFraction,
			p.PagesPerSecond/c.PagesPerSecond, sum/p.CPUMsPerPage)
	}
	if p.ServerCPUSeconds < 0 || p.ServerCPUSeconds > p.WallSeconds*float64(runtime.NumCPU()) {
		t.Errorf("fixture server CPU %.2f s over a %.1f s crawl", p.ServerCPUSeconds, p.WallSeconds)
	}
	if u := p.CPUSeconds / (p.WallSeconds * float64(runtime.NumCPU())); math.Abs(p.CPUUtilisation-u) > 1e-9 || u <= 0 || u > 1 {
		t.Errorf("CPU utilisation %.4f, want %.4f in (0, 1]", p.CPUUtilisation, u)
	}
	if pol := p.Politeness; pol.DelaySeconds != 1 || pol.Hosts != 5 || pol.MinSeconds != float64(pol.MaxRequestsPerHost-1) || p.WallSeconds < pol.MinSeconds {
		t.Errorf("politeness %+v with the crawl taking %.1f s: default politeness is 1 s a host, and no crawl beats it", pol, p.WallSeconds)
	}
	if pol := p.Politeness; pol.MaxPagesPerSecond != float64(p.CapturedPages)/pol.MinSeconds || p.PagesPerSecond > pol.MaxPagesPerSecond ||
		math.Abs(pol.CapOfCeiling-pol.MaxPagesPerSecond/c.PagesPerSecond) > 1e-9 {
		t.Errorf("politeness cap %.1f pages/s (%.4f of the ceiling) with %d captured in ≥ %.0f s and the crawl at %.1f pages/s",
			pol.MaxPagesPerSecond, pol.CapOfCeiling, p.CapturedPages, pol.MinSeconds, p.PagesPerSecond)
	}

	// Storage: what the report says was stored is what the crawl's store
	// directory holds, file by file.
	s := p.Storage
	onDisk := storeBytes(t, filepath.Join(work, "pipeline", "data", "store"))
	if s.StoredBytes != onDisk || s.StoredBytes != s.WARCBytes+s.ArticleBytes+s.ProvenanceBytes {
		t.Errorf("stored %d bytes (WARC %d + Article %d + provenance %d), the store directory holds %d",
			s.StoredBytes, s.WARCBytes, s.ArticleBytes, s.ProvenanceBytes, onDisk)
	}
	// The crawl's payload is the pages the stages fetched, articles and
	// section pages; gzip makes it smaller.
	pages := int64(math.Round(float64(40+rep.Fixture.SeedURLs) * rep.Fixture.MeanPageBytes))
	if s.PayloadBytes != pages || s.CompressedPayloadBytes <= 0 || s.CompressedPayloadBytes >= s.PayloadBytes || s.CatalogBytes <= 0 {
		t.Errorf("payload %d bytes (%d gzipped), the stages' pages are %d", s.PayloadBytes, s.CompressedPayloadBytes, pages)
	}
	if math.Abs(s.Overhead-float64(s.StoredBytes-s.CompressedPayloadBytes)/float64(s.CompressedPayloadBytes)) > 1e-12 {
		t.Errorf("overhead %.4f does not follow from its bytes", s.Overhead)
	}

	// The speed probe ran at the three points, and its summary follows
	// from its figures.
	d := rep.Drift
	if d.ProbePages == 0 || d.BeforeStagesMs <= 0 || d.AfterStagesMs <= 0 || d.AfterCrawlMs <= 0 {
		t.Errorf("speed probe not taken at every point: %+v", d)
	}
	probes := []float64{d.BeforeStagesMs, d.AfterStagesMs, d.AfterCrawlMs}
	if spread := slices.Max(probes)/slices.Min(probes) - 1; math.Abs(d.Spread-spread) > 1e-9 {
		t.Errorf("drift spread %.4f, want %.4f from %v", d.Spread, spread, probes)
	}
	if slow := (d.AfterStagesMs + d.AfterCrawlMs) / (d.BeforeStagesMs + d.AfterStagesMs); math.Abs(d.CrawlSlowdown-slow) > 1e-9 {
		t.Errorf("crawl slowdown %.4f, want %.4f", d.CrawlSlowdown, slow)
	}

	if len(rep.Targets) != 4 {
		t.Errorf("targets %+v, want the four of issue #9 this run measures", rep.Targets)
	}
	text := out.String()
	for _, w := range append(want, "CPU ceiling", "Whole pipeline", "Bounded by politeness", "politeness alone caps", "overhead", "Machine speed", "Targets") {
		if !strings.Contains(text, w) {
			t.Errorf("the printed report lacks %q:\n%s", w, text)
		}
	}
}

// storeBytes sums the sizes of the objects under a local store's
// directory, leaving out its directory of in-flight writes.
func storeBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var total int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".tmp" {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			total += fi.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return total
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--pages", "0"},
		{"bench", "--only", "everything"},
		{"bench", "extra"},
		{"bench-site", "--listen", "0.0.0.0:0"},
		{"bench-site", "--eval", filepath.Join(t.TempDir(), "missing")},
	} {
		var errOut bytes.Buffer
		err := cli.Run(context.Background(), args, cli.IO{Out: &errOut, Err: &errOut, Getenv: func(string) string { return "" }})
		if code := cli.ExitCode(err, &errOut); code != cli.ExitUsage {
			t.Errorf("archivist %s: exit %d, want %d (%s)", strings.Join(args, " "), code, cli.ExitUsage, errOut.String())
		}
	}
}
